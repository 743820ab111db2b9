package change_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// An attempt left unknown by a crash (the process killed between the PATCH
// and its outcome) is settled at the next start by reading the contact.
func TestUnknownAttemptsAreSettledByReading(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	long := time.Now().Add(-time.Hour)
	begin := func(customerID, contactID int64, at time.Time, changes ...audit.Change) int64 {
		t.Helper()
		id, err := h.store.Begin(ctx, audit.Entry{Time: at, ActorEmail: "kelly@acme.example", CustomerID: customerID, ContactID: contactID, Changes: changes})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	// The PATCH reached ServiceTitan before the crash: the memo is there.
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	ct.Memo = "Written before the crash"
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	applied := begin(sandbox.SeedCustomerID, sandbox.SeedMobileContactID, long,
		audit.Change{Field: "memo", Before: "Cell", After: "Written before the crash"})
	// It did not: the flag is still as it was.
	missing := begin(sandbox.SeedCustomerID, sandbox.SeedEmailContactID, long,
		audit.Change{Field: "preferences.marketingUpdatesEnabled", Before: "true", After: "false"})
	// The contact is gone.
	gone := begin(sandbox.SeedCustomerID, 29999999, long, audit.Change{Field: "memo", After: "x"})
	// Begun a moment ago: perhaps still under way on another instance.
	recent := begin(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID, time.Now(), audit.Change{Field: "memo", After: "y"})

	n, err := h.svc.ResolveUnknown(ctx, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if n != (change.Settled{Saved: 1, NotSaved: 1, Gone: 1}) {
		t.Errorf("settled %+v", n)
	}
	want := map[int64]audit.Outcome{applied: audit.OutcomeSaved, missing: audit.OutcomeFailed, gone: audit.OutcomeNotFound, recent: audit.OutcomeUnknown}
	entries, _, _ := h.store.List(ctx, audit.Filter{})
	for _, e := range entries {
		if e.Outcome != want[e.ID] {
			t.Errorf("attempt %d (contact %d): %s, want %s", e.ID, e.ContactID, e.Outcome, want[e.ID])
		}
		if e.ID != recent && len(e.Messages) != 1 {
			t.Errorf("attempt %d: messages %q; want one saying it was checked after a restart", e.ID, e.Messages)
		}
	}
	if _, patches := h.calls(); patches != 0 {
		t.Errorf("settling wrote to ServiceTitan (%d PATCHes)", patches)
	}
}

// A removal is settled by whether the contact is gone, an add by whether
// the customer has a contact with the values asked for (whose id the
// attempt then records).
func TestUnknownRemovalsAndAddsAreSettledByReading(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	long := time.Now().Add(-time.Hour)
	begin := func(action audit.Action, contactID int64, changes ...audit.Change) int64 {
		t.Helper()
		id, err := h.store.Begin(ctx, audit.Entry{Time: long, ActorEmail: "kelly@acme.example", Action: action,
			CustomerID: sandbox.SeedCustomerID, ContactID: contactID, Changes: changes})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	if err := h.st.DeleteContact(ctx, sandbox.SeedCustomerID, sandbox.SeedMobileContactID); err != nil {
		t.Fatal(err)
	}
	removed := begin(audit.ActionDelete, sandbox.SeedMobileContactID, audit.Change{Field: "value", Before: "2175550177"})
	notRemoved := begin(audit.ActionDelete, sandbox.SeedEmailContactID, audit.Change{Field: "value", Before: "ada@example.com"})
	made, err := h.st.CreateContact(ctx, sandbox.SeedCustomerID, client.CreateContactRequest{Type: client.ContactPhone, Value: "2175550100", Memo: "Office"})
	if err != nil {
		t.Fatal(err)
	}
	added := begin(audit.ActionCreate, 0, audit.Change{Field: "type", After: "Phone"}, audit.Change{Field: "value", After: "2175550100"},
		audit.Change{Field: "memo", After: "Office"})
	notAdded := begin(audit.ActionCreate, 0, audit.Change{Field: "type", After: "Phone"}, audit.Change{Field: "value", After: "2175550111"})

	n, err := h.svc.ResolveUnknown(ctx, time.Now().Add(-time.Minute))
	if err != nil || n != (change.Settled{Saved: 2, NotSaved: 2}) {
		t.Fatalf("settled %+v, %v", n, err)
	}
	for id, want := range map[int64]audit.Outcome{removed: audit.OutcomeSaved, notRemoved: audit.OutcomeFailed,
		added: audit.OutcomeSaved, notAdded: audit.OutcomeFailed} {
		e, _ := audit.Get(ctx, h.store, id)
		if e.Outcome != want {
			t.Errorf("attempt %d (%s of contact %d): %s %q, want %s", id, e.Action, e.ContactID, e.Outcome, e.Messages, want)
		}
	}
	if e, _ := audit.Get(ctx, h.store, added); e.ContactID != made.ID {
		t.Errorf("the add settled names contact %d, want %d", e.ContactID, made.ID)
	}
}

// When the contact cannot be read, the attempt stays unknown for the next
// start rather than being guessed.
func TestUnknownAttemptWhoseContactCannotBeReadStaysUnknown(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id, _ := h.store.Begin(ctx, audit.Entry{Time: time.Now().Add(-time.Hour), ActorEmail: "kelly@acme.example",
		CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedMobileContactID, Changes: []audit.Change{{Field: "memo", After: "x"}}})
	h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpListContacts, Status: 503})
	n, err := h.svc.ResolveUnknown(ctx, time.Now())
	if err != nil || n.StillUnknown != 1 {
		t.Fatalf("settled %+v, %v", n, err)
	}
	entries, _, _ := h.store.List(ctx, audit.Filter{})
	if len(entries) != 1 || entries[0].ID != id || entries[0].Outcome != audit.OutcomeUnknown {
		t.Errorf("entries = %+v", entries)
	}
}

// flakyAudit fails the first fails outcome writes, as a database does
// while it restarts.
type flakyAudit struct {
	audit.Store
	mu    sync.Mutex
	fails int
}

func (f *flakyAudit) Complete(ctx context.Context, id int64, outcome audit.Outcome, messages []string, traceID string) error {
	f.mu.Lock()
	failing := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if failing {
		return errors.New("the database is restarting")
	}
	return f.Store.Complete(ctx, id, outcome, messages, traceID)
}

// A save whose outcome's write fails for a moment (PostgreSQL restarting)
// records its outcome once the database answers again, instead of leaving
// "unknown" in the History while the person was told "Contact updated".
func TestAFailedOutcomeWriteIsTriedAgain(t *testing.T) {
	var flaky *flakyAudit
	h := newHarness(t, func(c *change.Config) {
		flaky = &flakyAudit{Store: c.Audit, fails: 4}
		c.Audit = flaky
	})
	r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Written while the database restarts" })
	if o := h.svc.Update(context.Background(), r); o.Result != change.Saved {
		t.Fatalf("outcome %+v", o)
	}
	if e := h.entries(t, sandbox.SeedMobileContactID); len(e) != 1 || e[0].Outcome != audit.OutcomeSaved {
		t.Errorf("audit = %+v, want the save recorded as saved", e)
	}
}

// An attempt is settled once its write can no longer land, and no sooner:
// the change's budget, the read after a lost answer and the outcome's
// write tried again have all ended by then.
func TestSettleAfterCoversTheWholeChange(t *testing.T) {
	h := newHarness(t) // a budget of 5 s
	if got := h.svc.SettleAfter(); got < 5*time.Second+audit.CompleteRetryTime || got > time.Minute {
		t.Errorf("SettleAfter = %v", got)
	}
}

// Settled without a restart (the answer was lost and the read after it
// failed too; the contact is read again later), an attempt's message says
// what happened, not that the app restarted.
func TestSettledAttemptsDoNotClaimARestart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Answer lost" })
	// The PATCH is applied and its answer lost; the reads after it fail.
	h.sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		apply()
		h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpListContacts, Times: 10, Status: 503})
		panic(http.ErrAbortHandler) // the answer is lost
	})
	o := h.svc.Update(ctx, r)
	if o.Result != change.Unknown {
		t.Fatalf("outcome %s, want unknown", o.Result)
	}
	h.sb.ClearFaults()
	if got, err := h.svc.Settle(ctx, o.AuditID); err != nil || got != audit.OutcomeSaved {
		t.Fatalf("settled %s, %v", got, err)
	}
	e, _ := audit.Get(ctx, h.store, o.AuditID)
	if len(e.Messages) != 1 || strings.Contains(e.Messages[0], "restart") {
		t.Errorf("messages %q", e.Messages)
	}
}

// An unknown attempt on a location's contact is settled by reading the
// location's contacts, not the customer's.
func TestUnknownLocationAttemptsAreSettledByReadingTheLocation(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := subjects[1]
	long := time.Now().Add(-time.Hour)
	begin := func(action audit.Action, contactID int64, changes ...audit.Change) int64 {
		t.Helper()
		id, err := h.store.Begin(ctx, audit.Entry{Time: long, ActorEmail: "kelly@acme.example", Action: action,
			CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, ContactID: contactID, Changes: changes})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	memo := "Written before the crash"
	if _, err := h.st.UpdateLocationContact(ctx, s.owner.LocationID, s.mobile, client.UpdateContactRequest{Memo: &memo}); err != nil {
		t.Fatal(err)
	}
	updated := begin(audit.ActionUpdate, s.mobile, audit.Change{Field: "memo", Before: s.memo, After: memo})
	if err := h.st.DeleteLocationContact(ctx, s.owner.LocationID, s.other); err != nil {
		t.Fatal(err)
	}
	removed := begin(audit.ActionDelete, s.other, audit.Change{Field: "value", Before: s.held})
	made, err := h.st.CreateLocationContact(ctx, s.owner.LocationID, client.CreateContactRequest{Type: client.ContactPhone, Value: "2175550100"})
	if err != nil {
		t.Fatal(err)
	}
	added := begin(audit.ActionCreate, 0, audit.Change{Field: "type", After: "Phone"}, audit.Change{Field: "value", After: "2175550100"})
	h.sb.ResetCounters()

	n, err := h.svc.ResolveUnknown(ctx, time.Now().Add(-time.Minute))
	if err != nil || n != (change.Settled{Saved: 3}) {
		t.Fatalf("settled %+v, %v", n, err)
	}
	for _, id := range []int64{updated, removed, added} {
		if e, _ := audit.Get(ctx, h.store, id); e.Outcome != audit.OutcomeSaved {
			t.Errorf("attempt %d (%s): %s %q", id, e.Action, e.Outcome, e.Messages)
		}
	}
	if e, _ := audit.Get(ctx, h.store, added); e.ContactID != made.ID {
		t.Errorf("the add settled names contact %d, want %d", e.ContactID, made.ID)
	}
	if n := h.sb.Requests(sandbox.OpListContacts); n != 0 {
		t.Errorf("%d reads of the customer's contacts", n)
	}
}
