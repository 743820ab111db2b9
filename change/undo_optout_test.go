package change_test

import (
	"context"
	"strings"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A number that texted STOP comes back from an undo without its opt-out
// (ServiceTitan keeps it with the removed contact; the API cannot set it):
// the removal records the texting status, the undo turns marketing updates
// off on the new contact, says so in the same audit entry, and tells the
// page (#23, item 2).
func TestUndoOfANumberThatTextedStop(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
	ct.Preferences.MarketingUpdatesEnabled, ct.Preferences.JobRemindersEnabled = true, true
	h.sb.SetContact(sandbox.SeedCustomerID, ct)

	removed := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedDoNotTextContactID,
		Shown: h.shown(t, sandbox.SeedDoNotTextContactID), Form: "del"})
	if removed.Result != change.Saved {
		t.Fatalf("delete: %+v", removed)
	}
	e, _ := audit.Get(ctx, h.store, removed.AuditID)
	if r := change.RemovalOf(e); !r.TextedStop || r.Fields.Value != sandbox.SeedDoNotTextValue {
		t.Errorf("the removal records %+v (changes %+v)", r, e.Changes)
	}

	o, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID, Form: "undo"})
	if err != nil || o.Result != change.Saved || !o.TextingOptOutLost || !o.MarketingTurnedOff {
		t.Fatalf("undo: %+v, %v", o, err)
	}
	back, _ := h.sb.Contact(sandbox.SeedCustomerID, o.Contact.ID)
	if back.Value != sandbox.SeedDoNotTextValue || back.Preferences.MarketingUpdatesEnabled || !back.Preferences.JobRemindersEnabled {
		t.Errorf("re-created %+v with %+v", back, back.Preferences)
	}
	entries := h.entries(t, o.Contact.ID)
	if len(entries) != 1 || entries[0].Undoes != removed.AuditID || entries[0].ActorEmail != kelly.Email {
		t.Fatalf("audit = %+v", entries)
	}
	after := map[string]string{}
	for _, ch := range entries[0].Changes {
		after[ch.Field] = ch.After
	}
	if after["preferences.marketingUpdatesEnabled"] != "false" || after["preferences.jobRemindersEnabled"] != "true" ||
		!strings.Contains(strings.Join(entries[0].Messages, " "), "Marketing updates were turned off on it") {
		t.Errorf("the undo's entry: changes %+v, messages %q", entries[0].Changes, entries[0].Messages)
	}

	// A number that never texted STOP comes back as it was, without a word.
	plain := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedMobileContactID,
		Shown: h.shown(t, sandbox.SeedMobileContactID), Form: "del-2"})
	o, err = h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: plain.AuditID, Form: "undo-2"})
	if err != nil || o.Result != change.Saved || o.TextingOptOutLost || o.MarketingTurnedOff {
		t.Fatalf("undo of a number that may be texted: %+v, %v", o, err)
	}
	if entries := h.entries(t, o.Contact.ID); len(entries) != 1 || len(entries[0].Messages) != 0 {
		t.Errorf("audit = %+v", entries)
	}
}
