package index

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
)

// schemaObjects are the index's indexes (and, on SQLite, triggers) by
// name, with their definitions.
func schemaObjects(t *testing.T, s *Store) map[string]string {
	t.Helper()
	q := `SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND name LIKE 'index_%'`
	if s.dialect == db.Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'index_%'`
	}
	rows, err := s.db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, definition string
		if err := rows.Scan(&name, &definition); err != nil {
			t.Fatal(err)
		}
		out[name] = definition
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A first backfill loads without the hygiene and search indexes, a pass
// killed meanwhile leaves them kept aside (search is not served from the
// index), and the pass that reads the feeds to their end makes them again
// as the migrations made them: search finds what the feeds brought and
// what the app wrote while the index loaded, and the rows are checked.
func TestFirstBackfillLoadsWithoutTheSearchIndexes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		schema := schemaObjects(t, s)
		// The first check is cut short once, after some contacts.
		checkCtx, cutShort := context.WithCancel(ctx)
		defer cutShort()
		classified := 0
		classify := func(t client.ContactType, v string) string {
			if classified++; classified == 150 {
				cutShort()
			}
			if strings.HasSuffix(v, "7") {
				return "invalid"
			}
			return ""
		}
		s.SetChecker(Checker{Key: "test", Classify: classify})
		was := checkBatch
		checkBatch = 40
		t.Cleanup(func() { checkBatch = was })
		sb := sandboxtest.Start(t, sandboxtest.WithExportPageSize(40), sandbox.WithGeneratedCustomers(120))
		cfg := sb.ClientConfig()
		cfg.Timeout = 5 * time.Second
		st, err := client.New(cfg, clienttest.WithBackoff(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}

		crashing := NewSyncer(&stopAfter{Feeds: st, pages: 3}, s, 1000, nil)
		if err := crashing.Pass(ctx); !errors.Is(err, errCrash) {
			t.Fatalf("err = %v", err)
		}
		if loading, err := s.loading(ctx, s.db); err != nil || !loading {
			t.Fatalf("after a pass killed during the first backfill: loading %v, %v", loading, err)
		}
		during := schemaObjects(t, s)
		for _, name := range s.deferrable() {
			if _, ok := during[name]; ok {
				t.Errorf("%s is there while the first backfill loads", name)
			}
		}
		// The app writes a contact of a customer the index holds, and
		// one holding a value another customer holds: the hygiene
		// summary counts it once the index has loaded.
		mustWrite(t, s, client.CustomerOwner(sandbox.SeedCustomerID), client.Contact{ID: 990001, Type: client.ContactEmail,
			Value: "written.while.loading@example.com", ModifiedOn: time.Now()})
		const shared = "maria.gonzalez@example.net" // customer 10000002's
		mustWrite(t, s, client.CustomerOwner(sandbox.SeedCustomerID), client.Contact{ID: 990002, Type: client.ContactEmail,
			Value: shared, ModifiedOn: time.Now()})
		if n, err := s.Check(ctx); err != nil || n != 0 {
			t.Errorf("Check while loading: %d, %v; want nothing checked", n, err)
		}

		if err := NewSyncer(st, s, 1000, nil).Pass(checkCtx); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Unchecked(ctx); err != nil || n == 0 {
			t.Errorf("after a first check cut short: %d contacts left unchecked, %v; want some", n, err)
		}
		if _, err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if ready, err := s.Ready(ctx, time.Hour); err != nil || !ready {
			t.Errorf("after the backfill: ready %v, %v", ready, err)
		}
		if after := schemaObjects(t, s); !maps.Equal(after, schema) {
			t.Errorf("the schema after the first backfill:\n%v\nwant as migrated:\n%v", after, schema)
		}
		for q, want := range map[string]int64{"ada@example.com": sandbox.SeedCustomerID, "written.while.loading@": sandbox.SeedCustomerID} {
			if res, err := s.Search(ctx, ParseQuery(q), 1, 20); err != nil || len(res.Results) != 1 || res.Results[0].Customer.ID != want {
				t.Errorf("search %q after the backfill: %+v, %v", q, res.Results, err)
			}
		}
		if n, err := s.Unchecked(ctx); err != nil || n != 0 {
			t.Errorf("%d contacts left unchecked, %v", n, err)
		}
		if found, err := s.SharedValuesMatching(ctx, 1, shared, 0, -1); err != nil || len(found) != 1 ||
			found[0].Key != shared || found[0].Customers != 2 {
			t.Errorf("the shared values matching %q after the backfill: %+v, %v; want it held by 2 customers", shared, found, err)
		}
		// Every contact holds the problem the rules find in it.
		rows, err := s.db.QueryContext(ctx, `SELECT id, value, removed, problem FROM index_contacts`)
		if err != nil {
			t.Fatal(err)
		}
		problems := 0
		for rows.Next() {
			var id int64
			var value, problem string
			var removed bool
			if err := rows.Scan(&id, &value, &removed, &problem); err != nil {
				t.Fatal(err)
			}
			want := ""
			if !removed && strings.HasSuffix(value, "7") {
				want = "invalid"
			}
			if problem != want {
				t.Errorf("contact %d (%q) holds problem %q; want %q", id, value, problem, want)
			}
			if problem != "" {
				problems++
			}
		}
		if err := rows.Err(); err != nil || problems == 0 {
			t.Errorf("%d contacts with a problem, %v; want some", problems, err)
		}
		rows.Close()

		// A second pass, the index loaded, changes nothing of the schema.
		if err := NewSyncer(st, s, 1000, nil).Pass(ctx); err != nil {
			t.Fatal(err)
		}
		if loading, _ := s.loading(ctx, s.db); loading {
			t.Error("a pass over a loaded index began loading again")
		}
	})
}

// An erase starts a first backfill again: the next pass loads without the
// search indexes and makes them again at its end.
func TestEraseLoadsAgainWithoutTheSearchIndexes(t *testing.T) {
	h := newSyncHarness(t, 40)
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	schema := schemaObjects(t, h.store)
	if _, err := h.store.Erase(ctx); err != nil {
		t.Fatal(err)
	}
	crashing := NewSyncer(&stopAfter{Feeds: h.st, pages: 1}, h.store, 1000, nil)
	if err := crashing.Pass(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	if loading, _ := h.store.loading(ctx, h.store.db); !loading {
		t.Error("the backfill after an erase is not loading without the search indexes")
	}
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if after := schemaObjects(t, h.store); !maps.Equal(after, schema) {
		t.Errorf("the schema after the backfill:\n%v\nwant:\n%v", after, schema)
	}
	h.expectComplete(t)
	if res, _ := h.store.Search(ctx, ParseQuery("ada@example.com"), 1, 20); len(res.Results) != 1 {
		t.Errorf("search after the backfill: %+v", res.Results)
	}
}

// ftsSegments counts the segments of a full-text table, from FTS5's
// structure record (row 10 of its _data table: a 4-byte cookie, on newer
// versions a 4-byte marker, then the counts of levels and of segments as
// varints; both under 128 here, so one byte each).
func ftsSegments(t *testing.T, s *Store, fts string) int {
	t.Helper()
	var b []byte
	if err := s.db.QueryRowContext(context.Background(), `SELECT block FROM `+fts+`_data WHERE id = 10`).Scan(&b); err != nil {
		t.Fatal(err)
	}
	i := 4
	if len(b) >= 8 && string(b[4:8]) == "\xff\x00\x00\x01" {
		i = 8
	}
	if len(b) < i+2 || b[i] >= 0x80 || b[i+1] >= 0x80 {
		t.Fatalf("%s: structure record %x not understood", fts, b)
	}
	return int(b[i+1])
}

// optimizeMarks are the full-text tables marked to optimize.
func optimizeMarks(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(context.Background(), `SELECT count(*) FROM index_settings WHERE name LIKE 'optimize %'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The first backfill's full-text tables are merged into one segment each
// after their rebuild, each in a transaction of its own: in the same
// pass when its time allows, else in the next one (at once), search
// served meanwhile.
func TestTheFirstBackfillOptimizesItsSearchTables(t *testing.T) {
	h := newSyncHarness(t, 120)
	ctx := context.Background()
	was := optimizeTime
	optimizeTime = time.Hour // more than the pass below has
	t.Cleanup(func() { optimizeTime = was })
	short, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	more, err := h.syncer.Step(short)
	if err != nil || !more {
		t.Fatalf("a pass without the time to optimize: more %v, %v; want more", more, err)
	}
	if n := optimizeMarks(t, h.store); n != len(ftsTables) {
		t.Fatalf("%d tables marked to optimize after the rebuild; want %d", n, len(ftsTables))
	}
	h.expectComplete(t)
	if res, err := h.store.Search(ctx, ParseQuery("ada@example.com"), 1, 20); err != nil || len(res.Results) != 1 {
		t.Errorf("search before the tables are optimized: %+v, %v", res.Results, err)
	}
	// The app's writes meanwhile add segments, a statement each.
	for i := range 6 {
		mustWrite(t, h.store, client.CustomerOwner(sandbox.SeedCustomerID), client.Contact{ID: 990001 + int64(i), Type: client.ContactEmail,
			Value: fmt.Sprintf("segment%d@example.com", i), ModifiedOn: time.Now()})
	}
	if n := ftsSegments(t, h.store, "index_contacts_fts"); n < 2 {
		t.Fatalf("the contacts' full-text table holds %d segment(s) before it is optimized; the test wants several", n)
	}

	optimizeTime = was
	if more, err := h.syncer.Step(ctx); err != nil || more {
		t.Fatalf("the next pass: more %v, %v", more, err)
	}
	if n := optimizeMarks(t, h.store); n != 0 {
		t.Errorf("%d tables still marked to optimize", n)
	}
	for _, fts := range ftsTables {
		if n := ftsSegments(t, h.store, fts.name); n != 1 {
			t.Errorf("%s holds %d segments; want 1", fts.name, n)
		}
	}
	for _, q := range []string{"ada@example.com", "segment5@example.com"} {
		if res, err := h.store.Search(ctx, ParseQuery(q), 1, 20); err != nil || len(res.Results) != 1 {
			t.Errorf("search %q after the tables are optimized: %+v, %v", q, res.Results, err)
		}
	}
	// A pass later leaves them as they are.
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if n := optimizeMarks(t, h.store); n != 0 {
		t.Errorf("%d tables marked to optimize after a later pass", n)
	}
}
