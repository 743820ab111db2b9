package change_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

func TestWithFlags(t *testing.T) {
	legacy := &client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: true, InvoiceStatementNotification: true}
	split := &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: false,
		InvoiceNotification: new(true), StatementNotification: new(false)}
	tests := []struct {
		name    string
		p       *client.Preferences
		set     map[string]bool
		want    client.Preferences
		changed bool
		err     error
	}{
		{"ok, one flag off, the others as held", legacy, map[string]bool{"marketingUpdatesEnabled": false},
			client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}, true, nil},
		{"ok, already as asked", legacy, map[string]bool{"marketingUpdatesEnabled": true, "jobRemindersEnabled": true}, *legacy, false, nil},
		{"ok, the combined flag sets both separate ones", split, map[string]bool{"invoiceStatementNotification": true},
			client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true, InvoiceNotification: new(true), StatementNotification: new(true)}, true, nil},
		{"ok, a separate flag of a record that has them", split, map[string]bool{"invoiceNotification": false},
			client.Preferences{JobRemindersEnabled: true, InvoiceNotification: new(false), StatementNotification: new(false)}, true, nil},
		{"ok, both separate flags agreeing set the combined one", legacy, map[string]bool{"invoiceNotification": false, "statementNotification": false},
			client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: true}, true, nil},
		{"nok, one separate flag of a record with only the combined one", legacy, map[string]bool{"statementNotification": false},
			*legacy, false, change.ErrFlagNotHeld},
		{"ok, a record without preferences gets the defaults and the flag asked", nil, map[string]bool{"marketingUpdatesEnabled": false},
			change.NewContactPreferences(), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before client.Preferences
			if tt.p != nil {
				before = tt.p.Clone()
			}
			got, changed, err := change.WithFlags(tt.p, tt.set)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(tt.want)
			if string(g) != string(w) || changed != tt.changed {
				t.Errorf("WithFlags = %s (changed %v), want %s (changed %v)", g, changed, w, tt.changed)
			}
			if tt.p != nil {
				b, _ := json.Marshal(before)
				a, _ := json.Marshal(*tt.p)
				if string(a) != string(b) {
					t.Errorf("WithFlags changed its argument: %s, was %s", a, b)
				}
			}
		})
	}
}

// A bulk row sets only the flags asked: one read, and one PATCH only when
// a flag differs, carrying every other flag as just read; its audit entry
// names the job and the one field changed.
func TestSetPreferences(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	optOut := change.PreferencesRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedEmailContactID,
		Set: map[string]bool{"marketingUpdatesEnabled": false}, Job: 7}

	o := h.svc.SetPreferences(ctx, optOut)
	if o.Result != change.Saved || o.AuditID == 0 {
		t.Fatalf("outcome = %+v", o)
	}
	if reads, patches := h.calls(); reads != 1 || patches != 1 {
		t.Errorf("calls: %d reads, %d PATCHes; want 1 and 1", reads, patches)
	}
	var sent struct {
		Preferences map[string]bool `json:"preferences"`
		Memo        *string         `json:"memo"`
	}
	if err := json.Unmarshal([]byte(h.sb.LastBody(sandbox.OpUpdateContact)), &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Memo != nil || len(sent.Preferences) != 3 || sent.Preferences["marketingUpdatesEnabled"] ||
		!sent.Preferences["jobRemindersEnabled"] || !sent.Preferences["invoiceStatementNotification"] {
		t.Errorf("PATCH body %s; want the three flags as held but marketing off, nothing else", h.sb.LastBody(sandbox.OpUpdateContact))
	}
	e, _ := audit.Get(ctx, h.store, o.AuditID)
	if e.Job != 7 || e.Outcome != audit.OutcomeSaved || len(e.Changes) != 1 ||
		e.Changes[0] != (audit.Change{Field: "preferences.marketingUpdatesEnabled", Before: "true", After: "false"}) {
		t.Errorf("audit entry %+v", e)
	}

	// The same row again (a second list, a resumed job): one read, nothing
	// sent, nothing recorded.
	h.sb.ResetCounters()
	if o := h.svc.SetPreferences(ctx, optOut); o.Result != change.NoChange {
		t.Errorf("again: %+v", o)
	}
	if reads, patches := h.calls(); reads != 1 || patches != 0 {
		t.Errorf("again: %d reads, %d PATCHes; want 1 and 0", reads, patches)
	}
	if n := len(h.entries(t, sandbox.SeedEmailContactID)); n != 1 {
		t.Errorf("%d audit entries; an unchanged contact records none", n)
	}

	// A contact gone since the list was matched.
	gone := optOut
	gone.ContactID = 29999999
	if o := h.svc.SetPreferences(ctx, gone); o.Result != change.NotFound {
		t.Errorf("a gone contact: %+v", o)
	} else if e, _ := audit.Get(ctx, h.store, o.AuditID); e.Outcome != audit.OutcomeNotFound || e.Job != 7 {
		t.Errorf("a gone contact's entry: %+v", e)
	}

	// ServiceTitan refuses (400): its message is kept.
	h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: 400,
		Body: `{"type":"x","title":"One or more validation errors occurred.","status":400,"errors":{"Preferences":["Marketing cannot be changed for this contact."]}}`})
	refused := optOut
	refused.ContactID, refused.Set = sandbox.SeedMobileContactID, map[string]bool{"jobRemindersEnabled": false}
	if o := h.svc.SetPreferences(ctx, refused); o.Result != change.Invalid || len(o.Errors.ByField["preferences"]) != 1 {
		t.Errorf("a 400: %+v", o)
	}
}

// A lost answer is settled by a read, never by sending again.
func TestSetPreferencesLostAnswer(t *testing.T) {
	h := newHarness(t)
	h.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, AfterApply: true, DropConnection: true})
	o := h.svc.SetPreferences(context.Background(), change.PreferencesRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID,
		ContactID: sandbox.SeedMobileContactID, Set: map[string]bool{"jobRemindersEnabled": false}, Job: 3})
	if o.Result != change.Saved || !o.Confirmed {
		t.Fatalf("outcome = %+v", o)
	}
	if reads, patches := h.calls(); reads != 2 || patches != 1 {
		t.Errorf("calls: %d reads, %d PATCHes; want 2 and 1", reads, patches)
	}
}

// Settle tells a lost outcome from the contact as it is, once.
func TestSettle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ct, _ := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	ct.Preferences.JobRemindersEnabled = false
	h.sb.SetContact(sandbox.SeedCustomerID, ct)
	id, err := h.store.Begin(ctx, audit.Entry{ActorEmail: kelly.Email, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedMobileContactID,
		Job: 3, Changes: []audit.Change{{Field: "preferences.jobRemindersEnabled", Before: "true", After: "false"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := h.svc.Settle(ctx, id); err != nil || got != audit.OutcomeSaved {
		t.Fatalf("Settle = %s, %v", got, err)
	}
	h.sb.ResetCounters()
	if got, err := h.svc.Settle(ctx, id); err != nil || got != audit.OutcomeSaved {
		t.Errorf("Settle again = %s, %v", got, err)
	}
	if reads, _ := h.calls(); reads != 0 {
		t.Errorf("settling a settled attempt read %d times", reads)
	}
}

// A bulk job removes a contact as it is (it showed no version to compare),
// recorded with the job.
func TestDeleteForAJob(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	o := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedEmailContactID, Job: 9})
	if o.Result != change.Saved {
		t.Fatalf("outcome = %+v", o)
	}
	if e, _ := audit.Get(ctx, h.store, o.AuditID); e.Job != 9 || e.Action != audit.ActionDelete || e.Outcome != audit.OutcomeSaved {
		t.Errorf("audit entry %+v", e)
	}
	if _, ok := h.sb.Contact(sandbox.SeedCustomerID, sandbox.SeedEmailContactID); ok {
		t.Error("the contact is still there")
	}
	if o := h.svc.Delete(ctx, change.DeleteRequest{Actor: kelly, CustomerID: sandbox.SeedCustomerID, ContactID: sandbox.SeedEmailContactID, Job: 9}); o.Result != change.NotFound {
		t.Errorf("removed again: %+v", o)
	}
}
