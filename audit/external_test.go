package audit

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// recordIn records entries of changes made in ServiceTitan in a
// transaction of s's database, as the tenant index does, and commits it
// when commit is true.
func recordIn(t *testing.T, s Store, commit bool, entries ...Entry) int {
	t.Helper()
	ctx := context.Background()
	sqlDB, dialect := handleOf(s)
	x, err := NewExternal(dialect, 42)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	n, err := x.Record(ctx, tx, entries)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if commit {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// appAttempts reads External.AppAttempts in a transaction of s's database.
func appAttempts(t *testing.T, s Store, contacts, customers []int64, since time.Time) []Entry {
	t.Helper()
	ctx := context.Background()
	sqlDB, dialect := handleOf(s)
	x, err := NewExternal(dialect, 42)
	if err != nil {
		t.Fatal(err)
	}
	var got []Entry
	err = inTx(ctx, sqlDB, func(tx *sql.Tx) error {
		got, err = x.AppAttempts(ctx, tx, contacts, customers, since)
		return err
	})
	if err != nil {
		t.Fatalf("AppAttempts: %v", err)
	}
	return got
}

// handleOf is the database under a store of the suite, and its dialect.
func handleOf(s Store) (*sql.DB, string) {
	st := s.(*sqlStore)
	return st.db, st.d.name
}

func inTx(ctx context.Context, sqlDB *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// testExternal is the part of the store suite about changes made in
// ServiceTitan itself.
func testExternal(t *testing.T, open func(t *testing.T) Store) {
	modified := time.Date(2026, 11, 27, 15, 4, 5, 123456000, time.UTC)
	flip := Entry{Time: modified, CustomerID: 10, ContactID: 20, Action: ActionUpdate,
		ActorEmail: "ignored@example.com", // nobody is named
		Changes:    []Change{{Field: "phoneSettings.doNotText", Before: "false", After: "true"}},
		Messages:   []string{"Texted STOP: ServiceTitan stopped texting this number."}}

	t.Run("ok, a change made in ServiceTitan is stored once, naming nobody", func(t *testing.T) {
		s := open(t)
		if n := recordIn(t, s, true, flip); n != 1 {
			t.Fatalf("Record = %d new, want 1", n)
		}
		// The feed repeats the row; another instance sees it too.
		if n := recordIn(t, s, true, flip, flip); n != 0 {
			t.Fatalf("Record of the same change again = %d new, want 0", n)
		}
		got := only(t, s)
		want := flip
		want.ID, want.ActorEmail, want.ActorName, want.TenantID = got.ID, "", ExternalActor, 42
		want.Outcome, want.Source = OutcomeSaved, SourceServiceTitan
		want.CompletedAt = got.CompletedAt
		assertEntry(t, got, want)
		if got.CompletedAt.IsZero() {
			t.Error("CompletedAt is zero; want when it was recorded")
		}
		// A service location's contact names its location.
		atLocation := flip
		atLocation.ContactID, atLocation.LocationID = 30, 40
		if n := recordIn(t, s, true, atLocation); n != 1 {
			t.Fatalf("Record of a location's contact = %d new, want 1", n)
		}
		if got, _ := list(t, s, Filter{ContactID: 30}); len(got) != 1 || got[0].LocationID != 40 || got[0].CustomerID != 10 {
			t.Fatalf("the location's contact's entry: %+v", got)
		}
		// Another change of the same contact (a later modifiedOn, or
		// the same time but a removal) is another entry.
		later, removal := flip, flip
		later.Time = modified.Add(time.Microsecond)
		removal.Action = ActionDelete
		if n := recordIn(t, s, true, later, removal); n != 2 {
			t.Fatalf("Record of two other changes = %d new, want 2", n)
		}
	})

	t.Run("ok, a backlog of more changes than a statement writes, some twice, each once with its fields", func(t *testing.T) {
		s := open(t)
		var backlog []Entry
		for i := range 2*recordBatch + 7 {
			e := flip
			e.ContactID = int64(1000 + i)
			e.Changes = []Change{{Field: "memo", Before: "old", After: fmt.Sprint(i)}, {Field: "value", Before: "a", After: "b"}}
			backlog = append(backlog, e)
		}
		if n := recordIn(t, s, true, backlog[:recordBatch+3]...); n != recordBatch+3 {
			t.Fatalf("Record = %d new, want %d", n, recordBatch+3)
		}
		if n := recordIn(t, s, true, backlog...); n != recordBatch+4 {
			t.Fatalf("Record of them all = %d new, want the %d not stored yet", n, recordBatch+4)
		}
		var n int
		err := s.Each(context.Background(), Filter{Source: SourceServiceTitan}, func(e Entry) error {
			if len(e.Changes) != 2 || e.Changes[0].After != fmt.Sprint(e.ContactID-1000) {
				t.Fatalf("entry of contact %d: changes %+v", e.ContactID, e.Changes)
			}
			n++
			return nil
		})
		if err != nil || n != len(backlog) {
			t.Fatalf("%d entries (%v), want %d", n, err, len(backlog))
		}
	})

	t.Run("ok, a change recorded in a transaction rolled back is not there", func(t *testing.T) {
		s := open(t)
		recordIn(t, s, false, flip)
		if _, total := list(t, s, Filter{}); total != 0 {
			t.Fatalf("%d entries after a rollback, want none", total)
		}
	})

	t.Run("ok, the source filters", func(t *testing.T) {
		s := open(t)
		app := mustBegin(t, s, entry("a@example.com", 10, 20))
		recordIn(t, s, true, flip)
		all, _ := list(t, s, Filter{})
		if len(all) != 2 {
			t.Fatalf("%d entries, want 2", len(all))
		}
		external := all[0].ID
		if all[0].ID == app {
			external = all[1].ID
		}
		assertSelects(t, s, Filter{Source: SourceApp}, []int64{app})
		assertSelects(t, s, Filter{Source: SourceServiceTitan}, []int64{external})
		assertSelects(t, s, Filter{Source: SourceServiceTitan, ActorLike: "servicetitan"}, []int64{external})
	})

	t.Run("ok, the app's attempts that may explain a row: saved or unknown, since a time", func(t *testing.T) {
		s := open(t)
		since := time.Now().Add(-time.Minute)
		e := entry("a@example.com", 10, 20)
		saved := mustBegin(t, s, e)
		mustComplete(t, s, saved, OutcomeSaved, nil, "")
		unknown := mustBegin(t, s, e)
		failed := mustBegin(t, s, e)
		mustComplete(t, s, failed, OutcomeFailed, []string{"down"}, "")
		old := e
		old.Time = since.Add(-time.Hour)
		mustBegin(t, s, old)
		other := mustBegin(t, s, entry("a@example.com", 10, 21))
		// A create whose contact is not known yet, on customer 11.
		create := mustBegin(t, s, Entry{ActorEmail: "a@example.com", CustomerID: 11, Action: ActionCreate,
			Changes: []Change{{Field: "value", After: "x@example.com"}}})
		recordIn(t, s, true, flip) // not the app's
		got := appAttempts(t, s, []int64{20}, []int64{11}, since)
		ids := map[int64]bool{}
		for _, e := range got {
			ids[e.ID] = true
		}
		if len(got) != 3 || !ids[saved] || !ids[unknown] || !ids[create] {
			t.Errorf("AppAttempts = %v; want %d, %d and %d (not %d: failed, nor %d: another contact)", entryIDs(got), saved, unknown, create, failed, other)
		}
		if got := appAttempts(t, s, nil, nil, since); len(got) != 0 {
			t.Errorf("AppAttempts of nothing = %v", entryIDs(got))
		}
	})
}
