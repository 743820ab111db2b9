package bulk

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/jobs"
)

// harness is the app's bulk path over a sandbox: the audit trail, the
// index (synced once) and the bulk tables in one SQLite database, the real
// change service, and a Runner with short waits.
type harness struct {
	sb      *sandbox.Server
	st      *client.Client
	db      *db.DB
	trail   audit.Store
	idx     *index.Store
	changes *change.Service
	store   *Store
	svc     *Service
	queued  *recordingQueue

	// waits are the Afters of the steps run asked to go on after.
	waits []time.Duration
	rows  rowCounts

	mu sync.Mutex
	// calls counts requests per customer id, by operation.
	calls map[string]map[int64]int
	// patch decides per contact what a PATCH does (nil: the real thing).
	patch map[int64]sandbox.Interceptor
}

type recordingQueue struct {
	mu   sync.Mutex
	jobs []int64
}

func (q *recordingQueue) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args.(RunArgs).Job)
	return &rivertype.JobInsertResult{}, nil
}

func newHarness(t *testing.T, generated int) *harness {
	t.Helper()
	ctx := context.Background()
	h := &harness{calls: map[string]map[int64]int{}, patch: map[int64]sandbox.Interceptor{}, queued: &recordingQueue{}}
	h.sb = sandboxtest.Start(t, sandbox.WithGeneratedCustomers(generated))
	cfg := h.sb.ClientConfig()
	cfg.Timeout = 5 * time.Second // a call on a busy machine under -race; no test here waits for a timeout
	var err error
	h.st, err = client.New(cfg, clienttest.WithBackoff(time.Millisecond), clienttest.WithMaxRetryWait(0))
	if err != nil {
		t.Fatal(err)
	}
	h.db = dbtest.SQLiteAt(t, t.TempDir()+"/audit.db")
	h.trail, err = audit.New(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.trail.Close() })
	if h.idx, err = index.Open(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	// The index is loaded by a client of its own, without the tests' short
	// timeout: reading the whole generated tenant on a busy machine takes
	// longer than a change's call may.
	syncCfg := h.sb.ClientConfig()
	syncCfg.Timeout = time.Minute
	loader, err := client.New(syncCfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.NewSyncer(loader, h.idx, 1000, nil).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if h.store, err = Open(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	h.changes, err = change.New(change.Config{ServiceTitan: h.st, Audit: h.trail, TenantID: cfg.TenantID, Budget: 5 * time.Second,
		Caches: []change.Cache{h.idx}})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = &Service{Store: h.store, Index: h.idx, Queue: h.queued}
	for _, op := range []string{sandbox.OpListContacts, sandbox.OpUpdateContact, sandbox.OpDeleteContact} {
		h.sb.Intercept(op, func(w http.ResponseWriter, r *http.Request, apply func()) {
			customer, contact := pathIDs(r.URL.Path)
			h.mu.Lock()
			if h.calls[op] == nil {
				h.calls[op] = map[int64]int{}
			}
			h.calls[op][customer]++
			special := h.patch[contact]
			h.mu.Unlock()
			if op == sandbox.OpUpdateContact && special != nil {
				special(w, r, apply)
				return
			}
			apply()
		})
	}
	return h
}

// pathIDs reads .../customers/{id}/contacts[/{contactId}].
func pathIDs(path string) (customer, contact int64) {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p == "customers" && i+1 < len(parts) {
			customer, _ = strconv.ParseInt(parts[i+1], 10, 64)
		}
		if p == "contacts" && i+1 < len(parts) {
			contact, _ = strconv.ParseInt(parts[i+1], 10, 64)
		}
	}
	return customer, contact
}

func (h *harness) count(op string, customer int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[op][customer]
}

func (h *harness) runner() *Runner {
	r := NewRunner(RunnerConfig{Store: h.store, Changes: h.changes, Trail: h.trail, PerSecond: 1000, Metrics: &h.rows})
	r.wait, r.step = time.Millisecond, time.Minute
	return r
}

// run works job to its end as one worker would, step after step.
func (h *harness) run(t *testing.T, r *Runner, job int64) {
	t.Helper()
	for range 100 {
		step, err := r.Work(context.Background(), job)
		if err != nil {
			t.Fatalf("Work: %v", err)
		}
		if !step.More {
			return
		}
		h.waits = append(h.waits, step.After)
	}
	t.Fatal("the job did not end in 100 steps")
}

var kelly = Person{Email: "kelly@acme.example", Name: "Kelly Ng"}

// marketingOn finds n customers (generated ones, each its own) with a
// contact whose marketing updates are on.
func (h *harness) marketingOn(t *testing.T, n int) []index.Contact {
	t.Helper()
	var out []index.Contact
	for id := sandbox.SeedCustomerID + 100; len(out) < n && id < sandbox.SeedCustomerID+1000; id++ {
		contacts, _ := h.idx.Contacts(context.Background(), id)
		for _, c := range contacts {
			if c.Preferences != nil && c.Preferences.MarketingUpdatesEnabled && !c.Preferences.HasSplitInvoiceFlags() {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) < n {
		t.Fatalf("found %d contacts with marketing on, want %d", len(out), n)
	}
	return out
}

func listOf(t *testing.T, lines ...string) List {
	t.Helper()
	l, err := Parse(strings.NewReader(strings.Join(lines, "\n")), "US")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

var optOut = Action{Kind: SetPreferences, Set: map[string]bool{"marketingUpdatesEnabled": false}}

// The preview says, from the index alone, what each line names and what
// would change; nothing is sent to ServiceTitan.
func TestPreview(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	h.sb.ResetCounters()
	list := listOf(t, "value,customer id",
		"(217) 555-0177,",      // Ada's mobile: marketing already off
		"ada@example.com,",     // Ada's email: marketing on
		"217-555-0177,",        // the same contact again
		"(312) 555-0100,",      // nobody's
		"not a number,",        // invalid
		"ada@example.com,4242", // another customer's? no: unmatched
	)
	id, p, err := h.svc.Preview(ctx, list, optOut, "optouts.csv", kelly)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Totals(); got != (Totals{Change: 1, Unchanged: 1, Unmatched: 2, Invalid: 1, Duplicate: 1}) {
		t.Errorf("totals %+v", got)
	}
	stored, err := h.store.PreviewTotals(ctx, id)
	if err != nil || stored != p.Totals() {
		t.Errorf("stored totals %+v, %v; want %+v", stored, err, p.Totals())
	}
	rows, _ := h.store.Targets(ctx, id, "", 0, 10)
	if len(rows) != 2 || rows[0].ContactID != sandbox.SeedMobileContactID || rows[0].Planned != PlanUnchanged ||
		rows[1].ContactID != sandbox.SeedEmailContactID || rows[1].Planned != PlanChange ||
		rows[1].Before != "Marketing updates on" || rows[1].After != "Marketing updates off" || rows[1].CustomerName != "Ada Lovelace" {
		t.Errorf("rows %+v", rows)
	}
	want := []string{"2 matched", "3 matched", "4 duplicate the same contact as line 2", "5 unmatched no contact holds this value",
		"6 invalid", "7 unmatched customer 4242 has no contact with this value"}
	for i, l := range p.Lines {
		got := fmt.Sprintf("%d %s %s", l.Line, l.Status, l.Why)
		if i >= len(want) || !strings.HasPrefix(got, want[i]) {
			t.Errorf("line %d: %q, want %q", i, got, want[min(i, len(want)-1)])
		}
	}
	// The lines to check are those that name no contact.
	check, _ := h.store.LinesToCheck(ctx, id, 0, 10)
	if len(check) != 4 || check[0].Line != 4 || check[3].Line != 7 {
		t.Errorf("lines to check %+v", check)
	}
	if j, _ := h.store.Job(ctx, id); j.State != Draft || j.Owner != kelly || j.FileName != "optouts.csv" || j.Contacts != 2 || j.Lines != 6 {
		t.Errorf("job %+v", j)
	}
	for _, op := range []string{sandbox.OpListContacts, sandbox.OpGetCustomer, sandbox.OpUpdateContact} {
		if n := h.sb.Requests(op); n != 0 {
			t.Errorf("the preview made %d %s calls", n, op)
		}
	}
}

// A value several customers hold (a shared family or office address)
// matches each of them.
func TestPreviewSharedValues(t *testing.T) {
	h := newHarness(t, 400)
	ctx := context.Background()
	counts := map[string]map[int64]bool{}
	for id := sandbox.SeedCustomerID + 100; id < sandbox.SeedCustomerID+500; id++ {
		contacts, _ := h.idx.Contacts(ctx, id)
		for _, c := range contacts {
			if k := index.ValueKey(c); c.Type == client.ContactEmail && change.IsEmailAddress(k) {
				if counts[k] == nil {
					counts[k] = map[int64]bool{}
				}
				counts[k][c.CustomerID] = true
			}
		}
	}
	shared := ""
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if n := len(counts[k]); n > 1 && n <= 5 {
			shared = k
			break
		}
	}
	if shared == "" {
		t.Fatal("the generated tenant has no shared email")
	}
	_, p, err := h.svc.Preview(ctx, listOf(t, shared), optOut, "", kelly)
	if err != nil {
		t.Fatal(err)
	}
	held, _ := h.idx.ContactsByValue(ctx, []string{shared})
	if p.Lines[0].Status != LineMatched || p.Lines[0].Customers < 2 || len(p.Rows) != len(held[shared]) || p.Totals().Shared != 1 {
		t.Errorf("a shared email: line %+v, %d rows; %d contacts hold it", p.Lines[0], len(p.Rows), len(held[shared]))
	}
}

// A placeholder held by more contacts than any person's value is refused
// with the reason; the rest of the list goes on.
func TestPreviewRefusesPlaceholders(t *testing.T) {
	idx := fakeIndex{byValue: map[string][]index.Contact{}}
	for i := range MaxPerValue + 1 {
		idx.byValue["noemail@gmail.com"] = append(idx.byValue["noemail@gmail.com"],
			index.Contact{ID: int64(100 + i), CustomerID: int64(1000 + i), Type: client.ContactEmail, Value: "noemail@gmail.com"})
	}
	idx.byValue["ada@example.com"] = []index.Contact{{ID: 7, CustomerID: 5, Type: client.ContactEmail, Value: "ada@example.com",
		Preferences: &client.Preferences{MarketingUpdatesEnabled: true}}}
	p, err := Match(context.Background(), idx, listOf(t, "noemail@gmail.com", "ada@example.com"), optOut, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Lines[0].Status != LineInvalid || !strings.Contains(p.Lines[0].Why, "placeholder") || p.Lines[0].Matches != MaxPerValue+1 {
		t.Errorf("the placeholder: %+v", p.Lines[0])
	}
	if len(p.Rows) != 1 || p.Rows[0].ContactID != 7 || p.Rows[0].Planned != PlanChange {
		t.Errorf("rows %+v", p.Rows)
	}
}

// A line whose contacts cannot all take the change keeps the others and
// says how many were left out and why: no contact drops out of sight.
func TestPreviewSaysWhichContactsAreLeftOut(t *testing.T) {
	split := &client.Preferences{InvoiceNotification: new(true), StatementNotification: new(true)}
	idx := fakeIndex{byValue: map[string][]index.Contact{"billing@acme.example": {
		{ID: 1, CustomerID: 10, Type: client.ContactEmail, Value: "billing@acme.example", Preferences: &client.Preferences{InvoiceStatementNotification: true}},
		{ID: 2, CustomerID: 11, Type: client.ContactEmail, Value: "billing@acme.example", Preferences: split},
	}}}
	statementsOff := Action{Kind: SetPreferences, Set: map[string]bool{"statementNotification": false}}
	p, err := Match(context.Background(), idx, listOf(t, "billing@acme.example"), statementsOff, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || p.Rows[0].ContactID != 2 || p.Lines[0].Status != LineMatched ||
		!strings.Contains(p.Lines[0].Why, "1 of the 2 contacts it matched left out") || p.Totals().Partial != 1 {
		t.Errorf("rows %+v, line %+v", p.Rows, p.Lines[0])
	}
}

type fakeIndex struct{ byValue map[string][]index.Contact }

func (f fakeIndex) ContactsByValue(_ context.Context, values []string) (map[string][]index.Contact, error) {
	out := map[string][]index.Contact{}
	for _, v := range values {
		if cs, ok := f.byValue[v]; ok {
			out[v] = cs
		}
	}
	return out, nil
}

func (f fakeIndex) ContactsByID(context.Context, []int64) (map[int64]index.Contact, error) {
	return map[int64]index.Contact{}, nil
}

func (f fakeIndex) CustomersByID(context.Context, []int64) (map[int64]index.Customer, error) {
	return map[int64]index.Customer{}, nil
}

func (f fakeIndex) LocationsByID(context.Context, []int64) (map[int64]index.Location, error) {
	return map[int64]index.Location{}, nil
}

// The job through every outcome, against a scripted ServiceTitan: each
// contact is read once and written at most once; one already right costs
// one call; the audit trail has one entry per change, naming the job.
func TestJobOutcomes(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 7)
	changed, gone, refused, flaky, lost, already, throttled := cs[0], cs[1], cs[2], cs[3], cs[4], cs[5], cs[6]
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Value)
	}
	id, _, err := h.svc.Preview(ctx, listOf(t, lines...), optOut, "list.csv", kelly)
	if err != nil {
		t.Fatal(err)
	}
	// Since the preview: a colleague removed one contact and turned
	// marketing off for another.
	if err := h.st.DeleteContact(ctx, gone.CustomerID, gone.ID); err != nil {
		t.Fatal(err)
	}
	ct, _ := h.sb.Contact(already.CustomerID, already.ID)
	ct.Preferences.MarketingUpdatesEnabled = false
	h.sb.SetContact(already.CustomerID, ct)
	h.patch[refused.ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"type":"x","title":"One or more validation errors occurred.","status":400,"errors":{"Preferences":["Marketing cannot be changed for this contact."]}}`))
	}
	flakyCalls := 0
	h.patch[flaky.ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		if flakyCalls++; flakyCalls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		apply()
	}
	h.patch[lost.ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		apply()
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	}
	throttledCalls := 0
	h.patch[throttled.ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		if throttledCalls++; throttledCalls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		apply()
	}
	h.sb.ResetCounters()
	h.calls = map[string]map[int64]int{}

	started, err := h.svc.Confirm(ctx, id, kelly.Email)
	if err != nil || !started {
		t.Fatalf("Confirm: %v, %v", started, err)
	}
	h.run(t, h.runner(), id)

	if got := h.rows.snapshot(); got != "changed 4, failed 1, retried 2, skipped 1, unchanged 1" {
		t.Errorf("rows counted for metrics: %s", got)
	}
	if !slices.Contains(h.waits, time.Second) {
		t.Errorf("the job went on after %v; after the 429 it should wait the second ServiceTitan asked for", h.waits)
	}
	j, _ := h.store.Job(ctx, id)
	counts, _ := h.store.Counts(ctx, id)
	if j.State != Done || counts != (Counts{Changed: 4, Unchanged: 1, Skipped: 1, Failed: 1}) {
		t.Fatalf("job %s, counts %+v", j.State, counts)
	}
	rows, _ := h.store.Targets(ctx, id, "", 0, 10)
	byContact := map[int64]Target{}
	for _, r := range rows {
		byContact[r.ContactID] = r
	}
	for _, tt := range []struct {
		c              index.Contact
		state          RowState
		reads, patches int
		message        string
	}{
		{changed, RowChanged, 1, 1, ""},
		{gone, RowSkipped, 1, 0, "no longer exists"},
		{refused, RowFailed, 1, 1, "Marketing cannot be changed"},
		{flaky, RowChanged, 3, 2, ""}, // read, 503 (read again: not there), then read and PATCH
		{lost, RowChanged, 2, 1, ""},  // read, PATCH lost, read: it is there
		{already, RowUnchanged, 1, 0, ""},
		{throttled, RowChanged, 2, 2, ""}, // read, 429 (not made), then read and PATCH after Retry-After
	} {
		r := byContact[tt.c.ID]
		reads, patches := h.count(sandbox.OpListContacts, tt.c.CustomerID), h.count(sandbox.OpUpdateContact, tt.c.CustomerID)
		if r.State != tt.state || !strings.Contains(r.Message, tt.message) || reads != tt.reads || patches != tt.patches {
			t.Errorf("contact %d: %s %q after %d reads and %d PATCHes; want %s %q, %d and %d",
				tt.c.ID, r.State, r.Message, reads, patches, tt.state, tt.message, tt.reads, tt.patches)
		}
		if now, ok := h.sb.Contact(tt.c.CustomerID, tt.c.ID); ok && tt.state == RowChanged && now.Preferences.MarketingUpdatesEnabled {
			t.Errorf("contact %d: marketing still on", tt.c.ID)
		}
	}
	entries, _, _ := h.trail.List(ctx, audit.Filter{Job: id})
	outcomes := map[audit.Outcome]int{}
	for _, e := range entries {
		outcomes[e.Outcome]++
		if e.ActorEmail != kelly.Email || e.Job != id {
			t.Errorf("entry %+v does not name the job's owner and the job", e)
		}
	}
	// Four changes, the refusal, the contact gone, the 503 attempt
	// (failed: the read after it showed it was not made) and the 429.
	if outcomes[audit.OutcomeSaved] != 4 || outcomes[audit.OutcomeRejected] != 1 || outcomes[audit.OutcomeNotFound] != 1 ||
		outcomes[audit.OutcomeFailed] != 2 || len(entries) != 8 {
		t.Errorf("audit outcomes %v (%d entries)", outcomes, len(entries))
	}
}

// Pause stops between rows and Resume goes on; Cancel leaves the rows not
// worked cancelled.
func TestPauseResumeCancel(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 6)
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Value)
	}
	id, _, _ := h.svc.Preview(ctx, listOf(t, lines...), optOut, "", kelly)
	h.svc.Confirm(ctx, id, kelly.Email)
	r := h.runner()
	// One row at a time, so the pause falls between two known rows (with
	// more at once, the rows already started finish too).
	r.parallel = 1
	// Pause after the second PATCH.
	patches := 0
	for _, c := range cs {
		h.patch[c.ID] = func(w http.ResponseWriter, req *http.Request, apply func()) {
			apply()
			if patches++; patches == 2 {
				if ok, err := h.svc.Pause(ctx, id, "lee@acme.example"); !ok || err != nil {
					t.Errorf("Pause: %v, %v", ok, err)
				}
			}
		}
	}
	if step, err := r.Work(ctx, id); err != nil || step.More {
		t.Fatalf("a paused job's step: %+v, %v", step, err)
	}
	if c, _ := h.store.Counts(ctx, id); c.Changed != 2 || c.Pending != 4 {
		t.Errorf("after the pause: %+v", c)
	}
	if j, _ := h.store.Job(ctx, id); j.State != Paused || j.StateBy != "lee@acme.example" {
		t.Errorf("job %+v", j)
	}
	if step, _ := r.Work(ctx, id); step.More {
		t.Error("a paused job went on")
	}
	if ok, _ := h.svc.Resume(ctx, id, kelly.Email); !ok || len(h.queued.jobs) != 2 {
		t.Fatalf("Resume: %v, queued %v", ok, h.queued.jobs)
	}
	// Cancel after one more.
	patches = 0
	for _, c := range cs {
		h.patch[c.ID] = func(w http.ResponseWriter, req *http.Request, apply func()) {
			apply()
			if patches++; patches == 1 {
				h.svc.Cancel(ctx, id, kelly.Email)
			}
		}
	}
	h.run(t, r, id)
	c, _ := h.store.Counts(ctx, id)
	if c != (Counts{Changed: 3, Cancelled: 3}) {
		t.Errorf("after the cancel: %+v", c)
	}
	if j, _ := h.store.Job(ctx, id); j.State != Cancelled || j.Finished.IsZero() {
		t.Errorf("job %+v", j)
	}
	if ok, _ := h.svc.Resume(ctx, id, kelly.Email); ok {
		t.Error("a cancelled job was resumed")
	}
	// A repeated confirmation starts nothing.
	if again, _ := h.svc.Confirm(ctx, id, kelly.Email); again {
		t.Error("a job was confirmed twice")
	}
}

// Only the owner confirms a draft, once.
func TestConfirmOnceByTheOwner(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	id, _, _ := h.svc.Preview(ctx, listOf(t, "ada@example.com"), optOut, "", kelly)
	if ok, _ := h.svc.Confirm(ctx, id, "lee@acme.example"); ok {
		t.Error("someone else confirmed kelly's draft")
	}
	var wg sync.WaitGroup
	results := make([]bool, 4)
	for i := range results {
		wg.Go(func() { results[i], _ = h.svc.Confirm(ctx, id, kelly.Email) })
	}
	wg.Wait()
	started := 0
	for _, ok := range results {
		if ok {
			started++
		}
	}
	if started != 1 || len(h.queued.jobs) != 1 {
		t.Errorf("%d of 4 confirmations started the job, %d runs queued", started, len(h.queued.jobs))
	}
}

// A crash in the middle of a row (the PATCH applied, its outcome not yet
// recorded anywhere) is settled after the restart by reading: the contact
// is not changed twice and the row is counted as changed.
func TestRestartInTheMiddle(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 4)
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Value)
	}
	id, _, _ := h.svc.Preview(ctx, listOf(t, lines...), optOut, "", kelly)
	h.svc.Confirm(ctx, id, kelly.Email)

	// The third change is applied, then the process "dies" before its
	// outcome is recorded: its worker stops right there, for good.
	frozen := &freezingTrail{Store: h.trail, contact: cs[2].ID, reached: make(chan struct{}), release: make(chan struct{})}
	dying, err := change.New(change.Config{ServiceTitan: h.st, Audit: frozen, Budget: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	first := NewRunner(RunnerConfig{Store: h.store, Changes: dying, Trail: h.trail, PerSecond: 1000})
	first.parallel = 1 // the crash falls on a known row
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		first.Work(ctx, id)
	}()
	<-frozen.reached
	t.Cleanup(func() { close(frozen.release); <-gone })
	if c, _ := h.store.Counts(ctx, id); c.Changed != 2 || c.Running != 1 || c.Pending != 1 {
		t.Fatalf("after the crash: %+v", c)
	}
	if e, _, _ := h.trail.List(ctx, audit.Filter{Job: id, ContactID: cs[2].ID}); len(e) != 1 || e[0].Outcome != audit.OutcomeUnknown {
		t.Fatalf("the crashed attempt: %+v", e)
	}

	// After the restart: another worker (River's rescuer hands the run on).
	second := h.runner()
	h.run(t, second, id)
	if c, _ := h.store.Counts(ctx, id); c != (Counts{Changed: 4}) {
		t.Errorf("after the restart: %+v", c)
	}
	for _, c := range cs {
		if n := h.count(sandbox.OpUpdateContact, c.CustomerID); n != 1 {
			t.Errorf("contact %d: %d PATCHes, want 1", c.ID, n)
		}
	}
	if e, _, _ := h.trail.List(ctx, audit.Filter{Job: id, ContactID: cs[2].ID}); len(e) != 1 || e[0].Outcome != audit.OutcomeSaved {
		t.Errorf("the crashed attempt after the restart: %+v", e)
	}
}

// freezingTrail is the audit trail of a process that dies just after one
// contact's change was made: recording its outcome never happens.
type freezingTrail struct {
	audit.Store
	contact int64
	mu      sync.Mutex
	frozen  int64
	reached chan struct{}
	once    sync.Once
	release chan struct{}
}

func (f *freezingTrail) Begin(ctx context.Context, e audit.Entry) (int64, error) {
	id, err := f.Store.Begin(ctx, e)
	if e.ContactID == f.contact {
		f.mu.Lock()
		f.frozen = id
		f.mu.Unlock()
	}
	return id, err
}

func (f *freezingTrail) Complete(ctx context.Context, id int64, outcome audit.Outcome, messages []string, traceID string) error {
	f.mu.Lock()
	frozen := id == f.frozen
	f.mu.Unlock()
	if !frozen {
		return f.Store.Complete(ctx, id, outcome, messages, traceID)
	}
	f.once.Do(func() { close(f.reached) })
	<-f.release
	// Nothing the dead process writes reaches the trail: no try again.
	return fmt.Errorf("the process is gone: %w", audit.ErrNotFound)
}

// Through River, as the app runs it: a confirmed job is worked to its end
// by its run, queued with the confirmation; a job paused and resumed gets
// one run again, whether its run had ended or not; a job has one run at a
// time however often it is resumed.
func TestJobThroughRiver(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 5)
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Value)
	}
	workers := river.NewWorkers()
	runner := h.runner()
	runner.step = 50 * time.Millisecond // several steps: each snoozes and goes on
	river.AddWorker(workers, &RunWorker{Runner: runner})
	q, err := jobs.Open(ctx, jobs.Config{DB: h.db, Workers: workers, PollInterval: 100 * time.Millisecond, JobTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h.svc.Queue = q
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(context.Background()) })

	// Slow enough that a step ends in the middle.
	for _, c := range cs {
		h.patch[c.ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
			time.Sleep(30 * time.Millisecond)
			apply()
		}
	}
	id, _, _ := h.svc.Preview(ctx, listOf(t, lines[:3]...), optOut, "", kelly)
	if ok, err := h.svc.Confirm(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("Confirm: %v, %v", ok, err)
	}
	waitFor(t, func() bool { j, _ := h.store.Job(ctx, id); return j.State == Done })
	if n := h.runs(t, id, "completed"); n != 1 {
		t.Errorf("%d completed runs of a job worked to its end, want 1", n)
	}

	// Paused once its run has ended, then resumed: a new run finishes it.
	// Resumed again at once, twice: still one run.
	second, _, _ := h.svc.Preview(ctx, listOf(t, lines[3:]...), optOut, "", kelly)
	h.patch[cs[3].ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		if ok, err := h.svc.Pause(ctx, second, kelly.Email); !ok || err != nil {
			t.Errorf("Pause: %v, %v", ok, err)
		}
		apply()
	}
	if ok, err := h.svc.Confirm(ctx, second, kelly.Email); !ok || err != nil {
		t.Fatalf("Confirm: %v, %v", ok, err)
	}
	waitFor(t, func() bool { return h.runs(t, second, "completed") == 1 })
	if j, _ := h.store.Job(ctx, second); j.State != Paused {
		t.Fatalf("the job is %s, want paused", j.State)
	}
	delete(h.patch, cs[3].ID)
	// The last contact's PATCH waits until the resumes and pauses are
	// done: a run quicker than the test must not finish the job between a
	// Resume and the next Pause (a busy machine lets it).
	hold := make(chan struct{})
	h.mu.Lock()
	h.patch[cs[4].ID] = func(w http.ResponseWriter, r *http.Request, apply func()) {
		<-hold
		apply()
	}
	h.mu.Unlock()
	for range 2 {
		if ok, err := h.svc.Resume(ctx, second, kelly.Email); !ok || err != nil {
			t.Fatalf("Resume: %v, %v", ok, err)
		}
		if n := h.runs(t, second, "available", "running", "scheduled", "retryable"); n != 1 {
			t.Errorf("%d runs queued or running after a resume, want 1", n)
		}
		if ok, err := h.svc.Pause(ctx, second, kelly.Email); !ok || err != nil {
			t.Fatalf("Pause: %v, %v", ok, err)
		}
	}
	close(hold)
	if ok, err := h.svc.Resume(ctx, second, kelly.Email); !ok || err != nil {
		t.Fatalf("Resume: %v, %v", ok, err)
	}
	waitFor(t, func() bool { j, _ := h.store.Job(ctx, second); return j.State == Done })
	for _, c := range cs {
		if n := h.count(sandbox.OpUpdateContact, c.CustomerID); n != 1 {
			t.Errorf("contact %d: %d PATCHes, want 1", c.ID, n)
		}
	}
}

// runs counts job's River runs in the given states.
func (h *harness) runs(t *testing.T, job int64, states ...string) int {
	t.Helper()
	var n int
	err := h.db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE kind = 'bulk_run' AND json_extract(args, '$.job') = ?
		AND state IN ('`+strings.Join(states, "', '")+`')`, job).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// rowCounts is a RowRecorder that counts.
type rowCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *rowCounts) BulkRow(outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[outcome]++
}

func (r *rowCounts) snapshot() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.n)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.n[k]))
	}
	return strings.Join(parts, ", ")
}

// A job resumed from a restored backup: the database went back to before
// the job had worked its rows, so they are pending again and their audit
// entries are gone, while ServiceTitan holds the changes the job made. The
// job finds those contacts as asked, and does not call them "already as
// asked" (as if they had been so before it started): they are counted
// apart, changed after the job started, nothing sent again. A contact a
// colleague changed before the job started is already as asked.
func TestAJobResumedFromABackupDoesNotCallItsOwnChangesAlreadyAsAsked(t *testing.T) {
	h := newHarness(t, 200)
	ctx := context.Background()
	cs := h.marketingOn(t, 4)
	var lines []string
	for _, c := range cs {
		lines = append(lines, c.Value)
	}
	id, _, _ := h.svc.Preview(ctx, listOf(t, lines...), optOut, "", kelly)
	// A colleague opts the first one out before the job starts.
	prefs := *cs[0].Preferences
	prefs.MarketingUpdatesEnabled = false
	if _, err := h.st.UpdateContact(ctx, cs[0].CustomerID, cs[0].ID, client.UpdateContactRequest{Preferences: &prefs}); err != nil {
		t.Fatal(err)
	}
	if ok, err := h.svc.Confirm(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("Confirm: %v, %v", ok, err)
	}
	h.run(t, h.runner(), id)
	if c, _ := h.store.Counts(ctx, id); c != (Counts{Changed: 3, Unchanged: 1}) {
		t.Fatalf("before the restore: %+v", c)
	}

	// The backup was taken when the job had just started.
	for _, q := range []string{
		`UPDATE bulk_rows SET state = 'pending', tries = 0, audit_id = 0, message = '', done_us = 0 WHERE job_id = ?`,
		`UPDATE bulk_jobs SET state = 'running', finished_us = 0 WHERE id = ?`,
		`DELETE FROM attempts WHERE bulk_job = ?`,
	} {
		if _, err := h.db.ExecContext(ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	h.run(t, h.runner(), id)
	if c, _ := h.store.Counts(ctx, id); c != (Counts{Unchanged: 1, Found: 3}) {
		t.Errorf("after the restore: %+v, want 1 already as asked and 3 found changed since the job started", c)
	}
	for _, c := range cs {
		if n := h.count(sandbox.OpUpdateContact, c.CustomerID); n > 1 {
			t.Errorf("contact %d: %d PATCHes", c.ID, n)
		}
	}
}

// Counts reads the rows by state, found-changed ones apart, on both
// databases.
func TestCountsOnBothDatabases(t *testing.T) {
	for name, open := range map[string]func(testing.TB) *db.DB{db.SQLite: dbtest.SQLite, db.Postgres: dbtest.Postgres} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			sqlDB := open(t)
			s, err := Open(ctx, sqlDB)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sqlDB.ExecContext(ctx, db.Rebind(name, `INSERT INTO bulk_jobs (id, owner_email, owner_name, created_us, file_name, action, flags,
				state, lines, contacts) VALUES (7, 'kelly@acme.example', 'Kelly', 1, '', 'preferences', '{}', 'running', 4, 4)`)); err != nil {
				t.Fatal(err)
			}
			for seq, row := range [][2]string{{"changed", ""}, {"unchanged", ""}, {"unchanged", FoundChanged + ": nothing was sent."}, {"pending", ""}} {
				if _, err := sqlDB.ExecContext(ctx, db.Rebind(name, `INSERT INTO bulk_rows (job_id, seq, line, customer_id, contact_id, customer_name,
					kind, value, planned, before_text, after_text, state, message) VALUES (7, ?, 1, 1, ?, '', 'Email', '', 'change', '', '', ?, ?)`),
					seq, seq+1, row[0], row[1]); err != nil {
					t.Fatal(err)
				}
			}
			if c, err := s.Counts(ctx, 7); err != nil || c != (Counts{Changed: 1, Unchanged: 1, Found: 1, Pending: 1}) {
				t.Errorf("Counts = %+v, %v", c, err)
			}
		})
	}
}

// A service location's contact is previewed and changed as a customer's
// is: the preview names the location, the job writes the location's
// contact (a read and a PATCH, never the customer's), and the audit entry
// names the location and the job.
func TestALocationContactInAList(t *testing.T) {
	h := newHarness(t, 0)
	ctx := context.Background()
	remindersOff := Action{Kind: SetPreferences, Set: map[string]bool{"jobRemindersEnabled": false}}
	id, p, err := h.svc.Preview(ctx, listOf(t, sandbox.SeedLocationContactValue), remindersOff, "sites.csv", kelly)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || p.Rows[0].LocationID != sandbox.SeedLocationID || p.Rows[0].ContactID != sandbox.SeedLocationContactID ||
		p.Rows[0].CustomerID != sandbox.SeedCustomerID || !strings.Contains(p.Rows[0].LocationName, "Ada Lovelace") || p.Rows[0].Planned != PlanChange {
		t.Fatalf("preview rows %+v", p.Rows)
	}
	var stored []Target
	if err := h.store.EachResult(ctx, id, func(r Result) error {
		if r.Target != nil {
			stored = append(stored, *r.Target)
		}
		return nil
	}); err != nil || len(stored) != 1 || stored[0].LocationID != sandbox.SeedLocationID || stored[0].LocationName != p.Rows[0].LocationName {
		t.Fatalf("stored rows %+v, %v", stored, err)
	}
	if ok, err := h.svc.Confirm(ctx, id, kelly.Email); !ok || err != nil {
		t.Fatalf("confirm: %v, %v", ok, err)
	}
	h.sb.ResetCounters()
	h.run(t, h.runner(), id)
	ct, _ := h.sb.LocationContact(sandbox.SeedLocationID, sandbox.SeedLocationContactID)
	if ct.Preferences == nil || ct.Preferences.JobRemindersEnabled {
		t.Errorf("the location's contact after the job: %+v", ct.Preferences)
	}
	reads, patches := h.sb.Requests(sandbox.OpListLocationContacts), h.sb.Requests(sandbox.OpUpdateLocationContact)
	if reads+patches != 2 || h.sb.Requests(sandbox.OpListContacts)+h.sb.Requests(sandbox.OpUpdateContact) != 0 {
		t.Errorf("%d reads and %d PATCHes of the location's contacts, %d calls on the customer's; want 1, 1 and 0", reads, patches,
			h.sb.Requests(sandbox.OpListContacts)+h.sb.Requests(sandbox.OpUpdateContact))
	}
	entries, _, err := h.trail.List(ctx, audit.Filter{LocationID: sandbox.SeedLocationID})
	if err != nil || len(entries) != 1 || entries[0].Job != id || entries[0].Outcome != audit.OutcomeSaved {
		t.Errorf("audit %+v, %v", entries, err)
	}
}
