package audit

import (
	"context"
	"testing"

	"github.com/contactdesk/contactdesk/db"
)

// openSQLite opens a handle on the SQLite file at path and the Store on
// it, as the app does; the handle closes when tb ends.
func openSQLite(tb testing.TB, ctx context.Context, path string) (Store, error) {
	h, err := db.OpenSQLite(ctx, path)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { h.Close() })
	return New(ctx, h)
}

// openPostgres is openSQLite on PostgreSQL at url.
func openPostgres(tb testing.TB, ctx context.Context, url string) (Store, error) {
	h, err := db.OpenPostgres(ctx, url)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() { h.Close() })
	return New(ctx, h)
}
