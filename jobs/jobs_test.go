package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/jobs"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan int
}

func (w *pingWorker) Work(ctx context.Context, job *river.Job[pingArgs]) error {
	w.done <- job.Args.N
	return nil
}

// The queue works jobs on both databases: one inserted, and a periodic one
// at start.
func TestQueueWorksJobs(t *testing.T) {
	for _, backend := range []string{db.SQLite, db.Postgres} {
		t.Run(backend, func(t *testing.T) {
			cfg := jobs.Config{PollInterval: 200 * time.Millisecond, JobTimeout: 10 * time.Second}
			switch backend {
			case db.SQLite:
				cfg.DB = dbtest.SQLite(t)
			case db.Postgres:
				cfg.DB = dbtest.Postgres(t)
			}
			worker := &pingWorker{done: make(chan int, 4)}
			cfg.Workers = river.NewWorkers()
			river.AddWorker(cfg.Workers, worker)
			cfg.Periodic = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return pingArgs{N: 1}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
			ctx := context.Background()
			q, err := jobs.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { q.Stop(context.Background()) })
			if _, err := q.Insert(ctx, pingArgs{N: 2}, nil); err != nil {
				t.Fatal(err)
			}
			seen := map[int]bool{}
			for len(seen) < 2 {
				select {
				case n := <-worker.done:
					seen[n] = true
				case <-time.After(15 * time.Second):
					t.Fatalf("jobs worked: %v; want the periodic one and the inserted one", seen)
				}
			}
		})
	}
}
