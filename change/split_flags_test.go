package change_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// sentPreferences is the preferences object of the last PATCH.
func (h *harness) sentPreferences(t *testing.T) map[string]bool {
	t.Helper()
	var sent struct {
		Preferences map[string]bool `json:"preferences"`
	}
	if err := json.Unmarshal([]byte(h.sb.LastBody(sandbox.OpUpdateContact)), &sent); err != nil {
		t.Fatal(err)
	}
	return sent.Preferences
}

// The record of the issue (#23, item 1): invoices on, statements off and
// the combined "Invoices and statements" on, as ServiceTitan holds such
// records. Unticking only Job reminders sends every other flag exactly as
// read, and the History names only Job reminders.
func TestSaveOfOneFlagKeepsTheCombinedFlagAsRead(t *testing.T) {
	h := newHarness(t)
	r := h.opened(t, sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID, func(f *change.Fields) {
		f.Flags["jobRemindersEnabled"] = false
	})
	if o := h.svc.Update(context.Background(), r); o.Result != change.Saved {
		t.Fatalf("outcome = %+v", o)
	}
	want := map[string]bool{"jobRemindersEnabled": false, "marketingUpdatesEnabled": false,
		"invoiceStatementNotification": true, "invoiceNotification": true, "statementNotification": false}
	if got := h.sentPreferences(t); !equalFlags(got, want) {
		t.Errorf("PATCH preferences %v, want %v", got, want)
	}
	e := h.entries(t, sandbox.SeedFiveFlagContactID)
	if len(e) != 1 || len(e[0].Changes) != 1 ||
		e[0].Changes[0] != (audit.Change{Field: "preferences.jobRemindersEnabled", Before: "true", After: "false"}) {
		t.Errorf("audit = %+v", e)
	}
	stored, _ := h.sb.Contact(sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID)
	if p := stored.Preferences; !p.InvoiceStatementNotification || !*p.InvoiceNotification || *p.StatementNotification {
		t.Errorf("stored preferences %+v", p)
	}
}

// The combined flag follows the separate ones only when both say the same
// (ServiceTitan's combined flag "updates both": sent otherwise, it could
// undo what was asked); when they differ it stays as read.
func TestSeparateFlagsMoveTheCombinedOneOnlyWhenTheyAgree(t *testing.T) {
	for _, tt := range []struct {
		name    string
		set     map[string]bool
		want    map[string]bool
		changes []audit.Change
	}{
		{"ok, statements on: both on, the combined flag with them", map[string]bool{"statementNotification": true},
			map[string]bool{"jobRemindersEnabled": true, "marketingUpdatesEnabled": false, "invoiceStatementNotification": true, "invoiceNotification": true, "statementNotification": true},
			[]audit.Change{{Field: "preferences.statementNotification", Before: "false", After: "true"}}},
		{"ok, invoices off: both off, the combined flag with them", map[string]bool{"invoiceNotification": false},
			map[string]bool{"jobRemindersEnabled": true, "marketingUpdatesEnabled": false, "invoiceStatementNotification": false, "invoiceNotification": false, "statementNotification": false},
			[]audit.Change{{Field: "preferences.invoiceStatementNotification", Before: "true", After: "false"},
				{Field: "preferences.invoiceNotification", Before: "true", After: "false"}}},
		{"ok, both swapped: they still differ, the combined flag as read", map[string]bool{"invoiceNotification": false, "statementNotification": true},
			map[string]bool{"jobRemindersEnabled": true, "marketingUpdatesEnabled": false, "invoiceStatementNotification": true, "invoiceNotification": false, "statementNotification": true},
			[]audit.Change{{Field: "preferences.invoiceNotification", Before: "true", After: "false"},
				{Field: "preferences.statementNotification", Before: "false", After: "true"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			r := h.opened(t, sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID, func(f *change.Fields) {
				for k, v := range tt.set {
					f.Flags[k] = v
				}
			})
			if o := h.svc.Update(context.Background(), r); o.Result != change.Saved {
				t.Fatalf("outcome = %+v", o)
			}
			if got := h.sentPreferences(t); !equalFlags(got, tt.want) {
				t.Errorf("PATCH preferences %v, want %v", got, tt.want)
			}
			e := h.entries(t, sandbox.SeedFiveFlagContactID)
			if len(e) != 1 || !equalChanges(e[0].Changes, tt.changes) {
				t.Errorf("audit changes %+v, want %+v", e[0].Changes, tt.changes)
			}
		})
	}
}

// A bulk row on the same record: marketing off sends the other four flags
// as read, and records marketing alone.
func TestBulkRowOfOneFlagKeepsTheCombinedFlagAsRead(t *testing.T) {
	h := newHarness(t)
	ct, _ := h.sb.Contact(sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID)
	ct.Preferences.MarketingUpdatesEnabled = true
	h.sb.SetContact(sandbox.SeedFiveFlagCustomerID, ct)

	o := h.svc.SetPreferences(context.Background(), change.PreferencesRequest{Actor: kelly, CustomerID: sandbox.SeedFiveFlagCustomerID,
		ContactID: sandbox.SeedFiveFlagContactID, Set: map[string]bool{"marketingUpdatesEnabled": false}, Job: 4})
	if o.Result != change.Saved {
		t.Fatalf("outcome = %+v", o)
	}
	want := map[string]bool{"jobRemindersEnabled": true, "marketingUpdatesEnabled": false,
		"invoiceStatementNotification": true, "invoiceNotification": true, "statementNotification": false}
	if got := h.sentPreferences(t); !equalFlags(got, want) {
		t.Errorf("PATCH preferences %v, want %v", got, want)
	}
	e := h.entries(t, sandbox.SeedFiveFlagContactID)
	if len(e) != 1 || !equalChanges(e[0].Changes, []audit.Change{{Field: "preferences.marketingUpdatesEnabled", Before: "true", After: "false"}}) {
		t.Errorf("audit = %+v", e)
	}
}

func equalFlags(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func equalChanges(a, b []audit.Change) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
