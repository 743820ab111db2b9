package contacts_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A post of a form whose first post is still under way waits for it and
// shows the first post's outcome. When the first post failed, that is its
// failure page with the input kept (it was an empty text/plain 500).
func TestPostWaitingOnAFailedFirstPostGetsItsPage(t *testing.T) {
	up := NewUpstream(t)
	release := up.HoldPatch(func(w http.ResponseWriter, apply func()) {
		WriteJSON(w, 400, `{"title":"One or more validation errors occurred.","status":400,"traceId":"tr-9","errors":{"Memo":["Memo is not allowed."]}}`)
	})
	b := NewBrowser(t, up.App(t, 2*time.Second).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Twice")
	results := postTwice(b, up, form, release)
	for i, p := range results {
		if p.Status != http.StatusUnprocessableEntity || !strings.Contains(Text(p, "#memo-error"), "Memo is not allowed.") {
			t.Errorf("post %d: status %d, memo error %q; want 422 with ServiceTitan's message", i, p.Status, Text(p, "#memo-error"))
		}
		if got := FormValues(p.Doc, "form#contact-form").Get("memo"); got != "Twice" {
			t.Errorf("post %d: memo kept = %q", i, got)
		}
	}
	if up.Patches.Load() != 1 {
		t.Errorf("PATCHes = %d, want 1", up.Patches.Load())
	}
}

// postTwice posts form to contact 7 twice: the second post once the first
// one's PATCH has reached ServiceTitan, where it is held until release is
// closed, a moment after the second post has arrived.
func postTwice(b *Browser, up *Upstream, form url.Values, release chan struct{}) [2]Page {
	var results [2]Page
	var wg sync.WaitGroup
	wg.Go(func() { results[0] = b.Post("/customers/5/contacts/7", form) })
	up.WaitForPatch()
	wg.Go(func() { results[1] = b.Post("/customers/5/contacts/7", form) })
	time.Sleep(50 * time.Millisecond) // the second post is waiting on the first
	close(release)
	wg.Wait()
	return results
}

// panickingCache fails after the write, as a bug would.
type panickingCache struct{}

func (panickingCache) Wrote(context.Context, client.Owner, client.Contact) error {
	panic("bug in a cache")
}

// When the first post of a form ends in a crash (a bug), a post waiting on
// it still gets a page that says what is known: the change may or may not
// be there. Before, it got an empty text/plain 500.
func TestPostWaitingOnACrashedFirstPostGetsAPage(t *testing.T) {
	up := NewUpstream(t)
	release := up.HoldPatch(func(w http.ResponseWriter, apply func()) {
		apply()
		WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Twice"}`)
	})
	b := NewBrowser(t, up.AppWith(t, 2*time.Second, nil, func(c *handlers.Config) { c.Changes = NewChanges(t, *c, panickingCache{}) }).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Twice")
	results := postTwice(b, up, form, release)
	if results[0].Status != http.StatusInternalServerError {
		t.Errorf("the crashed post: status %d, want 500", results[0].Status)
	}
	waiting := results[1]
	if waiting.Status != http.StatusGatewayTimeout || !strings.Contains(Text(waiting, "[data-alert]"), "could not confirm") ||
		FormValues(waiting.Doc, "form#contact-form").Get("memo") != "Twice" {
		t.Errorf("the waiting post: status %d, alert %q; want 504 saying it could not confirm, input kept", waiting.Status, Text(waiting, "[data-alert]"))
	}
	// It links the contact, to be checked in a new tab (#29, item 7).
	if href, target := Attr(waiting, "[data-alert] a[data-check-contact]", "href"), Attr(waiting, "[data-alert] a[data-check-contact]", "target"); href != "/customers/5/contacts/7" || target != "_blank" {
		t.Errorf("the waiting post's alert links %q (target %q), want the contact in a new tab", href, target)
	}
	if up.Patches.Load() != 1 {
		t.Errorf("PATCHes = %d, want 1", up.Patches.Load())
	}
}

// TestCancelledFirstPostStillSaves: the browser gives up on the first post
// (a reload during a slow save) and posts again; the save completes once
// and the second post shows it.
func TestCancelledFirstPostStillSaves(t *testing.T) {
	up := NewUpstream(t)
	release := up.HoldPatch(func(w http.ResponseWriter, apply func()) {
		apply()
		WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Slow","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	})
	srv := up.AppWith(t, 2*time.Second, nil, func(c *handlers.Config) { c.RequestTimeout = 5 * time.Second })
	b := NewBrowser(t, srv.URL)
	form := b.OpenForm(7)
	form.Set("memo", "Slow")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/customers/5/contacts/7", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, err := b.HTTP.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	up.WaitForPatch()
	cancel() // the browser gives up on the first post
	wg.Wait()
	second := make(chan Page, 1)
	go func() { second <- b.Post("/customers/5/contacts/7", form) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	p := <-second
	if p.Status != http.StatusSeeOther || up.Patches.Load() != 1 || up.Contact(7).Memo != "Slow" {
		t.Errorf("second post: status %d, PATCHes %d, memo %q", p.Status, up.Patches.Load(), up.Contact(7).Memo)
	}
}
