package sandbox

import (
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// A change made in ServiceTitan itself is stamped as ServiceTitan stamps
// a change, stored, and shown by the contacts feed after the token a
// reader holds: an edit, a STOP, an add and a removal.
func TestChangesMadeInServiceTitan(t *testing.T) {
	h := newHarness(t)
	_, token := h.readFeed(contactsFeedPath, "", false)
	old, _ := h.s.Contact(SeedCustomerID, SeedMobileContactID)

	edited, ok := h.s.EditContact(SeedCustomerID, SeedMobileContactID, func(c *client.Contact) { c.Memo = "Gate code 4411" })
	if !ok || edited.Memo != "Gate code 4411" || !edited.ModifiedOn.After(old.ModifiedOn) || edited.ID != SeedMobileContactID {
		t.Fatalf("EditContact = %+v, %v; want the memo changed, modifiedOn after %v", edited, ok, old.ModifiedOn)
	}
	stopped, ok := h.s.TextStop(SeedCustomerID, SeedMobileContactID, true)
	if !ok || !stopped.TextedStop() || stopped.Memo != "Gate code 4411" || !stopped.ModifiedOn.After(edited.ModifiedOn) {
		t.Fatalf("TextStop = %+v, %v", stopped, ok)
	}
	added, ok := h.s.AddContact(SeedCustomerID, client.Contact{Type: client.ContactEmail, Value: "new@example.com"})
	if !ok || added.ID == 0 || added.CreatedOn.IsZero() || !added.ModifiedOn.Equal(added.CreatedOn) {
		t.Fatalf("AddContact = %+v, %v", added, ok)
	}
	if got, ok := h.s.Contact(SeedCustomerID, added.ID); !ok || got.Value != "new@example.com" {
		t.Errorf("the added contact is not stored: %+v, %v", got, ok)
	}
	if !h.s.RemoveContact(SeedCustomerID, SeedEmailContactID) {
		t.Fatal("RemoveContact of a seed contact reported false")
	}
	if _, ok := h.s.Contact(SeedCustomerID, SeedEmailContactID); ok {
		t.Error("the removed contact is still stored")
	}

	rows, _ := h.readFeed(contactsFeedPath, token, false)
	byID := map[int64]feedRowJSON{}
	for _, r := range rows {
		byID[r.ID] = r
	}
	if len(rows) != 3 {
		t.Errorf("the feed after the token has %d rows, want 3 (the edited, the added, the removed contact): %+v", len(rows), rows)
	}
	if r := byID[SeedMobileContactID]; r.Active == nil || !*r.Active || !r.modified(t).Equal(stopped.ModifiedOn) {
		t.Errorf("edited contact's row = %+v", r)
	}
	if r := byID[added.ID]; r.Active == nil || !*r.Active || r.Value != "new@example.com" {
		t.Errorf("added contact's row = %+v", r)
	}
	if r := byID[SeedEmailContactID]; r.Active == nil || *r.Active {
		t.Errorf("removed contact's row = %+v; want active false", r)
	}

	// A service location's contact, in its own feed.
	_, locToken := h.readFeed("/export/locations/contacts", "", false)
	gate, ok := h.s.EditLocationContact(SeedLocationID, SeedLocationContactID, func(c *client.Contact) { c.Memo = "Side door" })
	if !ok || gate.Memo != "Side door" {
		t.Fatalf("EditLocationContact = %+v, %v", gate, ok)
	}
	if rows, _ := h.readFeed("/export/locations/contacts", locToken, false); len(rows) != 1 || rows[0].ID != SeedLocationContactID {
		t.Errorf("the location contacts feed after the token: %+v", rows)
	}

	// Nothing is stored for a customer or a contact that does not exist.
	if _, ok := h.s.EditContact(SeedCustomerID, 1, func(*client.Contact) {}); ok {
		t.Error("EditContact of an unknown contact reported true")
	}
	if _, ok := h.s.AddContact(1, client.Contact{Type: client.ContactEmail, Value: "x@example.com"}); ok {
		t.Error("AddContact to an unknown customer reported true")
	}
	if h.s.RemoveContact(SeedCustomerID, SeedEmailContactID) {
		t.Error("RemoveContact of a removed contact reported true")
	}
}
