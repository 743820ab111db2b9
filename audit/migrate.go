package audit

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// migrationFiles holds the schema migrations, one directory per backend:
// migrations/<backend>/NNNN_name.sql. A migration, once released, is never
// edited: a change to the schema is a new file with the next number.
//
//go:embed migrations
var migrationFiles embed.FS

// migration is one versioned schema change.
type migration struct {
	version int
	name    string // file name, e.g. 0001_init.sql
	sql     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// loadMigrations reads the migrations in dir of fsys, ordered by version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("audit: read migrations: %w", err)
	}
	var ms []migration
	seen := map[int]string{}
	for _, ent := range ents {
		if ent.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(ent.Name())
		if m == nil {
			return nil, fmt.Errorf("audit: migration %s/%s: name is not NNNN_name.sql", dir, ent.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if v == 0 {
			return nil, fmt.Errorf("audit: migration %s/%s: versions start at 0001", dir, ent.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("audit: migrations %s and %s in %s have the same version", other, ent.Name(), dir)
		}
		seen[v] = ent.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, ent.Name()))
		if err != nil {
			return nil, fmt.Errorf("audit: read migration %s/%s: %w", dir, ent.Name(), err)
		}
		ms = append(ms, migration{version: v, name: ent.Name(), sql: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("audit: no migrations in %s", dir)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate brings the schema up to date: in one transaction it creates
// schema_migrations if needed, then applies, in order, each migration not
// recorded there and records it. On PostgreSQL the transaction first takes a
// transaction-scoped advisory lock, so instances starting at once migrate one
// after the other (the later ones find nothing to do); on SQLite the store's
// transactions begin IMMEDIATE, which serialises them the same way.
// Running it again on an up-to-date schema changes nothing.
func migrate(ctx context.Context, db *sql.DB, d *dialect) error {
	ms, err := loadMigrations(migrationFiles, "migrations/"+d.name)
	if err != nil {
		return err
	}
	return applyMigrations(ctx, db, d, ms)
}

// applyMigrations is migrate with the migrations given (tests give the
// first few, to make a database as an older release left it).
func applyMigrations(ctx context.Context, db *sql.DB, d *dialect, ms []migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if d.migrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.migrationLock); err != nil {
			return fmt.Errorf("audit: migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.createSchemaMigrations); err != nil {
		return fmt.Errorf("audit: migrate: create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("audit: migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("audit: migrate: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("audit: migrate: read schema_migrations: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: migrate: read schema_migrations: %w", err)
	}

	record := d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("audit: migrate: apply %s/%s: %w", d.name, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, record, m.version, m.name, d.encodeTime(time.Now())); err != nil {
			return fmt.Errorf("audit: migrate: record %s/%s: %w", d.name, m.name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("audit: migrate: commit: %w", err)
	}
	return nil
}
