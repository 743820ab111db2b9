package contacts_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

func TestAddFormHasTheEditFormsFieldsAndTheUIsDefaults(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	if href := Attr(b.Get("/customers/5"), "[data-add-contact]", "href"); href != "/customers/5/contacts/new" {
		t.Errorf("customer page's add link = %q", href)
	}
	p := b.OpenAddForm()
	if Text(p, "h1") != "Add contact" || Attr(p, "form#contact-form", "action") != "/customers/5/contacts" {
		t.Errorf("h1 %q, action %q", Text(p, "h1"), Attr(p, "form#contact-form", "action"))
	}
	form := FormValues(p.Doc, "form#contact-form")
	for name, want := range map[string]string{"jobRemindersEnabled": "true", "marketingUpdatesEnabled": "", "invoiceStatementNotification": "true"} {
		if got := form.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []string{"type", "value", "memo", "nonce", "_csrf"} {
		if _, ok := form[name]; !ok {
			t.Errorf("the add form lacks %s", name)
		}
	}
}

func TestAddContactOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		fill    map[string]string
		prepare func(u *Upstream)
		status  int
		check   func(t *testing.T, u *Upstream, p Page)
		creates int
	}{
		{name: "ok, added", fill: map[string]string{"type": "MobilePhone", "value": "(217) 555-0199", "memo": "Work cell"}, status: http.StatusSeeOther, creates: 1,
			check: func(t *testing.T, u *Upstream, p Page) {
				if !strings.HasPrefix(p.Location, "/customers/5/contacts/") {
					t.Errorf("location %q", p.Location)
				}
			}},
		{name: "nok, not a phone number", fill: map[string]string{"type": "MobilePhone", "value": "555-01"}, status: http.StatusUnprocessableEntity,
			check: func(t *testing.T, u *Upstream, p Page) {
				if !strings.Contains(Text(p, "#value-error"), "10-digit") {
					t.Errorf("value error %q", Text(p, "#value-error"))
				}
			}},
		{name: "nok, a number this customer has", fill: map[string]string{"type": "Phone", "value": "217-555-0177"}, status: http.StatusConflict,
			check: func(t *testing.T, u *Upstream, p Page) {
				if !strings.Contains(Text(p, "#value-error"), "already has") || Attr(p, "[data-existing-contact] a", "href") != "/customers/5/contacts/7" {
					t.Errorf("value error %q, link %q", Text(p, "#value-error"), Attr(p, "[data-existing-contact] a", "href"))
				}
			}},
		{name: "nok, ServiceTitan's 400 next to its field", fill: map[string]string{"type": "Email", "value": "kelly@example.com", "memo": "x"}, status: http.StatusUnprocessableEntity, creates: 1,
			prepare: func(u *Upstream) {
				u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Status: 400,
					Body: `{"title":"One or more validation errors occurred.","status":400,"traceId":"tr-1","errors":{"Memo":["Memo is not allowed."]}}`})
			},
			check: func(t *testing.T, u *Upstream, p Page) {
				if !strings.Contains(Text(p, "#memo-error"), "Memo is not allowed.") {
					t.Errorf("memo error %q", Text(p, "#memo-error"))
				}
			}},
		{name: "nok, ServiceTitan unavailable", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusBadGateway, creates: 1,
			prepare: func(u *Upstream) {
				u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Status: 503})
				// A 5xx on a write is checked by reading: the contact is not there.
			}},
		{name: "nok, rate limited", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusTooManyRequests, creates: 1,
			prepare: func(u *Upstream) {
				u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Status: 429, RetryAfter: "30"})
			}},
		{name: "nok, the answer lost and the contact not there", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusGatewayTimeout, creates: 1,
			prepare: func(u *Upstream) {
				u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Hang: true})
			}},
		{name: "ok, the answer lost but the contact there", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusSeeOther, creates: 1,
			prepare: func(u *Upstream) {
				u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, AfterApply: true, DropConnection: true})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, 300*time.Millisecond).URL)
			form := FormValues(b.OpenAddForm().Doc, "form#contact-form")
			for k, v := range tt.fill {
				form.Set(k, v)
			}
			if tt.prepare != nil {
				tt.prepare(up)
			}
			p := b.Post("/customers/5/contacts", form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, Text(p, "main"))
			}
			if up.Creates() != tt.creates {
				t.Errorf("%d POSTs to ServiceTitan, want %d", up.Creates(), tt.creates)
			}
			if p.Status != http.StatusSeeOther {
				kept := FormValues(p.Doc, "form#contact-form")
				if kept.Get("value") != form.Get("value") || kept.Get("memo") != form.Get("memo") {
					t.Errorf("input not kept: %v", kept)
				}
				if p.Status >= 500 || p.Status == 429 {
					if !strings.Contains(Text(p, "[data-alert]"), "NOT saved") {
						t.Errorf("alert %q does not say NOT saved", Text(p, "[data-alert]"))
					}
				}
			} else {
				rec := b.Get(p.Location)
				if Text(rec, "[data-flash]") != "Contact added" || Attr(rec, `[data-field="value"]`, "data-value") != strings.Map(keepDigitsOrEmail, form.Get("value")) {
					t.Errorf("record page: flash %q, value %q", Text(rec, "[data-flash]"), Attr(rec, `[data-field="value"]`, "data-value"))
				}
			}
			if tt.check != nil {
				tt.check(t, up, p)
			}
		})
	}
	t.Run("nok, unknown customer", func(t *testing.T) {
		up := NewUpstream(t)
		b := NewBrowser(t, up.App(t, time.Second).URL)
		if p := b.Get("/customers/77777/contacts/new"); p.Status != http.StatusNotFound {
			t.Errorf("add form for an unknown customer: %d", p.Status)
		}
		form := FormValues(b.OpenAddForm().Doc, "form#contact-form")
		form.Set("value", "2175550100")
		if p := b.Post("/customers/77777/contacts", form); p.Status != http.StatusNotFound || up.Creates() != 0 {
			t.Errorf("status %d after %d POSTs; want 404, none", p.Status, up.Creates())
		}
	})
}

func keepDigitsOrEmail(r rune) rune {
	if strings.ContainsRune("()- ", r) {
		return -1
	}
	return r
}

// A double click, a second tab or Back-and-resubmit: one contact.
func TestAddFormPostedTwiceAddsOneContact(t *testing.T) {
	up := NewUpstream(t)
	up.SB.SetLatency(50 * time.Millisecond)
	b := NewBrowser(t, up.App(t, 2*time.Second).URL)
	form := FormValues(b.OpenAddForm().Doc, "form#contact-form")
	form.Set("value", "2175550100")
	results := make([]Page, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { results[i] = b.Post("/customers/5/contacts", form) })
	}
	wg.Wait()
	again := b.Post("/customers/5/contacts", form)
	if up.Creates() != 1 {
		t.Errorf("%d POSTs to ServiceTitan, want 1", up.Creates())
	}
	for i, p := range append(results, again) {
		if p.Status != http.StatusSeeOther || p.Location != results[0].Location {
			t.Errorf("post %d: %d %q", i, p.Status, p.Location)
		}
	}
}

func TestRemoveAndUndo(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	if href := Attr(b.Get("/customers/5"), `tr[data-contact-id="8"] [data-remove-link]`, "href"); href != "/customers/5/contacts/8/delete" {
		t.Errorf("remove link on the customer page = %q", href)
	}
	if href := Attr(b.Get("/customers/5/contacts/8"), "[data-remove-link]", "href"); href != "/customers/5/contacts/8/delete" {
		t.Errorf("remove link on the record page = %q", href)
	}
	confirm := b.Get("/customers/5/contacts/8/delete")
	if confirm.Status != http.StatusOK || Attr(confirm, `[data-field="value"]`, "data-value") != "ada@example.com" {
		t.Fatalf("confirmation: %d %q", confirm.Status, Attr(confirm, `[data-field="value"]`, "data-value"))
	}
	if !strings.Contains(Text(confirm, "[data-last-warning]"), "last email address") {
		t.Errorf("no warning that it is the last email: %q", Text(confirm, "[data-last-warning]"))
	}
	done := b.Post("/customers/5/contacts/8/delete", FormValues(confirm.Doc, "form[data-remove-form]"))
	if done.Status != http.StatusSeeOther || done.Location != "/customers/5" || up.Deletes() != 1 {
		t.Fatalf("remove: %d %q after %d DELETEs", done.Status, done.Location, up.Deletes())
	}
	customer := b.Get("/customers/5")
	if Text(customer, "[data-flash]") != "Contact removed" || customer.Doc.Find(`tr[data-contact-id="8"]`).Length() != 0 {
		t.Errorf("customer page: flash %q", Text(customer, "[data-flash]"))
	}
	undo := FormValues(customer.Doc, "form[data-undo-form]")
	if undo.Get("removal") == "" {
		t.Fatal("no Undo form after the removal")
	}
	back := b.Post("/customers/5/contacts/undo", undo)
	if back.Status != http.StatusSeeOther || !strings.HasPrefix(back.Location, "/customers/5/contacts/") {
		t.Fatalf("undo: %d %q", back.Status, back.Location)
	}
	rec := b.Get(back.Location)
	if Text(rec, "[data-flash]") != "Contact restored" || Attr(rec, `[data-field="value"]`, "data-value") != "ada@example.com" {
		t.Errorf("restored record: flash %q, value %q", Text(rec, "[data-flash]"), Attr(rec, `[data-field="value"]`, "data-value"))
	}
	entries, _, _ := store.List(context.Background(), audit.Filter{CustomerID: 5})
	if len(entries) != 2 || entries[0].Action != audit.ActionCreate || entries[1].Action != audit.ActionDelete || entries[0].Undoes != entries[1].ID {
		t.Errorf("audit = %+v", entries)
	}
	// The History shows the action; /audit filters by it.
	if got := Attr(rec, "[data-history] [data-action]", "data-action"); got != "create" {
		t.Errorf("History's data-action = %q", got)
	}
	removals := b.Get("/audit?action=delete")
	if removals.Doc.Find("[data-action]").Length() != 1 || Attr(removals, "[data-action]", "data-action") != "delete" {
		t.Errorf("/audit?action=delete lists %d entries", removals.Doc.Find("[data-action]").Length())
	}
}

func TestRemoveOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(u *Upstream)
		status   int
		location string
		say      string
		deletes  int
	}{
		{"nok, changed since the confirmation", func(u *Upstream) {
			u.Edit(9, func(ct *client.Contact) { ct.Memo, ct.ModifiedOn = "Changed", ct.ModifiedOn.Add(time.Minute) })
		}, http.StatusConflict, "", "Someone changed this contact", 0},
		{"ok, already gone", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, Status: 404, Body: `{"title":"Contact not found","status":404}`})
		}, http.StatusSeeOther, "/customers/5", "", 1},
		{"nok, ServiceTitan down", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, Status: 503})
		}, http.StatusBadGateway, "", "NOT removed", 1},
		{"ok, the answer lost, gone when read", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, AfterApply: true, DropConnection: true})
		}, http.StatusSeeOther, "/customers/5", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, time.Second).URL)
			confirm := b.Get("/customers/5/contacts/9/delete")
			tt.prepare(up)
			p := b.Post("/customers/5/contacts/9/delete", FormValues(confirm.Doc, "form[data-remove-form]"))
			if p.Status != tt.status || p.Location != tt.location || up.Deletes() != tt.deletes {
				t.Fatalf("status %d location %q after %d DELETEs; want %d %q %d", p.Status, p.Location, up.Deletes(), tt.status, tt.location, tt.deletes)
			}
			if tt.say != "" && !strings.Contains(Text(p, "main"), tt.say) {
				t.Errorf("page does not say %q: %s", tt.say, Text(p, "main"))
			}
		})
	}
}

// The new forms are posts like the edit form: refused cross-site or
// without the form token.
func TestAddAndRemoveNeedTheFormToken(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	b := NewBrowser(t, srv.URL)
	form := FormValues(b.OpenAddForm().Doc, "form#contact-form")
	form.Set("value", "2175550100")
	form.Del("_csrf")
	if p := b.Post("/customers/5/contacts", form); p.Status != http.StatusForbidden || up.Creates() != 0 {
		t.Errorf("add without a token: %d after %d POSTs", p.Status, up.Creates())
	}
	confirm := FormValues(b.Get("/customers/5/contacts/9/delete").Doc, "form[data-remove-form]")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/customers/5/contacts/9/delete", strings.NewReader(confirm.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.Do(req); p.Status != http.StatusForbidden || up.Deletes() != 0 {
		t.Errorf("cross-site removal: %d after %d DELETEs", p.Status, up.Deletes())
	}
}
