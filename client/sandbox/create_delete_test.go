package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

func (h *harness) create(customerID int64, body string) (*http.Response, []byte) {
	h.t.Helper()
	return h.call(http.MethodPost, fmt.Sprintf("/customers/%d/contacts", customerID), body)
}

func TestCreateContact(t *testing.T) {
	h := newHarness(t)
	resp, body := h.create(SeedCustomerID, `{"type":"MobilePhone","value":"2175550199","memo":"Work cell",
		"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":false}}`)
	wantStatus(t, resp, body, http.StatusOK)
	var got contactBody
	mustUnmarshal(t, body, &got)
	if got.ID <= SeedDoNotTextContactID || got.Type != client.ContactMobilePhone || got.Value != "2175550199" || got.Memo == nil || *got.Memo != "Work cell" {
		t.Errorf("created %+v", got)
	}
	stored := h.contact(SeedCustomerID, got.ID)
	if stored.PhoneSettings == nil || stored.PhoneSettings.PhoneNumber != "2175550199" || stored.PhoneSettings.DoNotText ||
		stored.Preferences == nil || !stored.Preferences.MarketingUpdatesEnabled || stored.Preferences.InvoiceStatementNotification {
		t.Errorf("stored %+v %+v", stored, stored.Preferences)
	}
	if stored.CreatedOn.IsZero() || !stored.CreatedOn.Equal(stored.ModifiedOn) {
		t.Errorf("createdOn %v, modifiedOn %v", stored.CreatedOn, stored.ModifiedOn)
	}
	// Without preferences, a new contact gets the UI's defaults.
	resp, body = h.create(SeedCustomerID, `{"type":"Email","value":"ada.work@example.com"}`)
	wantStatus(t, resp, body, http.StatusOK)
	mustUnmarshal(t, body, &got)
	if p := h.contact(SeedCustomerID, got.ID).Preferences; p == nil || !p.JobRemindersEnabled || p.MarketingUpdatesEnabled || !p.InvoiceStatementNotification {
		t.Errorf("default preferences %+v", p)
	}
	if c := h.contact(SeedCustomerID, got.ID); c.PhoneSettings != nil {
		t.Error("an email has no phone settings")
	}
}

func TestCreateContactRefusals(t *testing.T) {
	tests := []struct {
		name       string
		customerID int64
		body       string
		status     int
		title      string
		key        string
	}{
		{"nok, nine digits", SeedCustomerID, `{"type":"Phone","value":"217555012"}`, 400, TitleValidation, KeyValue},
		{"nok, formatted number", SeedCustomerID, `{"type":"Phone","value":"(217) 555-0100"}`, 400, TitleValidation, KeyValue},
		{"nok, not an email", SeedCustomerID, `{"type":"Email","value":"ada@"}`, 400, TitleValidation, KeyValue},
		{"nok, no type", SeedCustomerID, `{"value":"2175550100"}`, 400, TitleValidation, KeyType},
		{"nok, no value", SeedCustomerID, `{"type":"Fax"}`, 400, TitleValidation, KeyValue},
		{"nok, a memo too long", SeedCustomerID, `{"type":"Fax","value":"2175550100","memo":"` + strings.Repeat("m", 256) + `"}`, 400, TitleValidation, KeyMemo},
		{"nok, the same number on this customer", SeedCustomerID, `{"type":"Fax","value":"2175550177"}`, 409, TitleDuplicate, KeyValue},
		{"nok, the same email in another case", SeedCustomerID, `{"type":"Email","value":"ADA@EXAMPLE.COM"}`, 409, TitleDuplicate, KeyValue},
		{"nok, unknown customer", 99999999, `{"type":"Fax","value":"2175550100"}`, 404, TitleCustomerNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			before := len(h.s.Contacts(SeedCustomerID))
			resp, body := h.create(tt.customerID, tt.body)
			p := wantProblem(t, resp, body, tt.status, tt.title)
			if _, ok := p.Errors[tt.key]; tt.key != "" && !ok {
				t.Errorf("errors = %v, want %q", p.Errors, tt.key)
			}
			if tt.status == http.StatusConflict && p.Data["existingContactId"] == nil {
				t.Errorf("409 without the existing contact: %v", p.Data)
			}
			if after := len(h.s.Contacts(SeedCustomerID)); after != before {
				t.Errorf("a refused create stored a contact (%d -> %d)", before, after)
			}
		})
	}
	// Another customer may hold the same number.
	h := newHarness(t)
	resp, body := h.create(SeedFiveFlagCustomerID, `{"type":"MobilePhone","value":"2175550177"}`)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestDeleteContact(t *testing.T) {
	h := newHarness(t)
	path := fmt.Sprintf("/customers/%d/contacts/%d", SeedCustomerID, SeedMobileContactID)
	resp, body := h.call(http.MethodDelete, path, "")
	wantStatus(t, resp, body, http.StatusOK)
	if len(body) != 0 {
		t.Errorf("DELETE answered a body: %q", body)
	}
	if _, ok := h.s.Contact(SeedCustomerID, SeedMobileContactID); ok {
		t.Error("the contact is still there")
	}
	resp, body = h.call(http.MethodDelete, path, "")
	wantProblem(t, resp, body, http.StatusNotFound, TitleContactNotFound)
	resp, body = h.call(http.MethodDelete, "/customers/99999999/contacts/1", "")
	wantProblem(t, resp, body, http.StatusNotFound, TitleCustomerNotFound)
	// A contact added afterwards never reuses the removed id.
	resp, body = h.create(SeedCustomerID, `{"type":"MobilePhone","value":"2175550177"}`)
	wantStatus(t, resp, body, http.StatusOK)
	var got contactBody
	mustUnmarshal(t, body, &got)
	if got.ID == SeedMobileContactID {
		t.Error("a removed contact's id was given again")
	}
}
