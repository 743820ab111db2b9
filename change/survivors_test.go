package change_test

import (
	"context"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A removal refused because the contact changed since the confirmation
// was shown is recorded as a conflict, not left "unknown".
func TestDeleteConflictIsAudited(t *testing.T) {
	h := newHarness(t)
	shown := h.shown(t, sandbox.SeedMobileContactID)
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	ct.Memo, ct.ModifiedOn = "Changed", ct.ModifiedOn.Add(time.Minute)
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	o := h.svc.Delete(context.Background(), change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID,
		ContactID: sandbox.SeedMobileContactID, Shown: shown, Form: "del"})
	if o.Result != change.Conflict {
		t.Fatalf("outcome %s, want conflict", o.Result)
	}
	e := h.entries(t, sandbox.SeedMobileContactID)
	if len(e) != 1 || e[0].Outcome != audit.OutcomeConflict {
		t.Errorf("audit = %+v, want one entry with outcome conflict", e)
	}
}

// The conflict check compares modifiedOn to the millisecond: a form
// opened before a save made a millisecond later is stale (409, no PATCH).
func TestConflictCheckToTheMillisecond(t *testing.T) {
	h := newHarness(t)
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	// Mid-second, so that both times fall in the same whole second.
	ct.ModifiedOn = time.Date(2026, 11, 2, 10, 0, 0, 400*int(time.Millisecond), time.UTC)
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	stale := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Stale form" })

	ct.Memo, ct.ModifiedOn = "Saved a millisecond later", ct.ModifiedOn.Add(time.Millisecond)
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	o := h.svc.Update(context.Background(), stale)
	if o.Result != change.Conflict {
		t.Errorf("outcome %s, want conflict", o.Result)
	}
	if _, patches := h.calls(); patches != 0 {
		t.Errorf("%d PATCHes, want none", patches)
	}
	if now, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID); now.Memo != "Saved a millisecond later" {
		t.Errorf("memo %q: the later save was overwritten", now.Memo)
	}
}

// A write answered 500 may have been saved: its outcome is unknown until
// the contact is read, and the read decides (saved when the change is
// there, not saved when it is not). It is never taken as "not saved"
// without reading.
func TestAWriteAnswered500IsSettledByReading(t *testing.T) {
	for _, tt := range []struct {
		name    string
		applied bool
		want    change.Result
	}{
		{"ok, applied before the 500: saved", true, change.Saved},
		{"nok, not applied: not saved, confirmed by the read", false, change.NotSaved},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: 500, AfterApply: tt.applied})
			r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "After a 500" })
			readsBefore, _ := h.calls()
			o := h.svc.Update(context.Background(), r)
			reads, patches := h.calls()
			if o.Result != tt.want || patches != 1 {
				t.Fatalf("outcome %s after %d PATCHes, want %s after 1", o.Result, patches, tt.want)
			}
			// One read before the write, one after it to settle the 500.
			if reads-readsBefore != 2 {
				t.Errorf("%d reads, want 2 (before the write, and after the 500)", reads-readsBefore)
			}
			if !tt.applied && !o.Confirmed {
				t.Error("not saved without the read confirming it")
			}
		})
	}
}
