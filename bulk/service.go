package bulk

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue queues River jobs; *jobs.Queue has it.
type Queue interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service is what people do with bulk jobs: preview a list, confirm it,
// pause, resume or cancel the job.
type Service struct {
	Store *Store
	Index Index
	Queue Queue
	Log   *slog.Logger
	// IndexComplete says whether the index holds the whole tenant yet
	// (*index.Store's Complete); without it, it is taken to.
	IndexComplete func(context.Context) (bool, error)
}

// Preview matches list against the index and keeps the result as a draft
// job owned by owner; nothing is written to ServiceTitan. A preview made
// while the index is still loading says so (Preview.IndexLoading).
func (s *Service) Preview(ctx context.Context, list List, action Action, fileName string, owner Person) (int64, Preview, error) {
	complete := true
	if s.IndexComplete != nil {
		var err error
		if complete, err = s.IndexComplete(ctx); err != nil {
			return 0, Preview{}, fmt.Errorf("bulk: how complete the index is: %w", err)
		}
	}
	p, err := Match(ctx, s.Index, list, action, fileName)
	if err != nil {
		return 0, p, err
	}
	p.IndexLoading = !complete
	id, err := s.Store.SaveDraft(ctx, p, owner)
	return id, p, err
}

// Enqueue queues a run of a job (Enqueuer).
func (s *Service) Enqueue(ctx context.Context, job int64) error {
	if _, err := s.Queue.Insert(ctx, RunArgs{Job: job}, nil); err != nil {
		return fmt.Errorf("bulk: queue job %d: %w", job, err)
	}
	return nil
}

// Confirm starts a draft its owner confirms; a repeated confirmation
// (a double click, Back and resubmit) starts nothing and reports false.
func (s *Service) Confirm(ctx context.Context, job int64, owner string) (bool, error) {
	started, err := s.Store.Confirm(ctx, job, owner)
	if err != nil || !started {
		return false, err
	}
	s.enqueue(ctx, job)
	return true, nil
}

// enqueue queues a run; when that fails the job is still running, and the
// sweep (every minute) queues it.
func (s *Service) enqueue(ctx context.Context, job int64) {
	if err := s.Enqueue(context.WithoutCancel(ctx), job); err != nil && s.Log != nil {
		s.Log.ErrorContext(ctx, "bulk job not queued; the sweep queues it within a minute", "job", job, "error", err)
	}
}

// Pause stops a running job between rows.
func (s *Service) Pause(ctx context.Context, job int64, by string) (bool, error) {
	return s.Store.Move(ctx, job, []State{Running}, Paused, by)
}

// Resume goes on with a paused job.
func (s *Service) Resume(ctx context.Context, job int64, by string) (bool, error) {
	ok, err := s.Store.Move(ctx, job, []State{Paused}, Running, by)
	if ok {
		s.enqueue(ctx, job)
	}
	return ok, err
}

// Cancel stops a job for good: the rows not worked yet are cancelled (the
// row in hand, if any, finishes).
func (s *Service) Cancel(ctx context.Context, job int64, by string) (bool, error) {
	return s.Store.Move(ctx, job, []State{Running, Paused}, Cancelled, by)
}
