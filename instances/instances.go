// Package instances keeps the list of the app's live instances on one
// PostgreSQL, so that what the tenant allows in total (ServiceTitan's
// 60 calls a second) can be split between them: each instance beats every
// few seconds, and one not seen for a while no longer counts.
package instances

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

//go:embed migrations
var migrationFiles embed.FS

var migrations = db.Set{Owner: "instances", Files: migrationFiles, Dir: "migrations", Table: "instances_schema_migrations",
	LockKey: 0x696e7374} // "inst"

// Registry is this instance's place among the live ones.
type Registry struct {
	db   *sql.DB
	id   string
	host string
	// Every is how often the instance beats; Stale is how long an instance
	// not seen still counts (a few beats: a busy database is not a death).
	Every, Stale time.Duration
	log          *slog.Logger
}

// Open migrates the table in sqlDB (PostgreSQL) and returns this
// instance's registry, under a new random id.
func Open(ctx context.Context, sqlDB *sql.DB, log *slog.Logger) (*Registry, error) {
	if err := migrations.Up(ctx, sqlDB, db.Postgres); err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	host, _ := os.Hostname()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Registry{db: sqlDB, id: hex.EncodeToString(b), host: host, Every: 5 * time.Second, Stale: 16 * time.Second, log: log}, nil
}

// Beat says this instance is alive, forgets instances long gone, and
// counts the live ones (this one included). Times are the database's.
func (r *Registry) Beat(ctx context.Context) (int, error) {
	stale := db.Interval(r.Stale)
	if _, err := r.db.ExecContext(ctx, `INSERT INTO app_instances (id, host, started_at, seen_at) VALUES ($1, $2, now(), now())
		ON CONFLICT (id) DO UPDATE SET seen_at = now()`, r.id, r.host); err != nil {
		return 0, fmt.Errorf("instances: beat: %w", err)
	}
	if _, err := r.db.ExecContext(ctx, `DELETE FROM app_instances WHERE seen_at < now() - 10 * $1::interval`, stale); err != nil {
		return 0, fmt.Errorf("instances: forget: %w", err)
	}
	var n int
	if err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM app_instances WHERE seen_at >= now() - $1::interval`, stale).Scan(&n); err != nil {
		return 0, fmt.Errorf("instances: count: %w", err)
	}
	return max(n, 1), nil
}

// Run beats every Every until ctx ends, telling live the number of live
// instances at the first beat and whenever it changes. A beat that fails
// keeps the last count (and is logged): the split errs on the side it was.
func (r *Registry) Run(ctx context.Context, live func(n int)) {
	last := 0
	for {
		n, err := r.Beat(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			r.log.WarnContext(ctx, "instances: beat failed; the rate budget stays split as it was", "error", err)
		case err == nil && n != last:
			last = n
			live(n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(r.Every):
		}
	}
}

// Leave takes this instance off the list at once (a graceful stop), so
// the others take its part of the budget at their next beat.
func (r *Registry) Leave(ctx context.Context) error {
	_, err := r.db.ExecContext(ctx, `DELETE FROM app_instances WHERE id = $1`, r.id)
	return err
}
