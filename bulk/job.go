package bulk

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/jobs"
)

// RunArgs is a River job that works a bulk job's rows, a step at a time:
// after each step it snoozes and goes on, so no run outlives
// jobs.MaxJobTime and the rows done are written down as they go.
type RunArgs struct {
	Job int64 `json:"job"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "bulk_run" }

// RunWorker works RunArgs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	Runner *Runner
}

// Work runs one step of the job. The River job's id names the worker in
// the job's lease: a second run of the same job (queued again by the
// sweep) finds the lease held and ends.
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	step, err := w.Runner.Work(ctx, job.Args.Job, fmt.Sprintf("run-%d", job.ID))
	if err != nil {
		return err
	}
	if step.More {
		return river.JobSnooze(max(step.After, 100*time.Millisecond))
	}
	return nil
}

// Timeout keeps a run within what River may rescue after a crash.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return jobs.MaxJobTime }

// SweepArgs is the periodic River job that makes sure every running bulk
// job has a run: after a crash (the run's instance died; its lease has run
// out) or when queueing the run failed.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "bulk_sweep" }

// SweepWorker works SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Store *Store
	Queue Enqueuer
	Log   *slog.Logger
}

// Enqueuer queues a run of a bulk job.
type Enqueuer interface {
	Enqueue(ctx context.Context, job int64) error
}

// Work queues a run for each running job nobody holds, and deletes
// previews older than a day that nobody confirmed.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	unheld, err := w.Store.Unleased(ctx, time.Now())
	if err != nil {
		return err
	}
	for _, id := range unheld {
		if err := w.Queue.Enqueue(ctx, id); err != nil {
			return err
		}
		if w.Log != nil {
			w.Log.InfoContext(ctx, "bulk job queued again: no worker held it", "job", id)
		}
	}
	_, err = w.Store.DeleteDrafts(ctx, time.Now().Add(-DraftLife))
	return err
}

// DraftLife is how long a preview nobody confirmed is kept.
const DraftLife = 24 * time.Hour

// PeriodicSweep runs the sweep every minute, and at start.
func PeriodicSweep() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
