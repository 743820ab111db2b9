package sandbox

import (
	"iter"
	"net/http"
	"slices"

	"github.com/contactdesk/contactdesk/client"
)

// A contact belongs to a customer or to one of its service locations. The
// two kinds have the same contract (list, create, PATCH, delete, the same
// validation, 404 and 409), so one implementation of each operation serves
// both, given whose contacts a request is about.

// ownerKind says whose contacts an operation is about.
type ownerKind int

const (
	customerOwned ownerKind = iota
	locationOwned
)

// notFound is the title of the 404 for an owner that does not exist.
func (k ownerKind) notFound() string {
	if k == locationOwned {
		return TitleLocationNotFound
	}
	return TitleCustomerNotFound
}

// of is the handler of a contact operation for this kind's contacts.
func (k ownerKind) of(handle func(kind ownerKind, w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { handle(k, w, r) }
}

// contactOwner is a customer or a location, with the contacts the contact
// operations read and change.
type contactOwner struct {
	kind ownerKind
	id   int64
	// customer is the customer, or the location's customer: the record
	// that is stored when one of the contacts changes (see changedLocked).
	customer *customerRecord
	contacts *[]client.Contact // sorted by id
}

// ownerLocked finds a customer or a location, stored or generated.
func (s *Server) ownerLocked(kind ownerKind, id int64) (contactOwner, bool) {
	if kind == locationOwned {
		rec, loc, ok := s.locationLocked(id)
		if !ok {
			return contactOwner{}, false
		}
		return contactOwner{kind: kind, id: id, customer: rec, contacts: &loc.contacts}, true
	}
	rec, ok := s.recordLocked(id)
	if !ok {
		return contactOwner{}, false
	}
	return contactOwner{kind: kind, id: id, customer: rec, contacts: &rec.contacts}, true
}

// locationID is the owner's id if it is a location, else 0.
func (o contactOwner) locationID() int64 {
	if o.kind == locationOwned {
		return o.id
	}
	return 0
}

// duplicate is the 409 problem for a contact of type t and value v when
// another of the owner's contacts than contactID already holds the value.
func (o contactOwner) duplicate(contactID int64, t client.ContactType, v string) (problemBody, bool) {
	for _, other := range *o.contacts {
		if other.ID != contactID && sameValue(t, v, other.Type, other.Value) {
			title := TitleDuplicate
			if o.kind == locationOwned {
				title = TitleLocationDuplicate
			}
			p := newProblem(http.StatusConflict, title, map[string][]string{KeyValue: {title}})
			p.Data["existingContactId"] = other.ID
			return p, true
		}
	}
	return problemBody{}, false
}

// contactLists yields the customer's own contacts, or the contacts of each
// of its locations.
func (rec *customerRecord) contactLists(kind ownerKind) iter.Seq[[]client.Contact] {
	return func(yield func([]client.Contact) bool) {
		if kind == customerOwned {
			yield(rec.contacts)
			return
		}
		for _, loc := range rec.locations {
			if !yield(loc.contacts) {
				return
			}
		}
	}
}

// kind is whose contact the tombstone was.
func (t tombstone) kind() ownerKind {
	if t.locationID != 0 {
		return locationOwned
	}
	return customerOwned
}

func (s *Server) ownedContacts(kind ownerKind, ownerID int64) []client.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(kind, ownerID)
	if !ok {
		return nil
	}
	out := make([]client.Contact, len(*o.contacts))
	for i, c := range *o.contacts {
		out[i] = cloneContact(c)
	}
	return out
}

func (s *Server) ownedContact(kind ownerKind, ownerID, contactID int64) (client.Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(kind, ownerID)
	if !ok {
		return client.Contact{}, false
	}
	if i := contactIndex(*o.contacts, contactID); i >= 0 {
		return cloneContact((*o.contacts)[i]), true
	}
	return client.Contact{}, false
}

func (s *Server) setContact(kind ownerKind, ownerID int64, c client.Contact) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerLocked(kind, ownerID)
	if !ok {
		return false
	}
	c = cloneContact(c)
	s.changedLocked(o.customer, c.ID)
	if i := contactIndex(*o.contacts, c.ID); i >= 0 {
		(*o.contacts)[i] = c
		return true
	}
	*o.contacts = append(*o.contacts, c)
	slices.SortFunc(*o.contacts, func(a, b client.Contact) int { return cmpInt64(a.ID, b.ID) })
	return true
}
