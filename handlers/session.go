package handlers

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

const sessionName = "contactdesk"

// Session keys. Values are strings so nothing needs gob registration.
const (
	sessCSRF   = "csrf"
	sessRecent = "recent"
	sessSaved  = "saved"
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
	https := a.isHTTPS(c.Request())
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

// saveSession writes the session cookie; call before the response starts.
func (a *App) saveSession(c echo.Context) {
	if err := a.session(c).Save(c.Request(), c.Response()); err != nil {
		a.log.ErrorContext(c.Request().Context(), "session not saved", "error", err)
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
	return t
}

// addFlash queues a one-time message for the next page.
func (a *App) addFlash(c echo.Context, key, msg string) {
	a.session(c).AddFlash(msg, key)
}

// takeFlash returns and clears the queued message.
func (a *App) takeFlash(c echo.Context, key string) string {
	for _, f := range a.session(c).Flashes(key) {
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

const maxRecent = 8

func (a *App) recentCustomers(c echo.Context) []recentCustomer {
	raw, _ := a.session(c).Values[sessRecent].(string)
	var out []recentCustomer
	if raw != "" {
		json.Unmarshal([]byte(raw), &out)
	}
	return out
}

func (a *App) rememberCustomer(c echo.Context, id int64, name string) {
	recent := slices.DeleteFunc(a.recentCustomers(c), func(r recentCustomer) bool { return r.ID == id })
	recent = append([]recentCustomer{{ID: id, Name: name}}, recent...)
	if len(recent) > maxRecent {
		recent = recent[:maxRecent]
	}
	b, _ := json.Marshal(recent)
	a.session(c).Values[sessRecent] = string(b)
}
