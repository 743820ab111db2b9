package handlers_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers"
)

// upstream is a scripted ServiceTitan double (deliberately not the
// sandbox): one customer, 5, with contacts it keeps in memory and updates
// on PATCH. Tests replace individual answers with the on* hooks.
type upstream struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	contacts []client.Contact
	// patchBodies are the raw bodies of every PATCH received.
	patchBodies []string

	patches, lists, customers, searches, tokens atomic.Int32

	// onPatch, when set, answers a PATCH instead of the default; apply
	// applies the request to the stored contact (as ServiceTitan would).
	onPatch  func(w http.ResponseWriter, r *http.Request, apply func())
	onToken  func(w http.ResponseWriter) bool
	onList   func(w http.ResponseWriter) bool
	listPage int // contacts per page of the contact list (default 50)
}

const sessionSecret = "0123456789abcdef0123456789abcdef"

var baseTime = time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{t: t, listPage: 50}
	u.contacts = []client.Contact{
		{ID: 7, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell", CreatedOn: baseTime.Add(-time.Hour), ModifiedOn: baseTime,
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177", DoNotText: true},
			Preferences:   &client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: false, InvoiceStatementNotification: true}},
		{ID: 8, Type: client.ContactEmail, Value: "ada@example.com", CreatedOn: baseTime, ModifiedOn: baseTime,
			Preferences: &client.Preferences{InvoiceStatementNotification: false, InvoiceNotification: new(true), StatementNotification: new(false)}},
		{ID: 9, Type: client.ContactPhone, Value: "2175550123", CreatedOn: baseTime, ModifiedOn: baseTime,
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550123"}},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect/token", func(w http.ResponseWriter, r *http.Request) {
		u.tokens.Add(1)
		if u.onToken != nil && u.onToken(w) {
			return
		}
		writeJSON(w, 200, `{"access_token":"secret-token-value","expires_in":900,"token_type":"Bearer"}`)
	})
	const tenant = "/crm/v2/tenant/77"
	mux.HandleFunc("GET "+tenant+"/customers", func(w http.ResponseWriter, r *http.Request) {
		u.searches.Add(1)
		q := r.URL.Query()
		match := q.Get("ids") == "5" || strings.Contains(strings.ToLower("Ada Lovelace"), strings.ToLower(q.Get("name"))) && q.Get("name") != "" ||
			q.Get("phone") != "" && strings.Contains("2175550177", q.Get("phone"))
		data := ""
		if match {
			data = customerJSON
		}
		writeJSON(w, 200, fmt.Sprintf(`{"page":1,"pageSize":10,"hasMore":false,"data":[%s]}`, data))
	})
	mux.HandleFunc("GET "+tenant+"/customers/{id}", func(w http.ResponseWriter, r *http.Request) {
		u.customers.Add(1)
		if r.PathValue("id") != "5" {
			writeJSON(w, 404, `{"type":"x","title":"Customer not found","status":404,"traceId":"trace-404"}`)
			return
		}
		writeJSON(w, 200, customerJSON)
	})
	mux.HandleFunc("GET "+tenant+"/customers/{id}/contacts", func(w http.ResponseWriter, r *http.Request) {
		u.lists.Add(1)
		if u.onList != nil && u.onList(w) {
			return
		}
		if r.PathValue("id") != "5" {
			writeJSON(w, 404, `{"title":"Customer not found","status":404}`)
			return
		}
		page := 1
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		u.mu.Lock()
		all := append([]client.Contact(nil), u.contacts...)
		u.mu.Unlock()
		start := min((page-1)*u.listPage, len(all))
		end := min(start+u.listPage, len(all))
		b, _ := json.Marshal(all[start:end])
		writeJSON(w, 200, fmt.Sprintf(`{"page":%d,"pageSize":%d,"hasMore":%t,"data":%s}`, page, u.listPage, end < len(all), b))
	})
	mux.HandleFunc("PATCH "+tenant+"/customers/5/contacts/{contactId}", func(w http.ResponseWriter, r *http.Request) {
		u.patches.Add(1)
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.patchBodies = append(u.patchBodies, string(body))
		u.mu.Unlock()
		var id int64
		fmt.Sscan(r.PathValue("contactId"), &id)
		var updated client.Contact
		apply := func() { updated = u.apply(id, body) }
		if u.onPatch != nil {
			u.onPatch(w, r, apply)
			return
		}
		apply()
		b, _ := json.Marshal(updated)
		writeJSON(w, 200, string(b))
	})
	u.srv = httptest.NewServer(mux)
	t.Cleanup(u.srv.Close)
	return u
}

const customerJSON = `{"id":5,"active":true,"name":"Ada Lovelace","type":"Residential",
	"address":{"street":"12 Analytical Way","city":"Springfield","state":"IL","zip":"62701"},"createdOn":"2020-01-01T00:00:00"}`

func (u *upstream) apply(id int64, body []byte) client.Contact {
	var req client.UpdateContactRequest
	if err := json.Unmarshal(body, &req); err != nil {
		u.t.Errorf("PATCH body is not JSON: %s", body)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for i := range u.contacts {
		ct := &u.contacts[i]
		if ct.ID != id {
			continue
		}
		if req.Type != nil {
			ct.Type = *req.Type
		}
		if req.Value != nil {
			ct.Value = *req.Value
		}
		if req.Memo != nil {
			ct.Memo = *req.Memo
		}
		if req.Preferences != nil {
			ct.Preferences = req.Preferences
		}
		ct.ModifiedOn = ct.ModifiedOn.Add(time.Minute)
		return *ct
	}
	return client.Contact{}
}

func (u *upstream) contact(id int64) client.Contact {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, ct := range u.contacts {
		if ct.ID == id {
			return ct
		}
	}
	return client.Contact{}
}

func (u *upstream) lastPatch() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.patchBodies) == 0 {
		return ""
	}
	return u.patchBodies[len(u.patchBodies)-1]
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// app starts the real router wired to a real client that talks to u.
func (u *upstream) app(t *testing.T, timeout time.Duration) *httptest.Server {
	return u.appWith(t, timeout, nil, nil)
}

// appWith is app with a logger for both the client and the handlers, and a
// hook to change the handlers' configuration.
func (u *upstream) appWith(t *testing.T, timeout time.Duration, log *slog.Logger, configure func(*handlers.Config)) *httptest.Server {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st, err := client.New(client.Config{
		APIURL: u.srv.URL, AuthURL: u.srv.URL + "/connect/token", TenantID: 77,
		ClientID: "id", ClientSecret: "client-secret-value", AppKey: "app-key-value", Timeout: timeout,
	}, client.WithBackoff(time.Millisecond), client.WithMaxRetryWait(50*time.Millisecond), client.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	tz, _ := time.LoadLocation("America/Chicago")
	cfg := handlers.Config{
		ServiceTitan: st,
		Audit:        openAudit(t),
		Sessions:     handlers.NewSessionStore(handlers.SessionOptions{Secret: []byte(sessionSecret), MaxAge: 3600}),
		DisplayTZ:    tz,
		PhoneRegion:  "US",
		Version:      "test",
		Logger:       log,
	}
	if configure != nil {
		configure(&cfg)
	}
	if cfg.Changes == nil {
		cfg.Changes = newChanges(t, cfg)
	}
	e, err := handlers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// newChanges is the change service the app of cfg writes through, as
// main.go builds it (tenant 77, the tests' double).
func newChanges(t *testing.T, cfg handlers.Config, caches ...change.Cache) *change.Service {
	t.Helper()
	svc, err := change.New(change.Config{ServiceTitan: cfg.ServiceTitan, Audit: cfg.Audit, TenantID: 77, Region: cfg.PhoneRegion,
		Budget: cfg.RequestTimeout, Logger: cfg.Logger, Metrics: saveRecorder(cfg.Metrics), Caches: caches})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// saveRecorder passes the metrics on when they count changes too.
func saveRecorder(r handlers.Recorder) change.Recorder {
	if saves, ok := r.(change.Recorder); ok {
		return saves
	}
	return nil
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see the 303s.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status   int
	location string
	header   http.Header
	body     string
	doc      *goquery.Document
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatal(err)
	}
	return page{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(body), doc: doc}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post submits a form as a same-origin browser would.
func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

// formValues reads a form as the browser would submit it: inputs
// (checked boxes only), selected options, textareas.
func formValues(doc *goquery.Document, selector string) url.Values {
	v := url.Values{}
	form := doc.Find(selector)
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || (typ == "checkbox" && !s.Is("[checked]")) {
			return
		}
		val, _ := s.Attr("value")
		v.Add(name, val)
	})
	form.Find("select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Find("option[selected]").Attr("value")
		v.Set(name, val)
	})
	form.Find("textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v.Set(name, s.Text())
	})
	return v
}

// openForm GETs the edit form and returns what it would submit.
func (b *browser) openForm(contactID int) url.Values {
	b.t.Helper()
	p := b.get(fmt.Sprintf("/customers/5/contacts/%d/edit", contactID))
	if p.status != http.StatusOK {
		b.t.Fatalf("edit form: status %d\n%s", p.status, p.body)
	}
	return formValues(p.doc, "form#contact-form")
}

func text(p page, selector string) string {
	return strings.Join(strings.Fields(p.doc.Find(selector).Text()), " ")
}

func attr(p page, selector, name string) string {
	v, _ := p.doc.Find(selector).Attr(name)
	return v
}
