package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/jobs"
	"github.com/contactdesk/contactdesk/metrics"
)

// jobsConfig is what the background jobs work with.
type jobsConfig struct {
	cfg     Config
	db      *db.DB
	st      *client.Client
	index   *index.Store
	meter   *metrics.Metrics
	log     *slog.Logger
	bulk    *bulk.Store
	runner  *bulk.Runner
	changes *change.Service
}

// startJobs starts River with the index sync (every INDEX_INTERVAL, and
// at start; the metrics follow the index after each pass), the bulk jobs'
// runs and the pruning of their old drafts, and the settling of attempts whose outcome was lost (a
// crash between a write and its outcome, on any instance; an outcome's
// write that failed): every few seconds, once their write can no longer
// land.
func startJobs(ctx context.Context, j jobsConfig) (*jobs.Queue, error) {
	report := func(ctx context.Context) {
		if s, err := j.index.Status(ctx, 3*j.cfg.IndexInterval); err == nil {
			j.meter.Index(s.Counts.Customers, s.Counts.Contacts, s.Lag)
		}
	}
	report(ctx)
	workers := river.NewWorkers()
	river.AddWorker(workers, &index.SyncWorker{Syncer: index.NewSyncer(j.st, j.index, j.cfg.IndexRate, j.log), Passed: report})
	river.AddWorker(workers, &bulk.RunWorker{Runner: j.runner})
	river.AddWorker(workers, &bulk.PruneDraftsWorker{Store: j.bulk})
	river.AddWorker(workers, change.NewSettleWorker(j.changes))
	queue, err := jobs.Open(ctx, jobs.Config{
		DB: j.db, Workers: workers,
		Periodic: []*river.PeriodicJob{index.PeriodicSync(j.cfg.IndexInterval), bulk.PeriodicPruneDrafts(), change.PeriodicSettle()},
		// The sync, the pruning, the settling and a few bulk runs at once.
		MaxWorkers: 6, Logger: j.log, ID: riverID(),
	})
	if err != nil {
		return nil, fmt.Errorf("background jobs cannot start: %w", err)
	}
	// Jobs run until Stop, not until ctx (SIGTERM) ends: the shutdown
	// stops them after the requests in flight.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("background jobs cannot start: %w", err)
	}
	return queue, nil
}

// riverID names this process in River's tables (river_job.attempted_by):
// which instance ran a job, by host and process id.
func riverID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("contactdesk_%s_pid%d_%d", host, os.Getpid(), time.Now().UnixMilli())
}
