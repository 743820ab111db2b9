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
)

// The hidden fields carry what the form was opened with. A signed-in person
// can edit them; what ServiceTitan receives and what the audit trail
// records must both come from the contact as the app reads it before the
// write, so the trail names every field that really changed, with its real
// old value.
func TestForgedHiddenFieldsCannotMakeTheAuditLie(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	form := b.openForm(7) // memo "Cell", job reminders on, marketing off, invoices on
	// Claim marketing was already on and the memo already "Quiet", then
	// "change" only job reminders.
	form.Set("loaded.preferences", `{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":true}`)
	form.Set("marketingUpdatesEnabled", "on")
	form.Set("loaded.memo", "Quiet")
	form.Set("memo", "Quiet")
	form.Del("jobRemindersEnabled")
	if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", p.status, p.body)
	}

	stored := up.contact(7)
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
	json.Unmarshal([]byte(up.lastPatch()), &sent)
	if sent.Memo == nil || *sent.Memo != "Quiet" || sent.Preferences == nil || !sent.Preferences.MarketingUpdatesEnabled || sent.Type != nil || sent.Value != nil {
		t.Errorf("PATCH = %s", up.lastPatch())
	}
}

// A forged copy of the stored value must not exempt a new value from the
// rules that only a value ServiceTitan really holds is exempt from.
func TestForgedLoadedValueIsStillValidated(t *testing.T) {
	up, b, form := openedForm(t, 7)
	form.Set("loaded.value", "call me maybe")
	form.Set("value", "call me maybe")
	form.Set("memo", "and a real change")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusUnprocessableEntity || up.patches.Load() != 0 {
		t.Fatalf("status %d, PATCHes %d; want 422 and none", p.status, up.patches.Load())
	}
	if got := text(p, "#value-error"); !strings.Contains(got, "10-digit phone number") {
		t.Errorf("value message = %q", got)
	}
}

func TestStoredValueOurRulesRejectDoesNotBlockOtherEdits(t *testing.T) {
	up := newUpstream(t)
	up.edit(9, func(c *client.Contact) { c.Value = "5555555555" }) // stored by someone else; not a valid number
	b := newBrowser(t, up.app(t, time.Second).URL)
	form := b.openForm(9)
	form.Set("memo", "Back door")
	if p := b.post("/customers/5/contacts/9", form); p.status != http.StatusSeeOther {
		t.Fatalf("status %d\n%s", p.status, text(p, "main"))
	}
	if got := up.lastPatch(); got != `{"memo":"Back door"}` {
		t.Errorf("PATCH = %s", got)
	}
}

// A nonce names one form rendered for one session and one contact: posted
// by another session, or to another contact, it is a new post, never a
// replay of someone else's outcome.
func TestNonceIsBoundToSessionAndContact(t *testing.T) {
	up := newUpstream(t)
	srv := up.app(t, time.Second)
	alice, mallory := newBrowser(t, srv.URL), newBrowser(t, srv.URL)
	aliceForm := alice.openForm(7)
	aliceForm.Set("memo", "Alice's")
	if p := alice.post("/customers/5/contacts/7", aliceForm); p.status != http.StatusSeeOther {
		t.Fatalf("alice: %d", p.status)
	}

	// Mallory posts her own form for contact 7 with Alice's nonce: her form
	// is stale (Alice saved meanwhile), so she must see the conflict, not
	// Alice's "Contact updated".
	malloryForm := mallory.openForm(7)
	malloryForm.Set("modifiedOn", aliceForm.Get("modifiedOn"))
	malloryForm.Set("nonce", aliceForm.Get("nonce"))
	malloryForm.Set("memo", "Mallory's")
	if p := mallory.post("/customers/5/contacts/7", malloryForm); p.status != http.StatusConflict {
		t.Errorf("another session with the same nonce: status %d, want 409 (a new post)", p.status)
	}

	// Alice's nonce on a post for another contact is a new post too.
	other := alice.openForm(9)
	other.Set("nonce", aliceForm.Get("nonce"))
	other.Set("memo", "For nine")
	if p := alice.post("/customers/5/contacts/9", other); p.status != http.StatusSeeOther || p.location != "/customers/5/contacts/9" {
		t.Errorf("same nonce, other contact: status %d location %q", p.status, p.location)
	}
	if up.contact(9).Memo != "For nine" || up.patches.Load() != 2 {
		t.Errorf("contact 9 memo %q after %d PATCHes; want it saved by a second PATCH", up.contact(9).Memo, up.patches.Load())
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
			up, b, form := openedForm(t, tt.contactID)
			form.Set(tt.field, tt.value)
			p := b.post("/customers/5/contacts/"+itoa(tt.contactID), form)
			if p.status != http.StatusUnprocessableEntity || up.patches.Load() != 0 {
				t.Fatalf("status %d, PATCHes %d; want 422, none", p.status, up.patches.Load())
			}
			if got := text(p, "#"+tt.field+"-error"); !strings.Contains(got, tt.wantMsg) {
				t.Errorf("message next to %s = %q, want %q", tt.field, got, tt.wantMsg)
			}
		})
	}
	t.Run("ok, line breaks in the memo", func(t *testing.T) {
		_, b, form := openedForm(t, 7)
		form.Set("memo", "Line one\r\nLine two")
		if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
			t.Fatalf("status %d", p.status)
		}
	})
}

func TestOverlongSearchIsExplainedNotForwarded(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	q := strings.Repeat("Lovelace ", 30)
	p := b.get("/customers?q=" + strings.ReplaceAll(q, " ", "+"))
	if p.status != http.StatusUnprocessableEntity || up.searches.Load() != 0 {
		t.Fatalf("status %d, searches %d; want 422 and no upstream call", p.status, up.searches.Load())
	}
	if got := text(p, "[data-problem]"); !strings.Contains(got, "at most 200") {
		t.Errorf("problem = %q", got)
	}
	if got := attr(p, "#q", "value"); got != strings.TrimSpace(q) {
		t.Errorf("the query was not kept in the box: %q", got)
	}
}

// Only an error object's title and errors are shown to staff; any other
// text in an error body (a gateway's message, an HTML page) is not.
func TestUpstreamTextOutsideTheErrorObjectIsNotShown(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	up.onPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		writeJSON(w, 400, `{"message":"SqlException at C:\\inetpub\\wwwroot\\crm.dll line 42"}`)
	}
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	form := b.openForm(7)
	form.Set("memo", "x")
	p := b.post("/customers/5/contacts/7", form)
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", p.status)
	}
	if strings.Contains(p.body, "SqlException") || strings.Contains(p.body, "inetpub") {
		t.Error("the page shows text from outside the error object")
	}
	if got := text(p, "#error-summary"); !strings.Contains(got, "ServiceTitan rejected the change (400 Bad Request)") {
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
			store := openAudit(t)
			up := newUpstream(t)
			b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
			form := b.openForm(8)
			form.Set("memo", "mine")
			up.edit(8, func(c *client.Contact) {
				c.Preferences = prefs
				c.ModifiedOn = c.ModifiedOn.Add(time.Minute)
			})
			if p := b.post("/customers/5/contacts/8", form); p.status != http.StatusConflict || up.patches.Load() != 0 {
				t.Fatalf("status %d, PATCHes %d; want 409 and none", p.status, up.patches.Load())
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
	up := newUpstream(t)
	up.onList = func(w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusRequestURITooLong)
		return true
	}
	b := newBrowser(t, up.app(t, time.Second).URL)
	p := b.get("/customers/5/contacts/7/edit")
	if p.status != http.StatusBadGateway || !strings.Contains(text(p, "main"), "414") {
		t.Errorf("status %d, page %q; want 502 naming ServiceTitan's 414", p.status, text(p, "main"))
	}
}
