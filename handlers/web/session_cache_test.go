package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A remembered cookie gives each request its own copy of the values; a
// cookie that does not decode is never remembered.
func TestDecodedSessions(t *testing.T) {
	store := NewDecodedSessions(NewSessionStore(SessionOptions{Secret: []byte(strings.Repeat("s", 32)), MaxAge: 3600}))
	first := httptest.NewRequest(http.MethodGet, "/", nil)
	s, _ := store.New(first, sessionName)
	s.Values["recent"] = []any{1.0, 2.0}
	s.Values["csrf"] = "token"
	rec := httptest.NewRecorder()
	if err := store.Save(first, rec, s); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]

	read := func(c *http.Cookie) map[any]any {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(c)
		s, err := store.New(r, sessionName)
		if err != nil || s.IsNew {
			t.Fatalf("the cookie did not decode: %v", err)
		}
		return s.Values
	}
	v := read(cookie) // decoded, remembered
	v["recent"].([]any)[0] = 99.0
	v["csrf"] = "changed"
	again := read(cookie) // remembered
	if again["recent"].([]any)[0] != 1.0 || again["csrf"] != "token" {
		t.Errorf("a page's change reached the remembered session: %v", again)
	}

	tampered := *cookie
	tampered.Value = cookie.Value[:len(cookie.Value)-4] + "AAAA"
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&tampered)
	if s, _ := store.New(r, sessionName); !s.IsNew || len(s.Values) != 0 {
		t.Errorf("a tampered cookie gave a session: %v", s.Values)
	}
	if _, ok := store.decoded.Get(tampered.Value); ok {
		t.Error("a cookie that did not decode was remembered")
	}
}
