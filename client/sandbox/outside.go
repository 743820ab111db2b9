package sandbox

import (
	"slices"

	"github.com/contactdesk/contactdesk/client"
)

// Changes made in ServiceTitan itself, not through the API: by staff in
// ServiceTitan's own screens, by another integration, by a customer
// texting STOP or START to a number. Each is stamped as ServiceTitan
// stamps a change (a new modifiedOn, later than the contact's last) and
// shown by the contacts feed after every earlier change, like a change
// made through the API. Tests use them to change a contact behind the
// app's back. ([Server.SetContact] stores a contact exactly as given,
// modifiedOn included, instead.)

// EditContact changes a customer's contact as ServiceTitan's own screens
// would: edit is given a copy of it, and what edit leaves is stored, with
// a new modifiedOn. It returns the contact as stored, or false (nothing
// stored) when the customer or the contact does not exist.
func (s *Server) EditContact(customerID, contactID int64, edit func(*client.Contact)) (client.Contact, bool) {
	return s.editContact(customerOwned, customerID, contactID, edit)
}

// EditLocationContact changes a service location's contact as
// EditContact changes a customer's.
func (s *Server) EditLocationContact(locationID, contactID int64, edit func(*client.Contact)) (client.Contact, bool) {
	return s.editContact(locationOwned, locationID, contactID, edit)
}

func (s *Server) editContact(kind ownerKind, ownerID, contactID int64, edit func(*client.Contact)) (client.Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(kind, ownerID)
	if !ok {
		return client.Contact{}, false
	}
	i := contactIndex(*o.contacts, contactID)
	if i < 0 {
		return client.Contact{}, false
	}
	c := cloneContact((*o.contacts)[i])
	edit(&c)
	c.ID = contactID
	c.ModifiedOn = modifiedAfter(s.now(), (*o.contacts)[i].ModifiedOn)
	s.changedLocked(o.customer, contactID)
	(*o.contacts)[i] = c
	return cloneContact(c), true
}

// TextStop records that the customer texted STOP to a number
// (phoneSettings.doNotText), or START (stop false), as ServiceTitan does
// when its texting service gets one.
func (s *Server) TextStop(customerID, contactID int64, stop bool) (client.Contact, bool) {
	return s.EditContact(customerID, contactID, func(c *client.Contact) {
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: c.Value, DoNotText: stop}
	})
}

// AddContact adds a contact to a customer as ServiceTitan's own screens
// would: c's type, value, memo, phone settings and preferences, with a new
// id and the time as its createdOn and modifiedOn. It returns the contact
// as stored, or false (nothing stored) when the customer does not exist.
func (s *Server) AddContact(customerID int64, c client.Contact) (client.Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(customerOwned, customerID)
	if !ok {
		return client.Contact{}, false
	}
	c = cloneContact(c)
	c.ID = s.newContactIDLocked(customerOwned)
	c.CreatedOn = s.now()
	c.ModifiedOn = c.CreatedOn
	s.changedLocked(o.customer, c.ID)
	*o.contacts = append(*o.contacts, c)
	slices.SortFunc(*o.contacts, func(a, b client.Contact) int { return cmpInt64(a.ID, b.ID) })
	return cloneContact(c), true
}

// RemoveContact removes a customer's contact as ServiceTitan's own
// screens would: the contacts feed shows it from now on with "active":
// false. It reports false when the customer or the contact does not
// exist.
func (s *Server) RemoveContact(customerID, contactID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(customerOwned, customerID)
	if !ok {
		return false
	}
	i := contactIndex(*o.contacts, contactID)
	if i < 0 {
		return false
	}
	s.removeLocked(o, i)
	return true
}
