package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/index"
)

// A location's page: the location, its customer and its contacts, with
// the customer page's links and data-* attributes; the customer page lists
// its locations (data-location-id) with their contacts.
func TestLocationPage(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	p := b.get("/locations/50")
	if p.status != http.StatusOK || attr(p, "h1", "data-location-id") != "50" || !strings.Contains(text(p, "h1"), "Lovelace Cottage") {
		t.Fatalf("status %d, h1 %q\n%s", p.status, text(p, "h1"), p.body)
	}
	if href := attr(p, "[data-location-customer] a", "href"); href != "/customers/5" {
		t.Errorf("the customer's link %q", href)
	}
	if href := attr(p, "[data-add-contact]", "href"); href != "/locations/50/contacts/new" {
		t.Errorf("add link %q", href)
	}
	if n := p.doc.Find("[data-contact-id]").Length(); n != 2 {
		t.Errorf("%d contacts shown, want 2", n)
	}
	for sel, want := range map[string]string{"[data-contact-id='70'] [data-edit-link]": "/locations/50/contacts/70/edit",
		"[data-contact-id='70'] [data-remove-link]": "/locations/50/contacts/70/delete", "[data-contact-id='70'] [data-view-link]": "/locations/50/contacts/70"} {
		if got := attr(p, sel, "href"); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	customer := b.get("/customers/5")
	if got := attr(customer, "[data-location-id='50'] h3 a", "href"); got != "/locations/50" {
		t.Errorf("the customer page's location link %q", got)
	}
	for _, path := range []string{"/locations/0", "/locations/abc", "/locations/50/contacts/-1/edit"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, p.status)
		}
	}
	if p := b.get("/locations/99"); p.status != http.StatusNotFound || !strings.Contains(text(p, "main"), "location with ID 99") {
		t.Errorf("unknown location: %d %q", p.status, text(p, "main"))
	}
}

// A location contact's record, edit and save go through the same pages as
// a customer's: the record's data-field/data-value, the form's fields, a
// save PATCHes the location's contact once and the History names it.
func TestLocationContactEdit(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	rec := b.get("/locations/50/contacts/70")
	if rec.status != http.StatusOK || attr(rec, "[data-field='memo']", "data-value") != "Neighbor - has a key" {
		t.Fatalf("record: %d, memo %q", rec.status, attr(rec, "[data-field='memo']", "data-value"))
	}
	if !strings.Contains(text(rec, "[data-customer-name]"), "Lovelace Cottage") || !strings.Contains(text(rec, "[data-customer-name]"), "Ada Lovelace") {
		t.Errorf("the record names %q", text(rec, "[data-customer-name]"))
	}
	edit := b.get("/locations/50/contacts/70/edit")
	form := formValues(edit.doc, "form#contact-form")
	if attr(edit, "form#contact-form", "action") != "/locations/50/contacts/70" || form.Get("memo") != "Neighbor - has a key" {
		t.Fatalf("form action %q, memo %q", attr(edit, "form#contact-form", "action"), form.Get("memo"))
	}
	form.Set("memo", "Neighbor - Charles, has a key")
	p := b.post("/locations/50/contacts/70", form)
	if p.status != http.StatusSeeOther || p.location != "/locations/50/contacts/70" {
		t.Fatalf("save: %d to %q\n%s", p.status, p.location, text(p, "main"))
	}
	if ct, _ := up.sb.LocationContact(50, 70); ct.Memo != "Neighbor - Charles, has a key" {
		t.Errorf("memo in ServiceTitan %q", ct.Memo)
	}
	if n := up.sb.Requests(sandbox.OpUpdateLocationContact); n != 1 || up.patches.Load() != 0 {
		t.Errorf("%d location PATCHes, %d customer PATCHes", n, up.patches.Load())
	}
	after := b.get(p.location)
	if !strings.Contains(text(after, "main"), "Neighbor - Charles, has a key") || after.doc.Find("[data-history] li, .history li").Length() == 0 {
		t.Errorf("after the save: %q", text(after, "main"))
	}
	audit := b.get("/audit?location=50")
	if audit.status != http.StatusOK || audit.doc.Find("[data-location-id='50']").Length() != 1 {
		t.Errorf("/audit?location=50: %d, %d rows naming the location\n%s", audit.status, audit.doc.Find("[data-location-id='50']").Length(), text(audit, "main"))
	}
	if none := b.get("/audit?location=51"); none.doc.Find("[data-location-id]").Length() != 0 {
		t.Error("another location's audit trail lists this one's change")
	}
	if bad := b.get("/audit?location=x"); !strings.Contains(text(bad, "main"), "Location must be") {
		t.Errorf("a bad location filter: %q", text(bad, "main"))
	}

	// Someone changed it meanwhile: a 409, nothing written.
	form = formValues(b.get("/locations/50/contacts/71/edit").doc, "form#contact-form")
	ct, _ := up.sb.LocationContact(50, 71)
	ct.Memo, ct.ModifiedOn = "Changed in ServiceTitan", ct.ModifiedOn.Add(time.Minute)
	up.sb.SetLocationContact(50, ct)
	form.Set("memo", "Mine")
	if p := b.post("/locations/50/contacts/71", form); p.status != http.StatusConflict {
		t.Errorf("conflict: status %d", p.status)
	}
	if n := up.sb.Requests(sandbox.OpUpdateLocationContact); n != 1 {
		t.Errorf("%d PATCHes after the conflict", n)
	}
}

// Add, remove, Undo and Restore of a location's contact.
func TestLocationContactAddRemoveUndoRestore(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	add := b.get("/locations/50/contacts/new")
	if attr(add, "form#contact-form", "action") != "/locations/50/contacts" {
		t.Fatalf("add form action %q", attr(add, "form#contact-form", "action"))
	}
	form := formValues(add.doc, "form#contact-form")
	form.Set("type", "Phone")
	form.Set("value", "(217) 555-0185")
	if p := b.post("/locations/50/contacts", form); p.status != http.StatusConflict ||
		!strings.Contains(text(p, "#value-error"), "This location already has") || attr(p, "[data-existing-contact] a", "href") != "/locations/50/contacts/71" {
		t.Errorf("duplicate: %d %q %q", p.status, text(p, "#value-error"), attr(p, "[data-existing-contact] a", "href"))
	}
	form = formValues(b.get("/locations/50/contacts/new").doc, "form#contact-form")
	form.Set("type", "Email")
	form.Set("value", "tenant@cottage.example")
	p := b.post("/locations/50/contacts", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/locations/50/contacts/") {
		t.Fatalf("add: %d to %q\n%s", p.status, p.location, text(p, "main"))
	}
	if n := len(up.sb.LocationContacts(50)); n != 3 {
		t.Errorf("the location has %d contacts, want 3", n)
	}

	confirm := b.get("/locations/50/contacts/71/delete")
	if confirm.status != http.StatusOK || attr(confirm, "form[action='/locations/50/contacts/71/delete']", "method") != "post" {
		t.Fatalf("removal confirmation: %d\n%s", confirm.status, text(confirm, "main"))
	}
	removed := b.post("/locations/50/contacts/71/delete", formValues(confirm.doc, "form[action='/locations/50/contacts/71/delete']"))
	if removed.status != http.StatusSeeOther || removed.location != "/locations/50" {
		t.Fatalf("remove: %d to %q", removed.status, removed.location)
	}
	if _, ok := up.sb.LocationContact(50, 71); ok {
		t.Fatal("still in ServiceTitan")
	}
	page := b.get("/locations/50")
	undo := formValues(page.doc, "[data-undo-form]")
	if attr(page, "[data-undo-form]", "action") != "/locations/50/contacts/undo" {
		t.Fatalf("undo form action %q", attr(page, "[data-undo-form]", "action"))
	}
	if b.get("/customers/5").doc.Find("[data-undo-form]").Length() != 0 {
		t.Error("the customer page offers to undo its location's removal")
	}
	back := b.post("/locations/50/contacts/undo", undo)
	if back.status != http.StatusSeeOther || !strings.HasPrefix(back.location, "/locations/50/contacts/") {
		t.Fatalf("undo: %d to %q\n%s", back.status, back.location, text(back, "main"))
	}
	if n := len(up.sb.LocationContacts(50)); n != 3 {
		t.Errorf("after the undo the location has %d contacts, want 3", n)
	}

	// Remove it again, and restore it from the audit trail.
	id := strings.TrimPrefix(back.location, "/locations/50/contacts/")
	confirm = b.get("/locations/50/contacts/" + id + "/delete")
	action := "/locations/50/contacts/" + id + "/delete"
	if p := b.post(action, formValues(confirm.doc, "form[action='"+action+"']")); p.status != http.StatusSeeOther {
		t.Fatalf("second removal: %d", p.status)
	}
	trail := b.get("/audit?location=50")
	restore, ok := trail.doc.Find("a[href*='/removals/']").First().Attr("href")
	if !ok || !strings.HasPrefix(restore, "/locations/50/removals/") {
		t.Fatalf("restore link %q in\n%s", restore, text(trail, "main"))
	}
	ask := b.get(restore)
	if ask.status != http.StatusOK {
		t.Fatalf("restore confirmation: %d", ask.status)
	}
	done := b.post(restore, formValues(ask.doc, "form[action='"+restore+"']"))
	if done.status != http.StatusSeeOther || !strings.HasPrefix(done.location, "/locations/50/contacts/") {
		t.Fatalf("restore: %d to %q\n%s", done.status, done.location, text(done, "main"))
	}
	if p := b.get(strings.Replace(restore, "/locations/50/", "/customers/5/", 1)); p.status != http.StatusNotFound {
		t.Errorf("a location's removal restored from its customer: %d", p.status)
	}
}

// Search finds a location by its street and a location's contact by
// anything; one match opens it, the contact marked with the focus on its
// Edit (one Enter); a result row says which location matched.
func TestSearchFindsLocations(t *testing.T) {
	up := newUpstream(t)
	configure, idx := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	for q, want := range map[string]string{"3 byron lane": "/locations/50", "gate call": "/locations/50?contact=71", "(217) 555-0164": "/locations/50?contact=70"} {
		p := b.get("/customers?q=" + url.QueryEscape(q))
		if p.status != http.StatusSeeOther || p.location != want {
			t.Errorf("%q: %d to %q, want %q", q, p.status, p.location, want)
		}
	}
	page := b.get("/locations/50?contact=71")
	if attr(page, "[data-matched] [data-edit-link]", "href") != "/locations/50/contacts/71/edit" || page.doc.Find("[data-edit-link][autofocus]").Length() != 1 {
		t.Errorf("the matched contact's Edit: %q", attr(page, "[data-matched] [data-edit-link]", "href"))
	}
	// Two matches: listed, the one a location matched saying which.
	addToIndex(t, idx, index.Customer{ID: 6, Name: "Byron Hall", Active: true, Address: client.Address{Street: "1 Byron Lane", City: "Springfield"}})
	list := b.get("/customers?q=" + url.QueryEscape("byron lane"))
	if list.status != http.StatusOK {
		t.Fatalf("byron lane: %d to %q", list.status, list.location)
	}
	if got := attr(list, "[data-customer-id='5'] [data-location-id='50'] a", "href"); got != "/locations/50" ||
		!strings.Contains(text(list, "[data-customer-id='5'] [data-location-id]"), "Lovelace Cottage") {
		t.Errorf("the result's location: %q %q", got, text(list, "[data-customer-id='5'] [data-location-id]"))
	}
	if list.doc.Find("[data-customer-id='6'] [data-location-id]").Length() != 0 {
		t.Error("a customer its own address matched names a location")
	}
}
