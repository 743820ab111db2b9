package change_test

import (
	"testing"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// subject is an owner of contacts in the sandbox's seed, with the
// operations that read and write them: a change is tested on a customer's
// own contact and on a service location's, which go through the same
// code with ServiceTitan's other operations.
type subject struct {
	name  string
	owner client.Owner
	// mobile is a MobilePhone contact with preferences, value and memo;
	// other is another contact of the owner; held is the value of a third.
	mobile      int64
	value, memo string
	other       int64
	held        string
	// list, update, create and remove are the sandbox's operations.
	list, update, create, remove string
}

var subjects = []subject{
	{
		name: "customer", owner: client.CustomerOwner(sandbox.SeedCustomerID),
		mobile: sandbox.SeedMobileContactID, value: sandbox.SeedMobileValue, memo: "Cell",
		other: sandbox.SeedEmailContactID, held: sandbox.SeedDoNotTextValue,
		list: sandbox.OpListContacts, update: sandbox.OpUpdateContact, create: sandbox.OpCreateContact, remove: sandbox.OpDeleteContact,
	},
	{
		name: "location", owner: client.LocationOwner(sandbox.SeedCustomerID, sandbox.SeedLocationID),
		mobile: sandbox.SeedLocationContactID, value: sandbox.SeedLocationContactValue, memo: "Neighbor - Charles Babbage, has a key",
		other: sandbox.SeedLocationGateContactID, held: sandbox.SeedLocationGateValue,
		list: sandbox.OpListLocationContacts, update: sandbox.OpUpdateLocationContact, create: sandbox.OpCreateLocationContact, remove: sandbox.OpDeleteLocationContact,
	},
}

// forEachOwner runs fn on a customer's contacts and on a location's.
func forEachOwner(t *testing.T, fn func(t *testing.T, s subject)) {
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) { fn(t, s) })
	}
}

// contact is the owner's contact as the sandbox holds it.
func (h *harness) contact(s subject, contactID int64) (client.Contact, bool) {
	if s.owner.IsLocation() {
		return h.sb.LocationContact(s.owner.LocationID, contactID)
	}
	return h.sb.Contact(s.owner.CustomerID, contactID)
}

// contacts are the owner's contacts as the sandbox holds them.
func (h *harness) contacts(s subject) []client.Contact {
	if s.owner.IsLocation() {
		return h.sb.LocationContacts(s.owner.LocationID)
	}
	return h.sb.Contacts(s.owner.CustomerID)
}

// setContact changes the owner's contact behind the app's back.
func (h *harness) setContact(s subject, ct client.Contact) {
	if s.owner.IsLocation() {
		h.sb.SetLocationContact(s.owner.LocationID, ct)
		return
	}
	h.sb.SetContact(s.owner.CustomerID, ct)
}

// snapshot is the owner's contact as a form or a confirmation shows it.
func (h *harness) snapshot(t *testing.T, s subject, contactID int64) change.Snapshot {
	t.Helper()
	ct, ok := h.contact(s, contactID)
	if !ok {
		t.Fatalf("no contact %d of %+v in the sandbox", contactID, s.owner)
	}
	return change.SnapshotOf(ct)
}

// edit is the update a form opened on the owner's stored contact would
// post, with edit applied to its fields.
func (h *harness) edit(t *testing.T, s subject, contactID int64, edit func(*change.Fields)) change.UpdateRequest {
	t.Helper()
	snap := h.snapshot(t, s, contactID)
	fields := change.FieldsOf(snap)
	edit(&fields)
	return change.UpdateRequest{Actor: kelly, CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, ContactID: contactID,
		Opened: snap, Asked: fields, Form: "form-1"}
}

// add is the add form's post for the owner.
func (s subject) add(asked change.Fields, form string) change.CreateRequest {
	return change.CreateRequest{Actor: kelly, CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, Asked: asked, Form: form}
}

// removal is the confirmation page's post for the owner's contact.
func (s subject) removal(contactID int64, shown change.Snapshot, form string) change.DeleteRequest {
	return change.DeleteRequest{Actor: kelly, CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, ContactID: contactID, Shown: shown, Form: form}
}

// calls counts the reads and PATCHes of the owner's contacts.
func (h *harness) callsOf(s subject) (reads, patches int) {
	return h.sb.Requests(s.list), h.sb.Requests(s.update)
}
