package index

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// syncHarness is an index on SQLite fed from a sandbox with small export
// pages, so a backfill takes several pages.
type syncHarness struct {
	sb     *sandbox.Server
	st     *client.Client
	store  *Store
	syncer *Syncer
}

func newSyncHarness(t *testing.T, generated int, opts ...sandbox.Option) *syncHarness {
	t.Helper()
	sb := sandboxtest.Start(t, append([]sandbox.Option{sandboxtest.WithExportPageSize(40), sandbox.WithGeneratedCustomers(generated)}, opts...)...)
	cfg := sb.ClientConfig()
	cfg.Timeout = 2 * time.Second
	st, err := client.New(cfg, clienttest.WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	store, err := Open(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	return &syncHarness{sb: sb, st: st, store: store, syncer: NewSyncer(st, store, 1000, nil)}
}

// tenantSize counts the sandbox's customers and contacts.
func (h *syncHarness) tenantSize(t *testing.T) (customers, contacts int64) {
	t.Helper()
	for _, c := range h.sb.Customers() {
		customers++
		contacts += int64(len(h.sb.Contacts(c.ID)))
	}
	return customers, contacts
}

func (h *syncHarness) expectComplete(t *testing.T) {
	t.Helper()
	st, err := h.store.Status(context.Background(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	customers, contacts := h.tenantSize(t)
	if st.Counts.Customers != customers || st.Counts.Contacts != contacts || !st.Ready || st.Total != customers {
		t.Errorf("index holds %d customers, %d contacts (total %d, ready %v); the tenant has %d and %d",
			st.Counts.Customers, st.Counts.Contacts, st.Total, st.Ready, customers, contacts)
	}
}

func TestBackfillThenIncrementalSync(t *testing.T) {
	h := newSyncHarness(t, 120)
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	h.expectComplete(t)
	if res, _ := h.store.Search(ctx, ParseQuery("ada@example.com"), 1, 20); len(res.Results) != 1 || res.Results[0].Customer.ID != sandbox.SeedCustomerID {
		t.Errorf("search after the backfill: %+v", res.Results)
	}

	// Changes in ServiceTitan: an edit and a removal. The next pass reads
	// only what changed, and the removed contact leaves the index.
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	ct.Memo, ct.ModifiedOn = "Changed in ServiceTitan", time.Now().UTC()
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	if err := h.st.DeleteContact(ctx, sandbox.SeedCustomerID, sandbox.SeedEmailContactID); err != nil {
		t.Fatal(err)
	}
	h.sb.ResetCounters()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if n := h.sb.Requests(sandbox.OpExportContacts); n > 2 {
		t.Errorf("the incremental pass read %d contact pages; want the changes only", n)
	}
	if res, _ := h.store.Search(ctx, ParseQuery("changed in servicetitan"), 1, 20); len(res.Results) != 1 {
		t.Errorf("the edit is not in the index: %+v", res.Results)
	}
	if res, _ := h.store.Search(ctx, ParseQuery("ada@example.com"), 1, 20); len(res.Results) != 0 {
		t.Errorf("the removed contact is still found: %+v", res.Results)
	}
	h.expectComplete(t)
}

// stopAfter is the sandbox's feeds, failing once pages pages have been
// read: the process stopping between two pages.
type stopAfter struct {
	Feeds
	pages int
}

var errCrash = errors.New("process stopped")

func (s *stopAfter) ExportContacts(ctx context.Context, from string, row func(client.ExportContact) error) (string, bool, error) {
	if s.pages == 0 {
		return "", false, errCrash
	}
	s.pages--
	return s.Feeds.ExportContacts(ctx, from, row)
}

// A crash between pages resumes from the last page applied: no page is
// skipped, none applied twice.
func TestBackfillResumesAfterACrashBetweenPages(t *testing.T) {
	h := newSyncHarness(t, 120)
	ctx := context.Background()
	crashing := NewSyncer(&stopAfter{Feeds: h.st, pages: 3}, h.store, 1000, nil)
	if err := crashing.Pass(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	f, _ := h.store.Feed(ctx, FeedContacts)
	if f.RowsRead != 3*40 || f.ContinueFrom == "" || f.Backfilled {
		t.Fatalf("after the crash: %+v", f)
	}
	before := h.sb.Requests(sandbox.OpExportContacts)
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	_, contacts := h.tenantSize(t)
	pages := int((contacts + 39) / 40)
	if read := h.sb.Requests(sandbox.OpExportContacts) - before; read > pages-3+1 {
		t.Errorf("the second pass read %d pages; %d were left", read, pages-3)
	}
	h.expectComplete(t)
}

// An erase while a page is being read: the page is not applied, the feed
// is read again from its start, and the next pass loads the rest.
func TestEraseDuringASyncPass(t *testing.T) {
	h := newSyncHarness(t, 120)
	ctx := context.Background()
	pages := 0
	h.sb.Intercept(sandbox.OpExportContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if pages++; pages == 3 {
			if _, err := h.store.Erase(ctx); err != nil {
				t.Errorf("Erase: %v", err)
			}
		}
		apply()
	})
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	// The erase took the customers too: the contacts read again wait for
	// them, which the next pass's customers feed brings.
	_, contacts := h.tenantSize(t)
	st, _ := h.store.Status(ctx, time.Hour)
	if f := st.ContactFeed; st.Counts.Contacts+st.Waiting != contacts || !f.Backfilled || f.RowsRead != contacts {
		t.Errorf("contacts after the pass: %d held, %d waiting, feed %+v; the tenant has %d", st.Counts.Contacts, st.Waiting, f, contacts)
	}
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	h.expectComplete(t)
}

// A token ServiceTitan no longer takes (400) restarts the feed from the
// newest change the index holds.
func TestBadTokenRestartsFromTheNewestChangeHeld(t *testing.T) {
	h := newSyncHarness(t, 40)
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.db.Exec(`UPDATE index_feeds SET continue_from = 'expired-token'`); err != nil {
		t.Fatal(err)
	}
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatalf("pass after a bad token: %v", err)
	}
	f, _ := h.store.Feed(ctx, FeedContacts)
	if f.ContinueFrom == "expired-token" || f.LastError != "" {
		t.Errorf("feed after the restart: %+v", f)
	}
	h.expectComplete(t)
}

// A page that cannot be read leaves the cursor where it was, records why,
// and the next pass goes on from there.
func TestMalformedPageDoesNotMoveTheCursor(t *testing.T) {
	h := newSyncHarness(t, 40)
	ctx := context.Background()
	h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpExportContacts, Times: 1, Status: 200,
		Body: `{"hasMore": true, "continueFrom": "x", "data": [{"id": 1, "customerId": 2, "active": tr`})
	err := h.syncer.Pass(ctx)
	if !errors.Is(err, client.ErrMalformedResponse) {
		t.Fatalf("err = %v, want a malformed page", err)
	}
	f, _ := h.store.Feed(ctx, FeedContacts)
	if f.ContinueFrom != "" || f.RowsRead != 0 || f.LastError == "" {
		t.Errorf("after the malformed page: %+v", f)
	}
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	h.expectComplete(t)
}

// The sync keeps to its share of the rate budget.
func TestSyncKeepsToItsShare(t *testing.T) {
	h := newSyncHarness(t, 40)
	slow := NewSyncer(h.st, h.store, 10, nil)
	start := time.Now()
	if err := slow.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls := h.sb.Requests(sandbox.OpExportCustomers) + h.sb.Requests(sandbox.OpExportContacts) + h.sb.Requests(sandbox.OpListCustomers)
	if took, least := time.Since(start), time.Duration(calls-1)*100*time.Millisecond; took < least {
		t.Errorf("%d calls in %v at a share of 10/s; they need at least %v", calls, took, least)
	}
}

// A pass near its deadline stops before the next page instead of failing
// in the middle of one: no error, and the next pass goes on.
func TestPassStopsBeforeItsDeadline(t *testing.T) {
	h := newSyncHarness(t, 40)
	ctx, cancel := context.WithTimeout(context.Background(), pageTime-time.Second)
	defer cancel()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatalf("a pass out of time: %v", err)
	}
	f, _ := h.store.Feed(ctx, FeedCustomers)
	if f.ContinueFrom != "" || f.LastError != "" || h.sb.Requests(sandbox.OpExportCustomers) != 0 {
		t.Errorf("a pass out of time read pages: %+v, %d calls", f, h.sb.Requests(sandbox.OpExportCustomers))
	}
	if err := h.syncer.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.expectComplete(t)
}

// refuseToken makes the contacts feed answer its next read 400, as
// ServiceTitan answers a token it no longer takes.
func refuseToken(sb *sandbox.Server) {
	sb.InjectFault(sandbox.Fault{Operation: sandbox.OpExportContacts, Times: 1, Status: http.StatusBadRequest,
		Body: `{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.",` +
			`"status":400,"errors":{"from":["The continuation token is expired."]}}`})
}

// firstContacts is the first contact of each of n seed customers.
func firstContacts(t *testing.T, sb *sandbox.Server, n int) (customers []int64, contacts []client.Contact) {
	t.Helper()
	for _, cu := range sb.Customers() {
		if ct := sb.Contacts(cu.ID); len(ct) > 0 && len(contacts) < n {
			customers, contacts = append(customers, cu.ID), append(contacts, ct[0])
		}
	}
	if len(contacts) < n {
		t.Fatalf("only %d customers with contacts", len(contacts))
	}
	return customers, contacts
}

// held says which of the contacts the index holds (not removed), by id.
func (h *syncHarness) held(t *testing.T, ids ...int64) map[int64]Contact {
	t.Helper()
	got, err := h.store.ContactsByID(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for id, c := range got {
		if c.Removed {
			delete(got, id)
		}
	}
	return got
}

// The index is complete; another integration edits five contacts and
// removes two; a person saves a contact through the app (the index holds
// it at once, newer than those); then the contacts feed refuses its token.
// The feed restarts from the newest change it sent itself, not from the
// app's own write: the five edits arrive and the two removed contacts
// leave search.
func TestRefusedTokenRestartsFromTheFeedsOwnHighWaterMark(t *testing.T) {
	h := newSyncHarness(t, 40)
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	customers, contacts := firstContacts(t, h.sb, 8)
	var edited []int64
	for i := range 5 {
		memo := "Edited elsewhere"
		if _, err := h.st.UpdateContact(ctx, customers[i], contacts[i].ID, client.UpdateContactRequest{Memo: &memo}); err != nil {
			t.Fatal(err)
		}
		edited = append(edited, contacts[i].ID)
	}
	for i := 5; i < 7; i++ {
		if err := h.st.DeleteContact(ctx, customers[i], contacts[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	memo := "Saved through the app"
	saved, err := h.st.UpdateContact(ctx, customers[7], contacts[7].ID, client.UpdateContactRequest{Memo: &memo})
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, h.store, client.CustomerOwner(customers[7]), saved)

	refuseToken(h.sb)
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	got := h.held(t, append(edited, contacts[5].ID, contacts[6].ID)...)
	for _, id := range edited {
		if got[id].Memo != "Edited elsewhere" {
			t.Errorf("contact %d: memo %q in the index; the edit made elsewhere never arrived", id, got[id].Memo)
		}
	}
	for _, id := range []int64{contacts[5].ID, contacts[6].ID} {
		if _, ok := got[id]; ok {
			t.Errorf("contact %d was removed in ServiceTitan and is still searchable", id)
		}
	}
	if f, _ := h.store.Feed(ctx, FeedContacts); f.LastError != "" {
		t.Errorf("feed after the restart: %+v", f)
	}
	h.expectComplete(t)
}

// With ServiceTitan's clock an hour behind the app's, a removal the app
// made is stamped with the app's clock, an hour ahead of ServiceTitan's
// changes. A refused token still restarts the feed where the feed itself
// was: the changes made in ServiceTitan after the removal arrive.
func TestRefusedTokenWithServiceTitansClockBehind(t *testing.T) {
	h := newSyncHarness(t, 40, sandboxtest.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	customers, contacts := firstContacts(t, h.sb, 4)
	if err := h.st.DeleteContact(ctx, customers[0], contacts[0].ID); err != nil {
		t.Fatal(err)
	}
	mustRemove(t, h.store, client.CustomerOwner(customers[0]), contacts[0].ID)
	var edited []int64
	for i := 1; i < 4; i++ {
		memo := "Edited after the app's removal"
		if _, err := h.st.UpdateContact(ctx, customers[i], contacts[i].ID, client.UpdateContactRequest{Memo: &memo}); err != nil {
			t.Fatal(err)
		}
		edited = append(edited, contacts[i].ID)
	}
	refuseToken(h.sb)
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	got := h.held(t, append(edited, contacts[0].ID)...)
	for _, id := range edited {
		if got[id].Memo != "Edited after the app's removal" {
			t.Errorf("contact %d: memo %q in the index; the edit never arrived", id, got[id].Memo)
		}
	}
	if _, ok := got[contacts[0].ID]; ok {
		t.Errorf("the removed contact %d is searchable again", contacts[0].ID)
	}
	h.expectComplete(t)
}

// A feed that does not move on (its continueFrom repeats, or it sends
// empty pages that say more follow) is a feed error: recorded for /index
// and returned (the job retries with backoff) after a page or two, not a
// pass spent reading the same page. Once the feed moves on, the next pass
// clears it.
func TestAStuckFeedIsAnError(t *testing.T) {
	for name, stall := range map[string]sandbox.FeedStall{"repeating token": sandbox.FeedRepeatsToken, "empty pages": sandbox.FeedEmptyPages} {
		t.Run(name, func(t *testing.T) {
			h := newSyncHarness(t, 40)
			ctx := context.Background()
			if err := h.syncer.Pass(ctx); err != nil {
				t.Fatal(err)
			}
			h.sb.StallFeed(sandbox.OpExportContacts, stall)
			h.sb.ResetCounters()
			err := h.syncer.Pass(ctx)
			if !errors.Is(err, ErrFeedStuck) {
				t.Fatalf("pass over a stuck feed: %v, want ErrFeedStuck", err)
			}
			if n := h.sb.Requests(sandbox.OpExportContacts); n > 2 {
				t.Errorf("%d calls to the stuck feed in one pass", n)
			}
			st, _ := h.store.Status(ctx, time.Hour)
			if !strings.Contains(st.ContactFeed.LastError, "does not move on") {
				t.Errorf("the feed's error on /index: %q", st.ContactFeed.LastError)
			}
			h.sb.StallFeed(sandbox.OpExportContacts, sandbox.FeedMovesOn)
			if err := h.syncer.Pass(ctx); err != nil {
				t.Fatal(err)
			}
			if f, _ := h.store.Feed(ctx, FeedContacts); f.LastError != "" {
				t.Errorf("the error stays once the feed moves on: %+v", f)
			}
		})
	}
}

// Rows that cannot be true are refused, never stored, and counted: a
// removal dated 9999 (it would hide the contact for good), a 64 KiB memo,
// a 100,000-character email, rows without a type or a value. A contact of
// a customer the index does not hold waits for it, out of search.
func TestPoisonRowsAreRefused(t *testing.T) {
	h := newSyncHarness(t, 0)
	ctx := context.Background()
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	doom := ct
	doom.ModifiedOn = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	h.sb.AddContactRow(sandbox.SeedCustomerID, doom, false)
	for _, c := range []client.Contact{
		{ID: 39000001, Type: client.ContactEmail, Value: "big.memo@example.com", Memo: strings.Repeat("m", 64<<10)},
		{ID: 39000002, Type: client.ContactEmail, Value: strings.Repeat("a", 100000) + "@example.com"},
		{ID: 39000003, Value: "2175550100"},
		{ID: 39000004, Type: client.ContactPhone},
	} {
		c.ModifiedOn, c.CreatedOn = now, now
		h.sb.AddContactRow(sandbox.SeedCustomerID, c, true)
	}
	h.sb.AddContactRow(99999999, client.Contact{ID: 39000005, Type: client.ContactPhone, Value: "2175550199", ModifiedOn: now, CreatedOn: now}, true)
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := h.store.Status(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]int64{}
	for _, r := range st.Refused {
		refused[r.Feed+"/"+r.Reason] = r.Rows
	}
	want := map[string]int64{"contacts/" + RefusedFuture: 1, "contacts/" + RefusedTooLarge: 2, "contacts/" + RefusedIncomplete: 2}
	if !maps.Equal(refused, want) || st.Waiting != 1 {
		t.Errorf("refused %v and %d waiting; want %v and 1", refused, st.Waiting, want)
	}
	if got := h.held(t, 39000001, 39000002, 39000003, 39000004, 39000005); len(got) > 0 {
		t.Errorf("stored contacts %v", slices.Sorted(maps.Keys(got)))
	}
	if res, _ := h.store.Search(ctx, ParseQuery("2175550199"), 1, 20); len(res.Results) != 0 {
		t.Errorf("a contact of an unknown customer is searchable: %+v", res.Results)
	}
	// The contact the 9999 removal named is still there, and its next
	// real change arrives.
	memo := "Still here"
	if _, err := h.st.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, client.UpdateContactRequest{Memo: &memo}); err != nil {
		t.Fatal(err)
	}
	if err := h.syncer.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.held(t, sandbox.SeedMobileContactID); got[sandbox.SeedMobileContactID].Memo != "Still here" {
		t.Errorf("the contact a removal dated 9999 named: memo %q", got[sandbox.SeedMobileContactID].Memo)
	}
	f, _ := h.store.Feed(ctx, FeedContacts)
	if f.HighWater.After(time.Now().Add(FutureSlack)) {
		t.Errorf("the feed's high-water mark is %v: a refused row moved it", f.HighWater)
	}
}

// One pass works at a time, on every instance together: a pass that finds
// another one working ends at once without a call. A pass whose process
// died (on PostgreSQL: its connections closed) never blocks the next one.
func TestOnePassAtATime(t *testing.T) {
	t.Run(db.SQLite, func(t *testing.T) {
		h := newSyncHarness(t, 0)
		ctx := context.Background()
		release, ok, err := h.store.lockPass(ctx) // a pass at work
		if err != nil || !ok {
			t.Fatalf("lock: %v %v", ok, err)
		}
		if err := h.syncer.Pass(ctx); err != nil || h.sb.Requests(sandbox.OpExportCustomers) != 0 {
			t.Fatalf("a second pass: %v, %d calls", err, h.sb.Requests(sandbox.OpExportCustomers))
		}
		release()
		if err := h.syncer.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		h.expectComplete(t)
	})
	t.Run(db.Postgres, func(t *testing.T) {
		h := newSyncHarness(t, 0)
		ctx := context.Background()
		url := dbtest.PostgresURL(t)
		open := func(name string) *Store {
			s, err := Open(ctx, dbtest.PostgresAt(t, url+"&application_name="+name))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		dying, survivor := open("dying-instance"), open("surviving-instance")
		if _, ok, err := dying.lockPass(ctx); err != nil || !ok {
			t.Fatalf("lock: %v %v", ok, err)
		}
		syncer := NewSyncer(h.st, survivor, 1000, nil)
		if err := syncer.Pass(ctx); err != nil || h.sb.Requests(sandbox.OpExportCustomers) != 0 {
			t.Fatalf("a pass while another instance's works: %v, %d calls", err, h.sb.Requests(sandbox.OpExportCustomers))
		}
		// The instance holding the lock dies: PostgreSQL ends its sessions
		// (pg_terminate_backend only signals; its timeout waits until the
		// session has ended, and its lock with it).
		if _, err := survivor.db.ExecContext(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = 'dying-instance'`); err != nil {
			t.Fatal(err)
		}
		if err := syncer.Pass(ctx); err != nil || h.sb.Requests(sandbox.OpExportCustomers) == 0 {
			t.Fatalf("a pass after the other instance died: %v, %d calls", err, h.sb.Requests(sandbox.OpExportCustomers))
		}
		if f, _ := survivor.Feed(ctx, FeedContacts); !f.Backfilled {
			t.Errorf("the survivor's pass did not load the index: %+v", f)
		}
	})
}

// A hygiene check that would outlast its pass stops before the pass's
// time is up, and the pass says there is more: the next one, at once,
// checks what this one left.
func TestACheckOutOfTimeGoesOnInTheNextPass(t *testing.T) {
	h := newSyncHarness(t, 40)
	h.store.SetChecker(zeros("one"))
	// A margin longer than the pass: the feeds are read in full, and the
	// check's time is up before it begins.
	h.syncer.checkMargin = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 2*pageTime)
	defer cancel()
	more, err := h.syncer.Step(ctx)
	if err != nil || !more {
		t.Fatalf("a pass whose check ran out of time: more = %v, %v; want more", more, err)
	}
	h.expectComplete(t)
	// Every contact, the locations' too, is left to check.
	var contacts int
	if err := h.store.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM index_contacts`).Scan(&contacts); err != nil {
		t.Fatal(err)
	}
	if n, err := h.store.Unchecked(ctx); err != nil || n != contacts || n == 0 {
		t.Fatalf("unchecked after the cut pass = %d, %v; want every contact (%d)", n, err, contacts)
	}
	more, err = h.syncer.Step(ctx)
	if err != nil || !more {
		t.Fatalf("the next pass, still out of time for its check: more = %v, %v", more, err)
	}
	h.syncer.checkMargin = time.Second
	if more, err = h.syncer.Step(ctx); err != nil || more {
		t.Fatalf("a pass with time for its check: more = %v, %v; want done", more, err)
	}
	if n, err := h.store.Unchecked(ctx); err != nil || n != 0 {
		t.Errorf("unchecked after the check went on = %d, %v; want 0", n, err)
	}
}

// killAt is the sandbox's feeds, with the process killed (the pass's
// context canceled) as the contacts feed's page at is asked for: the page
// before it is then being applied while this one is read ahead.
// It counts the contacts feed's calls by the token each came from.
type killAt struct {
	Feeds
	at    int
	kill  context.CancelFunc
	calls int
	froms map[string]int
	ended bool
}

func (k *killAt) ExportContacts(ctx context.Context, from string, row func(client.ExportContact) error) (string, bool, error) {
	k.calls++
	k.froms[from]++
	if k.calls == k.at {
		k.kill()
		<-ctx.Done()
		return "", false, ctx.Err()
	}
	next, more, err := k.Feeds.ExportContacts(ctx, from, row)
	k.ended = err == nil && !more
	return next, more, err
}

// A pass killed while a page is applied and the next read ahead resumes
// from the last page committed: no page is skipped, none applied twice,
// and a pass not killed asks for each page once, none past the feed's end.
func TestBackfillKilledWhileAPageIsReadAhead(t *testing.T) {
	h := newSyncHarness(t, 120)
	passCtx, kill := context.WithCancel(context.Background())
	defer kill()
	killed := &killAt{Feeds: h.st, at: 4, kill: kill, froms: map[string]int{}}
	if err := NewSyncer(killed, h.store, 1000, nil).Pass(passCtx); err == nil {
		t.Fatal("the killed pass returned no error")
	}
	ctx := context.Background()
	f, err := h.store.Feed(ctx, FeedContacts)
	if err != nil {
		t.Fatal(err)
	}
	// The third page is committed or rolled back, whichever the kill met.
	if f.RowsRead != 2*40 && f.RowsRead != 3*40 || f.Backfilled {
		t.Fatalf("after the kill: %+v", f)
	}
	resumed := &killAt{Feeds: h.st, kill: func() {}, froms: map[string]int{}}
	if err := NewSyncer(resumed, h.store, 1000, nil).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	h.expectComplete(t)
	_, contacts := h.tenantSize(t)
	if f, _ := h.store.Feed(ctx, FeedContacts); f.RowsRead != contacts || !f.Backfilled {
		t.Errorf("the contacts feed read %d rows over both passes (backfilled %v); the tenant has %d", f.RowsRead, f.Backfilled, contacts)
	}
	if len(resumed.froms) != resumed.calls || !resumed.ended {
		t.Errorf("the resumed pass made %d calls from %d tokens (ended %v): want one a token, up to the feed's end",
			resumed.calls, len(resumed.froms), resumed.ended)
	}
}
