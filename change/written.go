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
	m  map[writtenKey]writtenContact
}

type writtenKey struct {
	owner   client.Owner
	contact int64
}

type writtenContact struct {
	ct      client.Contact
	expires time.Time
}

func newWrittenContacts() *writtenContacts {
	return &writtenContacts{m: map[writtenKey]writtenContact{}}
}

func (w *writtenContacts) put(o client.Owner, ct client.Contact) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.m) >= writtenMax {
		clear(w.m)
	}
	w.m[writtenKey{o, ct.ID}] = writtenContact{ct: ct, expires: time.Now().Add(writtenTTL)}
}

// Written returns the contact as this instance's last change of it wrote
// it, for a couple of minutes after: the record page that follows a save
// shows it without reading ServiceTitan again.
func (s *Service) Written(o client.Owner, contactID int64) (client.Contact, bool) {
	s.written.mu.Lock()
	defer s.written.mu.Unlock()
	w, ok := s.written.m[writtenKey{o, contactID}]
	if !ok || time.Now().After(w.expires) {
		return client.Contact{}, false
	}
	return w.ct, true
}

func (w *writtenContacts) forget(o client.Owner, contactID int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, writtenKey{o, contactID})
}
