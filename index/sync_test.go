package index

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
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
	sb := sandboxtest.Start(t, append([]sandbox.Option{sandbox.WithExportPageSize(40), sandbox.WithGeneratedCustomers(generated)}, opts...)...)
	cfg := sandboxtest.ClientConfig(sb)
	cfg.Timeout = 2 * time.Second
	st, err := client.New(cfg, client.WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	store, err := Open(context.Background(), dbtest.SQLite(t), db.SQLite)
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
	_, contacts := h.tenantSize(t)
	c, _ := h.store.Count(ctx)
	if f, _ := h.store.Feed(ctx, FeedContacts); c.Contacts != contacts || !f.Backfilled || f.RowsRead != contacts {
		t.Errorf("contacts after the pass: %d held, feed %+v; the tenant has %d", c.Contacts, f, contacts)
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
