package index

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/jobs"
)

// SyncArgs is the job that runs one sync pass. It carries nothing: where
// each feed stands is in the index's tables.
//
// It is not unique in River: River counts a job left "running" by a dead
// process as running until it rescues it (jobs.RescueAfter, minutes), and
// a unique sync would wait that long after a crash. The pass
// lock (Store.lockPass) keeps passes one at a time instead, and dies with
// its process: after a restart the next pass (one at start, then every
// interval) moves the index again at once. A pass that finds the lock held
// ends at once, so one started while a long backfill pass works costs
// nothing.
type SyncArgs struct{}

// Kind implements river.JobArgs.
func (SyncArgs) Kind() string { return "index_sync" }

// PassTime bounds a pass. A pass stops reading before its time is up and
// goes on at once in the same job (a backfill of a quarter of a million
// customers takes a few), so a pass cut short loses nothing; a pass
// stuck in a call holds the lock no longer than this.
const PassTime = jobs.MaxJobTime

// SyncWorker works SyncArgs jobs.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	Syncer *Syncer
	// Passed is told how the index stands after each pass (metrics).
	Passed func(ctx context.Context)
}

// Work runs one pass; an error retries it later (River's backoff) from the
// cursors the pass left, and a pass out of time goes on at once.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	more, err := w.Syncer.Step(ctx)
	if w.Passed != nil {
		w.Passed(context.WithoutCancel(ctx))
	}
	if err == nil && more {
		return river.JobSnooze(time.Second)
	}
	return err
}

// Timeout bounds a pass (see PassTime).
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return PassTime }

// PeriodicSync schedules a pass every interval, and one at start.
func PeriodicSync(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SyncArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
