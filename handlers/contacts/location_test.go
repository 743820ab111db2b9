package contacts_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/index"
)

// A location's page: the location, its customer and its contacts, with
// the customer page's links and data-* attributes; the customer page lists
// its locations (data-location-id) with their contacts.
func TestLocationPage(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := b.Get("/locations/50")
	if p.Status != http.StatusOK || Attr(p, "h1", "data-location-id") != "50" || !strings.Contains(Text(p, "h1"), "Lovelace Cottage") {
		t.Fatalf("status %d, h1 %q\n%s", p.Status, Text(p, "h1"), p.Body)
	}
	if href := Attr(p, "[data-location-customer] a", "href"); href != "/customers/5" {
		t.Errorf("the customer's link %q", href)
	}
	if href := Attr(p, "[data-add-contact]", "href"); href != "/locations/50/contacts/new" {
		t.Errorf("add link %q", href)
	}
	if n := p.Doc.Find("[data-contact-id]").Length(); n != 2 {
		t.Errorf("%d contacts shown, want 2", n)
	}
	for sel, want := range map[string]string{"[data-contact-id='70'] [data-edit-link]": "/locations/50/contacts/70/edit",
		"[data-contact-id='70'] [data-remove-link]": "/locations/50/contacts/70/delete", "[data-contact-id='70'] [data-view-link]": "/locations/50/contacts/70"} {
		if got := Attr(p, sel, "href"); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	customer := b.Get("/customers/5")
	if got := Attr(customer, "[data-location-id='50'] h3 a", "href"); got != "/locations/50" {
		t.Errorf("the customer page's location link %q", got)
	}
	for _, path := range []string{"/locations/0", "/locations/abc", "/locations/50/contacts/-1/edit"} {
		if p := b.Get(path); p.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, p.Status)
		}
	}
	if p := b.Get("/locations/99"); p.Status != http.StatusNotFound || !strings.Contains(Text(p, "main"), "location with ID 99") {
		t.Errorf("unknown location: %d %q", p.Status, Text(p, "main"))
	}
}

// A location contact's record, edit and save go through the same pages as
// a customer's: the record's data-field/data-value, the form's fields, a
// save PATCHes the location's contact once and the History names it.
func TestLocationContactEdit(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	rec := b.Get("/locations/50/contacts/70")
	if rec.Status != http.StatusOK || Attr(rec, "[data-field='memo']", "data-value") != "Neighbor - has a key" {
		t.Fatalf("record: %d, memo %q", rec.Status, Attr(rec, "[data-field='memo']", "data-value"))
	}
	if !strings.Contains(Text(rec, "[data-customer-name]"), "Lovelace Cottage") || !strings.Contains(Text(rec, "[data-customer-name]"), "Ada Lovelace") {
		t.Errorf("the record names %q", Text(rec, "[data-customer-name]"))
	}
	edit := b.Get("/locations/50/contacts/70/edit")
	form := FormValues(edit.Doc, "form#contact-form")
	if Attr(edit, "form#contact-form", "action") != "/locations/50/contacts/70" || form.Get("memo") != "Neighbor - has a key" {
		t.Fatalf("form action %q, memo %q", Attr(edit, "form#contact-form", "action"), form.Get("memo"))
	}
	form.Set("memo", "Neighbor - Charles, has a key")
	p := b.Post("/locations/50/contacts/70", form)
	if p.Status != http.StatusSeeOther || p.Location != "/locations/50/contacts/70" {
		t.Fatalf("save: %d to %q\n%s", p.Status, p.Location, Text(p, "main"))
	}
	if ct, _ := up.SB.LocationContact(50, 70); ct.Memo != "Neighbor - Charles, has a key" {
		t.Errorf("memo in ServiceTitan %q", ct.Memo)
	}
	if n := up.SB.Requests(sandbox.OpUpdateLocationContact); n != 1 || up.Patches.Load() != 0 {
		t.Errorf("%d location PATCHes, %d customer PATCHes", n, up.Patches.Load())
	}
	after := b.Get(p.Location)
	if !strings.Contains(Text(after, "main"), "Neighbor - Charles, has a key") || after.Doc.Find("[data-history] li, .history li").Length() == 0 {
		t.Errorf("after the save: %q", Text(after, "main"))
	}
	audit := b.Get("/audit?location=50")
	if audit.Status != http.StatusOK || audit.Doc.Find("[data-location-id='50']").Length() != 1 {
		t.Errorf("/audit?location=50: %d, %d rows naming the location\n%s", audit.Status, audit.Doc.Find("[data-location-id='50']").Length(), Text(audit, "main"))
	}
	if none := b.Get("/audit?location=51"); none.Doc.Find("[data-location-id]").Length() != 0 {
		t.Error("another location's audit trail lists this one's change")
	}
	if bad := b.Get("/audit?location=x"); !strings.Contains(Text(bad, "main"), "Location must be") {
		t.Errorf("a bad location filter: %q", Text(bad, "main"))
	}

	// Someone changed it meanwhile: a 409, nothing written.
	form = FormValues(b.Get("/locations/50/contacts/71/edit").Doc, "form#contact-form")
	ct, _ := up.SB.LocationContact(50, 71)
	ct.Memo, ct.ModifiedOn = "Changed in ServiceTitan", ct.ModifiedOn.Add(time.Minute)
	up.SB.SetLocationContact(50, ct)
	form.Set("memo", "Mine")
	if p := b.Post("/locations/50/contacts/71", form); p.Status != http.StatusConflict {
		t.Errorf("conflict: status %d", p.Status)
	}
	if n := up.SB.Requests(sandbox.OpUpdateLocationContact); n != 1 {
		t.Errorf("%d PATCHes after the conflict", n)
	}
}

// Add, remove, Undo and Restore of a location's contact.
func TestLocationContactAddRemoveUndoRestore(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	add := b.Get("/locations/50/contacts/new")
	if Attr(add, "form#contact-form", "action") != "/locations/50/contacts" {
		t.Fatalf("add form action %q", Attr(add, "form#contact-form", "action"))
	}
	form := FormValues(add.Doc, "form#contact-form")
	form.Set("type", "Phone")
	form.Set("value", "(217) 555-0185")
	if p := b.Post("/locations/50/contacts", form); p.Status != http.StatusConflict ||
		!strings.Contains(Text(p, "#value-error"), "This location already has") || Attr(p, "[data-existing-contact] a", "href") != "/locations/50/contacts/71" {
		t.Errorf("duplicate: %d %q %q", p.Status, Text(p, "#value-error"), Attr(p, "[data-existing-contact] a", "href"))
	}
	form = FormValues(b.Get("/locations/50/contacts/new").Doc, "form#contact-form")
	form.Set("type", "Email")
	form.Set("value", "tenant@cottage.example")
	p := b.Post("/locations/50/contacts", form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/locations/50/contacts/") {
		t.Fatalf("add: %d to %q\n%s", p.Status, p.Location, Text(p, "main"))
	}
	if n := len(up.SB.LocationContacts(50)); n != 3 {
		t.Errorf("the location has %d contacts, want 3", n)
	}

	confirm := b.Get("/locations/50/contacts/71/delete")
	if confirm.Status != http.StatusOK || Attr(confirm, "form[action='/locations/50/contacts/71/delete']", "method") != "post" {
		t.Fatalf("removal confirmation: %d\n%s", confirm.Status, Text(confirm, "main"))
	}
	removed := b.Post("/locations/50/contacts/71/delete", FormValues(confirm.Doc, "form[action='/locations/50/contacts/71/delete']"))
	if removed.Status != http.StatusSeeOther || removed.Location != "/locations/50" {
		t.Fatalf("remove: %d to %q", removed.Status, removed.Location)
	}
	if _, ok := up.SB.LocationContact(50, 71); ok {
		t.Fatal("still in ServiceTitan")
	}
	page := b.Get("/locations/50")
	undo := FormValues(page.Doc, "[data-undo-form]")
	if Attr(page, "[data-undo-form]", "action") != "/locations/50/contacts/undo" {
		t.Fatalf("undo form action %q", Attr(page, "[data-undo-form]", "action"))
	}
	if b.Get("/customers/5").Doc.Find("[data-undo-form]").Length() != 0 {
		t.Error("the customer page offers to undo its location's removal")
	}
	back := b.Post("/locations/50/contacts/undo", undo)
	if back.Status != http.StatusSeeOther || !strings.HasPrefix(back.Location, "/locations/50/contacts/") {
		t.Fatalf("undo: %d to %q\n%s", back.Status, back.Location, Text(back, "main"))
	}
	if n := len(up.SB.LocationContacts(50)); n != 3 {
		t.Errorf("after the undo the location has %d contacts, want 3", n)
	}

	// Remove it again, and restore it from the audit trail.
	id := strings.TrimPrefix(back.Location, "/locations/50/contacts/")
	confirm = b.Get("/locations/50/contacts/" + id + "/delete")
	action := "/locations/50/contacts/" + id + "/delete"
	if p := b.Post(action, FormValues(confirm.Doc, "form[action='"+action+"']")); p.Status != http.StatusSeeOther {
		t.Fatalf("second removal: %d", p.Status)
	}
	trail := b.Get("/audit?location=50")
	restore, ok := trail.Doc.Find("a[href*='/removals/']").First().Attr("href")
	if !ok || !strings.HasPrefix(restore, "/locations/50/removals/") {
		t.Fatalf("restore link %q in\n%s", restore, Text(trail, "main"))
	}
	ask := b.Get(restore)
	if ask.Status != http.StatusOK {
		t.Fatalf("restore confirmation: %d", ask.Status)
	}
	done := b.Post(restore, FormValues(ask.Doc, "form[action='"+restore+"']"))
	if done.Status != http.StatusSeeOther || !strings.HasPrefix(done.Location, "/locations/50/contacts/") {
		t.Fatalf("restore: %d to %q\n%s", done.Status, done.Location, Text(done, "main"))
	}
	if p := b.Get(strings.Replace(restore, "/locations/50/", "/customers/5/", 1)); p.Status != http.StatusNotFound {
		t.Errorf("a location's removal restored from its customer: %d", p.Status)
	}
}

// Search finds a location by its street and a location's contact by
// anything; one match opens it, the contact marked with the focus on its
// Edit (one Enter); a result row says which location matched.
func TestSearchFindsLocations(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	for q, want := range map[string]string{"3 byron lane": "/locations/50", "gate call": "/locations/50?contact=71", "(217) 555-0164": "/locations/50?contact=70"} {
		p := b.Get("/customers?q=" + url.QueryEscape(q))
		if p.Status != http.StatusSeeOther || p.Location != want {
			t.Errorf("%q: %d to %q, want %q", q, p.Status, p.Location, want)
		}
	}
	page := b.Get("/locations/50?contact=71")
	if Attr(page, "[data-matched] [data-edit-link]", "href") != "/locations/50/contacts/71/edit" || page.Doc.Find("[data-edit-link][autofocus]").Length() != 1 {
		t.Errorf("the matched contact's Edit: %q", Attr(page, "[data-matched] [data-edit-link]", "href"))
	}
	// Two matches: listed, the one a location matched saying which.
	AddToIndex(t, idx, index.Customer{ID: 6, Name: "Byron Hall", Active: true, Address: client.Address{Street: "1 Byron Lane", City: "Springfield"}})
	list := b.Get("/customers?q=" + url.QueryEscape("byron lane"))
	if list.Status != http.StatusOK {
		t.Fatalf("byron lane: %d to %q", list.Status, list.Location)
	}
	if got := Attr(list, "[data-customer-id='5'] [data-location-id='50'] a", "href"); got != "/locations/50" ||
		!strings.Contains(Text(list, "[data-customer-id='5'] [data-location-id]"), "Lovelace Cottage") {
		t.Errorf("the result's location: %q %q", got, Text(list, "[data-customer-id='5'] [data-location-id]"))
	}
	if list.Doc.Find("[data-customer-id='6'] [data-location-id]").Length() != 0 {
		t.Error("a customer its own address matched names a location")
	}
}
