package audit

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"
	"path"

	"github.com/contactdesk/contactdesk/db"
)

// migrationFiles holds the schema migrations, one directory per backend:
// migrations/<backend>/NNNN_name.sql. A migration, once released, is never
// edited: a change to the schema is a new file with the next number.
//
//go:embed migrations
var migrationFiles embed.FS

// migrations are the audit trail's, recorded in schema_migrations.
var migrations = db.Set{Owner: "audit", Files: migrationFiles, Dir: "migrations", Table: "schema_migrations", LockKey: migrationLockKey}

// migration is one versioned schema change.
type migration = db.Migration

// loadMigrations reads the migrations in dir of fsys, ordered by version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	return db.Set{Owner: "audit", Files: fsys, Dir: path.Dir(dir)}.Load(path.Base(dir))
}

// migrate brings the schema up to date (see db.Set.Up): instances starting
// at once migrate one after the other, and running it again on an
// up-to-date schema changes nothing.
func migrate(ctx context.Context, sqlDB *sql.DB, d *dialect) error {
	return migrations.Up(ctx, sqlDB, d.name)
}

// applyMigrations is migrate with the migrations given (tests give the
// first few, to make a database as an older release left it).
func applyMigrations(ctx context.Context, sqlDB *sql.DB, d *dialect, ms []migration) error {
	return migrations.Apply(ctx, sqlDB, d.name, ms)
}
