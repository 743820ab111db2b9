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

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/db"
)

// MaxJobTime bounds every worker's Timeout: a longer task works in steps
// that each leave their progress in the database (a bulk run's step is
// 30 s of rows, and the rows in hand finish within the rest; an index pass
// stops reading before its time is up and goes on in the next).
const MaxJobTime = 60 * time.Second

// RescueAfter is how long after its start a job still marked running (its
// instance crashed or was killed) is taken up again. It is more than
// MaxJobTime, with 25 s for a worker whose context ran out to return, so
// a job still working is never run twice. River's rescuer looks every
// 30 s: a killed instance's job goes on within 2 minutes of its last
// step's start (85 s, then at most 30 s to the rescuer's next look and a
// poll), as the bulk lease did.
const RescueAfter = MaxJobTime + 25*time.Second

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

// Queue is River started on the app's database. Every job and every
// transaction is database/sql's (*sql.Tx) on both dialects, so a store
// can insert a job in the transaction that makes it needed (InsertTx), and
// a worker can complete its job in the transaction that decides it is
// over (CompleteTx).
type Queue struct {
	client *river.Client[*sql.Tx]
}

// Open migrates River's tables and returns a Queue, not yet started.
func Open(ctx context.Context, cfg Config) (*Queue, error) {
	rc := &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: max(cfg.MaxWorkers, 1)}},
		Workers:      cfg.Workers,
		PeriodicJobs: cfg.Periodic,
		JobTimeout:   cfg.JobTimeout,
		// A job a crash left "running" is worked again after this long
		// (River's default is an hour): a bulk job whose instance was
		// killed goes on within a few minutes on another. The index sync
		// does not wait for it: its pass lock dies with the process.
		RescueStuckJobsAfter: RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		Logger:               cfg.Logger,
		ID:                   cfg.ID,
	}
	var driver riverdriver.Driver[*sql.Tx]
	switch cfg.DB.Dialect {
	case db.SQLite:
		driver = riversqlite.New(cfg.DB.DB)
	case db.Postgres:
		// Jobs and transactions go through database/sql; the pgx pool
		// under it carries LISTEN, so instances hear of new jobs at once.
		driver = riverdatabasesql.NewWithPgxListener(cfg.DB.DB, cfg.DB.Pool)
	default:
		return nil, fmt.Errorf("jobs: no dialect %q", cfg.DB.Dialect)
	}
	if err := migrateRiver(ctx, driver, cfg.Logger); err != nil {
		return nil, err
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue{client: client}, nil
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
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Insert adds a job.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.client.Insert(ctx, args, opts)
}

// InsertTx adds a job in tx: it exists if and only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return q.client.InsertTx(ctx, tx, args, opts)
}

// CompleteTx marks the job a worker works as completed in tx (within the
// worker's Work, whose ctx carries the client): it is completed if and
// only if tx commits.
func CompleteTx[T river.JobArgs](ctx context.Context, tx *sql.Tx, job *river.Job[T]) error {
	// The driver type only names the transaction type (*sql.Tx); the
	// client working the job, from ctx, does the work on either dialect.
	_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
	return err
}

// Stop cancels the jobs in hand and waits for them to return (until ctx
// ends). Every job is written to be cut short:
// the index sync applies whole pages with their cursor, a bulk job stops
// between rows (the row in hand finishes through the write path), and both
// go on from what they wrote down after the restart.
func (q *Queue) Stop(ctx context.Context) error {
	return q.client.StopAndCancel(ctx)
}
