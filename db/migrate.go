// Package db holds what the packages sharing the app's database (the audit
// trail, the tenant index, the job queue) need alike: its two dialects,
// their placeholders, and versioned schema migrations embedded in the
// binary. A package that owns tables keeps its migrations as
// <dir>/<dialect>/NNNN_name.sql and records them in a table of its own, so
// packages sharing one database migrate independently.
package db

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Dialects this package migrates.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Set is one package's migrations.
type Set struct {
	// Owner names the package in errors, e.g. "index".
	Owner string
	// Files holds Dir/<dialect>/NNNN_name.sql.
	Files fs.FS
	Dir   string
	// Table records the versions applied, e.g. "index_schema_migrations".
	Table string
	// LockKey serialises instances migrating at once on PostgreSQL (a
	// transaction-scoped advisory lock); SQLite's IMMEDIATE transactions do
	// the same there.
	LockKey int64
}

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string // file name, e.g. 0001_init.sql
	SQL     string
}

var fileName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Load reads the migrations of dialect, ordered by version. A migration,
// once released, is never edited: a change is a new file.
func (s Set) Load(dialect string) ([]Migration, error) {
	dir := path.Join(s.Dir, dialect)
	ents, err := fs.ReadDir(s.Files, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: read migrations: %w", s.Owner, err)
	}
	var ms []Migration
	seen := map[int]string{}
	for _, ent := range ents {
		if ent.IsDir() {
			continue
		}
		m := fileName.FindStringSubmatch(ent.Name())
		if m == nil {
			return nil, fmt.Errorf("%s: migration %s/%s: name is not NNNN_name.sql", s.Owner, dir, ent.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("%s: migration %s/%s: versions start at 0001", s.Owner, dir, ent.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("%s: migrations %s and %s in %s have the same version", s.Owner, other, ent.Name(), dir)
		}
		seen[v] = ent.Name()
		b, err := fs.ReadFile(s.Files, path.Join(dir, ent.Name()))
		if err != nil {
			return nil, fmt.Errorf("%s: read migration %s/%s: %w", s.Owner, dir, ent.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: ent.Name(), SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%s: no migrations in %s", s.Owner, dir)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// Up brings the schema up to date in one transaction: it creates the
// versions table if needed, then applies, in order, each migration not
// recorded there and records it. Running it again changes nothing.
func (s Set) Up(ctx context.Context, db *sql.DB, dialect string) error {
	ms, err := s.Load(dialect)
	if err != nil {
		return err
	}
	return s.Apply(ctx, db, dialect, ms)
}

// Apply is Up with the migrations given (tests give the first few, to make
// a database as an older release left it).
func (s Set) Apply(ctx context.Context, db *sql.DB, dialect string, ms []Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: migrate: begin: %w", s.Owner, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	create := `CREATE TABLE IF NOT EXISTS ` + s.Table + ` (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`
	record := `INSERT INTO ` + s.Table + ` (version, name, applied_at) VALUES (?, ?, ?)`
	if dialect == Postgres {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", s.LockKey)); err != nil {
			return fmt.Errorf("%s: migrate: lock: %w", s.Owner, err)
		}
		record = `INSERT INTO ` + s.Table + ` (version, name, applied_at) VALUES ($1, $2, $3)`
	}
	if _, err := tx.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("%s: migrate: create %s: %w", s.Owner, s.Table, err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM "+s.Table)
	if err != nil {
		return fmt.Errorf("%s: migrate: read %s: %w", s.Owner, s.Table, err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("%s: migrate: read %s: %w", s.Owner, s.Table, err)
		}
		applied[v] = true
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("%s: migrate: read %s: %w", s.Owner, s.Table, err)
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("%s: migrate: apply %s/%s: %w", s.Owner, dialect, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, record, m.Version, m.Name, time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("%s: migrate: record %s/%s: %w", s.Owner, dialect, m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: migrate: commit: %w", s.Owner, err)
	}
	return nil
}
