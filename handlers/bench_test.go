package handlers_test

// Benchmarks of the web layer against the ServiceTitan sandbox as
// router_test.go sets it up (newUpstream, in process, no latency). Timing
// targets live here and in docs/load-report.md, never in unit tests; each
// figure is read beside its baseline from the same run:
//
//	BenchmarkUpstreamDirect/*   the sandbox's own calls, made directly with
//	                            net/http: what the app's calls cost without it
//	BenchmarkEditPage           GET .../edit (Customers_Get + contact list)
//	                            vs BenchmarkUpstreamDirect/EditCalls
//	BenchmarkSave/audit=*       POST + the record page it redirects to
//	                            (contact list + PATCH) vs .../SaveCalls,
//	                            without and with the SQLite audit trail
//	BenchmarkErrorMapping       POST answered 400 by the upstream -> the 422
//	                            form with the messages on their fields
//
// Run them (several counts, so benchstat can judge the noise) and compare
// with a run of another revision:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./handlers/ | tee new.txt
//	git stash && go test -run '^$' -bench . -benchmem -count 6 ./handlers/ | tee old.txt; git stash pop
//	go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt
//
// The app's own cost per page is the page's ns/op minus its baseline's.
// Only BenchmarkSave/audit=sqlite writes an audit trail, and the upstream
// answers at once; the load tool (go run ./loadtest) measures the real
// binary.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/internal/cputime"
	"github.com/contactdesk/contactdesk/loadtest/plain"
)

// benchSetup starts the sandbox and the real router in front of it, for a
// benchmark. The helpers of router_test.go take a *testing.T, so they are
// lent a detached one: with this fixed configuration they only call its
// Helper and Cleanup (their Fatal paths are for a broken setup; on a
// detached T they would panic, loudly), and as its cleanups never run, the
// servers are closed through b.Cleanup.
func benchSetup(b *testing.B, configure func(*handlers.Config)) (*Upstream, *benchClient) {
	b.Helper()
	detached := &testing.T{}
	up := NewUpstream(detached)
	b.Cleanup(up.Srv.Close)
	app := up.AppWith(detached, 5*time.Second, nil, configure)
	b.Cleanup(app.Close)
	return up, newBenchClient(b, app.URL)
}

// benchClient is a lean browser for benchmarks: it keeps cookies, does not
// follow redirects and discards bodies unless asked, so the client costs
// little beside the server.
type benchClient struct {
	b    *testing.B
	base string
	c    *http.Client
}

func newBenchClient(b *testing.B, base string) *benchClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	b.Cleanup(tr.CloseIdleConnections)
	return &benchClient{b: b, base: base, c: CookieClient(tr)}
}

// do sends req and checks the status; with keep it returns the body.
func (c *benchClient) do(req *http.Request, want int, keep bool) (location, body string) {
	resp, err := c.c.Do(req)
	if err != nil {
		c.b.Fatal(err)
	}
	defer resp.Body.Close()
	if keep || resp.StatusCode != want {
		raw, _ := io.ReadAll(resp.Body)
		body = string(raw)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	if resp.StatusCode != want {
		c.b.Fatalf("%s %s: status %d, want %d\n%.2000s", req.Method, req.URL.Path, resp.StatusCode, want, body)
	}
	return resp.Header.Get("Location"), body
}

func (c *benchClient) get(path string, want int) {
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	c.do(req, want, false)
}

// post submits a form as router_test.go's browser does (same origin).
func (c *benchClient) post(path string, form url.Values, want int, keep bool) (location, body string) {
	return c.do(FormPost(c.base, path, form), want, keep)
}

// openForm GETs the edit form and returns what it would submit.
func (c *benchClient) openForm(contactID int) url.Values {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/customers/5/contacts/%d/edit", c.base, contactID), nil)
	_, body := c.do(req, http.StatusOK, true)
	return FormValues(c.parse(body), "form#contact-form")
}

func (c *benchClient) parse(body string) *goquery.Document {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		c.b.Fatal(err)
	}
	return doc
}

// BenchmarkUpstreamDirect is the baseline: the sandbox's answers to
// exactly the calls the app makes, sent straight from net/http with the
// headers the client sends and the token it holds.
func BenchmarkUpstreamDirect(b *testing.B) {
	up := NewUpstream(&testing.T{}) // detached T: see benchSetup
	b.Cleanup(up.Srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	b.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	creds := UpstreamCredentials
	resp, err := hc.PostForm(up.Srv.URL+"/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close() // newUpstream's sandbox issues secret-token-value
	tenant := fmt.Sprintf("%s/crm/v2/tenant/%d", up.Srv.URL, creds.TenantID)
	call := func(b *testing.B, method, url, body string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, url, rd)
		req.Header.Set("Authorization", "Bearer secret-token-value")
		req.Header.Set("ST-App-Key", creds.AppKey)
		req.Header.Set("Accept", "application/json")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s %s: status %d", method, url, resp.StatusCode)
		}
	}
	customer := func(b *testing.B) { call(b, http.MethodGet, tenant+"/customers/5", "") }
	list := func(b *testing.B) { call(b, http.MethodGet, tenant+"/customers/5/contacts?page=1&pageSize=100", "") }
	n := 0
	patch := func(b *testing.B) {
		n++
		call(b, http.MethodPatch, tenant+"/customers/5/contacts/7", fmt.Sprintf(`{"memo":"Bench memo %d"}`, n))
	}

	b.Run("ContactList", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list(b)
		}
	})
	b.Run("Patch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			patch(b)
		}
	})
	// The calls behind one edit page, and behind one save.
	b.Run("EditCalls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			customer(b)
			list(b)
		}
	})
	b.Run("SaveCalls", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cputime.Process()
		for b.Loop() {
			list(b)
			patch(b)
		}
		b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
	})
}

// BenchmarkEditPage opens the edit form through the real router with a
// warm session (cookie set, token fetched).
func BenchmarkEditPage(b *testing.B) {
	_, c := benchSetup(b, nil)
	c.get("/customers/5/contacts/7/edit", http.StatusOK)
	b.ReportAllocs()
	for b.Loop() {
		c.get("/customers/5/contacts/7/edit", http.StatusOK)
	}
}

// BenchmarkEditPageParallel opens the edit form from 16 clients at once,
// through the app (the router, a warm session) and through
// plain.EditPage (the same reads and view, plain net/http): the
// ratio of their ns/op is the app's machinery's share of a page.
func BenchmarkEditPageParallel(b *testing.B) {
	path := "/customers/5/contacts/7/edit"
	run := func(b *testing.B, c *benchClient) {
		c.get(path, http.StatusOK)
		b.ReportAllocs()
		b.SetParallelism(8) // 16 clients on 2 CPUs
		cpu := cputime.Process()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				c.get(path, http.StatusOK)
			}
		})
		b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/op")
	}
	b.Run("app", func(b *testing.B) {
		_, c := benchSetup(b, nil)
		run(b, c)
	})
	b.Run("plain", func(b *testing.B) {
		detached := &testing.T{}
		up := NewUpstream(detached)
		b.Cleanup(up.Srv.Close)
		plain := httptest.NewServer(plain.EditPage(up.Client(detached), "US"))
		b.Cleanup(plain.Close)
		run(b, newBenchClient(b, plain.URL))
	})
}

// BenchmarkSave is one full save: the POST (lost-update read, PATCH, 303)
// and the record page it redirects to. Each iteration posts a new form
// instance (a fresh nonce: a repeated one would be answered from the
// deduplication registry without a PATCH) with a changed memo, based on the
// record as the previous save left it (so it is no conflict). With
// audit=sqlite the save is recorded as app.Serve has the app do it, in a
// SQLite file: the row written beside the lost-update read, its outcome in
// the background (audit.CompleteInBackground), the history on the record
// page waiting for that outcome.
//
// audit=sqlite+index is the app as app.Serve builds it on SQLite: the audit
// trail in the background as above, and the tenant index on the same
// database told about every contact written. plain is the same save
// through plain.EditPage's plain net/http save (no session, CSRF,
// form claim, audit trail or index): issue #30's baseline. The app's own
// part of a save is its ns/op minus BenchmarkUpstreamDirect/SaveCalls',
// beside the plain save's minus the same (docs/profile-save.md).
func BenchmarkSave(b *testing.B) {
	b.Run("audit=none", func(b *testing.B) { benchmarkSave(b, nil, nil) })
	b.Run("audit=sqlite", func(b *testing.B) {
		store, _ := backgroundSQLiteAudit(b)
		benchmarkSave(b, store, nil)
	})
	b.Run("audit=sqlite+index", func(b *testing.B) {
		store, h := backgroundSQLiteAudit(b)
		benchmarkSave(b, store, h)
	})
	b.Run("plain", func(b *testing.B) {
		detached := &testing.T{} // see benchSetup
		up := NewUpstream(detached)
		b.Cleanup(up.Srv.Close)
		plain := httptest.NewServer(plain.EditPage(up.Client(detached), "US"))
		b.Cleanup(plain.Close)
		saveLoop(b, up, newBenchClient(b, plain.URL))
	})
}

// benchmarkSave saves through the app with store as its audit trail (the
// tests' own without one) and, given h, the tenant index on h.
func benchmarkSave(b *testing.B, store audit.Store, h *db.DB) {
	up, c := benchSetup(b, func(cfg *handlers.Config) {
		if store == nil {
			return
		}
		cfg.Audit = store
		if h != nil {
			idx, err := index.Open(context.Background(), h)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Changes = NewChanges(&testing.T{}, *cfg, idx)
		}
	})
	saveLoop(b, up, c)
}

// saveLoop saves contact 7 through c once an iteration, each time from a
// new form instance, and follows the 303 to the record page. Beside ns/op
// (the mean) it reports the median save (p50-ns/save) and its two
// requests' (p50-ns/post, p50-ns/page): on a machine shared with other
// work the mean moves with every pause, the median much less. cpu-ns/save
// is the process's CPU time a save (see processCPU), the sandbox's and the
// client's included, as in BenchmarkUpstreamDirect's cpu-ns/op.
func saveLoop(b *testing.B, up *Upstream, c *benchClient) {
	form := c.openForm(7)
	i := 0
	var saves, posts, pages []time.Duration
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		i++
		memo := fmt.Sprintf("Bench memo %d", i)
		form.Set("nonce", fmt.Sprintf("bench-save-%d", i))
		form.Set("memo", memo)
		start := time.Now()
		location, _ := c.post("/customers/5/contacts/7", form, http.StatusSeeOther, false)
		posted := time.Now()
		c.get(location, http.StatusOK)
		end := time.Now()
		saves, posts, pages = append(saves, end.Sub(start)), append(posts, posted.Sub(start)), append(pages, end.Sub(posted))
		form.Set("loaded.memo", memo)
		form.Set("modifiedOn", up.Contact(7).ModifiedOn.UTC().Format(time.RFC3339Nano))
	}
	cpu = cputime.Process() - cpu
	if got := up.Patches.Load(); int(got) != i {
		b.Fatalf("PATCHes = %d for %d saves", got, i)
	}
	b.ReportMetric(float64(cpu)/float64(i), "cpu-ns/save")
	b.ReportMetric(float64(median(saves)), "p50-ns/save")
	b.ReportMetric(float64(median(posts)), "p50-ns/post")
	b.ReportMetric(float64(median(pages)), "p50-ns/page")
}

// median is the middle of d (the upper one of an even count); d is sorted.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// errorMappingProblem is a 400 whose `errors` keys come in every style
// ServiceTitan uses: JSON path, PascalCase, nested, request-prefixed,
// bracketed, and one that names no field.
const errorMappingProblem = `{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1",
	"title":"One or more validation errors occurred.","status":400,"traceId":"trace-bench",
	"errors":{"$.memo":["Memo contains a forbidden word."],"Value":["Value is not allowed."],
	"Preferences.JobRemindersEnabled":["The JobRemindersEnabled field is required."],
	"request.type":["Type cannot change."],"$['value']":["Value is on a blocklist."],
	"CustomerId":["Customer is on hold."]}}`

// BenchmarkErrorMapping posts a change the upstream rejects with a 400
// problem body and renders the 422 form with each message on its field.
func BenchmarkErrorMapping(b *testing.B) {
	up, c := benchSetup(b, nil)
	up.OnPatch = func(w http.ResponseWriter, _ *http.Request, _ func()) {
		WriteJSON(w, http.StatusBadRequest, errorMappingProblem)
	}
	form := c.openForm(7)
	form.Set("memo", "A forbidden word")

	// Check once, untimed, that the messages land where the page shows them.
	_, body := c.post("/customers/5/contacts/7", form, http.StatusUnprocessableEntity, true)
	doc := c.parse(body)
	for _, field := range []string{"memo", "value", "type", "jobRemindersEnabled"} {
		if v, _ := doc.Find("#field-" + field).Attr("aria-invalid"); v != "true" {
			b.Fatalf("#field-%s is not marked invalid", field)
		}
	}
	if !strings.Contains(doc.Find("#error-summary").Text(), "Customer is on hold.") {
		b.Fatal("the message that names no field is not in the summary")
	}

	b.ReportAllocs()
	for b.Loop() {
		// A failed save releases its nonce: the same form may be posted again.
		c.post("/customers/5/contacts/7", form, http.StatusUnprocessableEntity, false)
	}
}

// timedST times the two calls of a save (the re-read and the PATCH) as the
// app's change service and the plain app make them, through the same kind
// of client, for BenchmarkSaveCalls. With cold set it first evicts the
// CPU's caches, as the app's own work around each call does (its SQLite,
// templates, session and middleware touch several MiB).
type timedST struct {
	web.ServiceTitan
	cold           bool
	reads, patches []time.Duration
}

// evict is larger than the machine's caches; touching each line of it
// leaves none of the caller's code or data in them.
var evict = make([]byte, 16<<20)

func (t *timedST) evictCaches() {
	if t.cold {
		for i := 0; i < len(evict); i += 64 {
			evict[i]++
		}
	}
}

func (t *timedST) GetContactOf(ctx context.Context, o client.Owner, id int64) (client.Contact, error) {
	t.evictCaches()
	start := time.Now()
	c, err := t.ServiceTitan.GetContactOf(ctx, o, id)
	t.reads = append(t.reads, time.Since(start))
	return c, err
}

func (t *timedST) GetContact(ctx context.Context, customerID, id int64) (client.Contact, error) {
	t.evictCaches()
	start := time.Now()
	c, err := t.ServiceTitan.GetContact(ctx, customerID, id)
	t.reads = append(t.reads, time.Since(start))
	return c, err
}

func (t *timedST) UpdateContactOf(ctx context.Context, o client.Owner, id int64, req client.UpdateContactRequest) (client.Contact, error) {
	t.evictCaches()
	start := time.Now()
	c, err := t.ServiceTitan.UpdateContactOf(ctx, o, id, req)
	t.patches = append(t.patches, time.Since(start))
	return c, err
}

// backgroundSQLiteAudit is the audit trail as app.Serve builds it on
// SQLite: a database of the benchmark's own, outcomes written in the
// background.
func backgroundSQLiteAudit(b *testing.B) (audit.Store, *db.DB) {
	h := dbtest.SQLiteAt(b, filepath.Join(b.TempDir(), "audit.db"))
	sqlite, err := audit.New(context.Background(), h)
	if err != nil {
		b.Fatal(err)
	}
	store := audit.CompleteInBackground(sqlite, func(id int64, err error) { b.Errorf("audit outcome %d: %v", id, err) })
	b.Cleanup(func() { store.Close() })
	return store, h
}

// BenchmarkSaveCalls times a save's two ServiceTitan calls (p50-ns/reread,
// p50-ns/patch) inside the app (as BenchmarkSave/audit=sqlite+index builds
// it) and inside the plain app, each through a client built alike against
// an in-process sandbox; plain-cold is the plain app with the CPU's caches
// evicted before each call. Issue #30 found the app's calls 2.5 times the
// plain app's: plain-cold shows how much of that is the caches the app's
// own work leaves cold (docs/profile-save.md; client.BenchmarkSaveCalls
// sets the app's client options beside none).
func BenchmarkSaveCalls(b *testing.B) {
	report := func(b *testing.B, t *timedST) {
		b.ReportMetric(float64(median(t.reads[1:])), "p50-ns/reread") // [0]: the edit form's
		b.ReportMetric(float64(median(t.patches)), "p50-ns/patch")
	}
	b.Run("app", func(b *testing.B) {
		store, h := backgroundSQLiteAudit(b)
		var timed *timedST
		up, c := benchSetup(b, func(cfg *handlers.Config) {
			timed = &timedST{ServiceTitan: cfg.ServiceTitan}
			cfg.ServiceTitan = timed
			cfg.Audit = store
			idx, err := index.Open(context.Background(), h)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Changes = NewChanges(&testing.T{}, *cfg, idx)
		})
		saveLoop(b, up, c)
		report(b, timed)
	})
	for _, cold := range []bool{false, true} {
		name := "plain"
		if cold {
			name = "plain-cold"
		}
		b.Run(name, func(b *testing.B) {
			detached := &testing.T{} // see benchSetup
			up := NewUpstream(detached)
			b.Cleanup(up.Srv.Close)
			timed := &timedST{ServiceTitan: up.Client(detached), cold: cold}
			plain := httptest.NewServer(plain.EditPage(timed, "US"))
			b.Cleanup(plain.Close)
			saveLoop(b, up, newBenchClient(b, plain.URL))
			report(b, timed)
		})
	}
}
