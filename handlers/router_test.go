package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// upstream is the ServiceTitan sandbox as the handler tests use it: one
// customer, 5, with contacts 7, 8 and 9, behind tenant 77, served on a
// loopback port. Tests replace individual answers with the on* hooks and
// read the sandbox's request counts through the counters.
type upstream struct {
	t   *testing.T
	sb  *sandbox.Server
	srv *httptest.Server

	patches, lists, customers, searches, tokens requestCount

	// onPatch, when set, answers a PATCH instead of the default; apply
	// applies the request to the stored contact (as ServiceTitan would).
	onPatch func(w http.ResponseWriter, r *http.Request, apply func())
	// onToken and onList, when set, may answer a token request or a
	// contact list themselves; when they return false the sandbox answers.
	onToken func(w http.ResponseWriter) bool
	onList  func(w http.ResponseWriter) bool
}

// requestCount reads the sandbox's count of requests for one operation.
type requestCount struct {
	sb *sandbox.Server
	op string
}

func (c requestCount) Load() int32 { return int32(c.sb.Requests(c.op)) }

const sessionSecret = "0123456789abcdef0123456789abcdef"

var baseTime = time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)

// upstreamCredentials are what the app's client signs in with; the token
// is fixed so that tests can look for it.
var upstreamCredentials = sandbox.Credentials{TenantID: 77, ClientID: "id", ClientSecret: "client-secret-value", AppKey: "app-key-value"}

// ada is customer 5 and its contacts: a three-flag mobile number that
// texted STOP, a five-flag email and a landline without preferences.
func ada() sandbox.Record {
	return sandbox.Record{
		Customer: client.Customer{ID: 5, Active: true, Name: "Ada Lovelace", Type: "Residential",
			Address:   client.Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701"},
			CreatedOn: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		Contacts: []client.Contact{
			{ID: 7, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell", CreatedOn: baseTime.Add(-time.Hour), ModifiedOn: baseTime,
				PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177", DoNotText: true},
				Preferences:   &client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: false, InvoiceStatementNotification: true}},
			{ID: 8, Type: client.ContactEmail, Value: "ada@example.com", CreatedOn: baseTime, ModifiedOn: baseTime,
				Preferences: &client.Preferences{InvoiceStatementNotification: false, InvoiceNotification: new(true), StatementNotification: new(false)}},
			{ID: 9, Type: client.ContactPhone, Value: "2175550123", CreatedOn: baseTime, ModifiedOn: baseTime,
				PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550123"}},
		},
		Locations: []sandbox.LocationRecord{{
			Location: client.Location{ID: 50, Active: true, Name: "Lovelace Cottage",
				Address: client.Address{Street: "3 Byron Lane", City: "Springfield", State: "IL", Zip: "62702"}, CreatedOn: baseTime, ModifiedOn: baseTime},
			Contacts: []client.Contact{
				{ID: 70, Type: client.ContactMobilePhone, Value: "2175550164", Memo: "Neighbor - has a key", CreatedOn: baseTime, ModifiedOn: baseTime,
					PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550164"},
					Preferences:   &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: false}},
				{ID: 71, Type: client.ContactPhone, Value: "2175550185", Memo: "Gate call box", CreatedOn: baseTime, ModifiedOn: baseTime,
					PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550185"}},
			},
		}},
	}
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	// The sandbox's clock stands one minute after baseTime: a save stamps
	// modifiedOn baseTime + 1 minute (later saves of one contact 1 ms more).
	sb := sandbox.New(sandbox.WithSeed(ada()), sandbox.WithCredentials(upstreamCredentials),
		sandbox.WithAccessToken("secret-token-value"),
		sandbox.WithClock(func() time.Time { return baseTime.Add(time.Minute) }))
	count := func(op string) requestCount { return requestCount{sb, op} }
	u := &upstream{t: t, sb: sb,
		patches: count(sandbox.OpUpdateContact), lists: count(sandbox.OpListContacts),
		customers: count(sandbox.OpGetCustomer), searches: count(sandbox.OpListCustomers), tokens: count(sandbox.OpToken),
	}
	sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.onPatch != nil {
			u.onPatch(w, r, apply)
			return
		}
		apply()
	})
	sb.Intercept(sandbox.OpToken, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.onToken == nil || !u.onToken(w) {
			apply()
		}
	})
	sb.Intercept(sandbox.OpListContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.onList == nil || !u.onList(w) {
			apply()
		}
	})
	u.srv = httptest.NewServer(sb)
	t.Cleanup(u.srv.Close)
	return u
}

// contact is contact id of customer 5 as the sandbox holds it now.
func (u *upstream) contact(id int64) client.Contact {
	ct, _ := u.sb.Contact(5, id)
	return ct
}

// edit changes contact id of customer 5 in the sandbox, as someone else's
// edit in ServiceTitan would (nothing is validated or stamped).
func (u *upstream) edit(id int64, change func(*client.Contact)) {
	u.t.Helper()
	ct, ok := u.sb.Contact(5, id)
	if !ok {
		u.t.Fatalf("no contact %d", id)
	}
	change(&ct)
	u.sb.SetContact(5, ct)
}

func (u *upstream) lastPatch() string { return u.sb.LastBody(sandbox.OpUpdateContact) }

// holdPatch holds each PATCH until the returned channel is closed; then
// answer answers it (apply applies it, as ServiceTitan would).
func (u *upstream) holdPatch(answer func(w http.ResponseWriter, apply func())) (release chan struct{}) {
	release = make(chan struct{})
	u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		<-release
		answer(w, apply)
	}
	return release
}

// waitForPatch returns once a PATCH has reached the sandbox.
func (u *upstream) waitForPatch() {
	for u.patches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
}

// checkPost stops the test unless the post's page p has the status want,
// and reports a number of PATCHes other than patches.
func checkPost(t *testing.T, up *upstream, p page, want int, patches int32) {
	t.Helper()
	if p.status != want {
		t.Fatalf("status %d, want %d\n%s", p.status, want, p.body)
	}
	if up.patches.Load() != patches {
		t.Errorf("PATCHes = %d, want %d", up.patches.Load(), patches)
	}
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

// client is a real ServiceTitan client of u.
func (u *upstream) client(t *testing.T) *client.Client {
	return u.clientWith(t, time.Second, slog.New(slog.DiscardHandler))
}

func (u *upstream) clientWith(t *testing.T, timeout time.Duration, log *slog.Logger) *client.Client {
	t.Helper()
	st, err := client.New(client.Config{
		APIURL: u.srv.URL, AuthURL: u.srv.URL + "/connect/token", TenantID: upstreamCredentials.TenantID,
		ClientID: upstreamCredentials.ClientID, ClientSecret: upstreamCredentials.ClientSecret, AppKey: upstreamCredentials.AppKey, Timeout: timeout,
	}, client.WithBackoff(time.Millisecond), client.WithMaxRetryWait(50*time.Millisecond), client.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// appWith is app with a logger for both the client and the handlers, and a
// hook to change the handlers' configuration.
func (u *upstream) appWith(t *testing.T, timeout time.Duration, log *slog.Logger, configure func(*handlers.Config)) *httptest.Server {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := u.clientWith(t, timeout, log)
	tz, _ := time.LoadLocation("America/Chicago")
	cfg := handlers.Config{
		ServiceTitan: st,
		Audit:        openAudit(t),
		Sessions:     web.NewSessionStore(web.SessionOptions{Secret: []byte(sessionSecret), MaxAge: 3600}),
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
// app.Serve builds it (tenant 77, the tests' double).
func newChanges(t *testing.T, cfg handlers.Config, caches ...change.Cache) *change.Service {
	t.Helper()
	svc, err := change.New(change.Config{ServiceTitan: cfg.ServiceTitan, Audit: cfg.Audit.(audit.Store), TenantID: 77, Region: cfg.PhoneRegion,
		Budget: cfg.RequestTimeout, Logger: cfg.Logger, Metrics: saveRecorder(cfg.Metrics), Caches: caches})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// saveRecorder passes the metrics on when they count changes too.
func saveRecorder(r web.Recorder) change.Recorder {
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
	return &browser{t: t, base: base, c: cookieClient(nil)}
}

// cookieClient keeps cookies and does not follow redirects; a nil
// transport is http.DefaultTransport.
func cookieClient(tr http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
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
	return b.do(formPost(b.base, path, form))
}

// formPost is the request a same-origin browser sends for form, posted to
// path of the app at base.
func formPost(base, path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", base)
	return req
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

// openedForm starts the app (1 s per ServiceTitan call) on a fresh
// upstream and opens contact contactID's edit form in a new browser.
func openedForm(t *testing.T, contactID int) (*upstream, *browser, url.Values) {
	t.Helper()
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	return up, b, b.openForm(contactID)
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
