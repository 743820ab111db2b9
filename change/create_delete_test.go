package change_test

import (
	"context"
	"encoding/json"
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

func newMobile(value string) change.Fields {
	return change.Fields{Type: "MobilePhone", Value: value, Memo: "Work cell", Flags: change.NewContactFlags()}
}

func (h *harness) created(t *testing.T) int {
	t.Helper()
	return h.sb.Requests(sandbox.OpCreateContact)
}

func TestCreateAddsOneContactAndRecordsIt(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		o := h.svc.Create(context.Background(), s.add(newMobile("(217) 555-0199"), "add-1"))
		if o.Result != change.Saved || o.Contact.ID == 0 || o.Contact.Value != "2175550199" {
			t.Fatalf("outcome = %+v", o)
		}
		if _, ok := h.contact(s, o.Contact.ID); !ok {
			t.Fatal("the contact is not in ServiceTitan")
		}
		if reads, creates := h.sb.Requests(s.list), h.sb.Requests(s.create); reads != 1 || creates != 1 {
			t.Errorf("%d reads, %d POSTs; want 1 and 1", reads, creates)
		}
		e := h.entries(t, o.Contact.ID)
		if len(e) != 1 || e[0].Action != audit.ActionCreate || e[0].Outcome != audit.OutcomeSaved ||
			e[0].CustomerID != s.owner.CustomerID || e[0].LocationID != s.owner.LocationID {
			t.Fatalf("audit = %+v", e)
		}
		assertAdded(t, e[0])
	})
}

// assertAdded checks an add's audit entry: the new values, no old ones.
func assertAdded(t *testing.T, e audit.Entry) {
	t.Helper()
	after := map[string]string{}
	for _, ch := range e.Changes {
		if ch.Before != "" {
			t.Errorf("a create records an old value: %+v", ch)
		}
		after[ch.Field] = ch.After
	}
	if after["type"] != "MobilePhone" || after["value"] != "2175550199" || after["memo"] != "Work cell" ||
		after["preferences.jobRemindersEnabled"] != "true" || after["preferences.marketingUpdatesEnabled"] != "false" {
		t.Errorf("audit changes = %+v", e.Changes)
	}
}

func TestCreateRefusals(t *testing.T) {
	tests := []struct {
		name    string
		asked   change.Fields
		want    change.Result
		creates int
	}{
		{"nok, a value this customer holds, seen before sending", newMobile(sandbox.SeedDoNotTextValue), change.Duplicate, 0},
		{"nok, the same email in another case", change.Fields{Type: "Email", Value: "ADA@Example.com", Flags: change.NewContactFlags()}, change.Duplicate, 0},
		{"nok, not a phone number", newMobile("call me"), change.Invalid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			o := h.svc.Create(context.Background(), change.CreateRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Asked: tt.asked, Form: "f"})
			if o.Result != tt.want || h.created(t) != tt.creates {
				t.Fatalf("outcome %s after %d POSTs; want %s after %d", o.Result, h.created(t), tt.want, tt.creates)
			}
			if tt.want == change.Duplicate && (o.Contact.ID == 0 || len(o.Errors.ByField["value"]) == 0) {
				t.Errorf("a duplicate names the contact that holds the value and says so next to it: %+v", o)
			}
		})
	}
	t.Run("nok, ServiceTitan's own 409 (a colleague added it meanwhile)", func(t *testing.T) {
		h := newHarness(t)
		h.sb.Intercept(sandbox.OpCreateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply() // a colleague's create of the same number wins the race...
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"type":"x","title":"A contact with this value already exists for this customer.","status":409,"errors":{"Value":["A contact with this value already exists for this customer."]},"data":{}}`))
		})
		o := h.svc.Create(context.Background(), change.CreateRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Asked: newMobile("2175550100"), Form: "f"})
		if o.Result != change.Duplicate || o.Contact.ID == 0 {
			t.Fatalf("outcome = %+v", o)
		}
	})
	t.Run("nok, unknown customer", func(t *testing.T) {
		h := newHarness(t)
		o := h.svc.Create(context.Background(), change.CreateRequest{Actor: kelly, CustomerID: 99999999, Asked: newMobile("2175550100"), Form: "f"})
		if o.Result != change.NotFound || h.created(t) != 0 {
			t.Fatalf("outcome %s after %d POSTs", o.Result, h.created(t))
		}
	})
	t.Run("nok, a value this location holds, seen before sending", func(t *testing.T) {
		h := newHarness(t)
		s := subjects[1]
		o := h.svc.Create(context.Background(), s.add(newMobile(s.held), "f"))
		if o.Result != change.Duplicate || o.Contact.ID != sandbox.SeedLocationGateContactID || h.sb.Requests(s.create) != 0 ||
			!strings.Contains(strings.Join(o.Errors.ByField["value"], ""), "This location already has this number") {
			t.Fatalf("outcome %+v after %d POSTs", o, h.sb.Requests(s.create))
		}
	})
	t.Run("ok, a value the location's customer holds is the location's to hold too", func(t *testing.T) {
		h := newHarness(t)
		o := h.svc.Create(context.Background(), subjects[1].add(newMobile(sandbox.SeedMobileValue), "f"))
		if o.Result != change.Saved {
			t.Fatalf("outcome %+v", o)
		}
	})
	t.Run("nok, unknown location", func(t *testing.T) {
		h := newHarness(t)
		s := subject{owner: client.LocationOwner(sandbox.SeedCustomerID, 199999999)}
		o := h.svc.Create(context.Background(), s.add(newMobile("2175550100"), "f"))
		if o.Result != change.NotFound || h.sb.Requests(sandbox.OpCreateLocationContact) != 0 {
			t.Fatalf("outcome %s after %d POSTs", o.Result, h.sb.Requests(sandbox.OpCreateLocationContact))
		}
		e, _, _ := h.store.List(context.Background(), audit.Filter{LocationID: 199999999})
		if len(e) != 1 || e[0].Outcome != audit.OutcomeNotFound || !strings.Contains(strings.Join(e[0].Messages, ""), "location") {
			t.Errorf("audit = %+v", e)
		}
	})
}

// A double click, a second tab or Back-and-resubmit make one contact.
func TestCreateFormPostedTwiceMakesOneContact(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		h.sb.SetLatency(100 * time.Millisecond)
		r := s.add(newMobile("2175550100"), "add-once")
		results := make([]change.Outcome, 3)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() { results[i] = h.svc.Create(context.Background(), r) })
		}
		wg.Wait()
		results[2] = h.svc.Create(context.Background(), r) // Back, then Add again
		if n := h.sb.Requests(s.create); n != 1 {
			t.Errorf("%d POSTs, want 1", n)
		}
		for i, o := range results {
			if o.Result != change.Saved || o.Contact.ID != results[0].Contact.ID {
				t.Errorf("post %d: %s contact %d", i, o.Result, o.Contact.ID)
			}
		}
	})
}

// A create whose answer is lost is settled by reading the contacts: found
// counts as added; not found is not saved. Never a second POST.
func TestCreateLostAnswer(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault sandbox.Fault
		want  change.Result
	}{
		{"ok, applied, then the connection dropped", sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, AfterApply: true, DropConnection: true}, change.Saved},
		{"nok, never applied", sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Hang: true}, change.NotSaved},
	} {
		forEachOwner(t, func(t *testing.T, s subject) {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t)
				tt.fault.Operation = s.create
				h.sb.InjectFault(tt.fault)
				o := h.svc.Create(context.Background(), s.add(newMobile("2175550100"), "f"))
				if o.Result != tt.want || !o.Confirmed || h.sb.Requests(s.create) != 1 {
					t.Fatalf("outcome %s (confirmed %v) after %d POSTs", o.Result, o.Confirmed, h.sb.Requests(s.create))
				}
				held := 0
				for _, ct := range h.contacts(s) {
					if ct.Value == "2175550100" {
						held++
					}
				}
				if want := map[change.Result]int{change.Saved: 1, change.NotSaved: 0}[tt.want]; held != want {
					t.Errorf("%d contacts hold the number, want %d", held, want)
				}
			})
		})
	}
}

// ServiceTitan's spec for creates predates preferences, and it has been
// seen to drop them with a 200: the same attempt sends them as an update,
// and says so when that fails.
func TestCreateFollowsUpPreferencesServiceTitanDropped(t *testing.T) {
	for _, tt := range []struct {
		name       string
		update     *sandbox.Fault
		unfinished bool
	}{
		{"ok, the update takes them", nil, false},
		{"nok, the update fails", &sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: 400,
			Body: `{"title":"One or more validation errors occurred.","status":400,"errors":{"Preferences":["Not now."]}}`}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.sb.Intercept(sandbox.OpCreateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
				// Store the contact as if its preferences had not been sent:
				// with the defaults, and answer with that.
				apply()
				contacts := h.sb.Contacts(sandbox.SeedCustomerID)
				ct := contacts[len(contacts)-1]
				ct.Preferences = &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}
				h.sb.SetContact(sandbox.SeedCustomerID, ct)
				b, _ := json.Marshal(ct)
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
			})
			if tt.update != nil {
				h.sb.InjectFault(*tt.update)
			}
			asked := change.Fields{Type: "Email", Value: "kelly.work@example.com", Flags: map[string]bool{"jobRemindersEnabled": false, "marketingUpdatesEnabled": true, "invoiceStatementNotification": false}}
			o := h.svc.Create(context.Background(), change.CreateRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Asked: asked, Form: "f"})
			if o.Result != change.Saved || (o.Unfinished != nil) != tt.unfinished {
				t.Fatalf("outcome %s, unfinished %+v", o.Result, o.Unfinished)
			}
			if h.sb.Requests(sandbox.OpUpdateContact) != 1 {
				t.Errorf("%d follow-up updates, want 1", h.sb.Requests(sandbox.OpUpdateContact))
			}
			stored, _ := h.sb.Contact(sandbox.SeedCustomerID, o.Contact.ID)
			if got := stored.Preferences.MarketingUpdatesEnabled; got != !tt.unfinished {
				t.Errorf("marketing on = %v in ServiceTitan", got)
			}
			e := h.entries(t, o.Contact.ID)
			if len(e) != 1 || e[0].Outcome != audit.OutcomeSaved || tt.unfinished != strings.Contains(strings.Join(e[0].Messages, " "), "NOT saved") {
				t.Errorf("audit = %+v", e)
			}
		})
	}
}

func (h *harness) shown(t *testing.T, contactID int64) change.Snapshot {
	t.Helper()
	ct, ok := h.sb.Contact(sandbox.SeedCustomerID, contactID)
	if !ok {
		t.Fatalf("no contact %d", contactID)
	}
	return change.SnapshotOf(ct)
}

func TestDeleteRemovesAndRecordsTheOldValues(t *testing.T) {
	forEachOwner(t, func(t *testing.T, s subject) {
		h := newHarness(t)
		r := s.removal(s.mobile, h.snapshot(t, s, s.mobile), "del-1")
		o := h.svc.Delete(context.Background(), r)
		if o.Result != change.Saved || o.Contact.Value != s.value {
			t.Fatalf("outcome = %+v", o)
		}
		if _, ok := h.contact(s, s.mobile); ok {
			t.Fatal("still in ServiceTitan")
		}
		if again := h.svc.Delete(context.Background(), r); again.Result != change.Saved || h.sb.Requests(s.remove) != 1 {
			t.Errorf("the same form again: %s after %d DELETEs; want the first outcome, one DELETE", again.Result, h.sb.Requests(s.remove))
		}
		e := h.entries(t, s.mobile)
		if len(e) != 1 || e[0].Action != audit.ActionDelete || e[0].Outcome != audit.OutcomeSaved || e[0].LocationID != s.owner.LocationID {
			t.Fatalf("audit = %+v", e)
		}
		before := map[string]string{}
		for _, ch := range e[0].Changes {
			before[ch.Field] = ch.Before
		}
		if before["value"] != s.value || before["memo"] != s.memo || before["type"] != "MobilePhone" || before["preferences.jobRemindersEnabled"] != "true" {
			t.Errorf("audit changes = %+v", e[0].Changes)
		}
	})
}

func TestDeleteOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name    string
		prepare func(h *harness, s subject)
		want    change.Result
		deletes int
		present bool
	}{
		{"nok, changed since the confirmation was shown", func(h *harness, s subject) {
			ct, _ := h.contact(s, s.mobile)
			ct.Memo, ct.ModifiedOn = "Changed", ct.ModifiedOn.Add(time.Minute)
			h.setContact(s, ct)
		}, change.Conflict, 0, true},
		{"ok, already gone", func(h *harness, s subject) {
			h.sb.InjectFault(sandbox.Fault{Operation: s.list, Times: 1, Status: 404,
				Body: `{"title":"Customer not found","status":404}`})
		}, change.NotFound, 0, true},
		{"ok, lost answer, gone when read", func(h *harness, s subject) {
			h.sb.InjectFault(sandbox.Fault{Operation: s.remove, Times: 1, AfterApply: true, DropConnection: true})
		}, change.Saved, 1, false},
		{"nok, lost answer, still there when read", func(h *harness, s subject) {
			h.sb.InjectFault(sandbox.Fault{Operation: s.remove, Times: 1, Hang: true})
		}, change.NotSaved, 1, true},
		{"nok, ServiceTitan down", func(h *harness, s subject) {
			h.sb.InjectFault(sandbox.Fault{Operation: s.remove, Times: 1, Status: 503})
		}, change.NotSaved, 1, true},
	} {
		forEachOwner(t, func(t *testing.T, s subject) {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t)
				shown := h.snapshot(t, s, s.mobile)
				tt.prepare(h, s)
				o := h.svc.Delete(context.Background(), s.removal(s.mobile, shown, "del"))
				if o.Result != tt.want || h.sb.Requests(s.remove) != tt.deletes {
					t.Fatalf("outcome %s after %d DELETEs; want %s after %d", o.Result, h.sb.Requests(s.remove), tt.want, tt.deletes)
				}
				if _, ok := h.contact(s, s.mobile); ok != tt.present {
					t.Errorf("contact present = %v, want %v", ok, tt.present)
				}
			})
		})
	}
}

// Undo brings a removed contact back from the audit trail, not from the
// browser: same type, value, memo and preferences, recorded as an add
// that names the removal.
func TestUndoRecreatesTheRemovedContact(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	removed := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedFiveFlagCustomerID, ContactID: sandbox.SeedFiveFlagContactID,
		Shown: func() change.Snapshot {
			ct, _ := h.sb.Contact(sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID)
			return change.SnapshotOf(ct)
		}(), Form: "del"})
	if removed.Result != change.Saved {
		t.Fatalf("delete: %s", removed.Result)
	}
	o, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedFiveFlagCustomerID, Removal: removed.AuditID, Form: "undo"})
	if err != nil || o.Result != change.Saved {
		t.Fatalf("undo: %+v, %v", o, err)
	}
	back, _ := h.sb.Contact(sandbox.SeedFiveFlagCustomerID, o.Contact.ID)
	was := removed.Contact
	if back.Type != was.Type || back.Value != was.Value || back.Memo != was.Memo || back.Preferences == nil ||
		*back.Preferences.InvoiceNotification != *was.Preferences.InvoiceNotification || *back.Preferences.StatementNotification != *was.Preferences.StatementNotification ||
		back.Preferences.JobRemindersEnabled != was.Preferences.JobRemindersEnabled {
		t.Errorf("re-created %+v %+v, removed %+v %+v", back, back.Preferences, was, was.Preferences)
	}
	e := h.entries(t, o.Contact.ID)
	if len(e) != 1 || e[0].Action != audit.ActionCreate || e[0].Undoes != removed.AuditID {
		t.Errorf("audit = %+v", e)
	}
	// Not a removal, or another customer's: refused.
	if _, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedFiveFlagCustomerID, Removal: e[0].ID}); err == nil {
		t.Error("an add was undone as if it were a removal")
	}
	if _, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID}); err == nil {
		t.Error("a removal was undone on another customer")
	}
}

// A location's removal is undone on that location, from the audit trail,
// and only there: not on its customer, not on another location.
func TestUndoOfALocationContact(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := subjects[1]
	removed := h.svc.Delete(ctx, s.removal(s.mobile, h.snapshot(t, s, s.mobile), "del"))
	if removed.Result != change.Saved {
		t.Fatalf("delete: %s", removed.Result)
	}
	for _, other := range []change.UndoRequest{
		{Actor: kelly, CustomerID: sandbox.SeedCustomerID, Removal: removed.AuditID},
		{Actor: kelly, CustomerID: sandbox.SeedCustomerID, LocationID: sandbox.SeedRentalLocationID, Removal: removed.AuditID},
	} {
		if _, err := h.svc.Undo(ctx, other); !errors.Is(err, change.ErrNotUndoable) {
			t.Errorf("the location's removal undone on %d/%d: %v", other.CustomerID, other.LocationID, err)
		}
	}
	o, err := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, Removal: removed.AuditID, Form: "undo"})
	if err != nil || o.Result != change.Saved {
		t.Fatalf("undo: %+v, %v", o, err)
	}
	back, ok := h.contact(s, o.Contact.ID)
	if !ok || back.Type != client.ContactMobilePhone || back.Value != s.value || back.Memo != s.memo || back.Preferences == nil || !back.Preferences.JobRemindersEnabled {
		t.Errorf("re-created %+v", back)
	}
	if n := h.sb.Requests(sandbox.OpCreateContact); n != 0 {
		t.Errorf("%d POSTs to the customer's contacts", n)
	}
	e := h.entries(t, o.Contact.ID)
	if len(e) != 1 || e[0].Action != audit.ActionCreate || e[0].Undoes != removed.AuditID || e[0].LocationID != s.owner.LocationID {
		t.Errorf("audit = %+v", e)
	}
	if again, _ := h.svc.Undo(ctx, change.UndoRequest{Actor: kelly, CustomerID: s.owner.CustomerID, LocationID: s.owner.LocationID, Removal: removed.AuditID, Form: "undo-2"}); again.Result != change.AlreadyRestored {
		t.Errorf("restored twice: %s", again.Result)
	}
}
