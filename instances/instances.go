// Package instances keeps the list of the app's live instances on one
// PostgreSQL, so that what the tenant allows in total (ServiceTitan's
// 60 calls a second) can be split between them: each instance beats every
// few seconds, and one not seen for a while no longer counts.
package instances

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
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
	// lockKey is the session advisory lock this instance holds on conn
	// while it lives (see Alive).
	lockKey int64
	mu      sync.Mutex
	conn    *sql.Conn
}

// Open migrates the table on the app's database handle h (PostgreSQL)
// and returns this instance's registry, under a new random id, holding its
// liveness lock; it is listed at its first Beat.
func Open(ctx context.Context, h *db.DB, log *slog.Logger) (*Registry, error) {
	if h.Dialect != db.Postgres {
		return nil, fmt.Errorf("instances: the instance list needs PostgreSQL, not %s", h.Dialect)
	}
	sqlDB := h.DB
	if err := h.Migrate(ctx, migrations); err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	host, _ := os.Hostname()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// A key no other instance draws, positive and above 32 bits, as
	// pg_locks shows it (classid the high half, objid the low).
	key := int64(binary.BigEndian.Uint64(b)>>2) | 1<<32
	r := &Registry{db: sqlDB, id: hex.EncodeToString(b), host: host, Every: 5 * time.Second, Stale: 16 * time.Second, log: log, lockKey: key}
	if err := r.hold(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// ID names this instance in the list.
func (r *Registry) ID() string { return r.id }

// hold takes this instance's liveness lock on a connection of its own,
// again when the connection was lost (PostgreSQL restarted).
func (r *Registry) hold(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		if r.conn.PingContext(ctx) == nil {
			return nil
		}
		_ = r.conn.Raw(func(any) error { return driver.ErrBadConn }) // returns ErrBadConn on purpose: discards the connection
		r.conn.Close()
		r.conn = nil
	}
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("instances: hold the liveness lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, r.lockKey); err != nil {
		conn.Close()
		return fmt.Errorf("instances: hold the liveness lock: %w", err)
	}
	r.conn = conn
	return nil
}

// Alive reports whether the instance id is alive: listed and holding its
// liveness lock, which PostgreSQL lets go of the moment its process dies.
// An instance of an earlier version (no lock) counts as alive; one no
// longer listed (it left after finishing its requests, or was forgotten)
// does not.
func (r *Registry) Alive(ctx context.Context, id string) (bool, error) {
	var alive bool
	err := r.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM app_instances i WHERE i.id = $1 AND (i.lock_key = 0 OR EXISTS (
		SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid::bigint = i.lock_key >> 32 AND l.objid::bigint = i.lock_key & 4294967295)))`, id).Scan(&alive)
	if err != nil {
		return false, fmt.Errorf("instances: is %s alive: %w", id, err)
	}
	return alive, nil
}

// Close lets go of the liveness lock (the instance then counts as dead to
// Alive), without leaving the list.
//
// It unlocks before it drops the connection: PostgreSQL lets go of a
// dropped session's locks only once its backend has seen the socket
// close, a moment later on a busy server, and Alive must not see the
// lock held after Close has returned.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := r.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, r.lockKey)
		cancel()
		if err != nil {
			r.log.Warn("instances: let go of the liveness lock; it goes when the database sees the connection close", "error", err)
		}
		_ = r.conn.Raw(func(any) error { return driver.ErrBadConn }) // returns ErrBadConn on purpose: the lock goes with the connection
		r.conn.Close()
		r.conn = nil
	}
}

// Beat says this instance is alive (holding its liveness lock again if
// the database lost it), forgets instances long gone, and counts the live
// ones (this one included). Times are the database's.
func (r *Registry) Beat(ctx context.Context) (int, error) {
	if err := r.hold(ctx); err != nil {
		return 0, err
	}
	stale := db.Interval(r.Stale)
	if _, err := r.db.ExecContext(ctx, `INSERT INTO app_instances (id, host, started_at, seen_at, lock_key) VALUES ($1, $2, now(), now(), $3)
		ON CONFLICT (id) DO UPDATE SET seen_at = now()`, r.id, r.host, r.lockKey); err != nil {
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
// the others take its part of the budget at their next beat, and lets go
// of its liveness lock.
func (r *Registry) Leave(ctx context.Context) error {
	_, err := r.db.ExecContext(ctx, `DELETE FROM app_instances WHERE id = $1`, r.id)
	r.Close()
	return err
}
