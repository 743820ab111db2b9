package app

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// TestShutdownFinishesSaveInFlight starts the real app against a slow
// sandbox, stops it (as SIGTERM does) while a save is under way, and checks
// that the save completes and its answer is delivered before run returns.
func TestShutdownFinishesSaveInFlight(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	creds := sandbox.Credentials{TenantID: 1, ClientID: "c", ClientSecret: "s", AppKey: "k"}
	upstream := sandbox.New(sandboxtest.WithCredentials(creds), sandboxtest.WithSeed(sandbox.Record{
		Customer: client.Customer{ID: 5, Name: "Ada", Active: true},
		Contacts: []client.Contact{{ID: 7, Type: client.ContactEmail, Value: "a@example.com", Memo: "old", CreatedOn: at, ModifiedOn: at}},
	}))
	patchStarted := make(chan struct{})
	var once sync.Once
	upstream.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		once.Do(func() { close(patchStarted) })
		time.Sleep(300 * time.Millisecond) // the save is slow; shutdown begins meanwhile
		apply()
	})
	if _, stopUpstream, err := upstream.Start(); err != nil {
		t.Fatal(err)
	} else {
		defer stopUpstream()
	}

	auditDB := t.TempDir() + "/audit.db"
	env := map[string]string{
		"ADDR": "127.0.0.1:0", "ST_ENV": "integration", "ST_API_URL": upstream.APIURL(), "ST_AUTH_URL": upstream.TokenURL(),
		"ST_TENANT_ID": "1", "ST_CLIENT_ID": creds.ClientID, "ST_CLIENT_SECRET": creds.ClientSecret, "ST_APP_KEY": creds.AppKey,
		"SESSION_SECRET": strings.Repeat("x", 32), "LOG_LEVEL": "error", "AUTH_TRUSTED_PROXIES": "127.0.0.1/32", "AUDIT_DB": auditDB, "COOKIE_SECURE": "false",
	}
	ctx, stop := context.WithCancel(context.Background())
	out := &lineBuffer{lines: make(chan string, 4)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envOf(env), out) }()

	var base string
	select {
	case line := <-out.lines:
		base = regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	case err := <-done:
		t.Fatalf("run returned early: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("app did not start")
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get, _ := http.NewRequest(http.MethodGet, base+"/customers/5/contacts/7/edit", nil)
	get.Header.Set("X-Forwarded-Email", "kelly@example.com")
	resp, err := hc.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	doc.Find("form#contact-form input, form#contact-form textarea, form#contact-form select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Attr("value")
		if s.Is("textarea") {
			val = s.Text()
		}
		if s.Is("select") {
			val, _ = s.Find("option[selected]").Attr("value")
		}
		if typ, _ := s.Attr("type"); typ != "checkbox" || s.Is("[checked]") {
			form.Set(name, val)
		}
	})
	form.Set("memo", "new")

	saved := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/customers/5/contacts/7", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-Forwarded-Email", "kelly@example.com")
		resp, err := hc.Do(req)
		if err != nil {
			t.Errorf("save: %v", err)
			saved <- nil
			return
		}
		resp.Body.Close()
		saved <- resp
	}()
	<-patchStarted
	stop() // what SIGTERM does

	resp = <-saved
	if resp == nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save during shutdown: %v", resp)
	}
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still accepting after shutdown")
	}
	// The save was audited, and the entry outlives the process.
	store, _ := openTrail(t, auditDB, "")
	defer store.Close()
	entries, _, err := store.List(context.Background(), audit.Filter{ContactID: 7})
	if err != nil || len(entries) != 1 || entries[0].Outcome != audit.OutcomeSaved || entries[0].ActorEmail != "kelly@example.com" {
		t.Errorf("audit entries after restart: %+v, %v", entries, err)
	}
}

type lineBuffer struct{ lines chan string }

func (b *lineBuffer) Write(p []byte) (int, error) {
	select {
	case b.lines <- string(p):
	default:
	}
	return len(p), nil
}
