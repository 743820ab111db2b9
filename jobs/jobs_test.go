package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	_ "modernc.org/sqlite"

	"github.com/contactdesk/contactdesk/jobs"
	"github.com/contactdesk/contactdesk/migrate"
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
	for _, backend := range []string{migrate.SQLite, migrate.Postgres} {
		t.Run(backend, func(t *testing.T) {
			cfg := jobs.Config{Dialect: backend, PollInterval: 200 * time.Millisecond, JobTimeout: 10 * time.Second}
			switch backend {
			case migrate.SQLite:
				db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/jobs.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
				if err != nil {
					t.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				t.Cleanup(func() { db.Close() })
				cfg.DB = db
			case migrate.Postgres:
				url := os.Getenv("AUDIT_TEST_DATABASE_URL")
				if url == "" {
					if os.Getenv("CI") != "" {
						t.Fatal("AUDIT_TEST_DATABASE_URL is not set (scripts/test.sh sets it)")
					}
					t.Skip("AUDIT_TEST_DATABASE_URL is not set")
				}
				cfg.DatabaseURL = freshSchema(t, url)
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

// freshSchema returns url pointing at a new schema of the test's own.
func freshSchema(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	schema := fmt.Sprintf("jobs_test_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d := stdlib.OpenDB(*cfg)
		defer d.Close()
		d.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}
