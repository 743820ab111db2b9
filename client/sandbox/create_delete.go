package sandbox

import (
	"net/http"
	"slices"

	"github.com/contactdesk/contactdesk/client"
)

// createRequest is a decoded Customers_CreateContact body.
type createRequest struct {
	typ   client.ContactType
	value string
	memo  string
	prefs *prefsRequest
}

// decodeCreate reads a create body as ServiceTitan's model binding does:
// type and value are required; memo and preferences are optional (the
// published spec predates preferences; when sent, its three flags are
// required, as on a PATCH).
func decodeCreate(body []byte) (createRequest, map[string][]string) {
	// The body reads as a PATCH's does; a create then requires type and value.
	patch, errs := decodePatch(body)
	var req createRequest
	if len(errs[KeyBody]) > 0 || len(errs[KeyMalformedBody]) > 0 {
		return req, errs
	}
	if patch.typ != nil {
		req.typ = *patch.typ
	} else if len(errs[KeyType]) == 0 {
		addErr(errs, KeyType, "The Type field is required.")
	}
	if patch.value != nil {
		req.value = *patch.value
	} else if len(errs[KeyValue]) == 0 {
		addErr(errs, KeyValue, "The Value field is required.")
	}
	if patch.memo != nil {
		req.memo = *patch.memo
	}
	req.prefs = patch.prefs
	if patch.typ != nil && patch.value != nil && len(errs[KeyValue]) == 0 {
		if msg := validateValue(req.typ, req.value); msg != "" {
			addErr(errs, KeyValue, msg)
		}
	}
	return req, errs
}

// newContactPreferences are a new contact's flags when the create sends
// none: as ServiceTitan's UI sets them.
func newContactPreferences() *client.Preferences {
	return new(client.NewContactPreferences())
}

// handleCreateContact answers Customers_CreateContact or
// Locations_CreateContact.
func (s *Server) handleCreateContact(kind ownerKind, w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id")
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, errs := decodeCreate(body)
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	now := s.now()

	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerOrNotFoundLocked(w, kind, ids[0])
	if !ok {
		return
	}
	if p, dup := o.duplicate(0, req.typ, req.value); dup {
		writeJSON(w, http.StatusConflict, p)
		return
	}
	c := client.Contact{ID: s.newContactIDLocked(kind), Type: req.typ, Value: req.value, Memo: req.memo, CreatedOn: now, ModifiedOn: now,
		Preferences: newContactPreferences()}
	if req.prefs != nil {
		c.Preferences = applyPreferences(nil, req.prefs)
	}
	if req.typ.IsPhoneNumber() {
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: req.value}
	}
	s.changedLocked(o.customer, c.ID)
	*o.contacts = append(*o.contacts, c)
	writeJSON(w, http.StatusOK, toContactBody(c))
}

// newContactIDLocked is an id no contact of the kind has had: one more
// than the highest ever given. Customer contacts and location contacts
// have ids in ranges of their own.
func (s *Server) newContactIDLocked(kind ownerKind) int64 {
	last, generated := &s.lastContactID, s.gen.lastContactID
	if kind == locationOwned {
		last, generated = &s.lastLocationContactID, s.gen.lastLocationContactID
	}
	if *last == 0 {
		*last = generated()
		for _, rec := range s.customers {
			for contacts := range rec.contactLists(kind) {
				for _, c := range contacts {
					*last = max(*last, c.ID)
				}
			}
		}
		for id, t := range s.tombstones {
			if t.kind() == kind {
				*last = max(*last, id)
			}
		}
	}
	*last++
	return *last
}

// handleDeleteContact answers Customers_DeleteContact or
// Locations_DeleteContact.
func (s *Server) handleDeleteContact(kind ownerKind, w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id", "contactId")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.ownerOrNotFoundLocked(w, kind, ids[0])
	if !ok {
		return
	}
	i := contactIndex(*o.contacts, ids[1])
	if i < 0 {
		writeJSON(w, http.StatusNotFound, newProblem(http.StatusNotFound, TitleContactNotFound, nil))
		return
	}
	s.removeLocked(o, i)
	w.WriteHeader(http.StatusOK) // ServiceTitan answers 200 with no body
}

// removeLocked removes the owner's i-th contact: its contacts feed shows
// it from now on as a tombstone, dated when it was removed.
func (s *Server) removeLocked(o contactOwner, i int) {
	gone := (*o.contacts)[i]
	gone.ModifiedOn = modifiedAfter(s.now(), gone.ModifiedOn)
	at := s.changedLocked(o.customer, gone.ID)
	s.tombstones[gone.ID] = tombstone{customerID: o.customer.customer.ID, locationID: o.locationID(), contact: gone, at: at}
	delete(s.changedAt, gone.ID)
	*o.contacts = slices.Delete(*o.contacts, i, i+1)
}

// ownerOrNotFoundLocked is the customer or location id (stored or
// generated), or a 404 written to w.
func (s *Server) ownerOrNotFoundLocked(w http.ResponseWriter, kind ownerKind, id int64) (contactOwner, bool) {
	o, ok := s.ownerLocked(kind, id)
	if !ok {
		writeJSON(w, http.StatusNotFound, newProblem(http.StatusNotFound, kind.notFound(), nil))
	}
	return o, ok
}
