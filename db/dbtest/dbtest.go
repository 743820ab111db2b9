// Package dbtest gives tests a database of their own: a SQLite file in the
// test's temp directory, or a fresh schema on the loopback PostgreSQL that
// scripts/test.sh starts (AUDIT_TEST_DATABASE_URL).
package dbtest

import (
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// SQLite opens a new SQLite database as the app does: WAL, a busy
// timeout, one connection.
func SQLite(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/test.db?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresURL is a URL of the test PostgreSQL whose search_path is a new
// schema, dropped when the test ends. Without AUDIT_TEST_DATABASE_URL the
// test is skipped (it fails under CI, where the script always sets it).
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("AUDIT_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUDIT_TEST_DATABASE_URL is not set (scripts/test.sh sets it)")
		}
		t.Skip("AUDIT_TEST_DATABASE_URL is not set: export AUDIT_TEST_DATABASE_URL=$(bash scripts/setup-postgres.sh | tail -1)")
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	admin := stdlib.OpenDB(*cfg)
	defer admin.Close()
	schema := fmt.Sprintf("test_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a := stdlib.OpenDB(*cfg)
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema + ",public"
}

// Postgres opens PostgresURL.
func Postgres(t testing.TB) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { db.Close() })
	return db
}
