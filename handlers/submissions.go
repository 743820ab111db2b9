package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// submissions makes one form instance (identified by the nonce it was
// rendered with) cause at most one PATCH, however often it is posted: a
// double click, a second tab, a resubmit after Back. The first post does the
// work; posts that arrive meanwhile wait for it and show its outcome. A
// failed save releases the nonce so "Try again" makes a fresh attempt; a
// successful one is remembered for submissionTTL.
//
// The registry is in memory: with several instances behind a load balancer,
// use sticky sessions for the guarantee to hold across instances.
type submissions struct {
	mu     sync.Mutex
	byID   map[string]*submission
	ttl    time.Duration
	sweepN int
}

const submissionTTL = 15 * time.Minute

type submission struct {
	done    chan struct{}
	expires time.Time
	// Set before done is closed: saved on success, else the page the
	// first post answered with.
	saved  *savedContact
	notice string
	status int
	page   []byte
	header http.Header
}

func newSubmissions() *submissions {
	return &submissions{byID: map[string]*submission{}, ttl: submissionTTL}
}

// submissionKey names one form instance: its nonce, for the session it
// was rendered in (the session's CSRF token, which a change of person
// replaces) and the contact it is about. The same nonce from another
// session or for another contact is another form, never a replay of this
// one's outcome.
func submissionKey(c echo.Context, nonce string, customerID, contactID int64) string {
	token, _ := c.Get(csrfContextKey).(string)
	who, _ := actor(c)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s", token, who.Email, customerID, contactID, nonce)
	return hex.EncodeToString(h.Sum(nil))
}

// newNonce returns a fresh form instance id.
func newNonce() string { return rand.Text() }

// claim registers a post of the form instance nonce. first is true for the
// post that must do the work (and then call finish).
func (r *submissions) claim(nonce string) (s *submission, first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.sweepN++; r.sweepN%256 == 0 {
		for id, old := range r.byID {
			if !old.expires.IsZero() && now.After(old.expires) {
				delete(r.byID, id)
			}
		}
	}
	if s, ok := r.byID[nonce]; ok && (s.expires.IsZero() || now.Before(s.expires)) {
		return s, false
	}
	s = &submission{done: make(chan struct{})}
	r.byID[nonce] = s
	return s, true
}

// finish publishes the outcome to waiting posts. A failed save is
// forgotten so the same form can be submitted again.
func (r *submissions) finish(nonce string, s *submission) {
	r.mu.Lock()
	if s.saved == nil {
		delete(r.byID, nonce)
	} else {
		s.expires = time.Now().Add(r.ttl)
	}
	r.mu.Unlock()
	close(s.done)
}

// recorder copies what a handler writes, so posts that waited for it can
// be answered with the same page.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *recorder) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
