package change_test

import (
	"context"
	"testing"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A removal restored already says so instead of re-creating the contact a
// second time, whoever asks and from whatever form (#23, item 7); the same
// form posted again still gets its first outcome.
func TestRestoreOfARemovalRestoredAlready(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	removed := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedEmailContactID,
		Shown: h.shown(t, sandbox.SeedEmailContactID), Form: "del"})
	if removed.Result != change.Saved {
		t.Fatalf("delete: %+v", removed)
	}
	if _, found, err := h.svc.RestoredBy(ctx, removed.AuditID); found || err != nil {
		t.Fatalf("RestoredBy before any undo: %v, %v", found, err)
	}
	first, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID, Form: "undo"})
	if err != nil || first.Result != change.Saved {
		t.Fatalf("undo: %+v, %v", first, err)
	}
	if again, _ := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID, Form: "undo"}); again.Result != change.Saved || again.Contact.ID != first.Contact.ID {
		t.Errorf("the same form again: %+v; want the first outcome", again)
	}
	jordan := change.Actor{Email: "jordan@acme.example", Name: "Jordan Diaz"}
	o, err := h.svc.Undo(ctx, change.UndoRequest{Actor: jordan, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID, Form: "restore"})
	if err != nil || o.Result != change.AlreadyRestored || o.AuditID != first.AuditID || o.Contact.ID != first.Contact.ID {
		t.Fatalf("a second restore: %+v, %v", o, err)
	}
	if n := h.sb.Requests(sandbox.OpCreateContact); n != 1 {
		t.Errorf("%d creates, want 1", n)
	}
	by, found, err := h.svc.RestoredBy(ctx, removed.AuditID)
	if err != nil || !found || by.ID != first.AuditID || by.ActorEmail != kelly.Email {
		t.Errorf("RestoredBy = %+v, %v, %v", by, found, err)
	}
}
