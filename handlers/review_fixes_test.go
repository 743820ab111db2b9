package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
)

func TestExpiredSessionKeepsTheInput(t *testing.T) {
	up := newUpstream(t)
	srv := up.app(t, time.Second)
	b := newBrowser(t, srv.URL)
	form := b.openForm(7)
	form.Set("memo", "Typed before lunch")
	fresh := newBrowser(t, srv.URL) // a browser whose session is gone
	p := fresh.post("/customers/5/contacts/7", form)
	if p.status != http.StatusForbidden || up.patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 403, 0", p.status, up.patches.Load())
	}
	kept := formValues(p.doc, "form#contact-form")
	if kept.Get("memo") != "Typed before lunch" || kept.Get("_csrf") == form.Get("_csrf") {
		t.Errorf("input or fresh token missing: %v", kept)
	}
	if p = fresh.post("/customers/5/contacts/7", kept); p.status != http.StatusSeeOther {
		t.Errorf("saving again: %d", p.status)
	}
}

func TestSessionBelongsToOnePerson(t *testing.T) {
	up := newUpstream(t)
	srv := up.appWith(t, time.Second, nil, behindProxy("127.0.0.1/32", identity.Policy{}))
	b := newBrowser(t, srv.URL)
	getAs(t, b, "/customers/5", map[string]string{"X-Forwarded-Email": "kelly@acme.example"})
	if p := getAs(t, b, "/", map[string]string{"X-Forwarded-Email": "kelly@acme.example"}); p.doc.Find("a[href='/customers/5']").Length() == 0 {
		t.Fatal("kelly's recent customer missing")
	}
	if p := getAs(t, b, "/", map[string]string{"X-Forwarded-Email": "sam@acme.example"}); p.doc.Find("a[href='/customers/5']").Length() != 0 {
		t.Error("sam sees kelly's recently opened customers")
	}
}

func TestRequestIDFromClientsIsNotTrusted(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	p := getAs(t, b, "/", map[string]string{"X-Request-Id": "forged <id>"})
	if got := p.header.Get("X-Request-Id"); got == "forged <id>" || got == "" {
		t.Errorf("X-Request-Id = %q", got)
	}
}

func TestChunkedOversizedFormIs413(t *testing.T) {
	up := newUpstream(t)
	srv := up.app(t, time.Second)
	b := newBrowser(t, srv.URL)
	form := b.openForm(7)
	form.Set("memo", strings.Repeat("x", 2<<20))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/customers/5/contacts/7", struct{ *strings.Reader }{strings.NewReader(form.Encode())})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if req.ContentLength > 0 {
		t.Fatal("want a chunked body")
	}
	if p := b.do(req); p.status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", p.status)
	}
}

func TestStoredValueOurRulesRejectDoesNotBlockOtherEdits(t *testing.T) {
	up := newUpstream(t)
	up.edit(9, func(c *client.Contact) { c.Value = "5555555555" }) // stored by someone else; not a valid number
	b := newBrowser(t, up.app(t, time.Second).URL)
	form := b.openForm(9)
	form.Set("memo", "Back door")
	if p := b.post("/customers/5/contacts/9", form); p.status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", p.status, text(p, "main"))
	}
	if got := up.lastPatch(); got != `{"memo":"Back door"}` {
		t.Errorf("PATCH = %s", got)
	}
}

func TestAuditDatesOutOfRange(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(openAudit(t))).URL)
	if p := b.get("/audit?to=9999-12-31"); !strings.Contains(text(p, "[data-problem]"), "Dates must look like") {
		t.Errorf("problem = %q", text(p, "[data-problem]"))
	}
}

// TestCancelledFirstPostStillSaves: the browser gives up on the first post
// (a reload during a slow save) and posts again; the save completes once
// and the second post shows it.
func TestCancelledFirstPostStillSaves(t *testing.T) {
	up := newUpstream(t)
	release := make(chan struct{})
	up.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		<-release
		apply()
		writeJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Slow","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
	}
	srv := up.appWith(t, 2*time.Second, nil, func(c *handlers.Config) { c.RequestTimeout = 5 * time.Second })
	b := newBrowser(t, srv.URL)
	form := b.openForm(7)
	form.Set("memo", "Slow")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/customers/5/contacts/7", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, err := b.c.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	for up.patches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel() // the browser gives up on the first post
	wg.Wait()
	second := make(chan page, 1)
	go func() { second <- b.post("/customers/5/contacts/7", form) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	p := <-second
	if p.status != http.StatusSeeOther || up.patches.Load() != 1 || up.contact(7).Memo != "Slow" {
		t.Errorf("second post: status %d, PATCHes %d, memo %q", p.status, up.patches.Load(), up.contact(7).Memo)
	}
}
