// Package dbtest gives tests a database of their own: a SQLite file in the
// test's temp directory, or a fresh schema (or a whole fresh database) on the
// loopback PostgreSQL that scripts/test.sh starts (AUDIT_TEST_DATABASE_URL).
//
// Every PostgreSQL test goes through here, so that no two tests, in one
// package or in packages run in parallel, ever touch the same tables: the
// test server's public schema holds extensions only.
package dbtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/contactdesk/contactdesk/db"
)

// SQLite opens a new SQLite database as the app does (db.OpenSQLite: WAL,
// a busy timeout, one connection) in the test's temp directory; it closes
// when the test ends.
func SQLite(t testing.TB) *db.DB {
	t.Helper()
	return SQLiteAt(t, t.TempDir()+"/test.db")
}

// SQLiteAt is SQLite at path (a test that reopens a file).
func SQLiteAt(t testing.TB, path string) *db.DB {
	t.Helper()
	h, err := db.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// serverURL is AUDIT_TEST_DATABASE_URL. Without it the test is skipped (it
// fails under CI, where the script always sets it).
func serverURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("AUDIT_TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUDIT_TEST_DATABASE_URL is not set (scripts/test.sh sets it)")
		}
		t.Skip("AUDIT_TEST_DATABASE_URL is not set: export AUDIT_TEST_DATABASE_URL=$(bash scripts/setup-postgres.sh | tail -1)")
	}
	return u
}

// admin runs one statement on the test server's own database.
func admin(t testing.TB, u, stmt string) error {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	_, err = db.Exec(stmt)
	return err
}

// uniqueName is a lowercase identifier no other test (of any package) holds.
func uniqueName(prefix string) string {
	return prefix + strings.ToLower(rand.Text())
}

// PostgresURL is a URL of the test PostgreSQL whose search_path is a new
// schema (then public, where extensions such as pg_trgm live), dropped when
// the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := serverURL(t)
	schema := uniqueName("test_")
	if err := admin(t, u, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin(t, u, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return withParam(t, u, "search_path", schema+",public")
}

// PostgresDatabaseURL is the URL of a new, empty database on the test
// PostgreSQL, dropped when the test ends: for what works on a whole
// database, such as pg_dump.
func PostgresDatabaseURL(t testing.TB) string {
	t.Helper()
	u := serverURL(t)
	name := uniqueName("test_db_")
	if err := admin(t, u, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := admin(t, u, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		t.Fatalf("AUDIT_TEST_DATABASE_URL must be a postgres:// URL for a database of its own (got an unreadable one: %v)", err)
	}
	parsed.Path = "/" + name
	return parsed.String()
}

// withParam sets one connection parameter on a PostgreSQL URL or
// keyword/value connection string.
func withParam(t testing.TB, dsn, key, value string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " " + key + "=" + value
	}
	parsed, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("AUDIT_TEST_DATABASE_URL: %v", err)
	}
	q := parsed.Query()
	q.Set(key, value)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// Postgres opens PostgresURL as the app opens its database
// (db.OpenPostgres); it closes when the test ends.
func Postgres(t testing.TB) *db.DB {
	t.Helper()
	return PostgresAt(t, PostgresURL(t))
}

// PostgresAt opens the handle at url (one of PostgresURL's, for a test of
// several instances sharing one database).
func PostgresAt(t testing.TB, url string) *db.DB {
	t.Helper()
	h, err := db.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}
