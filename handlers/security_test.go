package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// The hidden fields carry what the form was opened with. A signed-in person
// can edit them; what ServiceTitan receives and what the audit trail
// records must both come from the contact as the app reads it before the
// write, so the trail names every field that really changed, with its real
// old value.
func TestForgedHiddenFieldsCannotMakeTheAuditLie(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	form := b.OpenForm(7) // memo "Cell", job reminders on, marketing off, invoices on
	// Claim marketing was already on and the memo already "Quiet", then
	// "change" only job reminders.
	form.Set("loaded.preferences", `{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":true}`)
	form.Set("marketingUpdatesEnabled", "on")
	form.Set("loaded.memo", "Quiet")
	form.Set("memo", "Quiet")
	form.Del("jobRemindersEnabled")
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.Status, p.Body)
	}

	stored := up.Contact(7)
	if stored.Memo != "Quiet" || !stored.Preferences.MarketingUpdatesEnabled || stored.Preferences.JobRemindersEnabled {
		t.Fatalf("ServiceTitan now holds %+v %+v", stored, stored.Preferences)
	}
	entries, _, err := store.List(context.Background(), audit.Filter{ContactID: 7})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit entries = %+v, %v", entries, err)
	}
	got := map[string]audit.Change{}
	for _, ch := range entries[0].Changes {
		got[ch.Field] = ch
	}
	want := []audit.Change{
		{Field: "memo", Before: "Cell", After: "Quiet"},
		{Field: "preferences.jobRemindersEnabled", Before: "true", After: "false"},
		{Field: "preferences.marketingUpdatesEnabled", Before: "false", After: "true"},
	}
	for _, w := range want {
		if got[w.Field] != w {
			t.Errorf("audit change %s = %+v, want %+v", w.Field, got[w.Field], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("audit changes = %+v, want exactly %+v", entries[0].Changes, want)
	}
	// The PATCH said the same as the trail.
	var sent client.UpdateContactRequest
	json.Unmarshal([]byte(up.LastPatch()), &sent)
	if sent.Memo == nil || *sent.Memo != "Quiet" || sent.Preferences == nil || !sent.Preferences.MarketingUpdatesEnabled || sent.Type != nil || sent.Value != nil {
		t.Errorf("PATCH = %s", up.LastPatch())
	}
}

// A forged copy of the stored value must not exempt a new value from the
// rules that only a value ServiceTitan really holds is exempt from.
func TestForgedLoadedValueIsStillValidated(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("loaded.value", "call me maybe")
	form.Set("value", "call me maybe")
	form.Set("memo", "and a real change")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusUnprocessableEntity || up.Patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 422 and none", p.Status, up.Patches.Load())
	}
	if got := Text(p, "#value-error"); !strings.Contains(got, "10-digit phone number") {
		t.Errorf("value message = %q", got)
	}
}

func TestStoredValueOurRulesRejectDoesNotBlockOtherEdits(t *testing.T) {
	up := NewUpstream(t)
	up.Edit(9, func(c *client.Contact) { c.Value = "5555555555" }) // stored by someone else; not a valid number
	b := NewBrowser(t, up.App(t, time.Second).URL)
	form := b.OpenForm(9)
	form.Set("memo", "Back door")
	if p := b.Post("/customers/5/contacts/9", form); p.Status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", p.Status, Text(p, "main"))
	}
	if got := up.LastPatch(); got != `{"memo":"Back door"}` {
		t.Errorf("PATCH = %s", got)
	}
}

// A nonce names one form rendered for one session and one contact: posted
// by another session, or to another contact, it is a new post, never a
// replay of someone else's outcome.
func TestNonceIsBoundToSessionAndContact(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	alice, mallory := NewBrowser(t, srv.URL), NewBrowser(t, srv.URL)
	aliceForm := alice.OpenForm(7)
	aliceForm.Set("memo", "Alice's")
	if p := alice.Post("/customers/5/contacts/7", aliceForm); p.Status != http.StatusSeeOther {
		t.Fatalf("alice: %d", p.Status)
	}

	// Mallory posts her own form for contact 7 with Alice's nonce: her form
	// is stale (Alice saved meanwhile), so she must see the conflict, not
	// Alice's "Contact updated".
	malloryForm := mallory.OpenForm(7)
	malloryForm.Set("modifiedOn", aliceForm.Get("modifiedOn"))
	malloryForm.Set("nonce", aliceForm.Get("nonce"))
	malloryForm.Set("memo", "Mallory's")
	if p := mallory.Post("/customers/5/contacts/7", malloryForm); p.Status != http.StatusConflict {
		t.Errorf("another session with the same nonce: status %d, want 409 (a new post)", p.Status)
	}

	// Alice's nonce on a post for another contact is a new post too.
	other := alice.OpenForm(9)
	other.Set("nonce", aliceForm.Get("nonce"))
	other.Set("memo", "For nine")
	if p := alice.Post("/customers/5/contacts/9", other); p.Status != http.StatusSeeOther || p.Location != "/customers/5/contacts/9" {
		t.Errorf("same nonce, other contact: status %d location %q", p.Status, p.Location)
	}
	if up.Contact(9).Memo != "For nine" || up.Patches.Load() != 2 {
		t.Errorf("contact 9 memo %q after %d PATCHes; want it saved by a second PATCH", up.Contact(9).Memo, up.Patches.Load())
	}
}

func TestControlCharactersAndOverlongValuesAreRefused(t *testing.T) {
	tests := []struct {
		name, field, value, wantMsg string
		contactID                   int
	}{
		{"nok, NUL in a phone number", "value", "217555\x000177", "control character", 7},
		{"nok, escape in an email", "value", "ada\x1b@example.com", "control character", 8},
		{"nok, tab in the memo", "memo", "one\ttwo", "control character", 7},
		{"nok, NUL in the memo", "memo", "a\x00b", "control character", 7},
		{"nok, a right-to-left override in the memo", "memo", "pay \u202egnp.exe", "control character", 7},
		{"nok, an email over 254 characters", "value", strings.Repeat("a", 250) + "@example.com", "at most 254 characters", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up, b, form := OpenedForm(t, tt.contactID)
			form.Set(tt.field, tt.value)
			p := b.Post("/customers/5/contacts/"+Itoa(tt.contactID), form)
			if p.Status != http.StatusUnprocessableEntity || up.Patches.Load() != 0 {
				t.Fatalf("status %d, PATCHes %d; want 422, none", p.Status, up.Patches.Load())
			}
			if got := Text(p, "#"+tt.field+"-error"); !strings.Contains(got, tt.wantMsg) {
				t.Errorf("message next to %s = %q, want %q", tt.field, got, tt.wantMsg)
			}
		})
	}
	t.Run("ok, line breaks in the memo", func(t *testing.T) {
		_, b, form := OpenedForm(t, 7)
		form.Set("memo", "Line one\r\nLine two")
		if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
			t.Fatalf("status %d", p.Status)
		}
	})
}

func TestOverlongSearchIsExplainedNotForwarded(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	q := strings.Repeat("Lovelace ", 30)
	p := b.Get("/customers?q=" + strings.ReplaceAll(q, " ", "+"))
	if p.Status != http.StatusUnprocessableEntity || up.Searches.Load() != 0 {
		t.Fatalf("status %d, searches %d; want 422 and no upstream call", p.Status, up.Searches.Load())
	}
	if got := Text(p, "[data-problem]"); !strings.Contains(got, "at most 200") {
		t.Errorf("problem = %q", got)
	}
	if got := Attr(p, "#q", "value"); got != strings.TrimSpace(q) {
		t.Errorf("the query was not kept in the box: %q", got)
	}
}

// Only an error object's title and errors are shown to staff; any other
// text in an error body (a gateway's message, an HTML page) is not.
func TestUpstreamTextOutsideTheErrorObjectIsNotShown(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		WriteJSON(w, 400, `{"message":"SqlException at C:\\inetpub\\wwwroot\\crm.dll line 42"}`)
	}
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	form := b.OpenForm(7)
	form.Set("memo", "x")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.Status)
	}
	if strings.Contains(p.Body, "SqlException") || strings.Contains(p.Body, "inetpub") {
		t.Error("the page shows text from outside the error object")
	}
	if got := Text(p, "#error-summary"); !strings.Contains(got, "ServiceTitan rejected the change (400 Bad Request)") {
		t.Errorf("summary = %q", got)
	}
	entries, _, _ := store.List(context.Background(), audit.Filter{ContactID: 7})
	if len(entries) != 1 || !strings.Contains(strings.Join(entries[0].Messages, " "), "SqlException") {
		t.Errorf("the audit trail keeps the text for support: %+v", entries)
	}
}

// Between opening the form and saving, a colleague's change can give the
// record another shape of preferences (split invoice and statement flags,
// or none): still a 409 with both versions, never a crash.
func TestConflictWhenPreferencesChangeShape(t *testing.T) {
	for name, prefs := range map[string]*client.Preferences{
		"split to legacy": {InvoiceStatementNotification: true},
		"split to none":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			store := OpenAudit(t)
			up := NewUpstream(t)
			b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
			form := b.OpenForm(8)
			form.Set("memo", "mine")
			up.Edit(8, func(c *client.Contact) {
				c.Preferences = prefs
				c.ModifiedOn = c.ModifiedOn.Add(time.Minute)
			})
			if p := b.Post("/customers/5/contacts/8", form); p.Status != http.StatusConflict || up.Patches.Load() != 0 {
				t.Fatalf("status %d, PATCHes %d; want 409 and none", p.Status, up.Patches.Load())
			}
			entries, _, _ := store.List(context.Background(), audit.Filter{ContactID: 8})
			if len(entries) != 1 || entries[0].Outcome != audit.OutcomeConflict {
				t.Fatalf("audit = %+v", entries)
			}
			for _, ch := range entries[0].Changes {
				if ch.Field != "memo" {
					t.Errorf("the conflict row records %s, which the person did not change", ch.Field)
				}
			}
		})
	}
}

// An answer from ServiceTitan the app has no words for (a 414 for a long
// URL, a gateway's 405) is ServiceTitan's failure: 502, never a 500.
func TestUnexpectedUpstreamStatusIsABadGateway(t *testing.T) {
	up := NewUpstream(t)
	up.OnList = func(w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusRequestURITooLong)
		return true
	}
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/customers/5/contacts/7/edit")
	if p.Status != http.StatusBadGateway || !strings.Contains(Text(p, "main"), "414") {
		t.Errorf("status %d, page %q; want 502 naming ServiceTitan's 414", p.Status, Text(p, "main"))
	}
}
