package change_test

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// harness is a change.Service against the sandbox, with a real audit trail.
type harness struct {
	svc *change.Service
	sb  *sandbox.Server
	// st calls the sandbox as another integration would (behind the
	// app's back).
	st    *client.Client
	store audit.Store
	cache *recorded
}

// recorded is a change.Cache that remembers what it was told.
type recorded struct {
	mu     sync.Mutex
	wrote  []client.Contact
	owners []client.Owner
}

func (r *recorded) Wrote(_ context.Context, o client.Owner, ct client.Contact) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wrote = append(r.wrote, ct)
	r.owners = append(r.owners, o)
	return nil
}

func newHarness(t *testing.T, configure ...func(*change.Config)) *harness {
	t.Helper()
	sb := sandboxtest.Start(t)
	stConfig := sb.ClientConfig()
	// Long enough for a call on a busy machine under -race (500 ms made
	// setup calls time out now and then); a Hang fault still ends in it.
	stConfig.Timeout = 2 * time.Second
	st, err := client.New(stConfig, clienttest.WithBackoff(time.Millisecond), clienttest.WithMaxRetryWait(0))
	if err != nil {
		t.Fatal(err)
	}
	store, err := audit.New(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &harness{sb: sb, st: st, store: store, cache: &recorded{}}
	cfg := change.Config{ServiceTitan: st, Audit: store, TenantID: stConfig.TenantID, Region: "US", Budget: 5 * time.Second,
		Caches: []change.Cache{h.cache}}
	for _, f := range configure {
		f(&cfg)
	}
	if h.svc, err = change.New(cfg); err != nil {
		t.Fatal(err)
	}
	return h
}

var kelly = change.Actor{Email: "kelly@acme.example", Name: "Kelly Ng", RequestID: "req-1"}

// opened is the update a form opened on the stored contact would post,
// with edit applied to its fields.
func (h *harness) opened(t *testing.T, customerID, contactID int64, edit func(*change.Fields)) change.UpdateRequest {
	t.Helper()
	ct, ok := h.sb.Contact(customerID, contactID)
	if !ok {
		t.Fatalf("no contact %d/%d in the sandbox", customerID, contactID)
	}
	snap := change.SnapshotOf(ct)
	fields := change.FieldsOf(snap)
	edit(&fields)
	return change.UpdateRequest{Actor: kelly, CustomerID: customerID, ContactID: contactID, Opened: snap, Asked: fields, Form: "form-1"}
}

func (h *harness) entries(t *testing.T, contactID int64) []audit.Entry {
	t.Helper()
	entries, _, err := h.store.List(context.Background(), audit.Filter{ContactID: contactID})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func (h *harness) calls() (reads, patches int) {
	return h.sb.Requests(sandbox.OpListContacts), h.sb.Requests(sandbox.OpUpdateContact)
}

func TestUpdateSavesReadingOnceAndWritingOnce(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		r := h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Work cell" })
		o := h.svc.Update(context.Background(), r)
		if o.Result != change.Saved || o.Contact.Memo != "Work cell" || o.Confirmed || o.AuditID == 0 {
			t.Fatalf("outcome = %+v", o)
		}
		if reads, patches := h.callsOf(s); reads != 1 || patches != 1 {
			t.Errorf("calls: %d reads, %d PATCHes; want 1 and 1", reads, patches)
		}
		if stored, _ := h.contact(s, s.mobile); stored.Memo != "Work cell" {
			t.Errorf("ServiceTitan holds memo %q", stored.Memo)
		}
		e := h.entries(t, s.mobile)
		if len(e) != 1 || e[0].Outcome != audit.OutcomeSaved || e[0].ActorEmail != kelly.Email || e[0].RequestID != "req-1" ||
			e[0].CustomerID != s.owner.CustomerID || e[0].LocationID != s.owner.LocationID ||
			len(e[0].Changes) != 1 || e[0].Changes[0] != (audit.Change{Field: "memo", Before: s.memo, After: "Work cell"}) {
			t.Errorf("audit = %+v", e)
		}
		if len(h.cache.wrote) != 1 || h.cache.wrote[0].Memo != "Work cell" || h.cache.owners[0] != s.owner {
			t.Errorf("caches told %+v of %+v", h.cache.wrote, h.cache.owners)
		}
		if ct, ok := h.svc.Written(s.owner, s.mobile); !ok || ct.Memo != "Work cell" {
			t.Errorf("Written = %+v, %v", ct, ok)
		}
	})
}

func TestUpdateChecksCostNoCall(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*change.Fields)
		want   change.Result
		field  string
		substr string
	}{
		{"nok, a short number", func(f *change.Fields) { f.Value = "555-01" }, change.Invalid, "value", "10-digit"},
		{"nok, a memo of 256 characters", func(f *change.Fields) { f.Memo = strings.Repeat("é", 256) }, change.Invalid, "memo", "255 characters or fewer"},
		{"nok, a control character", func(f *change.Fields) { f.Memo = "a\x1bb" }, change.Invalid, "memo", "control character"},
		{"ok, the number as formatted for people is no change", func(f *change.Fields) { f.Value = "(217) 555-0177" }, change.NoChange, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			o := h.svc.Update(context.Background(), h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, tt.edit))
			if o.Result != tt.want {
				t.Fatalf("result = %s, want %s", o.Result, tt.want)
			}
			if tt.field != "" && !strings.Contains(strings.Join(o.Errors.ByField[tt.field], " "), tt.substr) {
				t.Errorf("errors = %+v, want %q on %s", o.Errors, tt.substr, tt.field)
			}
			if reads, patches := h.calls(); reads+patches != 0 {
				t.Errorf("%d calls to ServiceTitan, want none", reads+patches)
			}
		})
	}
}

// A memo of exactly ServiceTitan's limit is accepted.
func TestMemoOfExactly255CharactersIsSaved(t *testing.T) {
	h := newHarness(t)
	memo := strings.Repeat("é", change.MemoMax)
	o := h.svc.Update(context.Background(), h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = memo }))
	if o.Result != change.Saved || o.Contact.Memo != memo {
		t.Fatalf("outcome = %s %+v", o.Result, o.Errors)
	}
}

func TestUpdateConflictWritesNothing(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		r := h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Mine" })
		theirs, _ := h.contact(s, s.mobile)
		theirs.Value, theirs.ModifiedOn = "2175550199", theirs.ModifiedOn.Add(time.Minute)
		h.setContact(s, theirs)
		o := h.svc.Update(context.Background(), r)
		if o.Result != change.Conflict || o.Contact.Value != "2175550199" {
			t.Fatalf("outcome = %+v", o)
		}
		if _, patches := h.callsOf(s); patches != 0 {
			t.Errorf("%d PATCHes after a conflict", patches)
		}
		// Recorded as the person's own change against the current record, not
		// as a revert of the colleague's number.
		e := h.entries(t, s.mobile)
		if len(e) != 1 || e[0].Outcome != audit.OutcomeConflict || len(e[0].Changes) != 1 || e[0].Changes[0].Field != "memo" ||
			e[0].LocationID != s.owner.LocationID {
			t.Errorf("audit = %+v", e)
		}
	})
}

func TestLostAnswerIsSettledByReading(t *testing.T) {
	tests := []struct {
		name      string
		fault     sandbox.Fault
		want      change.Result
		outcome   audit.Outcome
		wantMemo  string
		confirmed bool
	}{
		{"ok, applied, then the connection dropped", sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, AfterApply: true, DropConnection: true},
			change.Saved, audit.OutcomeSaved, "Lost", true},
		{"nok, never applied, no answer in time", sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Hang: true},
			change.NotSaved, audit.OutcomeFailed, "", true}, // the memo as it was
		{"ok, a gateway 504 after ServiceTitan saved", sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, AfterApply: true, Status: 504},
			change.Saved, audit.OutcomeSaved, "Lost", true},
	}
	forEachOwner(t, func(t *testing.T, s subject) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t)
				tt.fault.Operation = s.update
				h.sb.InjectFault(tt.fault)
				o := h.svc.Update(context.Background(), h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Lost" }))
				if o.Result != tt.want || o.Confirmed != tt.confirmed {
					t.Fatalf("outcome = %s (confirmed %v), want %s", o.Result, o.Confirmed, tt.want)
				}
				if _, patches := h.callsOf(s); patches != 1 {
					t.Errorf("%d PATCHes; a lost answer is never resent", patches)
				}
				want := cmp.Or(tt.wantMemo, s.memo)
				if ct, _ := h.contact(s, s.mobile); ct.Memo != want {
					t.Errorf("memo now %q, want %q", ct.Memo, want)
				}
				if e := h.entries(t, s.mobile); len(e) != 1 || e[0].Outcome != tt.outcome {
					t.Errorf("audit = %+v", e)
				}
			})
		}
	})
}

// When the answer is lost and the read fails too, nobody can tell: the
// outcome and the audit trail say unknown.
func TestLostAnswerAndFailedReadIsUnknown(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		// The PATCH is applied, then hangs until the client gives up (500 ms);
		// meanwhile every read starts failing, so the read that would settle it
		// fails too.
		h.sb.InjectFault(sandbox.Fault{Operation: s.update, Times: 1, AfterApply: true, Hang: true})
		go func() {
			for h.sb.Requests(s.update) == 0 {
				time.Sleep(time.Millisecond)
			}
			h.sb.InjectFault(sandbox.Fault{Operation: s.list, Status: 500})
		}()
		o := h.svc.Update(context.Background(), h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Lost" }))
		if o.Result != change.Unknown {
			t.Fatalf("outcome = %s", o.Result)
		}
		if e := h.entries(t, s.mobile); len(e) != 1 || e[0].Outcome != audit.OutcomeUnknown {
			t.Errorf("audit = %+v", e)
		}
	})
}

func TestUnrecordedChangeIsNotSent(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t, func(c *change.Config) { c.Audit = failingStore{c.Audit} })
		o := h.svc.Update(context.Background(), h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "x" }))
		if o.Result != change.Unrecorded {
			t.Fatalf("outcome = %s", o.Result)
		}
		if _, patches := h.callsOf(s); patches != 0 {
			t.Errorf("%d PATCHes without an audit row", patches)
		}
	})
}

type failingStore struct{ audit.Store }

func (failingStore) Begin(context.Context, audit.Entry) (int64, error) {
	return 0, errors.New("disk full")
}

// A form posted again while its first post is under way makes no second
// write: it gets the first post's outcome. So does a post that comes
// after a first post that failed (it was an empty 500 before).
func TestRepeatedPostsOfOneFormShareItsOutcome(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault *sandbox.Fault
		want  change.Result
	}{
		{"ok, saved once", nil, change.Saved},
		{"nok, the first post is rejected", &sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: 400,
			Body: `{"title":"One or more validation errors occurred.","status":400,"errors":{"Memo":["Memo is not allowed."]}}`}, change.Invalid},
	} {
		forEachOwner(t, func(t *testing.T, s subject) {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t)
				if tt.fault != nil {
					f := *tt.fault
					f.Operation = s.update
					h.sb.InjectFault(f)
				}
				h.sb.SetLatency(150 * time.Millisecond)
				r := h.edit(t, s, s.mobile, func(f *change.Fields) { f.Memo = "Once" })
				results := make([]change.Outcome, 2)
				var wg sync.WaitGroup
				wg.Go(func() { results[0] = h.svc.Update(context.Background(), r) })
				for h.sb.Requests(s.update) == 0 { // the first post is writing
					time.Sleep(time.Millisecond)
				}
				wg.Go(func() { results[1] = h.svc.Update(context.Background(), r) })
				wg.Wait()
				if _, patches := h.callsOf(s); patches != 1 {
					t.Errorf("%d PATCHes, want 1", patches)
				}
				for i, o := range results {
					if o.Result != tt.want {
						t.Errorf("post %d: %s, want %s", i, o.Result, tt.want)
					}
				}
				if results[0].Replayed || !results[1].Replayed {
					t.Errorf("replayed = %v, %v; want the second", results[0].Replayed, results[1].Replayed)
				}
				if tt.want == change.Invalid && strings.Join(results[1].Errors.ByField["memo"], "") != "Memo is not allowed." {
					t.Errorf("the waiting post got %+v", results[1].Errors)
				}
			})
		})
	}
}

// A change, once started, runs to its end and is recorded even when the
// person's request is cancelled (a reload, a closed tab).
func TestChangeOutlivesTheRequest(t *testing.T) {
	h := newHarness(t)
	h.sb.SetLatency(100 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for h.sb.Requests(sandbox.OpListContacts) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	o := h.svc.Update(ctx, h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Kept" }))
	if o.Result != change.Saved {
		t.Fatalf("outcome = %s", o.Result)
	}
	if e := h.entries(t, sandbox.SeedMobileContactID); len(e) != 1 || e[0].Outcome != audit.OutcomeSaved {
		t.Errorf("audit = %+v", e)
	}
}

// The person's own change, whose PATCH reached ServiceTitan before the app
// crashed (its attempt left unknown), is sent again by the browser to the
// restarted app: the contact already holds every value the form asks for,
// so the answer is "saved" and the earlier attempt is settled, not a 409
// against the person's own memo. Nothing is sent twice.
func TestARepostOfASaveThatLandedIsSaved(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, func(f *change.Fields) { f.Memo = "Sent just before the crash" })
	// The crashed process: its attempt begun, its PATCH applied, nothing more.
	id, err := h.store.Begin(ctx, audit.Entry{ActorEmail: kelly.Email, ActorName: kelly.Name, CustomerID: sandbox.SeedCustomerID,
		ContactID: sandbox.SeedMobileContactID, Changes: []audit.Change{{Field: "memo", Before: "Cell", After: "Sent just before the crash"}}})
	if err != nil {
		t.Fatal(err)
	}
	memo := "Sent just before the crash"
	if _, err := h.st.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedMobileContactID, client.UpdateContactRequest{Memo: &memo}); err != nil {
		t.Fatal(err)
	}
	h.sb.ResetCounters()

	o := h.svc.Update(ctx, r) // the restarted app: a fresh form registry
	if o.Result != change.Saved || o.AuditID != id || o.Contact.Memo != memo {
		t.Fatalf("the form sent again: %s (audit %d, memo %q), want saved, settling attempt %d", o.Result, o.AuditID, o.Contact.Memo, id)
	}
	if _, patches := h.calls(); patches != 0 {
		t.Errorf("%d PATCHes sent again", patches)
	}
	e := h.entries(t, sandbox.SeedMobileContactID)
	if len(e) != 1 || e[0].Outcome != audit.OutcomeSaved || len(e[0].Messages) != 1 || strings.Contains(e[0].Messages[0], "restart") {
		t.Errorf("History = %+v, want the one attempt settled as saved", e)
	}

	// Someone else made the same change: nothing is sent, no conflict, and
	// nobody's attempt is claimed.
	other := h.opened(t, sandbox.SeedCustomerID, sandbox.SeedEmailContactID, func(f *change.Fields) { f.Memo = "Same words" })
	other.Form = "form-2"
	same := "Same words"
	if _, err := h.st.UpdateContact(ctx, sandbox.SeedCustomerID, sandbox.SeedEmailContactID, client.UpdateContactRequest{Memo: &same}); err != nil {
		t.Fatal(err)
	}
	if o := h.svc.Update(ctx, other); o.Result != change.NoChange {
		t.Errorf("a change someone else made the same: %s, want no change", o.Result)
	}
	if e := h.entries(t, sandbox.SeedEmailContactID); len(e) != 0 {
		t.Errorf("History of the other contact: %+v", e)
	}
}
