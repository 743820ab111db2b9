package handlers_test

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
)

func (u *upstream) creates() int { return u.sb.Requests(sandbox.OpCreateContact) }
func (u *upstream) deletes() int { return u.sb.Requests(sandbox.OpDeleteContact) }

// openAddForm GETs the add form and returns what it would submit.
func (b *browser) openAddForm() page {
	b.t.Helper()
	p := b.get("/customers/5/contacts/new")
	if p.status != http.StatusOK {
		b.t.Fatalf("add form: status %d\n%s", p.status, p.body)
	}
	return p
}

func TestAddFormHasTheEditFormsFieldsAndTheUIsDefaults(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	if href := attr(b.get("/customers/5"), "[data-add-contact]", "href"); href != "/customers/5/contacts/new" {
		t.Errorf("customer page's add link = %q", href)
	}
	p := b.openAddForm()
	if text(p, "h1") != "Add contact" || attr(p, "form#contact-form", "action") != "/customers/5/contacts" {
		t.Errorf("h1 %q, action %q", text(p, "h1"), attr(p, "form#contact-form", "action"))
	}
	form := formValues(p.doc, "form#contact-form")
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
		prepare func(u *upstream)
		status  int
		check   func(t *testing.T, u *upstream, p page)
		creates int
	}{
		{name: "ok, added", fill: map[string]string{"type": "MobilePhone", "value": "(217) 555-0199", "memo": "Work cell"}, status: http.StatusSeeOther, creates: 1,
			check: func(t *testing.T, u *upstream, p page) {
				if !strings.HasPrefix(p.location, "/customers/5/contacts/") {
					t.Errorf("location %q", p.location)
				}
			}},
		{name: "nok, not a phone number", fill: map[string]string{"type": "MobilePhone", "value": "555-01"}, status: http.StatusUnprocessableEntity,
			check: func(t *testing.T, u *upstream, p page) {
				if !strings.Contains(text(p, "#value-error"), "10-digit") {
					t.Errorf("value error %q", text(p, "#value-error"))
				}
			}},
		{name: "nok, a number this customer has", fill: map[string]string{"type": "Phone", "value": "217-555-0177"}, status: http.StatusConflict,
			check: func(t *testing.T, u *upstream, p page) {
				if !strings.Contains(text(p, "#value-error"), "already has") || attr(p, "[data-existing-contact] a", "href") != "/customers/5/contacts/7" {
					t.Errorf("value error %q, link %q", text(p, "#value-error"), attr(p, "[data-existing-contact] a", "href"))
				}
			}},
		{name: "nok, ServiceTitan's 400 next to its field", fill: map[string]string{"type": "Email", "value": "kelly@example.com", "memo": "x"}, status: http.StatusUnprocessableEntity, creates: 1,
			prepare: func(u *upstream) {
				u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Status: 400,
					Body: `{"title":"One or more validation errors occurred.","status":400,"traceId":"tr-1","errors":{"Memo":["Memo is not allowed."]}}`})
			},
			check: func(t *testing.T, u *upstream, p page) {
				if !strings.Contains(text(p, "#memo-error"), "Memo is not allowed.") {
					t.Errorf("memo error %q", text(p, "#memo-error"))
				}
			}},
		{name: "nok, ServiceTitan unavailable", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusBadGateway, creates: 1,
			prepare: func(u *upstream) {
				u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Status: 503})
				// A 5xx on a write is checked by reading: the contact is not there.
			}},
		{name: "nok, rate limited", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusTooManyRequests, creates: 1,
			prepare: func(u *upstream) {
				u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Status: 429, RetryAfter: "30"})
			}},
		{name: "nok, the answer lost and the contact not there", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusGatewayTimeout, creates: 1,
			prepare: func(u *upstream) {
				u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, Hang: true})
			}},
		{name: "ok, the answer lost but the contact there", fill: map[string]string{"type": "Email", "value": "kelly@example.com"}, status: http.StatusSeeOther, creates: 1,
			prepare: func(u *upstream) {
				u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Times: 1, AfterApply: true, DropConnection: true})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			b := newBrowser(t, up.app(t, 300*time.Millisecond).URL)
			form := formValues(b.openAddForm().doc, "form#contact-form")
			for k, v := range tt.fill {
				form.Set(k, v)
			}
			if tt.prepare != nil {
				tt.prepare(up)
			}
			p := b.post("/customers/5/contacts", form)
			if p.status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.status, tt.status, text(p, "main"))
			}
			if up.creates() != tt.creates {
				t.Errorf("%d POSTs to ServiceTitan, want %d", up.creates(), tt.creates)
			}
			if p.status != http.StatusSeeOther {
				kept := formValues(p.doc, "form#contact-form")
				if kept.Get("value") != form.Get("value") || kept.Get("memo") != form.Get("memo") {
					t.Errorf("input not kept: %v", kept)
				}
				if p.status >= 500 || p.status == 429 {
					if !strings.Contains(text(p, "[data-alert]"), "NOT saved") {
						t.Errorf("alert %q does not say NOT saved", text(p, "[data-alert]"))
					}
				}
			} else {
				rec := b.get(p.location)
				if text(rec, "[data-flash]") != "Contact added" || attr(rec, `[data-field="value"]`, "data-value") != strings.Map(keepDigitsOrEmail, form.Get("value")) {
					t.Errorf("record page: flash %q, value %q", text(rec, "[data-flash]"), attr(rec, `[data-field="value"]`, "data-value"))
				}
			}
			if tt.check != nil {
				tt.check(t, up, p)
			}
		})
	}
	t.Run("nok, unknown customer", func(t *testing.T) {
		up := newUpstream(t)
		b := newBrowser(t, up.app(t, time.Second).URL)
		if p := b.get("/customers/77777/contacts/new"); p.status != http.StatusNotFound {
			t.Errorf("add form for an unknown customer: %d", p.status)
		}
		form := formValues(b.openAddForm().doc, "form#contact-form")
		form.Set("value", "2175550100")
		if p := b.post("/customers/77777/contacts", form); p.status != http.StatusNotFound || up.creates() != 0 {
			t.Errorf("status %d after %d POSTs; want 404, none", p.status, up.creates())
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
	up := newUpstream(t)
	up.sb.SetLatency(50 * time.Millisecond)
	b := newBrowser(t, up.app(t, 2*time.Second).URL)
	form := formValues(b.openAddForm().doc, "form#contact-form")
	form.Set("value", "2175550100")
	results := make([]page, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { results[i] = b.post("/customers/5/contacts", form) })
	}
	wg.Wait()
	again := b.post("/customers/5/contacts", form)
	if up.creates() != 1 {
		t.Errorf("%d POSTs to ServiceTitan, want 1", up.creates())
	}
	for i, p := range append(results, again) {
		if p.status != http.StatusSeeOther || p.location != results[0].location {
			t.Errorf("post %d: %d %q", i, p.status, p.location)
		}
	}
}

func TestRemoveAndUndo(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, withAudit(store)).URL)
	if href := attr(b.get("/customers/5"), `tr[data-contact-id="8"] [data-remove-link]`, "href"); href != "/customers/5/contacts/8/delete" {
		t.Errorf("remove link on the customer page = %q", href)
	}
	if href := attr(b.get("/customers/5/contacts/8"), "[data-remove-link]", "href"); href != "/customers/5/contacts/8/delete" {
		t.Errorf("remove link on the record page = %q", href)
	}
	confirm := b.get("/customers/5/contacts/8/delete")
	if confirm.status != http.StatusOK || attr(confirm, `[data-field="value"]`, "data-value") != "ada@example.com" {
		t.Fatalf("confirmation: %d %q", confirm.status, attr(confirm, `[data-field="value"]`, "data-value"))
	}
	if !strings.Contains(text(confirm, "[data-last-warning]"), "last email address") {
		t.Errorf("no warning that it is the last email: %q", text(confirm, "[data-last-warning]"))
	}
	done := b.post("/customers/5/contacts/8/delete", formValues(confirm.doc, "form[data-remove-form]"))
	if done.status != http.StatusSeeOther || done.location != "/customers/5" || up.deletes() != 1 {
		t.Fatalf("remove: %d %q after %d DELETEs", done.status, done.location, up.deletes())
	}
	customer := b.get("/customers/5")
	if text(customer, "[data-flash]") != "Contact removed" || customer.doc.Find(`tr[data-contact-id="8"]`).Length() != 0 {
		t.Errorf("customer page: flash %q", text(customer, "[data-flash]"))
	}
	undo := formValues(customer.doc, "form[data-undo-form]")
	if undo.Get("removal") == "" {
		t.Fatal("no Undo form after the removal")
	}
	back := b.post("/customers/5/contacts/undo", undo)
	if back.status != http.StatusSeeOther || !strings.HasPrefix(back.location, "/customers/5/contacts/") {
		t.Fatalf("undo: %d %q", back.status, back.location)
	}
	rec := b.get(back.location)
	if text(rec, "[data-flash]") != "Contact restored" || attr(rec, `[data-field="value"]`, "data-value") != "ada@example.com" {
		t.Errorf("restored record: flash %q, value %q", text(rec, "[data-flash]"), attr(rec, `[data-field="value"]`, "data-value"))
	}
	entries, _, _ := store.List(context.Background(), audit.Filter{CustomerID: 5})
	if len(entries) != 2 || entries[0].Action != audit.ActionCreate || entries[1].Action != audit.ActionDelete || entries[0].Undoes != entries[1].ID {
		t.Errorf("audit = %+v", entries)
	}
	// The History shows the action; /audit filters by it.
	if got := attr(rec, "[data-history] [data-action]", "data-action"); got != "create" {
		t.Errorf("History's data-action = %q", got)
	}
	removals := b.get("/audit?action=delete")
	if removals.doc.Find("[data-action]").Length() != 1 || attr(removals, "[data-action]", "data-action") != "delete" {
		t.Errorf("/audit?action=delete lists %d entries", removals.doc.Find("[data-action]").Length())
	}
}

func TestRemoveOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(u *upstream)
		status   int
		location string
		say      string
		deletes  int
	}{
		{"nok, changed since the confirmation", func(u *upstream) {
			u.edit(9, func(ct *client.Contact) { ct.Memo, ct.ModifiedOn = "Changed", ct.ModifiedOn.Add(time.Minute) })
		}, http.StatusConflict, "", "Someone changed this contact", 0},
		{"ok, already gone", func(u *upstream) {
			u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, Status: 404, Body: `{"title":"Contact not found","status":404}`})
		}, http.StatusSeeOther, "/customers/5", "", 1},
		{"nok, ServiceTitan down", func(u *upstream) {
			u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, Status: 503})
		}, http.StatusBadGateway, "", "NOT removed", 1},
		{"ok, the answer lost, gone when read", func(u *upstream) {
			u.sb.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteContact, Times: 1, AfterApply: true, DropConnection: true})
		}, http.StatusSeeOther, "/customers/5", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t)
			b := newBrowser(t, up.app(t, time.Second).URL)
			confirm := b.get("/customers/5/contacts/9/delete")
			tt.prepare(up)
			p := b.post("/customers/5/contacts/9/delete", formValues(confirm.doc, "form[data-remove-form]"))
			if p.status != tt.status || p.location != tt.location || up.deletes() != tt.deletes {
				t.Fatalf("status %d location %q after %d DELETEs; want %d %q %d", p.status, p.location, up.deletes(), tt.status, tt.location, tt.deletes)
			}
			if tt.say != "" && !strings.Contains(text(p, "main"), tt.say) {
				t.Errorf("page does not say %q: %s", tt.say, text(p, "main"))
			}
		})
	}
}

// The new forms are posts like the edit form: refused cross-site or
// without the form token.
func TestAddAndRemoveNeedTheFormToken(t *testing.T) {
	up := newUpstream(t)
	srv := up.app(t, time.Second)
	b := newBrowser(t, srv.URL)
	form := formValues(b.openAddForm().doc, "form#contact-form")
	form.Set("value", "2175550100")
	form.Del("_csrf")
	if p := b.post("/customers/5/contacts", form); p.status != http.StatusForbidden || up.creates() != 0 {
		t.Errorf("add without a token: %d after %d POSTs", p.status, up.creates())
	}
	confirm := formValues(b.get("/customers/5/contacts/9/delete").doc, "form[data-remove-form]")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/customers/5/contacts/9/delete", strings.NewReader(confirm.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.status != http.StatusForbidden || up.deletes() != 0 {
		t.Errorf("cross-site removal: %d after %d DELETEs", p.status, up.deletes())
	}
}
