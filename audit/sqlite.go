package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
)

// sqliteTimeLayout stores UTC times as fixed-width text, so that text order
// is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

var sqliteDialect = &dialect{
	name:       "sqlite",
	encodeTime: func(t time.Time) any { return t.UTC().Format(sqliteTimeLayout) },
	noLimit:    "-1",
}

// OpenSQLite opens (creating it and its parent directories if needed) the
// SQLite audit database at path, e.g. data/audit.db, and migrates it.
//
// It holds every change's values and the search index's copy of customers'
// contacts: a new file is made readable by its owner alone (0600, its
// directories 0700), and SQLite makes its -wal and -shm files with the
// database file's mode.
//
// The database runs in WAL mode with a busy timeout of 5 s and foreign keys
// on. The Store uses a single connection, so writers in this process queue
// instead of failing with SQLITE_BUSY; transactions begin IMMEDIATE, so
// another process sharing the file waits for the busy timeout too. An error
// names path.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if path == "" {
		return nil, errors.New("audit: the SQLite database path is empty")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("audit: SQLite database %q is a directory", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit: create the directory of SQLite database %q: %w", path, err)
	}
	// SQLite would make the file 0644 (less the umask).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: create SQLite database %q: %w", path, err)
	}
	f.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("audit: SQLite database %q: %w", path, err)
	}

	params := url.Values{}
	params.Add("_pragma", "busy_timeout(5000)")
	params.Add("_pragma", "journal_mode(WAL)")
	// In WAL mode NORMAL is safe against process crashes (a killed app
	// loses nothing committed) and skips an fsync per commit; only a power
	// loss or OS crash can lose the last commits.
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Add("_pragma", "foreign_keys(1)")
	params.Set("_txlock", "immediate")
	// A file: URI with the path escaped, so that any character ('?', '#',
	// '%', spaces) in it is taken literally.
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + params.Encode()

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit: open SQLite database %q: %w", path, err)
	}
	// One connection: SQLite has one writer at a time anyway, and in-process
	// writers then wait their turn in database/sql rather than on file locks.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	fail := func(what string, err error) (Store, error) {
		db.Close()
		return nil, fmt.Errorf("audit: %s SQLite database %q: %w", what, path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		return fail("open", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fail("open", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fail("open", fmt.Errorf("journal mode is %q, not WAL", mode))
	}
	s, err := newSQLStore(ctx, db, sqliteDialect)
	if err != nil {
		return fail("migrate", err)
	}
	return s, nil
}
