package web

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

const sessionName = "contactdesk"

// Session keys. The session carries ids and flashes only: names and
// records come from ServiceTitan (or a short cache of its answers), never
// from a copy in the cookie that goes stale.
const (
	sessCSRF    = "csrf"
	sessRecent  = "recent"  // ids of the customers opened recently, newest first: "12,7"
	sessWritten = "written" // the contact just saved: "customerID/contactID"
	sessRemoval = "removal" // the audit id of the removal just made, for the Undo button (shown once)
	sessHygiene = "hygiene" // the hygiene report's page last read and its contacts: "/hygiene?…|7,9"
	// sessUndoable is the audit id of the removal this session made last:
	// the only one its quick Undo may bring back (Restore does the others).
	sessUndoable = "undoable"
	sessWho      = "who"
	FlashOK      = "flash"
	FlashNote    = "notice"
	FlashOptOut  = "optout" // a texting opt-out not carried over (data-warning="texting-opt-out")
)

// SessionOptions configure the session cookie.
type SessionOptions struct {
	// Secret and Previous derive the cookie keys; Previous keeps cookies
	// made with the old secret readable during a rotation.
	Secret   []byte
	Previous []byte
	// Secure marks the cookie Secure (HTTPS only).
	Secure bool
	// MaxAge in seconds; the cookie and the signature both expire.
	MaxAge int
}

// NewSessionStore returns a gorilla/sessions cookie store whose cookies are
// signed and encrypted with keys derived from the secrets.
func NewSessionStore(o SessionOptions) *sessions.CookieStore {
	keys := deriveKeys(o.Secret)
	if len(o.Previous) > 0 {
		keys = append(keys, deriveKeys(o.Previous)...)
	}
	store := sessions.NewCookieStore(keys...)
	for _, codec := range store.Codecs {
		if sc, ok := codec.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(sessionSerializer{})
		}
	}
	store.Options = &sessions.Options{
		Path:     "/",
		HttpOnly: true,
		Secure:   o.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	// MaxAge after Options: it sets both the cookie's lifetime and the
	// codecs' signature lifetime (otherwise 30-day-old cookies still decode).
	store.MaxAge(o.MaxAge)
	return store
}

// sessionSerializer stores the session's values with securecookie's JSON
// encoder. gorilla/sessions keeps values in a map[interface{}]interface{},
// which encoding/json cannot encode, so the keys (always strings here) are
// carried over to a map[string]any and back. Values are strings, or flash
// lists of strings.
type sessionSerializer struct{}

func (sessionSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session: cannot serialize %T", src)
	}
	m := make(map[string]any, len(values))
	for k, v := range values {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("session: key %v is a %T, not a string", k, k)
		}
		m[key] = v
	}
	return securecookie.JSONEncoder{}.Serialize(m)
}

func (sessionSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session: cannot deserialize into %T", dst)
	}
	var m map[string]any
	if err := (securecookie.JSONEncoder{}).Deserialize(src, &m); err != nil {
		return err
	}
	if *values == nil {
		*values = make(map[any]any, len(m))
	}
	for k, v := range m {
		(*values)[k] = v
	}
	return nil
}

// deriveKeys turns one secret into a 32-byte signing key and a 32-byte
// encryption key with HKDF, so the two are independent.
func deriveKeys(secret []byte) [][]byte {
	key, err := hkdf.Key(sha256.New, secret, nil, "contactdesk session v1", 64)
	if err != nil {
		panic(err) // only for lengths sha256 cannot produce
	}
	return [][]byte{key[:32], key[32:]}
}

// session returns this request's session. A cookie that cannot be decoded
// (tampered, old keys, expired) silently starts a fresh session. Over HTTPS
// the cookie is Secure and named with the __Host- prefix, which browsers
// only accept from a secure origin, for the whole host.
func (a *Web) session(c echo.Context) *sessions.Session {
	name := sessionName
	https := a.SecureCookies || a.isHTTPS(c.Request())
	if https {
		name = "__Host-" + sessionName
	}
	// On a decode error the store hands back a new, empty session, and the
	// registry keeps returning that same one for the rest of the request.
	s, _ := sessions.GetRegistry(c.Request()).Get(a.Sessions, name)
	if https && !s.Options.Secure {
		opts := *s.Options
		opts.Secure, opts.Domain, opts.Path = true, "", "/"
		s.Options = &opts
	}
	return s
}

const sessionDirtyKey = "session.dirty"

// changedSession notes that the session must be written back. Most page
// views change nothing, and encrypting and signing the cookie again costs
// as much as a tenth of a page.
func changedSession(c echo.Context) { c.Set(sessionDirtyKey, true) }

// saveSession writes the session cookie if it changed; call before the
// response starts.
func (a *Web) saveSession(c echo.Context) {
	if dirty, _ := c.Get(sessionDirtyKey).(bool); !dirty {
		return
	}
	s := a.session(c)
	if err := s.Save(c.Request(), c.Response()); err != nil {
		// Most likely too large for a cookie: drop what can be found
		// again (recent customers) and try once more, so the old cookie's
		// content is never what the next page shows.
		delete(s.Values, sessRecent)
		if err2 := s.Save(c.Request(), c.Response()); err2 != nil {
			a.Log.ErrorContext(c.Request().Context(), "session not saved", "error", err2)
		} else {
			a.Log.WarnContext(c.Request().Context(), "session trimmed to fit its cookie", "error", err)
		}
	}
}

// CSRFToken returns the session's CSRF token, creating it if needed.
func (a *Web) CSRFToken(c echo.Context) string {
	s := a.session(c)
	if t, ok := s.Values[sessCSRF].(string); ok && t != "" {
		return t
	}
	b := make([]byte, 32)
	rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
	s.Values[sessCSRF] = t
	changedSession(c)
	return t
}

// AddFlash queues a one-time message for the next page.
func (a *Web) AddFlash(c echo.Context, key, msg string) {
	a.session(c).AddFlash(msg, key)
	changedSession(c)
}

// takeFlash returns and clears the queued message.
func (a *Web) takeFlash(c echo.Context, key string) string {
	flashes := a.session(c).Flashes(key)
	if len(flashes) > 0 {
		changedSession(c)
	}
	for _, f := range flashes {
		if s, ok := f.(string); ok {
			return s
		}
	}
	return ""
}

// maxRecent keeps the list of recently opened customers short.
const maxRecent = 6

// RecentCustomers are the ids of the customers this person opened, newest
// first.
func (a *Web) RecentCustomers(c echo.Context) []int64 {
	raw, _ := a.session(c).Values[sessRecent].(string)
	var out []int64
	for _, part := range strings.Split(raw, ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func (a *Web) RememberCustomer(c echo.Context, id int64) {
	recent := a.RecentCustomers(c)
	if len(recent) > 0 && recent[0] == id {
		return // already first: nothing to write
	}
	recent = slices.DeleteFunc(recent, func(r int64) bool { return r == id })
	recent = append([]int64{id}, recent...)
	if len(recent) > maxRecent {
		recent = recent[:maxRecent]
	}
	ids := make([]string, len(recent))
	for i, r := range recent {
		ids[i] = strconv.FormatInt(r, 10)
	}
	a.session(c).Values[sessRecent] = strings.Join(ids, ",")
	changedSession(c)
}

// KeepWritten notes, for the next page, which contact was just saved: the
// record page then shows it as ServiceTitan answered the save.
func (a *Web) KeepWritten(c echo.Context, ow Owner, contactID int64) {
	a.session(c).Values[sessWritten] = writtenKey(ow, contactID)
	changedSession(c)
}

// KeepRemoval notes, for the customer page, the removal just made: it
// offers to undo it, and the Undo takes no other.
func (a *Web) KeepRemoval(c echo.Context, auditID int64) {
	id := strconv.FormatInt(auditID, 10)
	a.session(c).Values[sessRemoval] = id
	a.session(c).Values[sessUndoable] = id
	changedSession(c)
}

// Undoable is the removal this session made last (0: none): the one its
// Undo may bring back. It stays until the next removal, so a repeated post
// of the Undo form gets its first outcome.
func (a *Web) Undoable(c echo.Context) int64 {
	raw, _ := a.session(c).Values[sessUndoable].(string)
	id, _ := strconv.ParseInt(raw, 10, 64)
	return id
}

// TakeRemoval returns the removal just made, if any, and forgets it.
func (a *Web) TakeRemoval(c echo.Context) (int64, bool) {
	sess := a.session(c)
	raw, _ := sess.Values[sessRemoval].(string)
	if raw == "" {
		return 0, false
	}
	delete(sess.Values, sessRemoval)
	changedSession(c)
	id, err := strconv.ParseInt(raw, 10, 64)
	return id, err == nil && id > 0
}

// TakeWritten reports whether the contact is the one just saved, and
// forgets it.
func (a *Web) TakeWritten(c echo.Context, ow Owner, contactID int64) bool {
	sess := a.session(c)
	key, _ := sess.Values[sessWritten].(string)
	if key == "" {
		return false
	}
	delete(sess.Values, sessWritten)
	changedSession(c)
	return key == writtenKey(ow, contactID)
}

// bindToIdentity starts a fresh session when a different person signs in
// on the same browser (a shared office PC), so nothing of the previous
// person's session carries over.
func (a *Web) bindToIdentity(c echo.Context, email string) {
	s := a.session(c)
	if who, _ := s.Values[sessWho].(string); who != email {
		for k := range s.Values {
			delete(s.Values, k)
		}
		s.Values[sessWho] = email
		changedSession(c)
	}
}

// RememberHygienePlace keeps the hygiene report's page just read and the
// contacts it lists: one of them fixed, the page it is on links back
// ("Fixed — next"). A page of a hundred contacts' ids at most.
func (a *Web) RememberHygienePlace(c echo.Context, place string, contacts []int64) {
	if !strings.HasPrefix(place, "/hygiene") || len(place) > 600 {
		return
	}
	ids := make([]string, 0, min(len(contacts), 100))
	for _, id := range contacts[:min(len(contacts), 100)] {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	value := place + "|" + strings.Join(ids, ",")
	if old, _ := a.session(c).Values[sessHygiene].(string); old == value {
		return
	}
	a.session(c).Values[sessHygiene] = value
	changedSession(c)
}

// HygieneNext is the hygiene report's page a contact was listed on when
// this person last read it, to go back to once it is fixed; "" when it
// was not on it.
func (a *Web) HygieneNext(c echo.Context, contactID int64) string {
	raw, _ := a.session(c).Values[sessHygiene].(string)
	place, ids, ok := strings.Cut(raw, "|")
	if !ok || !strings.HasPrefix(place, "/hygiene") {
		return ""
	}
	want := strconv.FormatInt(contactID, 10)
	for id := range strings.SplitSeq(ids, ",") {
		if id == want {
			return place
		}
	}
	return ""
}
