package audit

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// TestSQLite runs the store suite against SQLite files in temporary directories.
func TestSQLite(t *testing.T) {
	testStore(t, sqliteOpener())
}

// sqliteOpener returns an open function for testStore: each test gets its own
// database file, and opening again in the same test reopens that file.
func sqliteOpener() func(t *testing.T) Store {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "data", "audit.db")
			paths[t] = path
		}
		mu.Unlock()
		s, err := openSQLite(t, context.Background(), path)
		if err != nil {
			t.Fatalf("OpenSQLite(%q): %v", path, err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// TestPostgres runs the store suite against the test PostgreSQL
// (AUDIT_TEST_DATABASE_URL; scripts/setup-postgres.sh prints one), each test
// in a fresh schema of its own (dbtest), dropped afterwards.
func TestPostgres(t *testing.T) {
	var mu sync.Mutex
	urls := map[*testing.T]string{}
	testStore(t, func(t *testing.T) Store {
		t.Helper()
		mu.Lock()
		u, ok := urls[t]
		mu.Unlock()
		if !ok {
			// Outside the lock: without a test server this skips t.
			u = dbtest.PostgresURL(t)
			mu.Lock()
			urls[t] = u
			mu.Unlock()
		}
		s, err := openPostgres(t, context.Background(), u)
		if err != nil {
			t.Fatalf("OpenPostgres: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})

	t.Run("ok, instances starting at once migrate once", func(t *testing.T) {
		u := dbtest.PostgresURL(t)
		const n = 4
		stores := make([]Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = openPostgres(t, context.Background(), u) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("OpenPostgres #%d: %v", i, errs[i])
			}
			defer stores[i].Close()
		}
		assertMigrations(t, stores[0])
		for i, s := range stores {
			if _, err := s.Begin(context.Background(), entry("a@example.com", 1, 1)); err != nil {
				t.Errorf("Begin on store #%d: %v", i, err)
			}
		}
	})

	t.Run("nok, unreachable server", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Port 1 on loopback: nothing listens there.
		_, err := openPostgres(t, ctx, "postgres://audit:s3cret-pw@127.0.0.1:1/nothing?sslmode=disable&connect_timeout=5")
		if err == nil {
			t.Fatal("OpenPostgres succeeded against a closed port")
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("error reveals the password: %v", err)
		}
	})
}

// testStore is the suite both backends pass. open returns a Store for the
// test it is given, each test with its own empty database; calling it again
// in the same test reopens the same database.
func testStore(t *testing.T, open func(t *testing.T) Store) {
	ctx := context.Background()
	testExternal(t, open)

	t.Run("ok, part of a name or an email finds its actor's entries", func(t *testing.T) {
		s := open(t)
		for _, a := range [][2]string{{"jordan.lee@acme.example", "Jordan Lee"}, {"kelly@acme.example", "Kelly Ng"}, {"j_o%n@other.example", ""}} {
			if _, err := s.Begin(ctx, Entry{ActorEmail: a[0], ActorName: a[1], TenantID: 1, CustomerID: 5, ContactID: 7,
				Changes: []Change{{Field: "memo", Before: "a", After: "b"}}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			like string
			want int
		}{{"jordan", 1}, {"JORDAN", 1}, {"lee", 1}, {"kelly ng", 1}, {"@acme.example", 2}, {"_", 1}, {"%", 1}, {"nobody", 0}} {
			if _, total := list(t, s, Filter{ActorLike: tt.like}); total != tt.want {
				t.Errorf("ActorLike %q: %d entries, want %d", tt.like, total, tt.want)
			}
		}
		if _, total := list(t, s, Filter{CustomerIDs: []int64{5, 9}}); total != 3 {
			t.Errorf("CustomerIDs 5, 9: %d entries, want 3", total)
		}
		if _, total := list(t, s, Filter{CustomerIDs: []int64{9}}); total != 0 {
			t.Errorf("CustomerIDs 9: %d entries, want none", total)
		}
	})

	t.Run("ok, an empty store lists nothing", func(t *testing.T) {
		s := open(t)
		got, total := list(t, s, Filter{})
		if len(got) != 0 || total != 0 {
			t.Fatalf("List = %d entries, total %d; want none", len(got), total)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("ok, Begin leaves an unknown row", func(t *testing.T) {
		s := open(t)
		// A time in another zone, with nanoseconds: read back in UTC, to the microsecond.
		at := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CST", -6*3600))
		e := Entry{
			ID:          999, // ignored
			Time:        at,
			ActorEmail:  "Ada.Lovelace@Example.com",
			ActorName:   "Ada Lovelace",
			TenantID:    1234567,
			CustomerID:  10000001,
			ContactID:   20000001,
			Action:      ActionUpdate, // as List returns it; an empty one is stored as this too
			Changes:     []Change{{Field: "memo", Before: "old", After: "new"}},
			Outcome:     OutcomeSaved,        // ignored: Begin records unknown
			Messages:    []string{"ignored"}, // ignored
			CompletedAt: at.Add(time.Second), // ignored
			TraceID:     "trace-begin",
			RequestID:   "req-1",
		}
		id, err := s.Begin(ctx, e)
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		if id <= 0 {
			t.Fatalf("Begin returned id %d", id)
		}
		got := only(t, s)
		want := e
		want.ID = id
		want.Time = time.Date(2026, 3, 4, 11, 6, 7, 123456000, time.UTC)
		want.Outcome = OutcomeUnknown
		want.Messages = nil
		want.CompletedAt = time.Time{}
		assertEntry(t, got, want)
	})

	t.Run("ok, Begin without a time uses now", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Millisecond)
		mustBegin(t, s, Entry{ActorEmail: "a@example.com", CustomerID: 1, ContactID: 2})
		after := time.Now().Add(time.Millisecond)
		got := only(t, s)
		if got.Time.Before(before) || got.Time.After(after) || got.Time.Location() != time.UTC {
			t.Fatalf("Time = %v; want UTC between %v and %v", got.Time, before, after)
		}
	})

	t.Run("nok, Begin", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			e    Entry
		}{
			{"nok, no actor email", Entry{ActorName: "Ada", CustomerID: 1, ContactID: 2}},
			{"nok, blank actor email", Entry{ActorEmail: "  ", CustomerID: 1, ContactID: 2}},
			{"nok, change without a field", Entry{ActorEmail: "a@example.com", Changes: []Change{{Field: "memo"}, {Before: "x"}}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				if id, err := s.Begin(ctx, tc.e); err == nil {
					t.Fatalf("Begin = %d, nil; want an error", id)
				}
				if _, total := list(t, s, Filter{}); total != 0 {
					t.Fatalf("a failed Begin left %d rows", total)
				}
			})
		}
	})

	t.Run("ok, Complete sets outcome, messages, trace and completed_at", func(t *testing.T) {
		s := open(t)
		e := entry("ada@example.com", 1, 2)
		e.TraceID = "trace-begin"
		id := mustBegin(t, s, e)
		before := time.Now().Add(-time.Millisecond)
		msgs := []string{"Phone number is invalid.", `Memo can't contain "<b>"`}
		mustComplete(t, s, id, OutcomeRejected, msgs, "trace-complete")
		after := time.Now().Add(time.Millisecond)
		got := only(t, s)
		if got.Outcome != OutcomeRejected {
			t.Errorf("Outcome = %q; want %q", got.Outcome, OutcomeRejected)
		}
		if !reflect.DeepEqual(got.Messages, msgs) {
			t.Errorf("Messages = %q; want %q", got.Messages, msgs)
		}
		if got.TraceID != "trace-complete" {
			t.Errorf("TraceID = %q; want trace-complete", got.TraceID)
		}
		if got.CompletedAt.Before(before) || got.CompletedAt.After(after) || got.CompletedAt.Location() != time.UTC {
			t.Errorf("CompletedAt = %v; want UTC between %v and %v", got.CompletedAt, before, after)
		}
		if got.RequestID != e.RequestID || !got.Time.Equal(normTime(e.Time)) {
			t.Errorf("Complete changed what Begin stored: %+v", got)
		}
	})

	t.Run("ok, Complete without a trace ID keeps Begin's", func(t *testing.T) {
		s := open(t)
		e := entry("ada@example.com", 1, 2)
		e.TraceID = "trace-begin"
		id := mustBegin(t, s, e)
		mustComplete(t, s, id, OutcomeSaved, nil, "")
		got := only(t, s)
		if got.TraceID != "trace-begin" || got.Messages != nil || got.Outcome != OutcomeSaved {
			t.Fatalf("got TraceID %q, Messages %q, Outcome %q; want trace-begin, none, saved", got.TraceID, got.Messages, got.Outcome)
		}
	})

	t.Run("ok, every outcome round-trips", func(t *testing.T) {
		s := open(t)
		for _, o := range Outcomes {
			t.Run("ok, "+string(o), func(t *testing.T) {
				id := mustBegin(t, s, entry("ada@example.com", 1, 2))
				msgs := []string{"because " + string(o)}
				if o != OutcomeUnknown {
					mustComplete(t, s, id, o, msgs, "")
				}
				got, _ := list(t, s, Filter{Limit: 1})
				if len(got) != 1 || got[0].ID != id {
					t.Fatalf("newest entry is not %d: %+v", id, got)
				}
				if got[0].Outcome != o {
					t.Errorf("Outcome = %q; want %q", got[0].Outcome, o)
				}
				if o == OutcomeUnknown {
					if !got[0].CompletedAt.IsZero() || got[0].Messages != nil {
						t.Errorf("an unknown outcome has CompletedAt %v, Messages %q", got[0].CompletedAt, got[0].Messages)
					}
				} else if got[0].CompletedAt.IsZero() || !reflect.DeepEqual(got[0].Messages, msgs) {
					t.Errorf("CompletedAt %v, Messages %q; want set, %q", got[0].CompletedAt, got[0].Messages, msgs)
				}
			})
		}
	})

	t.Run("nok, Complete", func(t *testing.T) {
		s := open(t)
		id := mustBegin(t, s, entry("ada@example.com", 1, 2))
		for _, tc := range []struct {
			name     string
			id       int64
			outcome  Outcome
			notFound bool
		}{
			{"nok, unknown id", id + 1000, OutcomeSaved, true},
			{"nok, id 0", 0, OutcomeSaved, true},
			{"nok, outcome unknown", id, OutcomeUnknown, false},
			{"nok, invalid outcome", id, Outcome("bogus"), false},
			{"nok, empty outcome", id, "", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := s.Complete(ctx, tc.id, tc.outcome, nil, "")
				if err == nil {
					t.Fatal("Complete succeeded; want an error")
				}
				if errors.Is(err, ErrNotFound) != tc.notFound {
					t.Fatalf("Complete = %v; errors.Is(err, ErrNotFound) should be %v", err, tc.notFound)
				}
			})
		}
		if got := only(t, s); got.Outcome != OutcomeUnknown || !got.CompletedAt.IsZero() {
			t.Fatalf("failed Completes changed the row: %+v", got)
		}
	})

	t.Run("ok, changes keep order and values", func(t *testing.T) {
		s := open(t)
		changes := []Change{
			{Field: "value", Before: "(217) 555-0177", After: "2175550188"},
			{Field: "memo", Before: `she said "hi" & it's 'fine'`, After: "<script>alert(1)</script>"},
			{Field: "memo", Before: "Zoë Ñúñez — 日本語 — 🙂", After: "line 1\nline 2\ttab \\ backslash"},
			{Field: "preferences.jobRemindersEnabled", Before: "true", After: "false"},
			{Field: "type", Before: "", After: "MobilePhone"},
			{Field: "x; DROP TABLE attempts; --", Before: "?", After: "$1 %s %% ?"},
		}
		for i := len(changes); i < 12; i++ { // more than 10, so that text order would differ
			changes = append(changes, Change{Field: fmt.Sprintf("f%d", i), Before: fmt.Sprint(i), After: fmt.Sprint(i + 1)})
		}
		e := entry("ada@example.com", 1, 2)
		e.Changes = changes
		e.ActorName = `Zoë "Z" O'Brien <zoe>`
		id := mustBegin(t, s, e)
		other := entry("b@example.com", 1, 2)
		other.Changes = []Change{{Field: "memo", Before: "other", After: "other"}}
		mustBegin(t, s, other)

		got, _ := list(t, s, Filter{})
		if len(got) != 2 || got[1].ID != id {
			t.Fatalf("List = %+v", got)
		}
		if !reflect.DeepEqual(got[1].Changes, changes) {
			t.Errorf("Changes =\n%q\nwant\n%q", got[1].Changes, changes)
		}
		if got[1].ActorName != e.ActorName {
			t.Errorf("ActorName = %q; want %q", got[1].ActorName, e.ActorName)
		}
		if !reflect.DeepEqual(got[0].Changes, other.Changes) {
			t.Errorf("other entry's Changes = %q; want %q", got[0].Changes, other.Changes)
		}
	})

	t.Run("ok, List filters", func(t *testing.T) {
		s := open(t)
		base := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
		seed := []struct {
			actor             string
			customer, contact int64
			at                time.Duration
		}{
			{"Ada@Example.com", 1, 11, 0},               // a
			{"grace@example.com", 1, 12, time.Hour},     // b
			{"ada@example.com", 2, 21, 2 * time.Hour},   // c
			{"linus@example.com", 2, 21, 3 * time.Hour}, // d
			{"ADA@EXAMPLE.COM", 3, 31, 4 * time.Hour},   // e
			{"grace@example.com", 3, 31, 4 * time.Hour}, // f: same time as e, begun later
		}
		ids := map[string]int64{}
		for i, sd := range seed {
			label := string(rune('a' + i))
			e := entry(sd.actor, sd.customer, sd.contact)
			e.Time = base.Add(sd.at)
			e.Changes = []Change{{Field: "memo", Before: "", After: label}}
			ids[label] = mustBegin(t, s, e)
		}
		for _, tc := range []struct {
			name  string
			f     Filter
			want  string // labels, newest first
			total int
		}{
			{"ok, no filter: all, newest first, ties by id", Filter{}, "fedcba", 6},
			{"ok, actor ignores case", Filter{Actor: "aDa@example.COM"}, "eca", 3},
			{"ok, actor is exact, not a prefix", Filter{Actor: "ada@example"}, "", 0},
			{"ok, actor is exact, not a substring", Filter{Actor: "da@example.com"}, "", 0},
			{"ok, customer", Filter{CustomerID: 2}, "dc", 2},
			{"ok, contact", Filter{ContactID: 31}, "fe", 2},
			{"ok, customer and contact", Filter{CustomerID: 1, ContactID: 12}, "b", 1},
			{"ok, actor and customer", Filter{Actor: "ada@example.com", CustomerID: 2}, "c", 1},
			{"ok, from is inclusive", Filter{From: base.Add(time.Hour)}, "fedcb", 5},
			{"ok, to is exclusive", Filter{To: base.Add(2 * time.Hour)}, "ba", 2},
			{"ok, from and to", Filter{From: base.Add(time.Hour), To: base.Add(3 * time.Hour)}, "cb", 2},
			{"ok, from in another zone", Filter{From: base.Add(3 * time.Hour).In(time.FixedZone("X", 5*3600))}, "fed", 3},
			{"ok, limit", Filter{Limit: 2}, "fe", 6},
			{"ok, limit and offset", Filter{Limit: 2, Offset: 2}, "dc", 6},
			{"ok, offset without limit", Filter{Offset: 5}, "a", 6},
			{"ok, offset past the end", Filter{Limit: 3, Offset: 10}, "", 6},
			{"ok, negative limit and offset mean none", Filter{Limit: -1, Offset: -1}, "fedcba", 6},
			{"ok, filter with limit and offset", Filter{Actor: "ada@example.com", Limit: 1, Offset: 1}, "c", 3},
			{"ok, no match", Filter{CustomerID: 99}, "", 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, total := list(t, s, tc.f)
				var labels string
				for _, e := range got {
					for l, id := range ids {
						if id == e.ID {
							labels += l
							// Each entry comes with its own changes.
							if len(e.Changes) != 1 || e.Changes[0].After != l {
								t.Errorf("entry %s has changes %q", l, e.Changes)
							}
						}
					}
				}
				if labels != tc.want || total != tc.total {
					t.Fatalf("List(%+v) = %q, total %d; want %q, total %d", tc.f, labels, total, tc.want, tc.total)
				}
			})
		}
	})

	t.Run("ok, Each visits what List lists, page after page", func(t *testing.T) {
		s := open(t)
		s.(*sqlStore).eachPage = 3
		base := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
		// 10 attempts over 4 instants, so that ties in time straddle the
		// pages; some with no change, some with several.
		for i := range 10 {
			e := entry([]string{"ada@example.com", "grace@example.com"}[i%2], int64(1+i%3), int64(10+i))
			e.Time = base.Add(time.Duration(i/3) * time.Minute)
			for j := range i % 4 {
				e.Changes = append(e.Changes, Change{Field: fmt.Sprintf("f%d", j), Before: fmt.Sprint(i), After: fmt.Sprint(j)})
			}
			id := mustBegin(t, s, e)
			if i%2 == 0 {
				mustComplete(t, s, id, OutcomeRejected, []string{"no " + fmt.Sprint(i)}, "")
			}
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want int
		}{
			{"ok, all: more than a page, not a multiple of it", Filter{}, 10},
			{"ok, a filter", Filter{Actor: "ADA@example.com"}, 5},
			{"ok, exactly a page", Filter{CustomerID: 1, From: base.Add(time.Minute)}, 3},
			{"ok, none", Filter{CustomerID: 99}, 0},
			{"ok, Limit and Offset are ignored", Filter{Limit: 2, Offset: 1}, 10},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want, _ := list(t, s, Filter{Actor: tc.f.Actor, CustomerID: tc.f.CustomerID, From: tc.f.From})
				got := each(t, s, tc.f)
				if len(got) != tc.want || !reflect.DeepEqual(got, want) {
					t.Fatalf("Each(%+v) =\n%+v\nwant (List)\n%+v", tc.f, got, want)
				}
			})
		}
	})

	t.Run("ok, Each walks more than its default page, in order", func(t *testing.T) {
		s := open(t)
		n := defaultEachPage*2 + 7
		at := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
		for i := range n {
			e := entry("ada@example.com", 1, int64(i))
			e.Time = at.Add(time.Duration(i/10) * time.Second) // ties of ten
			mustBegin(t, s, e)
		}
		got := each(t, s, Filter{})
		if len(got) != n {
			t.Fatalf("Each visited %d entries; want %d", len(got), n)
		}
		for i, e := range got {
			if e.ContactID != int64(n-1-i) {
				t.Fatalf("entry %d is contact %d; want %d (newest first, ties by id)", i, e.ContactID, n-1-i)
			}
		}
	})

	t.Run("ok, fn may use the store while Each walks", func(t *testing.T) {
		s := open(t)
		s.(*sqlStore).eachPage = 2
		for range 5 {
			mustBegin(t, s, entry("ada@example.com", 1, 2))
		}
		err := s.Each(ctx, Filter{}, func(e Entry) error {
			return s.Complete(ctx, e.ID, OutcomeSaved, nil, "")
		})
		if err != nil {
			t.Fatalf("Each: %v", err)
		}
		for _, e := range each(t, s, Filter{}) {
			if e.Outcome != OutcomeSaved {
				t.Errorf("attempt %d: outcome %q; want saved", e.ID, e.Outcome)
			}
		}
	})

	t.Run("nok, Each stops at fn's error and returns it", func(t *testing.T) {
		s := open(t)
		s.(*sqlStore).eachPage = 2
		for range 5 {
			mustBegin(t, s, entry("ada@example.com", 1, 2))
		}
		stop := errors.New("stop")
		calls := 0
		err := s.Each(ctx, Filter{}, func(Entry) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 3 {
			t.Fatalf("Each = %v after %d calls; want fn's own error after 3", err, calls)
		}
	})

	t.Run("nok, Each with its context ended", func(t *testing.T) {
		s := open(t)
		mustBegin(t, s, entry("ada@example.com", 1, 2))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err := s.Each(cctx, Filter{}, func(Entry) error { t.Error("fn called"); return nil })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Each = %v; want context.Canceled", err)
		}
	})

	t.Run("ok, List and Each filter by outcome", func(t *testing.T) {
		s := open(t)
		ids := map[Outcome][]int64{} // newest first
		for i, o := range []Outcome{OutcomeSaved, OutcomeUnknown, OutcomeFailed, OutcomeUnknown, OutcomeSaved, OutcomeUnknown} {
			id := mustBegin(t, s, entry("ada@example.com", int64(1+i/3), 2))
			if o != OutcomeUnknown {
				mustComplete(t, s, id, o, nil, "")
			}
			ids[o] = append([]int64{id}, ids[o]...)
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want []int64
		}{
			{"ok, unknown: left by a crash or in flight", Filter{Outcome: OutcomeUnknown}, ids[OutcomeUnknown]},
			{"ok, saved", Filter{Outcome: OutcomeSaved}, ids[OutcomeSaved]},
			{"ok, with another filter", Filter{Outcome: OutcomeUnknown, CustomerID: 2}, ids[OutcomeUnknown][:2]},
			{"ok, an outcome no attempt has", Filter{Outcome: OutcomeConflict}, nil},
			{"ok, an outcome that does not exist", Filter{Outcome: "bogus"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) { assertSelects(t, s, tc.f, tc.want) })
		}
	})

	t.Run("ok, actions and undoes round-trip", func(t *testing.T) {
		s := open(t)
		edit := mustBegin(t, s, entry("ada@example.com", 1, 2)) // no action: an update
		removal := entry("ada@example.com", 1, 3)
		removal.Action = ActionDelete
		removal.Changes = []Change{{Field: "value", Before: "2175550177"}}
		removed := mustBegin(t, s, removal)
		undo := entry("ada@example.com", 1, 3)
		undo.Action, undo.Undoes = ActionCreate, removed
		undo.Changes = []Change{{Field: "value", After: "2175550177"}}
		undone := mustBegin(t, s, undo)
		add := entry("ada@example.com", 1, 4)
		add.Action = ActionCreate
		added := mustBegin(t, s, add)
		type stored struct {
			id     int64
			action Action
			undoes int64
		}
		want := []stored{{added, ActionCreate, 0}, {undone, ActionCreate, removed}, {removed, ActionDelete, 0}, {edit, ActionUpdate, 0}}
		listed, _ := list(t, s, Filter{})
		for name, got := range map[string][]Entry{"List": listed, "Each": each(t, s, Filter{})} {
			var gotStored []stored
			for _, e := range got {
				gotStored = append(gotStored, stored{e.ID, e.Action, e.Undoes})
			}
			if !slices.Equal(gotStored, want) {
				t.Errorf("%s = %+v; want %+v", name, gotStored, want)
			}
		}
		// The undo is found by the removal it names (#23, item 7).
		assertSelects(t, s, Filter{Undoes: []int64{removed, added}}, []int64{undone})
		assertSelects(t, s, Filter{Undoes: []int64{added}}, nil)
	})

	t.Run("ok, a bulk job's attempts name it and are found by it", func(t *testing.T) {
		s := open(t)
		mine := mustBegin(t, s, entry("ada@example.com", 1, 2))
		row := entry("ada@example.com", 1, 3)
		row.Job = 17
		fromJob := mustBegin(t, s, row)
		other := entry("ada@example.com", 4, 5)
		other.Job = 18
		mustBegin(t, s, other)
		got, err := Get(context.Background(), s, fromJob)
		if err != nil || got.Job != 17 {
			t.Fatalf("Get = %+v, %v; want job 17", got, err)
		}
		if e, _ := Get(context.Background(), s, mine); e.Job != 0 {
			t.Errorf("a person's own edit names job %d", e.Job)
		}
		assertSelects(t, s, Filter{Job: 17}, []int64{fromJob})
		bad := entry("ada@example.com", 1, 3)
		bad.Job = -1
		if _, err := s.Begin(context.Background(), bad); err == nil {
			t.Error("a negative job id was stored")
		}
	})

	t.Run("ok, an attempt on a location's contact names the location and is found by it", func(t *testing.T) {
		s := open(t)
		own := mustBegin(t, s, entry("ada@example.com", 1, 2))
		site := entry("ada@example.com", 1, 300000001)
		site.LocationID = 100000001
		atSite := mustBegin(t, s, site)
		elsewhere := entry("ada@example.com", 4, 300000009)
		elsewhere.LocationID = 100000004
		mustBegin(t, s, elsewhere)
		got, err := Get(context.Background(), s, atSite)
		if err != nil || got.LocationID != 100000001 || got.CustomerID != 1 {
			t.Fatalf("Get = %+v, %v; want location 100000001 of customer 1", got, err)
		}
		if e, _ := Get(context.Background(), s, own); e.LocationID != 0 {
			t.Errorf("a customer's own contact names location %d", e.LocationID)
		}
		assertSelects(t, s, Filter{LocationID: 100000001}, []int64{atSite})
		assertSelects(t, s, Filter{CustomerID: 1}, []int64{atSite, own})
		bad := entry("ada@example.com", 1, 3)
		bad.LocationID = -1
		if _, err := s.Begin(context.Background(), bad); err == nil {
			t.Error("a negative location id was stored")
		}
	})

	t.Run("ok, a create learns its contact; Get and Filter.ID find one entry", func(t *testing.T) {
		s := open(t)
		add := entry("ada@example.com", 1, 0)
		add.Action = ActionCreate
		add.Changes = []Change{{Field: "value", After: "2175550177"}}
		id := mustBegin(t, s, add)
		other := mustBegin(t, s, entry("ada@example.com", 1, 9))
		if err := s.SetContact(context.Background(), id, 42); err != nil {
			t.Fatal(err)
		}
		got, err := Get(context.Background(), s, id)
		if err != nil || got.ContactID != 42 || got.Action != ActionCreate || len(got.Changes) != 1 {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		if byContact, _ := list(t, s, Filter{ContactID: 42}); len(byContact) != 1 || byContact[0].ID != id {
			t.Errorf("the create is not found by its new contact: %+v", byContact)
		}
		if one := each(t, s, Filter{ID: other}); len(one) != 1 || one[0].ID != other {
			t.Errorf("Each by ID = %+v", one)
		}
		if _, err := Get(context.Background(), s, 999999); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of an unknown id: %v", err)
		}
		if err := s.SetContact(context.Background(), 999999, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetContact of an unknown id: %v", err)
		}
	})

	t.Run("nok, Begin with an action it cannot record", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			action Action
			undoes int64
		}{
			{"nok, unknown action", "remove", 0},
			{"nok, action in capitals", "UPDATE", 0},
			{"nok, an update undoes", ActionUpdate, 1},
			{"nok, an update with no action undoes", "", 1},
			{"nok, a delete undoes", ActionDelete, 1},
			{"nok, a negative attempt id", ActionCreate, -1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				e := entry("ada@example.com", 1, 2)
				e.Action, e.Undoes = tc.action, tc.undoes
				if id, err := s.Begin(ctx, e); err == nil {
					t.Fatalf("Begin = %d, nil; want an error", id)
				}
				if _, total := list(t, s, Filter{}); total != 0 {
					t.Fatalf("a failed Begin left %d rows", total)
				}
			})
		}
	})

	t.Run("ok, List and Each filter by action", func(t *testing.T) {
		s := open(t)
		ids := map[Action][]int64{} // newest first
		for i, a := range []Action{"", ActionCreate, ActionDelete, ActionUpdate, ActionCreate, ActionDelete} {
			e := entry("ada@example.com", int64(1+i/3), 2)
			e.Action = a
			id := mustBegin(t, s, e)
			a = cmp.Or(a, ActionUpdate)
			ids[a] = append([]int64{id}, ids[a]...)
		}
		for _, tc := range []struct {
			name string
			f    Filter
			want []int64
		}{
			{"ok, updates, with those begun without an action", Filter{Action: ActionUpdate}, ids[ActionUpdate]},
			{"ok, creates", Filter{Action: ActionCreate}, ids[ActionCreate]},
			{"ok, deletes", Filter{Action: ActionDelete}, ids[ActionDelete]},
			{"ok, with another filter", Filter{Action: ActionDelete, CustomerID: 2}, ids[ActionDelete][:1]},
			{"ok, an action that does not exist", Filter{Action: "bogus"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) { assertSelects(t, s, tc.f, tc.want) })
		}
	})

	t.Run("ok, attempts recorded before actions read as updates", func(t *testing.T) {
		st := open(t).(*sqlStore)
		// Take the database back to the first migration, with a row of then.
		for _, table := range []string{"changes", "attempts", "schema_migrations"} {
			if _, err := st.db.ExecContext(ctx, "DROP TABLE "+table); err != nil {
				t.Fatal(err)
			}
		}
		ms, err := loadMigrations(migrationFiles, "migrations/"+st.d.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := applyMigrations(ctx, st.db, st.d, ms[:1]); err != nil {
			t.Fatal(err)
		}
		old := st.d.rebind(`INSERT INTO attempts (started_at, actor_email, actor_email_lower, tenant_id, customer_id, contact_id)
			VALUES (?, 'ada@example.com', 'ada@example.com', 1, 2, 3)`)
		if _, err := st.db.ExecContext(ctx, old, st.d.encodeTime(time.Now())); err != nil {
			t.Fatal(err)
		}

		if err := migrate(ctx, st.db, st.d); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		assertMigrations(t, st)
		got := only(t, st)
		if got.Action != ActionUpdate || got.Undoes != 0 || got.ContactID != 3 {
			t.Errorf("the older attempt reads back as %+v; want an update undoing nothing", got)
		}
		if got := each(t, st, Filter{Action: ActionUpdate}); len(got) != 1 {
			t.Errorf("Each(update) = %d entries; want the older attempt", len(got))
		}
	})

	t.Run("ok, entries survive a restart", func(t *testing.T) {
		s := open(t)
		e := entry("ada@example.com", 1, 2)
		e.Changes = []Change{{Field: "memo", Before: "a", After: "b"}}
		id := mustBegin(t, s, e)
		mustComplete(t, s, id, OutcomeConflict, []string{"changed meanwhile"}, "t1")
		unfinished := mustBegin(t, s, entry("ada@example.com", 1, 2)) // the process dies mid-save
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		s = open(t) // the same database: migrations find nothing to do
		assertMigrations(t, s)
		got, total := list(t, s, Filter{})
		if total != 2 || got[1].ID != id || got[0].ID != unfinished {
			t.Fatalf("after reopening: %+v, total %d", got, total)
		}
		if got[1].Outcome != OutcomeConflict || !reflect.DeepEqual(got[1].Changes, e.Changes) ||
			!reflect.DeepEqual(got[1].Messages, []string{"changed meanwhile"}) {
			t.Errorf("after reopening: %+v", got[1])
		}
		if got[0].Outcome != OutcomeUnknown {
			t.Errorf("the unfinished attempt reads back as %q", got[0].Outcome)
		}
		next := mustBegin(t, s, entry("ada@example.com", 1, 2))
		if next <= unfinished {
			t.Errorf("id after reopening %d <= %d", next, unfinished)
		}
	})

	t.Run("ok, 50 goroutines begin and complete at once", func(t *testing.T) {
		s := open(t)
		const workers, each = 50, 4
		errs := make(chan error, workers*each)
		idc := make(chan int64, workers*each)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					e := entry(fmt.Sprintf("worker%d@example.com", w), int64(w+1), int64(i+1))
					e.Changes = []Change{{Field: "memo", Before: "", After: fmt.Sprintf("%d/%d", w, i)}}
					id, err := s.Begin(ctx, e)
					if err != nil {
						errs <- fmt.Errorf("worker %d Begin %d: %w", w, i, err)
						continue
					}
					if err := s.Complete(ctx, id, OutcomeSaved, nil, ""); err != nil {
						errs <- fmt.Errorf("worker %d Complete %d: %w", w, i, err)
						continue
					}
					idc <- id
				}
			})
		}
		wg.Wait()
		close(errs)
		close(idc)
		for err := range errs {
			t.Error(err)
		}
		var ids []int64
		for id := range idc {
			ids = append(ids, id)
		}
		got, total := list(t, s, Filter{})
		if total != workers*each || len(got) != workers*each {
			t.Fatalf("List: %d entries, total %d; want %d", len(got), total, workers*each)
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != workers*each {
			t.Errorf("ids are not unique")
		}
		for _, e := range got {
			if e.Outcome != OutcomeSaved || len(e.Changes) != 1 {
				t.Fatalf("entry %d: outcome %q, %d changes", e.ID, e.Outcome, len(e.Changes))
			}
		}
		if _, total := list(t, s, Filter{Actor: "WORKER7@example.com"}); total != each {
			t.Errorf("worker 7 has %d entries; want %d", total, each)
		}
	})

	t.Run("ok, Prune deletes only older rows", func(t *testing.T) {
		s := open(t)
		cut := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		var keep []int64
		for _, at := range []time.Duration{-48 * time.Hour, -time.Microsecond, 0, time.Hour} {
			e := entry("ada@example.com", 1, 2)
			e.Time = cut.Add(at)
			e.Changes = []Change{{Field: "memo", Before: "a", After: "b"}}
			id := mustBegin(t, s, e)
			if at >= 0 {
				keep = append(keep, id)
			}
		}
		n, err := s.Prune(ctx, cut)
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want 2, nil", n, err)
		}
		got, total := list(t, s, Filter{})
		if total != 2 || got[0].ID != keep[1] || got[1].ID != keep[0] {
			t.Fatalf("after Prune: %+v, total %d; want ids %v", got, total, keep)
		}
		// The pruned attempts' changes went with them.
		var changes int
		if err := s.(*sqlStore).db.QueryRow("SELECT COUNT(*) FROM changes").Scan(&changes); err != nil {
			t.Fatal(err)
		}
		if changes != 2 {
			t.Errorf("%d changes left; want 2", changes)
		}
		if n, err := s.Prune(ctx, cut); err != nil || n != 0 {
			t.Errorf("second Prune = %d, %v; want 0, nil", n, err)
		}
	})
}

// TestSQLiteOpen covers what is particular to SQLite files.
func TestSQLiteOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("nok, unusable paths", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "plain-file")
		if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, path string }{
			{"nok, parent is a regular file", filepath.Join(file, "audit.db")},
			{"nok, ancestor is a regular file", filepath.Join(file, "data", "audit.db")},
			{"nok, path is a directory", dir},
			{"nok, path is not a database", file},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s, err := openSQLite(t, ctx, tc.path)
				if err == nil {
					s.Close()
					t.Fatalf("OpenSQLite(%q) succeeded", tc.path)
				}
				if !strings.Contains(err.Error(), tc.path) {
					t.Fatalf("error %q does not name %q", err, tc.path)
				}
			})
		}
		t.Run("nok, empty path", func(t *testing.T) {
			if s, err := openSQLite(t, ctx, ""); err == nil {
				s.Close()
				t.Fatal("OpenSQLite(\"\") succeeded")
			}
		})
	})

	t.Run("ok, WAL mode, busy timeout and foreign keys are on", func(t *testing.T) {
		s, err := openSQLite(t, ctx, filepath.Join(t.TempDir(), "audit.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		db := s.(*sqlStore).db
		for _, tc := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"busy_timeout", "5000"},
			{"foreign_keys", "1"},
		} {
			var got string
			if err := db.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s = %q; want %q", tc.pragma, got, tc.want)
			}
		}
	})

	t.Run("ok, creates parent directories and takes the path literally", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a b", "c?d#e%20f", "audit.db")
		s, err := openSQLite(t, ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		mustBegin(t, s, entry("ada@example.com", 1, 2))
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			t.Fatalf("no database file at %q: %v", path, err)
		}
	})

	t.Run("ok, two stores opening one new file at once", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.db")
		const n = 4
		stores := make([]Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { stores[i], errs[i] = openSQLite(t, ctx, path) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("OpenSQLite #%d: %v", i, errs[i])
			}
			defer stores[i].Close()
		}
		assertMigrations(t, stores[0])
		// Writers in different connections wait for each other (busy timeout).
		var wg2 sync.WaitGroup
		for i, s := range stores {
			wg2.Go(func() {
				for range 10 {
					if _, err := s.Begin(ctx, entry("a@example.com", 1, 1)); err != nil {
						t.Errorf("Begin on store #%d: %v", i, err)
						return
					}
				}
			})
		}
		wg2.Wait()
		if _, total := list(t, stores[0], Filter{}); total != n*10 {
			t.Errorf("total %d; want %d", total, n*10)
		}
	})

	t.Run("ok, db.Open picks SQLite without a database URL", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "audit.db")
		h, err := db.Open(ctx, path, "")
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		s, err := New(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, ok := s.(*sqlStore); !ok || s.(*sqlStore).d != sqliteDialect {
			t.Fatalf("Open returned %T", s)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	sql := &fstest.MapFile{Data: []byte("CREATE TABLE t (x INTEGER);")}
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  []string // names in order; nil means an error
	}{
		{"ok, ordered by version", fstest.MapFS{"m/0002_b.sql": sql, "m/0001_a.sql": sql, "m/0010_c.sql": sql}, []string{"0001_a.sql", "0002_b.sql", "0010_c.sql"}},
		{"nok, name without a version", fstest.MapFS{"m/init.sql": sql}, nil},
		{"nok, not .sql", fstest.MapFS{"m/0001_a.txt": sql}, nil},
		{"nok, same version twice", fstest.MapFS{"m/0001_a.sql": sql, "m/0001_b.sql": sql}, nil},
		{"nok, version 0000", fstest.MapFS{"m/0000_a.sql": sql}, nil},
		{"nok, no migrations", fstest.MapFS{"m/README": &fstest.MapFile{}}, nil},
		{"nok, no directory", fstest.MapFS{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.files, "m")
			if tc.want == nil {
				if err == nil {
					t.Fatalf("loadMigrations = %v; want an error", ms)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range ms {
				names = append(names, m.Name)
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Fatalf("names = %v; want %v", names, tc.want)
			}
		})
	}

	t.Run("ok, both backends have the same migrations", func(t *testing.T) {
		var names [2][]string
		for i, dir := range []string{"migrations/sqlite", "migrations/postgres"} {
			ms, err := loadMigrations(migrationFiles, dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				names[i] = append(names[i], m.Name)
			}
		}
		if !reflect.DeepEqual(names[0], names[1]) {
			t.Fatalf("sqlite has %v, postgres has %v", names[0], names[1])
		}
	})
}

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    *dialect
		in   string
		want string
	}{
		{"ok, sqlite keeps ?", sqliteDialect, "a = ? AND b = ?", "a = ? AND b = ?"},
		{"ok, postgres numbers them", postgresDialect, "a = ? AND b = ? LIMIT ?", "a = $1 AND b = $2 LIMIT $3"},
		{"ok, no placeholders", postgresDialect, "SELECT 1", "SELECT 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.rebind(tc.in); got != tc.want {
				t.Fatalf("rebind(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestOutcomeValid(t *testing.T) {
	for _, o := range Outcomes {
		if !o.Valid() {
			t.Errorf("ok, %q: not valid", o)
		}
	}
	for _, o := range []Outcome{"", "Saved", "notfound", "ok"} {
		if o.Valid() {
			t.Errorf("nok, %q: valid", o)
		}
	}
}

// entry is a minimal valid Entry.
func entry(actor string, customer, contact int64) Entry {
	return Entry{
		Time:       time.Now(),
		ActorEmail: actor,
		ActorName:  "Someone",
		TenantID:   42,
		CustomerID: customer,
		ContactID:  contact,
		RequestID:  "req-" + rand.Text()[:8],
	}
}

func mustBegin(t *testing.T, s Store, e Entry) int64 {
	t.Helper()
	id, err := s.Begin(context.Background(), e)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return id
}

func mustComplete(t *testing.T, s Store, id int64, outcome Outcome, messages []string, traceID string) {
	t.Helper()
	if err := s.Complete(context.Background(), id, outcome, messages, traceID); err != nil {
		t.Fatalf("Complete(%d, %q): %v", id, outcome, err)
	}
}

func list(t *testing.T, s Store, f Filter) ([]Entry, int) {
	t.Helper()
	got, total, err := s.List(context.Background(), f)
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	for _, e := range got {
		if e.Time.Location() != time.UTC || (!e.CompletedAt.IsZero() && e.CompletedAt.Location() != time.UTC) {
			t.Fatalf("entry %d: times not in UTC: %v, %v", e.ID, e.Time, e.CompletedAt)
		}
	}
	return got, total
}

// each returns what Each visits.
func each(t *testing.T, s Store, f Filter) []Entry {
	t.Helper()
	var got []Entry
	if err := s.Each(context.Background(), f, func(e Entry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("Each(%+v): %v", f, err)
	}
	return got
}

// entryIDs returns the IDs of entries, in order.
func entryIDs(entries []Entry) []int64 {
	var ids []int64
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	return ids
}

// assertSelects checks that List and Each both select the entries with
// the IDs want, in that order.
func assertSelects(t *testing.T, s Store, f Filter, want []int64) {
	t.Helper()
	listed, total := list(t, s, f)
	if got := entryIDs(listed); !slices.Equal(got, want) || total != len(want) {
		t.Errorf("List(%+v) = %v, total %d; want %v", f, got, total, want)
	}
	if got := entryIDs(each(t, s, f)); !slices.Equal(got, want) {
		t.Errorf("Each(%+v) = %v; want %v", f, got, want)
	}
}

// only returns the one entry of s.
func only(t *testing.T, s Store) Entry {
	t.Helper()
	got, total := list(t, s, Filter{})
	if len(got) != 1 || total != 1 {
		t.Fatalf("List = %d entries, total %d; want 1", len(got), total)
	}
	return got[0]
}

func assertEntry(t *testing.T, got, want Entry) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.Time.Location() != time.UTC {
		t.Errorf("Time = %v; want %v", got.Time, want.Time)
	}
	if !got.CompletedAt.Equal(want.CompletedAt) {
		t.Errorf("CompletedAt = %v; want %v", got.CompletedAt, want.CompletedAt)
	}
	got.Time, want.Time, got.CompletedAt, want.CompletedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	// Every attempt Begin records is the app's.
	want.Source = cmp.Or(want.Source, SourceApp)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry =\n%+v\nwant\n%+v", got, want)
	}
}

// assertMigrations checks that each migration was recorded exactly once.
func assertMigrations(t *testing.T, s Store) {
	t.Helper()
	st := s.(*sqlStore)
	ms, err := loadMigrations(migrationFiles, "migrations/"+st.d.name)
	if err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := st.db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations").Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) || distinct != len(ms) {
		t.Fatalf("schema_migrations has %d rows (%d versions); want %d", n, distinct, len(ms))
	}
}

func TestSkipTotal(t *testing.T) {
	ctx := context.Background()
	store, err := openSQLite(t, ctx, t.TempDir()+"/audit.db")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for range 3 {
		if _, err := store.Begin(ctx, Entry{ActorEmail: "a@example.com", CustomerID: 1, ContactID: 2}); err != nil {
			t.Fatal(err)
		}
	}
	entries, total, err := store.List(ctx, Filter{ContactID: 2, Limit: 2, SkipTotal: true})
	if err != nil || len(entries) != 2 || total != -1 {
		t.Errorf("entries %d, total %d, err %v; want 2, -1", len(entries), total, err)
	}
}
