package bulk

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue queues River jobs in a transaction; *jobs.Queue has it.
type Queue interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service is what people do with bulk jobs: preview a list, confirm it,
// pause, resume or cancel the job.
type Service struct {
	Store *Store
	Index Index
	// Queue runs the jobs: a job's run is queued in the transaction that
	// starts or resumes it.
	Queue Queue
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

// queueRun queues job's run in tx. The run is unique (RunArgs'
// InsertOpts): one already queued or running is kept, and goes on.
func (s *Service) queueRun(ctx context.Context, job int64) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		if _, err := s.Queue.InsertTx(ctx, tx, RunArgs{Job: job}, nil); err != nil {
			return fmt.Errorf("queue its run: %w", err)
		}
		return nil
	}
}

// Confirm starts a draft its owner confirms, and queues its run in the
// same transaction; a repeated confirmation (a double click, Back and
// resubmit) starts nothing and reports false.
func (s *Service) Confirm(ctx context.Context, job int64, owner string) (bool, error) {
	return s.Store.Confirm(ctx, job, owner, s.queueRun(ctx, job))
}

// Pause stops a running job between rows.
func (s *Service) Pause(ctx context.Context, job int64, by string) (bool, error) {
	return s.Store.Move(ctx, job, []State{Running}, Paused, by, nil)
}

// Resume goes on with a paused job, queueing its run in the same
// transaction.
func (s *Service) Resume(ctx context.Context, job int64, by string) (bool, error) {
	return s.Store.Move(ctx, job, []State{Paused}, Running, by, s.queueRun(ctx, job))
}

// Cancel stops a job for good: the rows not worked yet are cancelled (the
// row in hand, if any, finishes).
func (s *Service) Cancel(ctx context.Context, job int64, by string) (bool, error) {
	return s.Store.Move(ctx, job, []State{Running, Paused}, Cancelled, by, nil)
}

// The pages read jobs through these: one query for each list.

// View reads a job for its page: the job, its rows counted by state, the
// rows it finished since since, and its preview's totals, in one query.
func (s *Service) View(ctx context.Context, job int64, since time.Time) (View, error) {
	return s.Store.View(ctx, job, since)
}

// Jobs lists confirmed jobs matching f, newest first, each with its rows
// counted, in one query.
func (s *Service) Jobs(ctx context.Context, f JobFilter) ([]Summary, error) {
	return s.Store.Summaries(ctx, f)
}

// Failures lists a job's first failed rows.
func (s *Service) Failures(ctx context.Context, job int64, limit int) ([]Target, error) {
	return s.Store.Failures(ctx, job, limit)
}

// Targets lists a preview's contacts, paged (planned "" lists them all).
func (s *Service) Targets(ctx context.Context, job int64, planned Plan, offset, limit int) ([]Target, error) {
	return s.Store.Targets(ctx, job, planned, offset, limit)
}

// LinesToCheck lists, paged, the lines of a job that have something to say.
func (s *Service) LinesToCheck(ctx context.Context, job int64, offset, limit int) ([]Line, error) {
	return s.Store.LinesToCheck(ctx, job, offset, limit)
}

// EachResult gives each line of a job with its contacts, in order (the
// CSV downloads).
func (s *Service) EachResult(ctx context.Context, job int64, fn func(Result) error) error {
	return s.Store.EachResult(ctx, job, fn)
}
