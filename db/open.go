package db

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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the app's one database handle: opened once, at start, and given
// to every store (the audit trail, the tenant index, the form registry,
// bulk jobs, the instance list) and to the job queue. Each store migrates
// its own tables on it; none hands the handle to another.
type DB struct {
	*sql.DB
	// Dialect is SQLite or Postgres.
	Dialect string
	// Pool is a pgx pool on the same PostgreSQL database (nil on SQLite):
	// the job queue listens through it (LISTEN needs pgx) and does all else
	// through DB. It connects when first used.
	Pool *pgxpool.Pool
	// Where names the database in messages, without a password.
	Where string
	// reads is, on SQLite, a second handle on the same file whose
	// connections only read (see Reader); nil on PostgreSQL.
	reads *sql.DB
}

// Reader is the handle for reads that are not part of a transaction with
// writes. On SQLite it is a pool of read-only connections beside the one
// writing connection: in WAL mode a reader sees every transaction
// committed before its read began and neither waits for the writer nor
// holds it up, so a page's read does not queue behind a write in the
// background (a save's copy in the search index, a sync's page). On
// PostgreSQL it is DB, whose pool already reads beside writes.
func (d *DB) Reader() *sql.DB {
	if d.reads != nil {
		return d.reads
	}
	return d.DB
}

// Migrate brings the tables of s up to date on d (see Set.Up).
func (d *DB) Migrate(ctx context.Context, s Set) error { return s.Up(ctx, d.DB, d.Dialect) }

// Close closes the database (its readers on SQLite, its pool on
// PostgreSQL).
func (d *DB) Close() error {
	var rerr error
	if d.reads != nil {
		rerr = d.reads.Close()
	}
	err := d.DB.Close()
	if d.Pool != nil {
		d.Pool.Close()
	}
	return errors.Join(err, rerr)
}

// Open opens PostgreSQL at databaseURL when it is not empty, else the
// SQLite file at sqlitePath.
func Open(ctx context.Context, sqlitePath, databaseURL string) (*DB, error) {
	if databaseURL != "" {
		return OpenPostgres(ctx, databaseURL)
	}
	return OpenSQLite(ctx, sqlitePath)
}

// OpenSQLite opens (creating it and its parent directories if needed) the
// SQLite database at path, e.g. data/audit.db.
//
// It holds every change's values and the search index's copy of customers'
// contacts: a new file is made readable by its owner alone (0600, its
// directories 0700), and SQLite makes its -wal and -shm files with the
// database file's mode.
//
// The database runs in WAL mode with a busy timeout of 5 s and foreign keys
// on. The handle has a single connection, so writers in this process queue
// instead of failing with SQLITE_BUSY; transactions begin IMMEDIATE, so
// another process sharing the file waits for the busy timeout too. Reads
// outside a transaction may go to Reader, a few read-only connections on
// the same file. An error names path.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: the SQLite database path is empty")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("db: SQLite database %q is a directory", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("db: create the directory of SQLite database %q: %w", path, err)
	}
	// SQLite would make the file 0644 (less the umask).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("db: create SQLite database %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("db: create SQLite database %q: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("db: SQLite database %q: %w", path, err)
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
	file := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath()

	sqlDB, err := sql.Open("sqlite", file+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("db: open SQLite database %q: %w", path, err)
	}
	// One connection: SQLite has one writer at a time anyway, and in-process
	// writers then wait their turn in database/sql rather than on file locks.
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetMaxIdleConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)

	fail := func(err error) (*DB, error) {
		sqlDB.Close()
		return nil, fmt.Errorf("db: open SQLite database %q: %w", path, err)
	}
	if err := pingSQLite(ctx, sqlDB); err != nil {
		return fail(err)
	}
	var mode string
	if err := sqlDB.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fail(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fail(fmt.Errorf("journal mode is %q, not WAL", mode))
	}
	reads, err := openSQLiteReader(ctx, file)
	if err != nil {
		return fail(err)
	}
	return &DB{DB: sqlDB, reads: reads, Dialect: SQLite, Where: fmt.Sprintf("SQLite database %q", path)}, nil
}

// sqliteReaders is how many read-only connections Reader has: two pages'
// reads at once beside the writer, on a machine of a few CPUs. Each
// connection keeps its own page cache (2 MB at most).
const sqliteReaders = 2

// sqliteReaderMap is how much of the database file each reader maps into
// memory (PRAGMA mmap_size; SQLite caps it at about 2 GiB): a page read
// is then a copy-free look at the OS's page cache instead of a pread
// and a copy into the connection's own cache. A search for four digits
// of a phone number reads some 600 contact rows scattered over a
// million, and their preads were a third of its CPU. Only the readers
// map it: the writer's pages go through its cache and the log as
// before. The pages a reader has touched count in the process's RSS
// (as file pages, RssFile, shared with the page cache; not RssAnon).
// A read error on a mapped page (a failing disk) stops the process
// with SIGBUS where pread would return an error.
const sqliteReaderMap = 2 << 30

// openSQLiteReader opens Reader's handle on the database at file (a file:
// URI), already in WAL mode. Its connections refuse writes (query_only),
// and their transactions begin DEFERRED: a read takes no write lock.
func openSQLiteReader(ctx context.Context, file string) (*sql.DB, error) {
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(5000)")
	params.Add("_pragma", "query_only(1)")
	params.Add("_pragma", fmt.Sprintf("mmap_size(%d)", sqliteReaderMap))
	reads, err := sql.Open("sqlite", file+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("readers: %w", err)
	}
	reads.SetMaxOpenConns(sqliteReaders)
	reads.SetMaxIdleConns(sqliteReaders)
	reads.SetConnMaxLifetime(0)
	reads.SetConnMaxIdleTime(0)
	if err := reads.PingContext(ctx); err != nil {
		reads.Close()
		return nil, fmt.Errorf("readers: %w", err)
	}
	return reads, nil
}

// OpenPostgres connects to the PostgreSQL database at databaseURL (a
// postgres:// URL or a keyword/value string, as pgx accepts). The tables
// go in the connection's search_path (normally "public"). Errors never
// include the password.
func OpenPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx redacts the password from its parse errors.
		return nil, fmt.Errorf("db: PostgreSQL URL: %w", err)
	}
	cc := cfg.ConnConfig
	where := fmt.Sprintf("PostgreSQL %s:%d/%s", cc.Host, cc.Port, cc.Database)
	// database/sql's own connections, apart from the pool's: a connection
	// that holds a session lock (the instance list's liveness, the index
	// sync's pass) is closed, not pooled, when it is given up, and Close
	// never waits for one still held.
	sqlDB := stdlib.OpenDB(*cc.Copy())
	sqlDB.SetMaxOpenConns(10)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	sqlDB.SetConnMaxLifetime(time.Hour)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", where, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("db: connect to %s: %w", where, err)
	}
	return &DB{DB: sqlDB, Dialect: Postgres, Pool: pool, Where: where}, nil
}

// pingSQLite makes the first connection, which applies the pragmas. Turning
// a new file to WAL takes a lock SQLite does not wait for (the busy timeout
// does not apply), so when several processes open one new file at once all
// but one may get SQLITE_BUSY: that is tried again for up to 5 s, as the
// busy timeout would; any other error is returned at once.
func pingSQLite(ctx context.Context, sqlDB *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := sqlDB.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
