package contacts_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client/sandbox"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A service location's contact meets the same outcomes as a customer's
// (TestSaveFailuresKeepInputAndSayNotSaved, TestUpstreamFaultsOnSave,
// TestRemoveOutcomes, TestAddContactOutcomes): the same harness, the
// location's endpoints answering. Each fault says what happened, keeps
// what was typed, and sends the change at most once; a lost answer is
// settled by reading the location's contact.

// onLocation answers op on the locations' endpoints with answer (apply
// applies the request, as ServiceTitan would).
func onLocation(up *Upstream, op string, answer func(w http.ResponseWriter, r *http.Request, apply func())) {
	up.SB.Intercept(op, answer)
}

func TestLocationContactSaveOutcomes(t *testing.T) {
	tests := []struct {
		name        string
		patch       func(w http.ResponseWriter, r *http.Request, apply func())
		wantStatus  int
		wantText    string
		wantNotSave bool
		wantRetry   bool
		wantSaved   bool // saved after all: 303 to the record
	}{
		{"nok, 404", func(w http.ResponseWriter, r *http.Request, apply func()) {
			WriteJSON(w, 404, `{"title":"Contact not found","status":404,"traceId":"t-404"}`)
		}, 404, "ServiceTitan has no contact with ID 70", true, false, false},
		{"nok, 503 HTML page is never retried", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			io.WriteString(w, "<html><title>Service Unavailable</title></html>")
		}, 502, "ServiceTitan is unavailable", true, true, false},
		{"nok, 429 with a long Retry-After", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.Header().Set("Retry-After", "120")
			WriteJSON(w, 429, `{}`)
		}, 429, "Try again in 2 minutes", true, true, false},
		{"nok, 400 from ServiceTitan next to the field", func(w http.ResponseWriter, r *http.Request, apply func()) {
			WriteJSON(w, 400, `{"title":"One or more validation errors occurred.","status":400,"errors":{"Memo":["Memo is too long for this location."]}}`)
		}, 422, "Memo is too long for this location.", false, false, false},
		{"nok, hang beyond the timeout, change not there", func(w http.ResponseWriter, r *http.Request, apply func()) {
			<-r.Context().Done()
		}, 504, "your change is not there", true, true, false},
		{"ok, a lost answer after applying is settled by reading: saved", func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			<-r.Context().Done()
		}, 303, "", false, false, true},
		{"ok, 504 HTML after applying counts as saved", func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusGatewayTimeout)
			io.WriteString(w, "<html><title>504 Gateway Time-out</title></html>")
		}, 303, "", false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			onLocation(up, sandbox.OpUpdateLocationContact, tt.patch)
			b := NewBrowser(t, up.App(t, 300*time.Millisecond).URL)
			form := FormValues(b.Get("/locations/50/contacts/70/edit").Doc, "form#contact-form")
			form.Set("memo", "Typed by Kelly")
			form.Set("value", "(217) 555-0188")
			p := b.Post("/locations/50/contacts/70", form)
			if p.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.wantStatus, Text(p, "main"))
			}
			if n := up.SB.Requests(sandbox.OpUpdateLocationContact); n != 1 || up.Patches.Load() != 0 {
				t.Errorf("%d location PATCHes, %d customer PATCHes; want 1 and 0", n, up.Patches.Load())
			}
			if tt.wantSaved {
				if p.Location != "/locations/50/contacts/70" {
					t.Fatalf("saved, but sent to %q", p.Location)
				}
				rec := b.Get(p.Location)
				if Attr(rec, "[data-field='memo']", "data-value") != "Typed by Kelly" {
					t.Errorf("the record does not show the saved memo")
				}
				if !strings.Contains(Text(rec, "[data-notice]"), "confirmation was lost") {
					t.Errorf("notice = %q", Text(rec, "[data-notice]"))
				}
				return
			}
			if got := Text(p, "[data-alert], [data-error-summary], .field-error"); !strings.Contains(got, tt.wantText) {
				t.Errorf("the page says %q, want it to contain %q", got, tt.wantText)
			}
			if got := p.Doc.Find("[data-not-saved]").Length() > 0; got != tt.wantNotSave {
				t.Errorf("NOT saved shown = %v, want %v", got, tt.wantNotSave)
			}
			if got := p.Doc.Find("[data-retry-button]").Length() > 0; got != tt.wantRetry {
				t.Errorf("retry button = %v, want %v", got, tt.wantRetry)
			}
			kept := FormValues(p.Doc, "form#contact-form")
			if kept.Get("memo") != "Typed by Kelly" || kept.Get("value") != "(217) 555-0188" {
				t.Errorf("input not kept: memo %q value %q", kept.Get("memo"), kept.Get("value"))
			}
			if Attr(p, "form#contact-form", "action") != "/locations/50/contacts/70" {
				t.Errorf("the form posts to %q", Attr(p, "form#contact-form", "action"))
			}
		})
	}
}

// Two people edit one location contact: the second save is a 409 that
// keeps the other's change and their own typing; nothing is overwritten.
func TestLocationContactConcurrentEditsNeverOverwrite(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	alice, bob := NewBrowser(t, srv.URL), NewBrowser(t, srv.URL)
	aliceForm := FormValues(alice.Get("/locations/50/contacts/70/edit").Doc, "form#contact-form")
	bobForm := FormValues(bob.Get("/locations/50/contacts/70/edit").Doc, "form#contact-form")
	aliceForm.Set("memo", "Alice's memo")
	if p := alice.Post("/locations/50/contacts/70", aliceForm); p.Status != http.StatusSeeOther {
		t.Fatalf("alice: status %d", p.Status)
	}
	bobForm.Set("value", "(217) 555-0199")
	p := bob.Post("/locations/50/contacts/70", bobForm)
	if p.Status != http.StatusConflict {
		t.Fatalf("bob: status %d, want 409\n%s", p.Status, Text(p, "main"))
	}
	if ct, _ := up.SB.LocationContact(50, 70); ct.Memo != "Alice's memo" || up.SB.Requests(sandbox.OpUpdateLocationContact) != 1 {
		t.Fatalf("bob overwrote alice: memo %q, %d PATCHes", ct.Memo, up.SB.Requests(sandbox.OpUpdateLocationContact))
	}
	kept := FormValues(p.Doc, "form#contact-form")
	if kept.Get("memo") != "Alice's memo" || kept.Get("value") != "(217) 555-0199" {
		t.Errorf("the form after the conflict: %v", kept)
	}
	if p := bob.Post("/locations/50/contacts/70", kept); p.Status != http.StatusSeeOther {
		t.Fatalf("save mine anyway: %d", p.Status)
	}
	if got := up.SB.LastBody(sandbox.OpUpdateLocationContact); got != `{"value":"2175550199"}` {
		t.Errorf("PATCH = %s, want only Bob's change", got)
	}
}

// What the app refuses before asking ServiceTitan: bad input, kept and
// explained next to its field; a post without the form's token, or from
// another site.
func TestLocationContactRefusedPosts(t *testing.T) {
	tests := []struct {
		name       string
		change     func(form map[string][]string)
		header     map[string]string
		wantStatus int
		wantText   string
	}{
		{"nok, a number too short, kept", func(f map[string][]string) { f["value"] = []string{"555-01"} }, nil,
			http.StatusUnprocessableEntity, "555-01"},
		{"nok, an email as a phone number, kept", func(f map[string][]string) { f["value"] = []string{"kelly@example.com"} }, nil,
			http.StatusUnprocessableEntity, "kelly@example.com"},
		{"nok, no form token", func(f map[string][]string) { delete(f, "_csrf") }, nil, http.StatusForbidden, ""},
		{"nok, another site's form token", func(f map[string][]string) { f["_csrf"] = []string{"forged"} }, nil, http.StatusForbidden, ""},
		{"nok, posted from another site", nil, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
			http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, time.Second).URL)
			form := FormValues(b.Get("/locations/50/contacts/70/edit").Doc, "form#contact-form")
			if tt.change != nil {
				tt.change(form)
			}
			up.SB.ResetCounters()
			req, err := http.NewRequest(http.MethodPost, b.Base+"/locations/50/contacts/70", strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			p := b.Do(req)
			if p.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.wantStatus, Text(p, "main"))
			}
			if n := up.SB.Requests(sandbox.OpUpdateLocationContact) + up.SB.Requests(sandbox.OpListLocationContacts); n != 0 {
				t.Errorf("%d calls to the location's contacts for a refused post", n)
			}
			if tt.wantText == "" && p.Doc.Find("h1").Length() != 1 {
				t.Error("403 must be an HTML page")
			}
			if tt.wantText != "" {
				kept := FormValues(p.Doc, "form#contact-form")
				if kept.Get("value") != tt.wantText || Attr(p, "#error-summary", "role") != "alert" {
					t.Errorf("value kept %q, error summary %q\n%s", kept.Get("value"), Attr(p, "#error-summary", "role"), Text(p, "main"))
				}
				if Attr(p, "#field-value", "aria-invalid") != "true" || !strings.Contains(Attr(p, "#field-value", "aria-describedby"), "value-error") ||
					Text(p, "#value-error") == "" {
					t.Errorf("the value's error is not beside it: aria-describedby %q, %q", Attr(p, "#field-value", "aria-describedby"), Text(p, "#value-error"))
				}
			}
		})
	}
}

// Adding a contact to a location: each outcome as for a customer's.
func TestLocationContactAddOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		fill    map[string]string
		fault   *sandbox.Fault
		status  int
		say     string // in the page, beside the kept input
		creates int
	}{
		{"ok, added", map[string]string{"type": "MobilePhone", "value": "(217) 555-0199", "memo": "Site manager"}, nil, http.StatusSeeOther, "", 1},
		{"nok, not a phone number", map[string]string{"type": "MobilePhone", "value": "555-01"}, nil, http.StatusUnprocessableEntity, "10-digit", 0},
		{"nok, a number this location has", map[string]string{"type": "Phone", "value": "217-555-0164"}, nil, http.StatusConflict, "This location already has", 0},
		{"nok, ServiceTitan unavailable", map[string]string{"type": "Email", "value": "site@example.com"},
			&sandbox.Fault{Operation: sandbox.OpCreateLocationContact, Times: 1, Status: 503}, http.StatusBadGateway, "ServiceTitan is unavailable", 1},
		{"nok, rate limited", map[string]string{"type": "Email", "value": "site@example.com"},
			&sandbox.Fault{Operation: sandbox.OpCreateLocationContact, Status: 429, RetryAfter: "30"}, http.StatusTooManyRequests, "", 1},
		{"nok, the answer lost and the contact not there", map[string]string{"type": "Email", "value": "site@example.com"},
			&sandbox.Fault{Operation: sandbox.OpCreateLocationContact, Times: 1, Hang: true}, http.StatusGatewayTimeout, "", 1},
		{"ok, the answer lost but the contact there", map[string]string{"type": "Email", "value": "site@example.com"},
			&sandbox.Fault{Operation: sandbox.OpCreateLocationContact, Times: 1, AfterApply: true, DropConnection: true}, http.StatusSeeOther, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, 300*time.Millisecond).URL)
			form := FormValues(b.Get("/locations/50/contacts/new").Doc, "form#contact-form")
			for k, v := range tt.fill {
				form.Set(k, v)
			}
			if tt.fault != nil {
				up.SB.InjectFault(*tt.fault)
			}
			p := b.Post("/locations/50/contacts", form)
			if p.Status != tt.status {
				t.Fatalf("status %d, want %d\n%s", p.Status, tt.status, Text(p, "main"))
			}
			if n := up.SB.Requests(sandbox.OpCreateLocationContact); n != tt.creates || up.Creates() != 0 {
				t.Errorf("%d POSTs to the location, %d to the customer; want %d and 0", n, up.Creates(), tt.creates)
			}
			if p.Status == http.StatusSeeOther {
				if !strings.HasPrefix(p.Location, "/locations/50/contacts/") {
					t.Errorf("sent to %q", p.Location)
				}
				if got := len(up.SB.LocationContacts(50)); got != 3 {
					t.Errorf("the location holds %d contacts, want 3", got)
				}
				return
			}
			if tt.say != "" && !strings.Contains(Text(p, "main"), tt.say) {
				t.Errorf("the page does not say %q: %s", tt.say, Text(p, "main"))
			}
			kept := FormValues(p.Doc, "form#contact-form")
			if kept.Get("value") != form.Get("value") || kept.Get("memo") != form.Get("memo") {
				t.Errorf("input not kept: %v", kept)
			}
			if Attr(p, "form#contact-form", "action") != "/locations/50/contacts" {
				t.Errorf("the form posts to %q", Attr(p, "form#contact-form", "action"))
			}
		})
	}
}

// Removing a location's contact: each outcome as for a customer's.
func TestLocationContactRemoveOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(u *Upstream)
		status   int
		location string
		say      string
		deletes  int
	}{
		{"nok, changed since the confirmation", func(u *Upstream) {
			ct, _ := u.SB.LocationContact(50, 71)
			ct.Memo, ct.ModifiedOn = "Changed", ct.ModifiedOn.Add(time.Minute)
			u.SB.SetLocationContact(50, ct)
		}, http.StatusConflict, "", "Someone changed this contact", 0},
		{"ok, already gone", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteLocationContact, Times: 1, Status: 404, Body: `{"title":"Contact not found","status":404}`})
		}, http.StatusSeeOther, "/locations/50", "", 1},
		{"nok, ServiceTitan down", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteLocationContact, Times: 1, Status: 503})
		}, http.StatusBadGateway, "", "NOT removed", 1},
		{"nok, rate limited", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteLocationContact, Status: 429, RetryAfter: "30"})
		}, http.StatusTooManyRequests, "", "NOT removed", 1},
		{"ok, the answer lost, gone when read", func(u *Upstream) {
			u.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpDeleteLocationContact, Times: 1, AfterApply: true, DropConnection: true})
		}, http.StatusSeeOther, "/locations/50", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.App(t, time.Second).URL)
			confirm := b.Get("/locations/50/contacts/71/delete")
			tt.prepare(up)
			form := FormValues(confirm.Doc, "form[data-remove-form]")
			p := b.Post("/locations/50/contacts/71/delete", form)
			deletes := up.SB.Requests(sandbox.OpDeleteLocationContact)
			if p.Status != tt.status || p.Location != tt.location || deletes != tt.deletes || up.Deletes() != 0 {
				t.Fatalf("status %d location %q after %d DELETEs (%d of a customer's); want %d %q %d\n%s", p.Status, p.Location, deletes, up.Deletes(),
					tt.status, tt.location, tt.deletes, Text(p, "main"))
			}
			if tt.say != "" && !strings.Contains(Text(p, "main"), tt.say) {
				t.Errorf("page does not say %q: %s", tt.say, Text(p, "main"))
			}
			if strings.Contains(tt.name, "lost") {
				if _, ok := up.SB.LocationContact(50, 71); ok {
					t.Errorf("the contact is still at the location")
				}
			}
			// Without the form's token, nothing is removed.
			if tt.status == http.StatusSeeOther {
				return
			}
			if p := b.Post("/locations/50/contacts/71/delete", Without(form, "_csrf")); p.Status != http.StatusForbidden {
				t.Errorf("a removal without the form token: %d", p.Status)
			}
		})
	}
}
