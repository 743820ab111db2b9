package index

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/jobs"
)

// SyncArgs is the job that runs one sync pass. It carries nothing: where
// each feed stands is in the index's tables.
type SyncArgs struct{}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "index_sync" }

// InsertOpts makes the sync unique while one is waiting or running: with
// several instances, exactly one runs at a time.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// SyncWorker works SyncArgs jobs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Syncer *Syncer
	// Passed is told how the index stands after each pass (metrics).
	Passed func(ctx context.Context)
}

// Work runs one pass; an error retries it later (River's backoff) from the
// cursors the pass left.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	err := w.Syncer.Pass(ctx)
	if w.Passed != nil {
		w.Passed(context.WithoutCancel(ctx))
	}
	return err
}

// Timeout gives a pass the longest a job may run. A backfill (a quarter of
// a million customers at INDEX_RATE calls a second) takes several passes:
// each page is applied with its cursor as it comes, and a pass stops
// reading before its time is up, so a pass cut short loses nothing.
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return jobs.MaxJobTime }

// PeriodicSync schedules a pass every interval, and one at start.
func PeriodicSync(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SyncArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
