package index

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/contactdesk/contactdesk/db/dbtest"
)

// Erase empties the index and sets the feeds back to their start; a page
// read before the erase is refused, and the next pass loads it all again.
func TestErase(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		load(t, s)
		if err := s.SetTotal(ctx, "customers", 4); err != nil {
			t.Fatal(err)
		}
		if ready, _ := s.Ready(ctx, time.Minute); !ready {
			t.Fatal("the loaded index is not ready")
		}
		before, _ := s.Feed(ctx, FeedContacts)

		n, err := s.Erase(ctx)
		if err != nil || n != (Erased{Customers: 4, Contacts: 7}) {
			t.Fatalf("Erase: %+v, %v", n, err)
		}
		if c, err := s.Count(ctx); err != nil || c != (Counts{}) {
			t.Errorf("counts after the erase: %+v, %v", c, err)
		}
		for _, feed := range FeedNames {
			if f, _ := s.Feed(ctx, feed); f.ContinueFrom != "" || f.Backfilled || f.RowsRead != 0 || !f.LastSuccess.IsZero() {
				t.Errorf("%s feed after the erase: %+v", feed, f)
			}
		}
		if ready, _ := s.Ready(ctx, time.Minute); ready {
			t.Error("an erased index says it is ready")
		}
		for _, q := range []string{"ada@example.com", "0177", "lovelace", "1001"} {
			if res, err := s.Search(ctx, ParseQuery(q), 1, 20); err != nil || len(res.Results) != 0 {
				t.Errorf("%q after the erase: %+v, %v", q, res.Results, err)
			}
		}

		// A sync that read its page before the erase cannot apply it.
		_, contacts := tenant()
		late := Page{Feed: FeedContacts, Contacts: contacts, From: before.ContinueFrom, Next: "k2"}
		if err := s.Apply(ctx, late); !errors.Is(err, ErrCursorMoved) {
			t.Errorf("a page read before the erase: %v, want ErrCursorMoved", err)
		}
		if c, _ := s.Count(ctx); c.Contacts != 0 {
			t.Errorf("the refused page wrote %d contacts", c.Contacts)
		}

		load(t, s) // the next pass, from the start
		if res, _ := s.Search(ctx, ParseQuery("akes zoe"), 1, 20); len(res.Results) != 1 {
			t.Errorf("after loading again: %+v", res.Results)
		}
	})
}

// On SQLite nothing of what was erased remains readable in the database's
// files: not in freed pages, not in the write-ahead log, not in the
// full-text index's segments.
func TestEraseLeavesNothingInTheSQLiteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.db")
	ctx := context.Background()
	s, err := Open(ctx, dbtest.SQLiteAt(t, path))
	if err != nil {
		t.Fatal(err)
	}
	load(t, s)
	secrets := [][]byte{[]byte("Lovelace"), []byte("ada@example.com"), []byte("Analytical"), []byte("gate code"), []byte("lovelace")}
	if !fileHoldsAny(t, path, secrets) {
		t.Fatal("the loaded index is nowhere in the files: the test cannot see what it looks for")
	}
	if _, err := s.Erase(ctx); err != nil {
		t.Fatal(err)
	}
	if fileHoldsAny(t, path, secrets) {
		t.Error("erased customers' details are still in the database's files")
	}
}

// fileHoldsAny says whether the database file or its write-ahead log
// holds any of needles.
func fileHoldsAny(t *testing.T, path string, needles [][]byte) bool {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Logf("%s holds %q", filepath.Base(p), n)
				return true
			}
		}
	}
	return false
}
