package web

import (
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/contactdesk/contactdesk/ttlcache"
)

// decodedSessions is the cookie store with the cookies it decoded
// remembered for a minute: the same cookie comes back with every page, and
// decrypting, verifying and decoding it was a third of the app's own work
// per page. Only cookies that decoded, or that it encoded itself, are kept,
// keyed by their exact value (which nobody can forge without the keys), so
// a client sending junk grows nothing; an entry outlives its cookie's MaxAge
// by a minute at most.
type decodedSessions struct {
	*sessions.CookieStore
	decoded *ttlcache.Cache[string, map[any]any]
}

// decodedTTL is how long a decoded cookie is remembered.
const decodedTTL = time.Minute

func NewDecodedSessions(store *sessions.CookieStore) *decodedSessions {
	return &decodedSessions{CookieStore: store, decoded: ttlcache.New[string, map[any]any](decodedTTL, CacheMax)}
}

// Get implements sessions.Store: once per request, through the registry.
func (s *decodedSessions) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New implements sessions.Store.
func (s *decodedSessions) New(r *http.Request, name string) (*sessions.Session, error) {
	cookie, cerr := r.Cookie(name)
	if cerr == nil {
		if values, ok := s.decoded.Get(cookie.Value); ok {
			session := sessions.NewSession(s, name)
			opts := *s.Options
			session.Options, session.IsNew, session.Values = &opts, false, copyValues(values)
			return session, nil
		}
	}
	// As CookieStore.New, but the session is this store's, so that its
	// Save comes here.
	session := sessions.NewSession(s, name)
	opts := *s.Options
	session.Options, session.IsNew = &opts, true
	if cerr != nil {
		return session, nil
	}
	err := securecookie.DecodeMulti(name, cookie.Value, &session.Values, s.Codecs...)
	if err != nil {
		return session, err
	}
	session.IsNew = false
	s.decoded.Put(cookie.Value, copyValues(session.Values))
	return session, nil
}

// Save implements sessions.Store: it writes the cookie as CookieStore does
// and remembers the new cookie's values as decoding it would give them, so
// the page the browser asks for next (the record page after a save's 303,
// which takes its flash) need not decrypt and verify it.
func (s *decodedSessions) Save(_ *http.Request, w http.ResponseWriter, session *sessions.Session) error {
	encoded, err := securecookie.EncodeMulti(session.Name(), session.Values, s.Codecs...)
	if err != nil {
		return err
	}
	http.SetCookie(w, sessions.NewCookie(session.Name(), encoded, session.Options))
	if session.Options.MaxAge < 0 {
		return nil // the cookie is deleted
	}
	// Through the serializer and back: what a decode yields (JSON's types,
	// a map of its own), not the values as the page set them.
	var values map[any]any
	serializer := sessionSerializer{}
	if raw, err := serializer.Serialize(session.Values); err == nil && serializer.Deserialize(raw, &values) == nil {
		s.decoded.Put(encoded, values)
	}
	return nil
}

// copyValues copies session values deeply enough that a page changing its
// session (a slice of recent customers, a map) never changes the
// remembered one: they are what JSON decodes to.
func copyValues(src map[any]any) map[any]any {
	dst := make(map[any]any, len(src))
	for k, v := range src {
		dst[k] = copyJSON(v)
	}
	return dst
}

func copyJSON(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = copyJSON(e)
		}
		return out
	}
	return v
}
