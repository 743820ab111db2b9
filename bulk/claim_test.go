package bulk

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A row is claimed once: only while pending. A running, finished or
// cancelled row is not claimed again, and of two workers claiming one
// pending row at once, one wins.
func TestClaimOnlyAPendingRow(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 3)
	id, _, _ := h.svc.Preview(ctx, listOf(t, cs[0].Value, cs[1].Value, cs[2].Value), optOut, "", kelly)
	if ok, err := h.svc.Confirm(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("Confirm: %v, %v", ok, err)
	}
	rows, err := h.store.Pending(ctx, id, 10)
	if err != nil || len(rows) != 3 {
		t.Fatalf("pending rows: %d, %v", len(rows), err)
	}
	first, second, third := rows[0].Seq, rows[1].Seq, rows[2].Seq

	claim := func(seq int) bool {
		t.Helper()
		ok, err := h.store.Claim(ctx, id, seq)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(first) {
		t.Fatal("a pending row was not claimed")
	}
	if claim(first) {
		t.Error("a running row was claimed again")
	}
	if err := h.store.Finish(ctx, id, first, RowChanged, 0, ""); err != nil {
		t.Fatal(err)
	}
	if claim(first) {
		t.Error("a finished row was claimed again")
	}

	// Two workers at once on one pending row: one wins.
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if ok, err := h.store.Claim(ctx, id, second); err == nil && ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Errorf("%d claims of one row won, want 1", won.Load())
	}

	if ok, err := h.svc.Cancel(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("Cancel: %v, %v", ok, err)
	}
	if claim(third) {
		t.Error("a cancelled row was claimed")
	}
}

// Recovery after a crash matches each stuck row to its own contact's
// attempt: a row whose change was saved is counted changed, and a row
// beside it that never sent anything is worked, not counted changed with
// its neighbour's attempt.
func TestRecoveryMatchesEachRowToItsContact(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 2)
	id, _, _ := h.svc.Preview(ctx, listOf(t, cs[0].Value, cs[1].Value), optOut, "", kelly)
	if ok, err := h.svc.Confirm(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("Confirm: %v, %v", ok, err)
	}
	j, err := h.store.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := h.store.Pending(ctx, id, 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("pending rows: %d, %v", len(rows), err)
	}
	// The crash: both rows claimed, the first one's change made (and its
	// attempt recorded saved), the second one's never sent.
	r := h.runner()
	for _, row := range rows {
		if ok, err := h.store.Claim(ctx, id, row.Seq); !ok || err != nil {
			t.Fatalf("Claim: %v, %v", ok, err)
		}
	}
	if o := r.apply(ctx, j, rows[0]); o.AuditID == 0 {
		t.Fatalf("the first row's change: %+v", o)
	}

	h.run(t, r, id)
	byContact := map[int64]Target{}
	all, err := h.store.Targets(ctx, id, PlanChange, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range all {
		byContact[row.ContactID] = row
	}
	a, b := byContact[rows[0].ContactID], byContact[rows[1].ContactID]
	if a.State != RowChanged || b.State != RowChanged || a.AuditID == b.AuditID {
		t.Errorf("rows after the recovery: %+v and %+v; want both changed, each by its own attempt", a, b)
	}
	for _, c := range cs {
		if n := h.count(sandbox.OpUpdateContact, c.CustomerID); n != 1 {
			t.Errorf("contact %d: %d PATCHes, want 1", c.ID, n)
		}
	}
}
