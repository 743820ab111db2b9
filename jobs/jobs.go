// Package jobs runs the app's background work (the index sync, bulk
// changes) as River jobs in the app's database: on the embedded SQLite
// file, or on PostgreSQL shared by several instances, where River hands
// each job to one instance and a job left by a dead instance is taken up
// by another. A job's arguments are small (ids, cursors); its progress is
// in the database, so it is safe to run again.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/db"
)

// MaxJobTime bounds every worker's Timeout: a longer task works in steps
// that each leave their progress in the database.
const MaxJobTime = 10 * time.Minute

// RescueAfter is how long after its start a job still marked running (its
// instance crashed or was killed) is taken up again; more than MaxJobTime,
// so a job still working is never run twice.
const RescueAfter = MaxJobTime + 5*time.Minute

// Config says where the jobs live and what runs them.
type Config struct {
	// DB is the app's database handle: on SQLite River uses its one
	// connection, on PostgreSQL its pgx pool.
	DB       *db.DB
	Workers  *river.Workers
	Periodic []*river.PeriodicJob
	// MaxWorkers bounds the jobs one instance works at once.
	MaxWorkers int
	// JobTimeout bounds one job (a backfill page loop checks its context);
	// a worker may set its own, up to MaxJobTime.
	JobTimeout time.Duration
	// PollInterval is how often an instance looks for jobs (SQLite has no
	// LISTEN; PostgreSQL is told at once and polls as a fallback).
	PollInterval time.Duration
	Logger       *slog.Logger
	// ID names this instance's River client in River's tables (which
	// instance ran a job); River makes one up when empty.
	ID string
}

// Queue is River started on the app's database.
type Queue struct {
	insert func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	start  func(ctx context.Context) error
	stop   func(ctx context.Context) error
}

// Open migrates River's tables and returns a Queue, not yet started.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	rc := &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 1)}},
		Workers:      cfg.Workers,
		PeriodicJobs: cfg.Periodic,
		JobTimeout:   cfg.JobTimeout,
		// A job a crash left "running" is worked again after this long
		// (River's default is an hour). The index sync does not wait for
		// it: its pass lock dies with the process.
		RescueStuckJobsAfter: RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		Logger:               cfg.Logger,
		ID:                   cfg.ID,
	}
	switch cfg.DB.Dialect {
	case db.SQLite:
		driver := riversqlite.New(cfg.DB.DB)
		if err := migrateRiver[*sql.Tx](ctx, driver, cfg.Logger); err != nil {
			return nil, err
		}
		client, err := river.NewClient(driver, rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		return &Queue{insert: client.Insert, start: client.Start, stop: client.StopAndCancel}, nil
	case db.Postgres:
		driver := riverpgxv5.New(cfg.DB.Pool)
		if err := migrateRiver[pgx.Tx](ctx, driver, cfg.Logger); err != nil {
			return nil, err
		}
		client, err := river.NewClient(driver, rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		return &Queue{insert: client.Insert, start: client.Start, stop: client.StopAndCancel}, nil
	}
	return nil, fmt.Errorf("jobs: no dialect %q", cfg.DB.Dialect)
}

// migrateRiver brings River's own tables up to date.
func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], log *slog.Logger) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	return nil
}

// Start starts working jobs (and scheduling the periodic ones).
func (q *Queue) Start(ctx context.Context) error { return q.start(ctx) }

// Insert adds a job.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.insert(ctx, args, opts)
}

// Stop cancels the jobs in hand and waits for them to return (until ctx
// ends). Every job is written to be cut short:
// the index sync applies whole pages with their cursor, a bulk job stops
// between rows (the row in hand finishes through the write path), and both
// go on from what they wrote down after the restart.
func (q *Queue) Stop(ctx context.Context) error {
	return q.stop(ctx)
}
