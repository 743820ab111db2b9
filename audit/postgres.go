package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockKey is the pg_advisory_xact_lock key that serialises
// migrations of instances starting at once ("audit" in ASCII, 0x6175646974).
const migrationLockKey = 418581931380

var postgresDialect = &dialect{
	name:       "postgres",
	numbered:   true,
	encodeTime: func(t time.Time) any { return t.UTC() },
	noLimit:    "ALL",
	listTx:     &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
}

// OpenPostgres connects to the PostgreSQL database at url (a postgres:// URL
// or a keyword/value string, as pgx accepts) and migrates it. The tables go
// in the connection's search_path (normally "public"). Errors never include
// the password.
func OpenPostgres(ctx context.Context, url string) (Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("audit: PostgreSQL URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(10)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)

	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: connect to PostgreSQL %s: %w", where, err)
	}
	s, err := newSQLStore(ctx, db, postgresDialect)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("audit: PostgreSQL %s: %w", where, err)
	}
	return s, nil
}
