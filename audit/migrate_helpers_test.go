package audit

import (
	"context"
	"database/sql"
	"io/fs"
	"path"

	"github.com/contactdesk/contactdesk/db"
)

// Test helpers: the migrations of a directory, applied as given.

// loadMigrations reads the migrations in dir of fsys, ordered by version.
func loadMigrations(fsys fs.FS, dir string) ([]migration, error) {
	return db.Set{Owner: "audit", Files: fsys, Dir: path.Dir(dir)}.Load(path.Base(dir))
}

// applyMigrations is migrate with the migrations given (tests give the
// first few, to make a database as an older release left it).
func applyMigrations(ctx context.Context, sqlDB *sql.DB, d *dialect, ms []migration) error {
	return migrations.Apply(ctx, sqlDB, d.name, ms)
}
