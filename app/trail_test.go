package app

import (
	"context"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/db"
)

// openTrail opens the database as the app does (SQLite at path, or
// PostgreSQL at databaseURL) and the audit trail on it; the handle closes
// when t ends.
func openTrail(t testing.TB, path, databaseURL string) (audit.Store, *db.DB) {
	t.Helper()
	h, err := db.Open(context.Background(), path, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	store, err := audit.New(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return store, h
}
