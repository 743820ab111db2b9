package sandbox

import (
	"io"
	"net/http"

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
	return &client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: false, InvoiceStatementNotification: true}
}

func (s *Server) handleCreateContact(w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id")
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeValidation(w, map[string][]string{KeyMalformedBody: {"The request body could not be read."}})
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
	rec, ok := s.customerLocked(w, ids[0])
	if !ok {
		return
	}
	for _, other := range rec.contacts {
		if sameValue(req.typ, req.value, other.Type, other.Value) {
			p := newProblem(http.StatusConflict, TitleDuplicate, map[string][]string{KeyValue: {TitleDuplicate}})
			p.Data["existingContactId"] = other.ID
			writeJSON(w, http.StatusConflict, p)
			return
		}
	}
	c := client.Contact{ID: s.newContactIDLocked(), Type: req.typ, Value: req.value, Memo: req.memo, CreatedOn: now, ModifiedOn: now,
		Preferences: newContactPreferences()}
	if req.prefs != nil {
		c.Preferences = applyPreferences(nil, req.prefs)
	}
	if req.typ.IsPhoneNumber() {
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: req.value}
	}
	s.changedLocked(rec, c.ID)
	rec.contacts = append(rec.contacts, c)
	writeJSON(w, http.StatusOK, toContactBody(c))
}

// newContactIDLocked is an id no contact has had: one more than the
// highest ever given.
func (s *Server) newContactIDLocked() int64 {
	if s.lastContactID == 0 {
		s.lastContactID = s.gen.lastContactID()
		for _, rec := range s.customers {
			for _, c := range rec.contacts {
				s.lastContactID = max(s.lastContactID, c.ID)
			}
		}
		for id := range s.tombstones {
			s.lastContactID = max(s.lastContactID, id)
		}
	}
	s.lastContactID++
	return s.lastContactID
}

func (s *Server) handleDeleteContact(w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id", "contactId")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.customerLocked(w, ids[0])
	if !ok {
		return
	}
	i := rec.contactIndex(ids[1])
	if i < 0 {
		writeJSON(w, http.StatusNotFound, newProblem(http.StatusNotFound, TitleContactNotFound, nil))
		return
	}
	gone := rec.contacts[i]
	gone.ModifiedOn = modifiedAfter(s.now(), gone.ModifiedOn)
	at := s.changedLocked(rec, gone.ID)
	// The contacts feed shows it from now on as a tombstone.
	s.tombstones[gone.ID] = tombstone{customerID: rec.customer.ID, contact: gone, at: at}
	delete(s.changedAt, gone.ID)
	rec.contacts = append(rec.contacts[:i], rec.contacts[i+1:]...)
	w.WriteHeader(http.StatusOK) // ServiceTitan answers 200 with no body
}

// customerLocked is the customer id (stored or generated), or a 404
// written to w.
func (s *Server) customerLocked(w http.ResponseWriter, id int64) (*customerRecord, bool) {
	rec, ok := s.recordLocked(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, newProblem(http.StatusNotFound, TitleCustomerNotFound, nil))
	}
	return rec, ok
}
