// Package handlertest is the handlers' tests' harness: the ServiceTitan
// sandbox as they use it (Upstream: customer 5 and its contacts), the
// real router wired to a real client (Upstream.App, AppWith), a browser
// with a cookie jar that reads forms and their CSRF tokens (Browser,
// Page), and the audit trail, the index and the bulk rig a test opens for
// itself. The tests of every package under handlers/ share it.
package handlertest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
)

// Upstream is the ServiceTitan sandbox as the handler tests use it: one
// customer, 5, with contacts 7, 8 and 9, behind tenant 77, served on a
// loopback port. Tests replace individual answers with the on* hooks and
// read the sandbox's request counts through the counters.
type Upstream struct {
	t   *testing.T
	SB  *sandbox.Server
	Srv *httptest.Server

	Patches, Lists, Customers, Searches, Tokens requestCount

	// onPatch, when set, answers a PATCH instead of the default; apply
	// applies the request to the stored contact (as ServiceTitan would).
	OnPatch func(w http.ResponseWriter, r *http.Request, apply func())
	// onToken and onList, when set, may answer a token request or a
	// contact list themselves; when they return false the sandbox answers.
	OnToken func(w http.ResponseWriter) bool
	OnList  func(w http.ResponseWriter) bool
}

// requestCount reads the sandbox's count of requests for one operation.
type requestCount struct {
	SB *sandbox.Server
	op string
}

func (c requestCount) Load() int32 { return int32(c.SB.Requests(c.op)) }

const SessionSecret = "0123456789abcdef0123456789abcdef"

var BaseTime = time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)

// UpstreamCredentials are what the app's client signs in with; the token
// is fixed so that tests can look for it.
var UpstreamCredentials = sandbox.Credentials{TenantID: 77, ClientID: "id", ClientSecret: "client-secret-value", AppKey: "app-key-value"}

// ada is customer 5 and its contacts: a three-flag mobile number that
// texted STOP, a five-flag email and a landline without preferences.
func ada() sandbox.Record {
	return sandbox.Record{
		Customer: client.Customer{ID: 5, Active: true, Name: "Ada Lovelace", Type: "Residential",
			Address:   client.Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701"},
			CreatedOn: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
		Contacts: []client.Contact{
			{ID: 7, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell", CreatedOn: BaseTime.Add(-time.Hour), ModifiedOn: BaseTime,
				PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177", DoNotText: true},
				Preferences:   &client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: false, InvoiceStatementNotification: true}},
			{ID: 8, Type: client.ContactEmail, Value: "ada@example.com", CreatedOn: BaseTime, ModifiedOn: BaseTime,
				Preferences: &client.Preferences{InvoiceStatementNotification: false, InvoiceNotification: new(true), StatementNotification: new(false)}},
			{ID: 9, Type: client.ContactPhone, Value: "2175550123", CreatedOn: BaseTime, ModifiedOn: BaseTime,
				PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550123"}},
		},
		Locations: []sandbox.LocationRecord{{
			Location: client.Location{ID: 50, Active: true, Name: "Lovelace Cottage",
				Address: client.Address{Street: "3 Byron Lane", City: "Springfield", State: "IL", Zip: "62702"}, CreatedOn: BaseTime, ModifiedOn: BaseTime},
			Contacts: []client.Contact{
				{ID: 70, Type: client.ContactMobilePhone, Value: "2175550164", Memo: "Neighbor - has a key", CreatedOn: BaseTime, ModifiedOn: BaseTime,
					PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550164"},
					Preferences:   &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: false}},
				{ID: 71, Type: client.ContactPhone, Value: "2175550185", Memo: "Gate call box", CreatedOn: BaseTime, ModifiedOn: BaseTime,
					PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550185"}},
			},
		}},
	}
}

func NewUpstream(t *testing.T) *Upstream {
	t.Helper()
	// The sandbox's clock stands one minute after baseTime: a save stamps
	// modifiedOn baseTime + 1 minute (later saves of one contact 1 ms more).
	sb := sandbox.New(sandboxtest.WithSeed(ada()), sandboxtest.WithCredentials(UpstreamCredentials),
		sandboxtest.WithAccessToken("secret-token-value"),
		sandboxtest.WithClock(func() time.Time { return BaseTime.Add(time.Minute) }))
	count := func(op string) requestCount { return requestCount{sb, op} }
	u := &Upstream{t: t, SB: sb,
		Patches: count(sandbox.OpUpdateContact), Lists: count(sandbox.OpListContacts),
		Customers: count(sandbox.OpGetCustomer), Searches: count(sandbox.OpListCustomers), Tokens: count(sandbox.OpToken),
	}
	sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.OnPatch != nil {
			u.OnPatch(w, r, apply)
			return
		}
		apply()
	})
	sb.Intercept(sandbox.OpToken, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.OnToken == nil || !u.OnToken(w) {
			apply()
		}
	})
	sb.Intercept(sandbox.OpListContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if u.OnList == nil || !u.OnList(w) {
			apply()
		}
	})
	u.Srv = httptest.NewServer(sb)
	t.Cleanup(u.Srv.Close)
	return u
}

// Contact is contact id of customer 5 as the sandbox holds it now.
func (u *Upstream) Contact(id int64) client.Contact {
	ct, _ := u.SB.Contact(5, id)
	return ct
}

// Edit changes contact id of customer 5 in the sandbox, as someone else's
// edit in ServiceTitan would (nothing is validated or stamped).
func (u *Upstream) Edit(id int64, change func(*client.Contact)) {
	u.t.Helper()
	ct, ok := u.SB.Contact(5, id)
	if !ok {
		u.t.Fatalf("no contact %d", id)
	}
	change(&ct)
	u.SB.SetContact(5, ct)
}

func (u *Upstream) LastPatch() string { return u.SB.LastBody(sandbox.OpUpdateContact) }

// HoldPatch holds each PATCH until the returned channel is closed; then
// answer answers it (apply applies it, as ServiceTitan would).
func (u *Upstream) HoldPatch(answer func(w http.ResponseWriter, apply func())) (release chan struct{}) {
	release = make(chan struct{})
	u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		<-release
		answer(w, apply)
	}
	return release
}

// WaitForPatch returns once a PATCH has reached the sandbox.
func (u *Upstream) WaitForPatch() {
	for u.Patches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
}

// CheckPost stops the test unless the post's page p has the status want,
// and reports a number of PATCHes other than patches.
func CheckPost(t *testing.T, up *Upstream, p Page, want int, patches int32) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("status %d, want %d\n%s", p.Status, want, p.Body)
	}
	if up.Patches.Load() != patches {
		t.Errorf("PATCHes = %d, want %d", up.Patches.Load(), patches)
	}
}

func WriteJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body) // the client under test reads what arrives
}

// App starts the real router wired to a real client that talks to u.
func (u *Upstream) App(t *testing.T, timeout time.Duration) *httptest.Server {
	return u.AppWith(t, timeout, nil, nil)
}

// Client is a real ServiceTitan client of u.
func (u *Upstream) Client(t *testing.T) *client.Client {
	return u.clientWith(t, time.Second, slog.New(slog.DiscardHandler))
}

func (u *Upstream) clientWith(t *testing.T, timeout time.Duration, log *slog.Logger) *client.Client {
	t.Helper()
	st, err := client.New(client.Config{
		APIURL: u.Srv.URL, AuthURL: u.Srv.URL + "/connect/token", TenantID: UpstreamCredentials.TenantID,
		ClientID: UpstreamCredentials.ClientID, ClientSecret: UpstreamCredentials.ClientSecret, AppKey: UpstreamCredentials.AppKey, Timeout: timeout,
	}, clienttest.WithBackoff(time.Millisecond), clienttest.WithMaxRetryWait(50*time.Millisecond), client.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// AppWith is app with a logger for both the client and the handlers, and a
// hook to change the handlers' configuration.
func (u *Upstream) AppWith(t *testing.T, timeout time.Duration, log *slog.Logger, configure func(*handlers.Config)) *httptest.Server {
	t.Helper()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := u.clientWith(t, timeout, log)
	tz, _ := time.LoadLocation("America/Chicago")
	cfg := handlers.Config{
		ServiceTitan: st,
		Audit:        OpenAudit(t),
		Sessions:     web.NewSessionStore(web.SessionOptions{Secret: []byte(SessionSecret), MaxAge: 3600}),
		DisplayTZ:    tz,
		PhoneRegion:  "US",
		Version:      "test",
		Logger:       log,
	}
	if configure != nil {
		configure(&cfg)
	}
	if cfg.Changes == nil {
		cfg.Changes = NewChanges(t, cfg)
	}
	e, err := handlers.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// NewChanges is the change service the app of cfg writes through, as
// app.Serve builds it (tenant 77, the tests' double).
func NewChanges(t *testing.T, cfg handlers.Config, caches ...change.Cache) *change.Service {
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

// Browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see the 303s.
type Browser struct {
	t    *testing.T
	Base string
	HTTP *http.Client
}

func NewBrowser(t *testing.T, base string) *Browser {
	return &Browser{t: t, Base: base, HTTP: CookieClient(nil)}
}

// CookieClient keeps cookies and does not follow redirects; a nil
// transport is http.DefaultTransport.
func CookieClient(tr http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

type Page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
	Doc      *goquery.Document
}

func (b *Browser) Do(req *http.Request) Page {
	b.t.Helper()
	resp, err := b.HTTP.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		b.t.Fatal(err)
	}
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(body), Doc: doc}
}

func (b *Browser) Get(path string) Page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.Base+path, nil)
	return b.Do(req)
}

// Post submits a form as a same-origin browser would.
func (b *Browser) Post(path string, form url.Values) Page {
	b.t.Helper()
	return b.Do(FormPost(b.Base, path, form))
}

// FormPost is the request a same-origin browser sends for form, posted to
// path of the app at base.
func FormPost(base, path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", base)
	return req
}

// FormValues reads a form as the browser would submit it: inputs
// (checked boxes only), selected options, textareas.
func FormValues(doc *goquery.Document, selector string) url.Values {
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

// OpenedForm starts the app (1 s per ServiceTitan call) on a fresh
// upstream and opens contact contactID's edit form in a new browser.
func OpenedForm(t *testing.T, contactID int) (*Upstream, *Browser, url.Values) {
	t.Helper()
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	return up, b, b.OpenForm(contactID)
}

// OpenForm GETs the edit form and returns what it would submit.
func (b *Browser) OpenForm(contactID int) url.Values {
	b.t.Helper()
	p := b.Get(fmt.Sprintf("/customers/5/contacts/%d/edit", contactID))
	if p.Status != http.StatusOK {
		b.t.Fatalf("edit form: status %d\n%s", p.Status, p.Body)
	}
	return FormValues(p.Doc, "form#contact-form")
}

func Text(p Page, selector string) string {
	return strings.Join(strings.Fields(p.Doc.Find(selector).Text()), " ")
}

func Attr(p Page, selector, name string) string {
	v, _ := p.Doc.Find(selector).Attr(name)
	return v
}

func WithAudit(store audit.Store) func(*handlers.Config) {
	return func(c *handlers.Config) {
		c.Audit = store
		c.Identity = identity.Fixed{Email: "kelly@acme.example", Name: "Kelly Ng"}
	}
}

func OpenAudit(t *testing.T) audit.Store {
	t.Helper()
	store, err := audit.New(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// ReadCSV reads a download as a spreadsheet would: it must start with a
// UTF-8 byte-order mark, which it drops.
func ReadCSV(t *testing.T, r io.Reader) ([][]string, error) {
	t.Helper()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	body, ok := bytes.CutPrefix(raw, []byte("\ufeff"))
	if !ok {
		t.Errorf("the CSV does not start with a UTF-8 byte-order mark: %.40q", raw)
	}
	return csv.NewReader(bytes.NewReader(body)).ReadAll()
}

// SyncBuffer is a log sink safe for concurrent writers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ApiRequests counts the requests that reached the sandbox's API,
// token requests aside.
func ApiRequests(up *Upstream) int32 {
	return up.Searches.Load() + up.Customers.Load() + up.Lists.Load() + up.Patches.Load()
}

// bulkRig is the app with bulk jobs: the index synced from the upstream,
// the bulk tables, and a queue that records the runs asked for (the test
// runs them with run).
type bulkRig struct {
	Up     *Upstream
	Index  *index.Store
	store  *bulk.Store
	Queued *runQueue
	runner *bulk.Runner
}

type runQueue struct {
	mu   sync.Mutex
	jobs []int64
}

func (q *runQueue) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args.(bulk.RunArgs).Job)
	return &rivertype.JobInsertResult{}, nil
}

func (q *runQueue) Count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// BulkApp starts the app with bulk jobs; configure adjusts it further
// (who may run them).
func BulkApp(t *testing.T, configure func(*handlers.Config)) (*bulkRig, *Browser) {
	t.Helper()
	return BulkAppWith(t, nil, configure)
}

// BulkAppWith is bulkApp with prepare run on the upstream and the index
// before the index syncs.
func BulkAppWith(t *testing.T, prepare func(*Upstream, *index.Store), configure func(*handlers.Config)) (*bulkRig, *Browser) {
	t.Helper()
	up := NewUpstream(t)
	ctx := context.Background()
	sqlDB := dbtest.SQLite(t)
	idx, err := index.Open(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(up, idx)
	}
	if err := index.NewSyncer(up.Client(t), idx, 1000, nil).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := bulk.Open(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	rig := &bulkRig{Up: up, Index: idx, store: store, Queued: &runQueue{}}
	srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
		c.Index, c.IndexInterval = idx, time.Minute
		c.Changes = NewChanges(t, *c, idx)
		c.Bulk = &bulk.Service{Store: store, Index: idx, IndexComplete: idx.Complete, Queue: rig.Queued}
		c.BulkOpen = true
		rig.runner = bulk.NewRunner(bulk.RunnerConfig{Store: store, Changes: c.Changes, Trail: c.Audit, PerSecond: 1000})
		if configure != nil {
			configure(c)
		}
	})
	return rig, NewBrowser(t, srv.URL)
}

// Run works a job to its end, as the queued runs would.
func (r *bulkRig) Run(t *testing.T, job int64) {
	t.Helper()
	for range 50 {
		step, err := r.runner.Work(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		if !step.More {
			return
		}
	}
	t.Fatal("the job did not end")
}

// PostList posts the list form as a browser does (multipart), with the
// CSRF token of the form on GET /bulk.
func (b *Browser) PostList(fields map[string]string, file string) Page {
	b.t.Helper()
	form := b.Get("/bulk")
	token, _ := form.Doc.Find(`form[data-bulk-form] input[name="_csrf"]`).Attr("value")
	return b.Do(ListPost(b.Base, token, fields, file))
}

// PreviewCounts reads the preview's totals by data-preview-count.
func PreviewCounts(p Page) map[string]string {
	out := map[string]string{}
	p.Doc.Find("[data-preview-count]").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-preview-count")
		out[k] = strings.TrimSpace(s.Text())
	})
	return out
}

// JobCounts reads a job page's counts by data-count.
func JobCounts(p Page) map[string]string {
	out := map[string]string{}
	p.Doc.Find("[data-count]").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-count")
		out[k] = strings.TrimSpace(s.Text())
	})
	return out
}

func MustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not an id: %q", s)
		}
		id = id*10 + int64(r-'0')
	}
	return id
}

func CSRFOf(p Page) string {
	token, _ := p.Doc.Find(`input[name="_csrf"]`).First().Attr("value")
	return token
}

// ListPost is the list form posted as a browser posts it (multipart),
// with the form token given.
func ListPost(base, token string, fields map[string]string, file string) *http.Request {
	// Writing to a bytes.Buffer does not fail.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", token)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if file != "" {
		fw, _ := mw.CreateFormFile("file", "optouts.csv")
		_, _ = fw.Write([]byte(file))
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/bulk/preview", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", base)
	return req
}

func Itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func Without(v url.Values, key string) url.Values {
	c := url.Values{}
	for k, vs := range v {
		if k != key {
			c[k] = vs
		}
	}
	return c
}

func With(v url.Values, key, val string) url.Values {
	c := Without(v, key)
	c.Set(key, val)
	return c
}

// WithIndex gives the app a tenant index, synced from the upstream once
// (when synced) before the test.
func WithIndex(t *testing.T, up *Upstream, synced bool) (func(*handlers.Config), *index.Store) {
	t.Helper()
	idx, err := index.Open(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if synced {
		if err := index.NewSyncer(up.Client(t), idx, 1000, nil).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return func(c *handlers.Config) { c.Index, c.IndexInterval = idx, time.Minute }, idx
}

// AddToIndex puts a customer and its contacts in the index, as a feed
// page would.
func AddToIndex(t *testing.T, idx *index.Store, cu index.Customer, contacts ...index.Contact) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []index.Page{{Feed: index.FeedCustomers, Customers: []index.Customer{cu}}, {Feed: index.FeedContacts, Contacts: contacts}} {
		f, err := idx.Feed(ctx, p.Feed)
		if err != nil {
			t.Fatal(err)
		}
		p.From, p.Next = f.ContinueFrom, f.ContinueFrom
		if err := idx.Apply(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
}

// HygieneApp is the bulk app with the hygiene report, over Ada (customer
// 5) given a placeholder number and email, an invalid number, and extra
// placeholders (contacts 100 up) when more is set.
func HygieneApp(t *testing.T, more int, configure func(*handlers.Config)) (*bulkRig, *Browser) {
	t.Helper()
	rules := hygiene.Rules{Region: "US", SharedMin: 3}
	return BulkAppWith(t, func(up *Upstream, idx *index.Store) {
		add := func(id int64, kind client.ContactType, value string) {
			c := client.Contact{ID: id, Type: kind, Value: value, CreatedOn: BaseTime, ModifiedOn: BaseTime}
			if kind.IsPhoneNumber() {
				c.PhoneSettings = &client.PhoneSettings{PhoneNumber: value}
			}
			up.SB.SetContact(5, c)
		}
		add(20, client.ContactPhone, "0000000000")
		add(21, client.ContactEmail, "noemail@gmail.com")
		add(22, client.ContactMobilePhone, "217555017")
		for i := range more {
			add(100+int64(i), client.ContactFax, "1234567890")
		}
		idx.SetChecker(rules.Checker())
	}, func(c *handlers.Config) {
		c.Hygiene = &hygiene.Reporter{Index: c.Index.(*index.Store), Rules: rules}
		if configure != nil {
			configure(c)
		}
	})
}

func (u *Upstream) Creates() int { return u.SB.Requests(sandbox.OpCreateContact) }

func (u *Upstream) Deletes() int { return u.SB.Requests(sandbox.OpDeleteContact) }

// OpenAddForm GETs the add form and returns what it would submit.
func (b *Browser) OpenAddForm() Page {
	b.t.Helper()
	p := b.Get("/customers/5/contacts/new")
	if p.Status != http.StatusOK {
		b.t.Fatalf("add form: status %d\n%s", p.Status, p.Body)
	}
	return p
}

// RevokeToken makes the API refuse the token the app holds, so the app must
// fetch a new one.
func (u *Upstream) RevokeToken() { u.SB.RevokeTokens() }

// Remove removes contact id of customer 5 through its confirmation, as a
// person does, and returns the Undo form the customer page then offers.
func (b *Browser) Remove(id int64) (undo map[string]string) {
	b.t.Helper()
	path := "/customers/5/contacts/" + strconv.FormatInt(id, 10) + "/delete"
	done := b.Post(path, FormValues(b.Get(path).Doc, "form[data-remove-form]"))
	if done.Status != http.StatusSeeOther {
		b.t.Fatalf("remove %d: %d", id, done.Status)
	}
	form := FormValues(b.Get("/customers/5").Doc, "form[data-undo-form]")
	if form.Get("removal") == "" {
		b.t.Fatalf("no Undo after removing %d", id)
	}
	undo = map[string]string{}
	for k := range form {
		undo[k] = form.Get(k)
	}
	return undo
}
