package audit_test

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
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

func TestEveryOutcomeIsAudited(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(u *Upstream)
		edit    func(u *Upstream) // between opening the form and saving
		want    audit.Outcome
		wantMsg string
	}{
		{"ok, saved", nil, nil, audit.OutcomeSaved, ""},
		{"nok, rejected", func(u *Upstream) {
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				WriteJSON(w, 400, `{"title":"One or more validation errors occurred.","traceId":"tr-1","errors":{"Memo":["Memo is not allowed."]}}`)
			}
		}, nil, audit.OutcomeRejected, "memo: Memo is not allowed."},
		{"nok, conflict", nil, func(u *Upstream) {
			u.Edit(7, func(c *client.Contact) { c.ModifiedOn = c.ModifiedOn.Add(time.Second) })
		}, audit.OutcomeConflict, "Changed in ServiceTitan"},
		{"nok, not found", func(u *Upstream) {
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				WriteJSON(w, 404, `{"title":"Contact not found"}`)
			}
		}, nil, audit.OutcomeNotFound, "ServiceTitan has no contact"},
		{"nok, failed", func(u *Upstream) {
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) { w.WriteHeader(503) }
		}, nil, audit.OutcomeFailed, "ServiceTitan is unavailable (502 Bad Gateway)"},
		{"nok, unknown when the answer and the check are both lost", func(u *Upstream) {
			var patched atomic.Bool // set from the PATCH handler, read by the list handler
			u.OnList = func(w http.ResponseWriter) bool {
				if !patched.Load() {
					return false
				}
				w.WriteHeader(500)
				return true
			}
			u.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
				patched.Store(true)
				io.Copy(io.Discard, r.Body)
				<-r.Context().Done()
			}
		}, nil, audit.OutcomeUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := OpenAudit(t)
			up := NewUpstream(t)
			b := NewBrowser(t, up.AppWith(t, 300*time.Millisecond, nil, WithAudit(store)).URL)
			form := b.OpenForm(7)
			if tt.setup != nil {
				tt.setup(up)
			}
			if tt.edit != nil {
				tt.edit(up)
			}
			form.Set("memo", "Audited <memo>")
			form.Del("jobRemindersEnabled")
			b.Post("/customers/5/contacts/7", form)

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
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(failingStore{OpenAudit(t)})).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Must be audited")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusServiceUnavailable || up.Patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 503, 0", p.Status, up.Patches.Load())
	}
	if !strings.Contains(Text(p, "[data-alert]"), "could not be recorded") || FormValues(p.Doc, "form#contact-form").Get("memo") != "Must be audited" {
		t.Errorf("alert %q", Text(p, "[data-alert]"))
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
	store := OpenAudit(t)
	up := NewUpstream(t)
	slow := waitingStore{Store: store, gate: newGate()}
	close(slow.proceed)
	var atPatch []audit.Entry
	up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		atPatch, _, _ = store.List(context.Background(), audit.Filter{ContactID: 7})
		apply()
		WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Slow store"}`)
	}
	b := NewBrowser(t, up.AppWith(t, 10*time.Second, nil, WithAudit(slow)).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Slow store")
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
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
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(failingStore{OpenAudit(t)})).URL)
	form := b.OpenForm(7)
	up.OnList = func(w http.ResponseWriter) bool { w.WriteHeader(http.StatusBadGateway); return true }
	form.Set("memo", "Must be audited")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusServiceUnavailable || up.Patches.Load() != 0 || !strings.Contains(Text(p, "[data-alert]"), "could not be recorded") {
		t.Errorf("status %d, PATCHes %d, alert %q; want 503, 0, the audit message", p.Status, up.Patches.Load(), Text(p, "[data-alert]"))
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
	up := NewUpstream(t)
	slow := waitingHistory{Store: OpenAudit(t), gate: newGate()}
	var side atomic.Bool
	up.OnList = func(http.ResponseWriter) bool {
		select {
		case <-slow.started: // the history read has started
			if !slow.waited.Load() && side.CompareAndSwap(false, true) { // and still waits
				close(slow.proceed)
			}
		default:
		}
		return false
	}
	b := NewBrowser(t, up.AppWith(t, 10*time.Second, nil, WithAudit(slow)).URL)
	if p := b.Get("/customers/5/contacts/7"); p.Status != http.StatusOK {
		t.Fatalf("record page: %d", p.Status)
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
	store := audit.CompleteInBackground(slowOutcomes{OpenAudit(t), 200 * time.Millisecond},
		func(id int64, err error) { t.Errorf("audit outcome %d: %v", id, err) })
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, 5*time.Second, nil, WithAudit(store)).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Written later")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
	}
	rec := b.Get(p.Location)
	if got, _ := rec.Doc.Find("[data-history] [data-outcome]").First().Attr("data-outcome"); got != string(audit.OutcomeSaved) {
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
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(brokenHistory{OpenAudit(t)})).URL)
	p := b.Get("/customers/5/contacts/7")
	if p.Status != http.StatusOK || !strings.Contains(Text(p, "[data-history]"), "could not be loaded") || !strings.Contains(p.Body, "2175550177") {
		t.Errorf("status %d, history %q", p.Status, Text(p, "[data-history]"))
	}
	if p := b.Get("/customers/5/contacts/99"); p.Status != http.StatusNotFound {
		t.Errorf("unknown contact: status %d, want 404 (history or not)", p.Status)
	}
}

func TestHistoryAndAuditPages(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	for _, memo := range []string{"First", `=HYPERLINK("x") <script>`} {
		form := b.OpenForm(7)
		form.Set("memo", memo)
		if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
			t.Fatalf("save: %d", p.Status)
		}
	}
	rec := b.Get("/customers/5/contacts/7")
	entries := rec.Doc.Find("[data-history] [data-outcome]")
	if entries.Length() != 2 {
		t.Fatalf("history entries = %d", entries.Length())
	}
	if a, _ := entries.First().Attr("data-actor"); a != "kelly@acme.example" {
		t.Errorf("data-actor = %q", a)
	}
	if !strings.Contains(entries.First().Text(), `=HYPERLINK("x") <script>`) || rec.Doc.Find("[data-history] script").Length() != 0 {
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
			p := b.Get("/audit" + tt.query)
			if p.Status != 200 || p.Doc.Find("[data-outcome]").Length() != tt.want {
				t.Errorf("status %d, entries %d, want %d", p.Status, p.Doc.Find("[data-outcome]").Length(), tt.want)
			}
			resp, err := b.HTTP.Get(b.Base + "/audit.csv" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := ReadCSV(t, resp.Body)
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
	if p := b.Get("/audit?customer=abc"); !strings.Contains(Text(p, "[data-problem]"), "type a customer ID") {
		t.Errorf("bad filter: %q", Text(p, "[data-problem]"))
	}
}

func TestAuditDatesOutOfRange(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(OpenAudit(t))).URL)
	if p := b.Get("/audit?to=9999-12-31"); !strings.Contains(Text(p, "[data-problem]"), "Dates must look like") {
		t.Errorf("problem = %q", Text(p, "[data-problem]"))
	}
}

func TestConcurrentSavesAllAudited(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	srv := up.AppWith(t, 2*time.Second, nil, WithAudit(store))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			b := NewBrowser(t, srv.URL)
			form := b.OpenForm(8)
			form.Set("memo", "writer "+Itoa(i))
			b.Post("/customers/5/contacts/8", form)
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
	store := OpenAudit(t)
	ctx := context.Background()
	for _, a := range [][2]string{{"jordan.lee@acme.example", "Jordan Lee"}, {"kelly@acme.example", "Kelly Ng"}} {
		id, err := store.Begin(ctx, audit.Entry{ActorEmail: a[0], ActorName: a[1], TenantID: 1, CustomerID: 5, ContactID: 7,
			Changes: []audit.Change{{Field: "memo", Before: "a", After: "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		store.Complete(ctx, id, audit.OutcomeSaved, nil, "")
	}
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	for _, tt := range []struct {
		actor string
		want  int
	}{{"jordan", 1}, {"Lee", 1}, {"@acme.example", 2}, {"kelly@acme.example", 1}, {"nobody", 0}} {
		p := b.Get("/audit?actor=" + url.QueryEscape(tt.actor))
		if n := p.Doc.Find(".history-entry").Length(); p.Status != http.StatusOK || n != tt.want {
			t.Errorf("actor %q: %d, %d entries; want %d", tt.actor, p.Status, n, tt.want)
		}
	}
	p := b.Get("/audit")
	if got := Attr(p, `[data-audit-actor-link]`, "href"); !strings.HasPrefix(got, "/audit?actor=") {
		t.Errorf("actor link %q", got)
	}
	if got := Attr(p, `[data-audit-customer-link]`, "href"); got != "/audit?customer=5" {
		t.Errorf("customer link %q", got)
	}
	// The page's today is the office's (DisplayTZ, Chicago): from 00:00 to
	// 06:00 UTC it is still yesterday there.
	today := time.Now().In(chicago()).Format(time.DateOnly)
	if got := Attr(p, `[data-audit-shortcut="Today"]`, "href"); !strings.Contains(got, "from="+today) || !strings.Contains(got, "to="+today) {
		t.Errorf("Today = %q", got)
	}
	p = b.Get(Attr(p, `[data-audit-shortcut="Today"]`, "href"))
	if n := p.Doc.Find(".history-entry").Length(); n != 2 || Attr(p, `[data-audit-shortcut="Today"]`, "aria-current") != "page" {
		t.Errorf("Today: %d entries, aria-current %q", n, Attr(p, `[data-audit-shortcut="Today"]`, "aria-current"))
	}
}

// History and the audit trail speak as the record does: flags On and Off,
// numbers formatted, the customer and contact by name, and a duplicate
// named as such.
func TestHistoryInPlainWords(t *testing.T) {
	store := OpenAudit(t)
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
	up := NewUpstream(t)
	configure, _ := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, func(c *handlers.Config) { WithAudit(store)(c); configure(c) }).URL)
	p := b.Get("/audit")
	page := Text(p, "main")
	for _, want := range []string{"Marketing updates", "On", "Off", "(217) 555-0177", "(217) 555-0188", "Mobile", "Landline",
		"Ada Lovelace · Mobile (217) 555-0177", "Not saved: the customer already has it", "Not saved: ServiceTitan down or slow"} {
		if !strings.Contains(page, want) {
			t.Errorf("the audit trail does not say %q: %s", want, page)
		}
	}
	for _, raw := range []string{"true", "false", "MobilePhone", "Customer 5, contact 7"} {
		if strings.Contains(Text(p, ".history"), raw) {
			t.Errorf("the audit trail still says %q", raw)
		}
	}

	// The CSV keeps the raw values and adds them as the History shows them.
	csvPage := b.Get("/audit.csv")
	rows, err := ReadCSV(t, strings.NewReader(csvPage.Body))
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
			store := OpenAudit(t)
			up := NewUpstream(t)
			b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
			form := b.OpenForm(7)
			modified := BaseTime.Add(3 * time.Minute)
			up.Edit(7, func(c *client.Contact) { c.Memo, c.ModifiedOn = "Jordan's memo", modified })
			if tt.colleague {
				id, err := store.Begin(context.Background(), audit.Entry{Time: modified.Add(-time.Second), ActorEmail: "jordan.lee@acme.example",
					ActorName: "Jordan Lee", TenantID: 1, CustomerID: 5, ContactID: 7, Changes: []audit.Change{{Field: "memo", After: "Jordan's memo"}}})
				if err != nil {
					t.Fatal(err)
				}
				store.Complete(context.Background(), id, audit.OutcomeSaved, nil, "")
			}
			form.Set("memo", "Mine")
			p := b.Post("/customers/5/contacts/7", form)
			if p.Status != http.StatusConflict {
				t.Fatalf("status %d, want 409", p.Status)
			}
			if got := Text(p, "#conflict-title"); got != tt.want {
				t.Errorf("conflict title %q, want %q", got, tt.want)
			}
		})
	}
}

// With the search index, the audit trail's customer filter takes a name.
func TestAuditCustomerByName(t *testing.T) {
	store := OpenAudit(t)
	id, _ := store.Begin(context.Background(), audit.Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []audit.Change{{Field: "memo", After: "x"}}})
	store.Complete(context.Background(), id, audit.OutcomeSaved, nil, "")
	up := NewUpstream(t)
	configure, _ := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, func(c *handlers.Config) { WithAudit(store)(c); configure(c) }).URL)
	if p := b.Get("/audit?customer=lovelace"); p.Doc.Find(".history-entry").Length() != 1 || Text(p, "[data-problem]") != "" {
		t.Errorf("customer=lovelace: %d entries, problem %q", p.Doc.Find(".history-entry").Length(), Text(p, "[data-problem]"))
	}
	if p := b.Get("/audit?customer=nobody+here"); !strings.Contains(Text(p, "[data-problem]"), `No customer matches "nobody here"`) {
		t.Errorf("an unknown name: %q", Text(p, "[data-problem]"))
	}
}
