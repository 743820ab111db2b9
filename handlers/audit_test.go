package handlers_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
)

func withAudit(store audit.Store) func(*handlers.Config) {
	return func(c *handlers.Config) {
		c.Audit = store
		c.Identity = identity.Fixed{Email: "kelly@acme.example", Name: "Kelly Ng"}
	}
}

func openAudit(t *testing.T) audit.Store {
	t.Helper()
	store, err := audit.New(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func TestEveryOutcomeIsAudited(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(u *upstream)
		edit    func(u *upstream) // between opening the form and saving
		want    audit.Outcome
		wantMsg string
	}{
		{"ok, saved", nil, nil, audit.OutcomeSaved, ""},
		{"nok, rejected", func(u *upstream) {
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				writeJSON(w, 400, `{"title":"One or more validation errors occurred.","traceId":"tr-1","errors":{"Memo":["Memo is not allowed."]}}`)
			}
		}, nil, audit.OutcomeRejected, "memo: Memo is not allowed."},
		{"nok, conflict", nil, func(u *upstream) {
			u.edit(7, func(c *client.Contact) { c.ModifiedOn = c.ModifiedOn.Add(time.Second) })
		}, audit.OutcomeConflict, "Changed in ServiceTitan"},
		{"nok, not found", func(u *upstream) {
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				writeJSON(w, 404, `{"title":"Contact not found"}`)
			}
		}, nil, audit.OutcomeNotFound, "ServiceTitan has no contact"},
		{"nok, failed", func(u *upstream) {
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) { w.WriteHeader(503) }
		}, nil, audit.OutcomeFailed, "ServiceTitan is unavailable (502 Bad Gateway)"},
		{"nok, unknown when the answer and the check are both lost", func(u *upstream) {
			var patched atomic.Bool // set from the PATCH handler, read by the list handler
			u.onList = func(w http.ResponseWriter) bool {
				if !patched.Load() {
					return false
				}
				w.WriteHeader(500)
				return true
			}
			u.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				patched.Store(true)
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}
		}, nil, audit.OutcomeUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := openAudit(t)
			up := newUpstream(t)
			b := newBrowser(t, up.appWith(t, 300*time.Millisecond, nil, withAudit(store)).URL)
			form := b.openForm(7)
			if tt.setup != nil {
				tt.setup(up)
			}
			if tt.edit != nil {
				tt.edit(up)
			}
			form.Set("memo", "Audited <memo>")
			form.Del("jobRemindersEnabled")
			b.post("/customers/5/contacts/7", form)

			entries, total, err := store.List(context.Background(), audit.Filter{ContactID: 7})
			if err != nil || total != 1 {
				t.Fatalf("entries = %d, %v", total, err)
			}
			e := entries[0]
			if e.Outcome != tt.want || e.ActorEmail != "kelly@acme.example" || e.ActorName != "Kelly Ng" || e.TenantID != 77 || e.CustomerID != 5 || e.RequestID == "" {
				t.Errorf("entry = %+v", e)
			}
			if tt.wantMsg != "" && !strings.Contains(strings.Join(e.Messages, "|"), tt.wantMsg) {
				t.Errorf("messages = %q, want %q", e.Messages, tt.wantMsg)
			}
			want := []audit.Change{{Field: "memo", Before: "Cell", After: "Audited <memo>"}, {Field: "preferences.jobRemindersEnabled", Before: "true", After: "false"}}
			if len(e.Changes) != 2 || e.Changes[0] != want[0] || e.Changes[1] != want[1] {
				t.Errorf("changes = %+v", e.Changes)
			}
		})
	}
}

// failingStore is an audit store that cannot be written.
type failingStore struct{ audit.Store }

func (failingStore) Begin(context.Context, audit.Entry) (int64, error) {
	return 0, errors.New("disk full")
}

func TestUnauditableSaveIsRefused(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(failingStore{openAudit(t)})).URL)
	form := b.openForm(7)
	form.Set("memo", "Must be audited")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusServiceUnavailable || up.patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 503, 0", p.status, up.patches.Load())
	}
	if !strings.Contains(text(p, "[data-alert]"), "could not be recorded") || formValues(p.doc, "form#contact-form").Get("memo") != "Must be audited" {
		t.Errorf("alert %q", text(p, "[data-alert]"))
	}
}

// gate holds one call of an audit store until a signal (at most a few
// seconds), as a busy disk or a remote PostgreSQL makes it wait.
type gate struct {
	started chan struct{} // closed when the call starts waiting
	proceed chan struct{} // the call goes on when this is closed
	waited  *atomic.Bool  // set when the call stops waiting
}

func newGate() gate {
	return gate{started: make(chan struct{}), proceed: make(chan struct{}), waited: new(atomic.Bool)}
}

func (g gate) wait() {
	close(g.started)
	select {
	case <-g.proceed:
	case <-time.After(3 * time.Second):
	}
	g.waited.Store(true)
}

// waitingStore is an audit store whose Begin waits at its gate.
type waitingStore struct {
	audit.Store
	gate
}

func (s waitingStore) Begin(ctx context.Context, e audit.Entry) (int64, error) {
	s.wait()
	return s.Store.Begin(ctx, e)
}

// The row is written before the PATCH leaves, however slow the store: the
// PATCH finds it there, still "unknown". It is written after the
// lost-update read, whose record is the base of its old values.
func TestAuditRowIsWrittenBeforeThePatch(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	slow := waitingStore{Store: store, gate: newGate()}
	close(slow.proceed)
	var atPatch []audit.Entry
	up.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		atPatch, _, _ = store.List(context.Background(), audit.Filter{ContactID: 7})
		apply()
		writeJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Slow store"}`)
	}
	b := newBrowser(t, up.appWith(t, 10*time.Second, nil, withAudit(slow)).URL)
	form := b.openForm(7)
	form.Set("memo", "Slow store")
	if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	if len(atPatch) != 1 || atPatch[0].Outcome != audit.OutcomeUnknown || len(atPatch[0].Changes) != 1 {
		t.Fatalf("audit rows when the PATCH arrived = %+v; want the attempt, outcome unknown", atPatch)
	}
	if entries, _, _ := store.List(context.Background(), audit.Filter{ContactID: 7}); len(entries) != 1 || entries[0].Outcome != audit.OutcomeSaved {
		t.Errorf("audit rows after the save = %+v; want one, saved", entries)
	}
}

// When the audit row cannot be written and the read fails too, the save is
// refused for the audit trail (nothing was sent either way).
func TestUnauditableSaveWithFailedReadIsRefused(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(failingStore{openAudit(t)})).URL)
	form := b.openForm(7)
	up.onList = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadGateway); return true }
	form.Set("memo", "Must be audited")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusServiceUnavailable || up.patches.Load() != 0 || !strings.Contains(text(p, "[data-alert]"), "could not be recorded") {
		t.Errorf("status %d, PATCHes %d, alert %q; want 503, 0, the audit message", p.status, up.patches.Load(), text(p, "[data-alert]"))
	}
}

// waitingHistory is an audit store whose List waits at its gate.
type waitingHistory struct {
	audit.Store
	gate
}

func (s waitingHistory) List(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error) {
	s.wait()
	return s.Store.List(ctx, f)
}

// The record page reads its history beside the contact: here the history
// holds until ServiceTitan's read has arrived, which with the two one
// after the other would never happen.
func TestRecordPageReadsHistoryBesideTheContact(t *testing.T) {
	up := newUpstream(t)
	slow := waitingHistory{Store: openAudit(t), gate: newGate()}
	var side atomic.Bool
	up.onList = func(http.ResponseWriter) bool {
		select {
		case <-slow.started: // the history read has started
			if !slow.waited.Load() && side.CompareAndSwap(false, true) { // and still waits
				close(slow.proceed)
			}
		default:
		}
		return false
	}
	b := newBrowser(t, up.appWith(t, 10*time.Second, nil, withAudit(slow)).URL)
	if p := b.get("/customers/5/contacts/7"); p.status != http.StatusOK {
		t.Fatalf("record page: %d", p.status)
	}
	if !side.Load() {
		t.Error("the contact was read after the history; want both side by side")
	}
}

// slowOutcomes is an audit store whose Complete takes its time.
type slowOutcomes struct {
	audit.Store
	delay time.Duration
}

func (s slowOutcomes) Complete(ctx context.Context, id int64, o audit.Outcome, msgs []string, trace string) error {
	time.Sleep(s.delay)
	return s.Store.Complete(ctx, id, o, msgs, trace)
}

// With the outcome written in the background (as app.Serve runs it), the
// record page the save leads to still shows the save's outcome, not
// "unknown": its history waits for the write.
func TestRecordPageShowsTheOutcomeWrittenInBackground(t *testing.T) {
	store := audit.CompleteInBackground(slowOutcomes{openAudit(t), 200 * time.Millisecond},
		func(id int64, err error) { t.Errorf("audit outcome %d: %v", id, err) })
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, 5*time.Second, nil, withAudit(store)).URL)
	form := b.openForm(7)
	form.Set("memo", "Written later")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	rec := b.get(p.location)
	if got, _ := rec.doc.Find("[data-history] [data-outcome]").First().Attr("data-outcome"); got != string(audit.OutcomeSaved) {
		t.Errorf("newest history entry outcome = %q, want saved", got)
	}
}

// brokenHistory is an audit store that cannot be read.
type brokenHistory struct{ audit.Store }

func (brokenHistory) List(context.Context, audit.Filter) ([]audit.Entry, int, error) {
	return nil, 0, errors.New("disk unreadable")
}

// The record page does not depend on the audit trail: when the history
// cannot be read, the record is shown and the page says the history is
// missing, rather than failing.
func TestRecordPageWithoutItsHistory(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(brokenHistory{openAudit(t)})).URL)
	p := b.get("/customers/5/contacts/7")
	if p.status != http.StatusOK || !strings.Contains(text(p, "[data-history]"), "could not be loaded") || !strings.Contains(p.body, "2175550177") {
		t.Errorf("status %d, history %q", p.status, text(p, "[data-history]"))
	}
	if p := b.get("/customers/5/contacts/99"); p.status != http.StatusNotFound {
		t.Errorf("unknown contact: status %d, want 404 (history or not)", p.status)
	}
}

func TestHistoryAndAuditPages(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	for _, memo := range []string{"First", `=HYPERLINK("x") <script>`} {
		form := b.openForm(7)
		form.Set("memo", memo)
		if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
			t.Fatalf("save: %d", p.status)
		}
	}
	rec := b.get("/customers/5/contacts/7")
	entries := rec.doc.Find("[data-history] [data-outcome]")
	if entries.Length() != 2 {
		t.Fatalf("history entries = %d", entries.Length())
	}
	if a, _ := entries.First().Attr("data-actor"); a != "kelly@acme.example" {
		t.Errorf("data-actor = %q", a)
	}
	if !strings.Contains(entries.First().Text(), `=HYPERLINK("x") <script>`) || rec.doc.Find("[data-history] script").Length() != 0 {
		t.Error("newest entry first, shown as escaped text")
	}

	tests := []struct {
		name, query string
		want        int
	}{
		{"ok, all", "", 2},
		{"ok, by actor any case", "?actor=KELLY@acme.example", 2},
		{"ok, other actor", "?actor=someone@acme.example", 0},
		{"ok, by customer", "?customer=5", 2},
		{"ok, today in the display zone", "?from=" + time.Now().In(chicago()).Format("2006-01-02") + "&to=" + time.Now().In(chicago()).Format("2006-01-02"), 2},
		{"ok, before today", "?to=2020-01-01", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.get("/audit" + tt.query)
			if p.status != 200 || p.doc.Find("[data-outcome]").Length() != tt.want {
				t.Errorf("status %d, entries %d, want %d", p.status, p.doc.Find("[data-outcome]").Length(), tt.want)
			}
			resp, err := b.c.Get(b.base + "/audit.csv" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := readCSV(t, resp.Body)
			resp.Body.Close()
			if err != nil || len(rows) != 1+tt.want || rows[0][0] != "time_utc" {
				t.Fatalf("csv rows = %d (%v)", len(rows), err)
			}
			for _, row := range rows[1:] {
				if row[7] == `=HYPERLINK("x") <script>` {
					t.Error("a formula reached the CSV unescaped")
				}
			}
		})
	}
	if p := b.get("/audit?customer=abc"); !strings.Contains(text(p, "[data-problem]"), "type a customer ID") {
		t.Errorf("bad filter: %q", text(p, "[data-problem]"))
	}
}

func TestAuditDatesOutOfRange(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(openAudit(t))).URL)
	if p := b.get("/audit?to=9999-12-31"); !strings.Contains(text(p, "[data-problem]"), "Dates must look like") {
		t.Errorf("problem = %q", text(p, "[data-problem]"))
	}
}

func TestConcurrentSavesAllAudited(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	srv := up.appWith(t, 2*time.Second, nil, withAudit(store))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b := newBrowser(t, srv.URL)
			form := b.openForm(8)
			form.Set("memo", "writer "+itoa(i))
			b.post("/customers/5/contacts/8", form)
		})
	}
	wg.Wait()
	_, total, err := store.List(context.Background(), audit.Filter{ContactID: 8})
	if err != nil || total != 8 {
		t.Errorf("audited attempts = %d (%v), want 8", total, err)
	}
}

func chicago() *time.Location {
	tz, _ := time.LoadLocation("America/Chicago")
	return tz
}

// "Changed by" takes part of a name or an email; the entries' names and
// customers are links to their filters; Today and Last 7 days are a
// click away.
func TestAuditFiltersAsStaffType(t *testing.T) {
	store := openAudit(t)
	ctx := context.Background()
	for _, a := range [][2]string{{"jordan.lee@acme.example", "Jordan Lee"}, {"kelly@acme.example", "Kelly Ng"}} {
		id, err := store.Begin(ctx, audit.Entry{ActorEmail: a[0], ActorName: a[1], TenantID: 1, CustomerID: 5, ContactID: 7,
			Changes: []audit.Change{{Field: "memo", Before: "a", After: "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		store.Complete(ctx, id, audit.OutcomeSaved, nil, "")
	}
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	for _, tt := range []struct {
		actor string
		want  int
	}{{"jordan", 1}, {"Lee", 1}, {"@acme.example", 2}, {"kelly@acme.example", 1}, {"nobody", 0}} {
		p := b.get("/audit?actor=" + url.QueryEscape(tt.actor))
		if n := p.doc.Find(".history-entry").Length(); p.status != http.StatusOK || n != tt.want {
			t.Errorf("actor %q: %d, %d entries; want %d", tt.actor, p.status, n, tt.want)
		}
	}
	p := b.get("/audit")
	if got := attr(p, `[data-audit-actor-link]`, "href"); !strings.HasPrefix(got, "/audit?actor=") {
		t.Errorf("actor link %q", got)
	}
	if got := attr(p, `[data-audit-customer-link]`, "href"); got != "/audit?customer=5" {
		t.Errorf("customer link %q", got)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if got := attr(p, `[data-audit-shortcut="Today"]`, "href"); !strings.Contains(got, "from="+today) || !strings.Contains(got, "to="+today) {
		t.Errorf("Today = %q", got)
	}
	p = b.get(attr(p, `[data-audit-shortcut="Today"]`, "href"))
	if n := p.doc.Find(".history-entry").Length(); n != 2 || attr(p, `[data-audit-shortcut="Today"]`, "aria-current") != "page" {
		t.Errorf("Today: %d entries, aria-current %q", n, attr(p, `[data-audit-shortcut="Today"]`, "aria-current"))
	}
}

// History and the audit trail speak as the record does: flags On and Off,
// numbers formatted, the customer and contact by name, and a duplicate
// named as such.
func TestHistoryInPlainWords(t *testing.T) {
	store := openAudit(t)
	ctx := context.Background()
	entry := func(e audit.Entry, outcome audit.Outcome, messages ...string) {
		id, err := store.Begin(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		store.Complete(ctx, id, outcome, messages, "")
	}
	entry(audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7, Changes: []audit.Change{
		{Field: "preferences.marketingUpdatesEnabled", Before: "true", After: "false"},
		{Field: "value", Before: "2175550177", After: "2175550188"},
		{Field: "type", Before: "MobilePhone", After: "Phone"}}}, audit.OutcomeSaved)
	entry(audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "value", After: "2175550123"}}}, audit.OutcomeConflict, "Ada Lovelace already has this phone number.")
	entry(audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "memo", After: "x"}}}, audit.OutcomeFailed, "ServiceTitan is unavailable (503 Service Unavailable)")
	up := newUpstream(t)
	configure, _ := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, func(c *handlers.Config) { withAudit(store)(c); configure(c) }).URL)
	p := b.get("/audit")
	page := text(p, "main")
	for _, want := range []string{"Marketing updates", "On", "Off", "(217) 555-0177", "(217) 555-0188", "Mobile", "Landline",
		"Ada Lovelace · Mobile (217) 555-0177", "Not saved: the customer already has it", "Not saved: ServiceTitan down or slow"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit trail does not say %q: %s", want, page)
		}
	}
	for _, raw := range []string{"true", "false", "MobilePhone", "Customer 5, contact 7"} {
		if strings.Contains(text(p, ".history"), raw) {
			t.Errorf("the audit trail still says %q", raw)
		}
	}

	// The CSV keeps the raw values and adds them as the History shows them.
	csvPage := b.get("/audit.csv")
	rows, err := readCSV(t, strings.NewReader(csvPage.body))
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	var marketing []string
	for _, r := range rows[1:] {
		if r[col["field"]] == "preferences.marketingUpdatesEnabled" {
			marketing = r
		}
	}
	if marketing == nil || marketing[col["before"]] != "true" || marketing[col["before_shown"]] != "On" || marketing[col["after_shown"]] != "Off" ||
		marketing[col["field_label"]] != "Marketing updates" || marketing[col["customer_name"]] != "Ada Lovelace" ||
		marketing[col["contact"]] != "Mobile (217) 555-0177" || marketing[col["outcome_label"]] != "Saved" {
		t.Errorf("the CSV's marketing row: %q", marketing)
	}
}

// The conflict view names the colleague whose save through the app made
// the contact what it is now; a change made elsewhere names nobody.
func TestConflictNamesTheColleague(t *testing.T) {
	for _, tt := range []struct {
		name      string
		colleague bool
		want      string
	}{
		{"ok, a colleague's save through the app", true, "Jordan Lee (jordan.lee@acme.example) changed this contact while you were editing"},
		{"ok, a change made in ServiceTitan", false, "Someone else changed this contact while you were editing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := openAudit(t)
			up := newUpstream(t)
			b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
			form := b.openForm(7)
			modified := baseTime.Add(3 * time.Minute)
			up.edit(7, func(c *client.Contact) { c.Memo, c.ModifiedOn = "Jordan's memo", modified })
			if tt.colleague {
				id, err := store.Begin(context.Background(), audit.Entry{Time: modified.Add(-time.Second), ActorEmail: "jordan.lee@acme.example",
					ActorName: "Jordan Lee", TenantID: 1, CustomerID: 5, ContactID: 7, Changes: []audit.Change{{Field: "memo", After: "Jordan's memo"}}})
				if err != nil {
					t.Fatal(err)
				}
				store.Complete(context.Background(), id, audit.OutcomeSaved, nil, "")
			}
			form.Set("memo", "Mine")
			p := b.post("/customers/5/contacts/7", form)
			if p.status != http.StatusConflict {
				t.Fatalf("status %d, want 409", p.status)
			}
			if got := text(p, "#conflict-title"); got != tt.want {
				t.Errorf("conflict title %q, want %q", got, tt.want)
			}
		})
	}
}

// With the search index, the audit trail's customer filter takes a name.
func TestAuditCustomerByName(t *testing.T) {
	store := openAudit(t)
	id, _ := store.Begin(context.Background(), audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "memo", After: "x"}}})
	store.Complete(context.Background(), id, audit.OutcomeSaved, nil, "")
	up := newUpstream(t)
	configure, _ := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, func(c *handlers.Config) { withAudit(store)(c); configure(c) }).URL)
	if p := b.get("/audit?customer=lovelace"); p.doc.Find(".history-entry").Length() != 1 || text(p, "[data-problem]") != "" {
		t.Errorf("customer=lovelace: %d entries, problem %q", p.doc.Find(".history-entry").Length(), text(p, "[data-problem]"))
	}
	if p := b.get("/audit?customer=nobody+here"); !strings.Contains(text(p, "[data-problem]"), `No customer matches "nobody here"`) {
		t.Errorf("an unknown name: %q", text(p, "[data-problem]"))
	}
}
