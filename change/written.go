package change

import (
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// writtenTTL is how long the Service remembers a contact it wrote: long
// enough for the record page that follows a save.
const writtenTTL = 2 * time.Minute

// writtenMax bounds that memory; when full it starts over.
const writtenMax = 10000

// writtenContacts remembers the contacts this instance's changes just
// wrote, as ServiceTitan answered.
type writtenContacts struct {
	mu sync.Mutex
	m  map[[2]int64]writtenContact
}

type writtenContact struct {
	ct      client.Contact
	expires time.Time
}

func newWrittenContacts() *writtenContacts {
	return &writtenContacts{m: map[[2]int64]writtenContact{}}
}

func (w *writtenContacts) put(customerID int64, ct client.Contact) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.m) >= writtenMax {
		clear(w.m)
	}
	w.m[[2]int64{customerID, ct.ID}] = writtenContact{ct: ct, expires: time.Now().Add(writtenTTL)}
}

// Written returns the contact as this instance's last change of it wrote
// it, for a couple of minutes after: the record page that follows a save
// shows it without reading ServiceTitan again.
func (s *Service) Written(customerID, contactID int64) (client.Contact, bool) {
	s.written.mu.Lock()
	defer s.written.mu.Unlock()
	w, ok := s.written.m[[2]int64{customerID, contactID}]
	if !ok || time.Now().After(w.expires) {
		return client.Contact{}, false
	}
	return w.ct, true
}

func (w *writtenContacts) forget(customerID, contactID int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, [2]int64{customerID, contactID})
}
