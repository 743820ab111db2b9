package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
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

// A cookie the store wrote is remembered as decoding it would give it (JSON's
// types), so the next page reads it without decrypting it.
func TestDecodedSessionsRememberWhatTheyWrite(t *testing.T) {
	store := NewDecodedSessions(NewSessionStore(SessionOptions{Secret: []byte(strings.Repeat("s", 32)), MaxAge: 3600}))
	first := httptest.NewRequest(http.MethodGet, "/", nil)
	s, _ := store.New(first, sessionName)
	s.Values["recent"] = []int64{1, 2} // decodes as []any of float64
	s.Values["flash.ok"] = "Contact updated"
	rec := httptest.NewRecorder()
	if err := s.Save(first, rec); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	remembered, ok := store.decoded.Get(cookie.Value)
	if !ok {
		t.Fatal("the cookie the store wrote is not remembered")
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(cookie)
	decoded, err := store.CookieStore.New(r, sessionName) // decrypted and verified
	if err != nil || decoded.IsNew {
		t.Fatalf("the cookie does not decode: %v", err)
	}
	if !reflect.DeepEqual(remembered, decoded.Values) {
		t.Errorf("remembered %#v, a decode gives %#v", remembered, decoded.Values)
	}

	// Deleting the session (MaxAge < 0) remembers nothing.
	s.Options.MaxAge = -1
	rec = httptest.NewRecorder()
	if err := s.Save(first, rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := store.decoded.Get(rec.Result().Cookies()[0].Value); ok {
		t.Error("a deleted session's cookie was remembered")
	}
}
