package handlers

import (
	"bytes"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

const sessionName = "contactdesk"

// Session keys. Values are strings (or flash lists of strings), which the
// cookie's JSON carries as they are.
const (
	sessCSRF   = "csrf"
	sessRecent = "recent"
	sessSaved  = "saved"
	sessWho    = "who"
	flashOK    = "flash"
	flashNote  = "notice"
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

// sessionSerializer writes the session's values as JSON instead of gob.
// Gob describes its types again in every cookie, and reading them back was
// the largest part of decoding the cookie, which every request does. The
// keys are strings and the values strings or flash lists ([]any of
// strings). A string that is itself compact JSON (the saved record, the
// recent customers) is embedded as it is, as {"j": ...}, rather than
// escaped into a string, so the cookie is no larger than gob's: every
// quote would otherwise cost a backslash. Cookies written as gob (by
// versions before this one) are still read, so a deploy logs nobody out.
type sessionSerializer struct{}

// embeddedJSON carries a string value that is a JSON document.
type embeddedJSON struct {
	J json.RawMessage `json:"j"`
}

// embeddedPrefix starts an embeddedJSON as Serialize writes it.
var embeddedPrefix = []byte(`{"j":`)

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
		if s, ok := v.(string); ok && isCompactJSONDocument(s) {
			v = embeddedJSON{J: json.RawMessage(s)}
		}
		m[key] = v
	}
	b, err := marshalUnescaped(m)
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return b, nil
}

// isCompactJSONDocument reports whether s is a JSON object or array
// written without spaces, so that embedding it and reading it back gives s
// byte for byte.
func isCompactJSONDocument(s string) bool {
	if s == "" || s[0] != '{' && s[0] != '[' {
		return false
	}
	var b bytes.Buffer
	b.Grow(len(s))
	return json.Compact(&b, []byte(s)) == nil && b.String() == s // Compact refuses invalid JSON
}

func (sessionSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session: cannot deserialize into %T", dst)
	}
	if len(src) == 0 || src[0] != '{' {
		// Not JSON, which always starts with '{' here: an older gob cookie.
		return securecookie.GobEncoder{}.Deserialize(src, dst)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(src, &m); err != nil {
		return errors.Join(errors.New("session: cookie is not a JSON object"), err)
	}
	if *values == nil {
		*values = make(map[any]any, len(m))
	}
	for k, raw := range m {
		var err error
		switch {
		case bytes.HasPrefix(raw, embeddedPrefix) && bytes.HasSuffix(raw, []byte("}")):
			// As Serialize wrote it (the cookie is signed, so only it did):
			// the document is what lies between.
			(*values)[k] = string(raw[len(embeddedPrefix) : len(raw)-1])
		case len(raw) > 0 && raw[0] == '"':
			var s string
			err = json.Unmarshal(raw, &s)
			(*values)[k] = s
		default:
			var v any
			err = json.Unmarshal(raw, &v)
			(*values)[k] = v
		}
		if err != nil {
			return fmt.Errorf("session: value %q: %w", k, err)
		}
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
func (a *App) session(c echo.Context) *sessions.Session {
	name := sessionName
	https := a.secureCookies || a.isHTTPS(c.Request())
	if https {
		name = "__Host-" + sessionName
	}
	// On a decode error the store hands back a new, empty session, and the
	// registry keeps returning that same one for the rest of the request.
	s, _ := sessions.GetRegistry(c.Request()).Get(a.sessions, name)
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
func (a *App) saveSession(c echo.Context) {
	if dirty, _ := c.Get(sessionDirtyKey).(bool); !dirty {
		return
	}
	s := a.session(c)
	if err := s.Save(c.Request(), c.Response()); err != nil {
		// Most likely too large for a cookie: drop what can be fetched
		// again (the saved record, recent customers) and try once more,
		// so the old cookie's content is never what the next page shows.
		delete(s.Values, sessSaved)
		delete(s.Values, sessRecent)
		if err2 := s.Save(c.Request(), c.Response()); err2 != nil {
			a.log.ErrorContext(c.Request().Context(), "session not saved", "error", err2)
		} else {
			a.log.WarnContext(c.Request().Context(), "session trimmed to fit its cookie", "error", err)
		}
	}
}

// csrfToken returns the session's CSRF token, creating it if needed.
func (a *App) csrfToken(c echo.Context) string {
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

// addFlash queues a one-time message for the next page.
func (a *App) addFlash(c echo.Context, key, msg string) {
	a.session(c).AddFlash(msg, key)
	changedSession(c)
}

// takeFlash returns and clears the queued message.
func (a *App) takeFlash(c echo.Context, key string) string {
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

// recentCustomer is a customer this person opened, newest first.
type recentCustomer struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// maxRecent and maxRecentName keep the session cookie well under the 4 KB
// browsers accept.
const (
	maxRecent     = 6
	maxRecentName = 60
)

func (a *App) recentCustomers(c echo.Context) []recentCustomer {
	raw, _ := a.session(c).Values[sessRecent].(string)
	var out []recentCustomer
	if raw != "" {
		json.Unmarshal([]byte(raw), &out)
	}
	return out
}

func (a *App) rememberCustomer(c echo.Context, id int64, name string) {
	if r := []rune(name); len(r) > maxRecentName {
		name = string(r[:maxRecentName-1]) + "…"
	}
	recent := a.recentCustomers(c)
	if len(recent) > 0 && recent[0].ID == id && recent[0].Name == name {
		return // already first: nothing to write
	}
	changedSession(c)
	recent = slices.DeleteFunc(recent, func(r recentCustomer) bool { return r.ID == id })
	recent = append([]recentCustomer{{ID: id, Name: name}}, recent...)
	if len(recent) > maxRecent {
		recent = recent[:maxRecent]
	}
	a.session(c).Values[sessRecent] = compactJSON(recent)
}

// recentName is the name of a customer this person opened recently, so a
// page about one of their contacts need not ask ServiceTitan for it again.
func (a *App) recentName(c echo.Context, id int64) (string, bool) {
	for _, r := range a.recentCustomers(c) {
		if r.ID == id && r.Name != "" {
			return r.Name, true
		}
	}
	return "", false
}

// compactJSON encodes a session value (see marshalUnescaped).
func compactJSON(v any) string {
	b, _ := marshalUnescaped(v)
	return string(b)
}

// marshalUnescaped is json.Marshal without escaping <, > and & (6 bytes
// each), which matters in a 4 KB cookie.
func marshalUnescaped(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// bindToIdentity starts a fresh session when a different person signs in
// on the same browser (a shared office PC), so nothing of the previous
// person's session carries over.
func (a *App) bindToIdentity(c echo.Context, email string) {
	s := a.session(c)
	if who, _ := s.Values[sessWho].(string); who != email {
		for k := range s.Values {
			delete(s.Values, k)
		}
		s.Values[sessWho] = email
		changedSession(c)
	}
}
