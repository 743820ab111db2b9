package contacts

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// FuzzContactForm posts arbitrary form bodies through parsing, validation
// and diffing: nothing may panic, and whatever passes validation must be
// something ServiceTitan accepts.
func FuzzContactForm(f *testing.F) {
	for _, seed := range []string{
		"type=MobilePhone&value=%28217%29+555-0177&memo=Cell&jobRemindersEnabled=true&loaded.type=MobilePhone&loaded.value=2175550177&loaded.memo=Cell&loaded.preferences=%7B%22jobRemindersEnabled%22%3Atrue%2C%22marketingUpdatesEnabled%22%3Afalse%2C%22invoiceStatementNotification%22%3Atrue%7D&modifiedOn=2026-03-04T15%3A04%3A05.1234567Z",
		"type=Email&value=a%40example.com&loaded.type=Email&loaded.value=b%40example.com&loaded.preferences=null",
		"type=Email&value=a%40example.com&statementNotification=on&loaded.preferences=%7B%22invoiceNotification%22%3Atrue%2C%22statementNotification%22%3Afalse%7D",
		"type=Fax&value=%2B44+20+7946+0958",
		"type=Pager&value=&memo=" + strings.Repeat("x", 300),
		"loaded.preferences=%7B%22invoiceNotification%22%3Anull%7D&invoiceNotification=true",
		"%zz=1&type",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		values, _ := url.ParseQuery(body)
		form := ParseForm(values)
		value, errs := change.Check(form.Fields, form.Opened, "US")
		_ = withErrors(form.View(web.Owner{Owner: client.CustomerOwner(1)}, 2, "Ada"), errs)
		if !errs.Empty() {
			return
		}
		typ, ok := client.ParseContactType(form.Type)
		if !ok {
			t.Fatalf("type %q passed validation", form.Type)
		}
		req := change.Patch(form.Fields, form.Opened, value)
		if req.Value != nil {
			v := *req.Value
			if typ.IsPhoneNumber() && (len(v) != 10 || strings.Trim(v, "0123456789") != "") {
				t.Fatalf("phone %q sent as %q", form.Value, v)
			}
			if typ == client.ContactEmail && !strings.Contains(v, "@") {
				t.Fatalf("email %q sent as %q", form.Value, v)
			}
		}
		if req.Memo != nil && utf8.RuneCountInString(*req.Memo) > change.MemoMax {
			t.Fatalf("memo of %d characters passed", utf8.RuneCountInString(*req.Memo))
		}
		if p := req.Preferences; p != nil && (p.InvoiceNotification == nil) != (p.StatementNotification == nil) {
			t.Fatalf("half of the 2026 flags sent: %+v", p)
		}
	})
}

// FuzzErrorMapping checks that every message of a 400 `errors` object ends
// up on the form, next to a field or in the summary.
func FuzzErrorMapping(f *testing.F) {
	for _, k := range []string{"Value", "$.memo", "Preferences.JobRemindersEnabled", "request.type", "", "CustomerId",
		"preferences.statementNotification", "$['value']", "Preferences"} {
		f.Add(k, "message", true)
	}
	f.Fuzz(func(t *testing.T, key, msg string, split bool) {
		loaded := &client.Preferences{}
		if split {
			loaded.InvoiceNotification, loaded.StatementNotification = new(false), new(true)
		}
		form := FormFromContact(client.Contact{Type: client.ContactEmail, Preferences: loaded})
		apiErr := &client.APIError{StatusCode: 400, Errors: map[string][]string{key: {msg, msg + "!"}}}
		m := withErrors(form.View(web.Owner{Owner: client.CustomerOwner(1)}, 2, "Ada"), change.PlaceErrors(apiErr))
		if len(m.Summary) != 2 {
			t.Fatalf("key %q: %d summary lines, want 2", key, len(m.Summary))
		}
		for field, msgs := range m.FieldErrors {
			known := field == "type" || field == "value" || field == "memo" || field == "preferences"
			if _, shown := form.Flags[field]; !known && !shown {
				t.Fatalf("key %q placed on %q, which the form does not show (%d messages)", key, field, len(msgs))
			}
		}
	})
}
