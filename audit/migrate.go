package audit

import (
	"context"
	"database/sql"
	"embed"

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

// migrate brings the schema up to date (see db.Set.Up): instances starting
// at once migrate one after the other, and running it again on an
// up-to-date schema changes nothing.
func migrate(ctx context.Context, sqlDB *sql.DB, d *dialect) error {
	return migrations.Up(ctx, sqlDB, d.name)
}
