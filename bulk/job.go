package bulk

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/jobs"
)

// RunArgs is a River job that works a bulk job's rows, a step at a time:
// after each step it snoozes and goes on, so no run outlives
// jobs.MaxJobTime and the rows done are written down as they go.
//
// A job has one run at a time (InsertOpts): it is queued in the
// transaction that starts or resumes the job, and a run whose instance
// died is taken up again by River's rescuer on another (jobs.RescueAfter).
// A second run is never needed, and each row is claimed before it is
// worked, so no contact is changed twice.
type RunArgs struct {
	Job int64 `json:"job"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "bulk_run" }

// runStates are those in which a run counts as the job's one run: all but
// completed (a job resumed after its run ended gets a new one), cancelled
// and discarded.
var runStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled}

// InsertOpts makes a job's run unique by its arguments (the job's id).
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: runStates}}
}

// RunWorker works RunArgs.
type RunWorker struct {
	river.WorkerDefaults[RunArgs]
	Runner *Runner
}

// Work runs one step of the job, then snoozes to go on. A run that finds
// the job done, paused or cancelled completes in the transaction that
// reads so: a resume, which queues no second run while this one runs,
// either comes first (this run goes on) or after (it queues a new run).
func (w *RunWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	step, err := w.Runner.Work(ctx, job.Args.Job)
	if err != nil {
		return err
	}
	if !step.More {
		ended, err := w.Runner.store.EndRun(ctx, job.Args.Job, func(tx *sql.Tx) error { return jobs.CompleteTx(ctx, tx, job) })
		if err != nil || ended {
			return err
		}
		// Resumed meanwhile: go on at once.
	}
	return river.JobSnooze(max(step.After, 100*time.Millisecond))
}

// Timeout keeps a run within what River may rescue after a crash.
func (w *RunWorker) Timeout(*river.Job[RunArgs]) time.Duration { return jobs.MaxJobTime }

// PruneDraftsArgs is the periodic River job that deletes previews nobody
// confirmed within DraftLife.
type PruneDraftsArgs struct{}

// Kind implements river.JobArgs.
func (PruneDraftsArgs) Kind() string { return "bulk_prune_drafts" }

// PruneDraftsWorker works PruneDraftsArgs.
type PruneDraftsWorker struct {
	river.WorkerDefaults[PruneDraftsArgs]
	Store *Store
}

// Work deletes the drafts older than DraftLife.
func (w *PruneDraftsWorker) Work(ctx context.Context, _ *river.Job[PruneDraftsArgs]) error {
	_, err := w.Store.DeleteDrafts(ctx, time.Now().Add(-DraftLife))
	return err
}

// DraftLife is how long a preview nobody confirmed is kept.
const DraftLife = 24 * time.Hour

// PeriodicPruneDrafts prunes drafts every hour, and at start.
func PeriodicPruneDrafts() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return PruneDraftsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
