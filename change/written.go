package change

import (
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/ttlcache"
)

// writtenTTL is how long the Service remembers a contact it wrote: long
// enough for the record page that follows a save.
const writtenTTL = 2 * time.Minute

// writtenMax bounds that memory.
const writtenMax = 10000

// writtenKey names a contact this instance wrote.
type writtenKey struct {
	owner   client.Owner
	contact int64
}

// writtenContacts remembers the contacts this instance's changes just
// wrote, as ServiceTitan answered.
type writtenContacts struct {
	cache *ttlcache.Cache[writtenKey, client.Contact]
}

func newWrittenContacts() *writtenContacts {
	return &writtenContacts{cache: ttlcache.New[writtenKey, client.Contact](writtenTTL, writtenMax)}
}

func (w *writtenContacts) put(o client.Owner, ct client.Contact) {
	w.cache.Put(writtenKey{o, ct.ID}, ct)
}

// Written returns the contact as this instance's last change of it wrote
// it, for a couple of minutes after: the record page that follows a save
// shows it without reading ServiceTitan again.
func (s *Service) Written(o client.Owner, contactID int64) (client.Contact, bool) {
	return s.written.cache.Get(writtenKey{o, contactID})
}

func (w *writtenContacts) forget(o client.Owner, contactID int64) {
	w.cache.Delete(writtenKey{o, contactID})
}
