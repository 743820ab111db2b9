package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/index"
)

// withIndex gives the app a tenant index, synced from the upstream once
// (when synced) before the test.
func withIndex(t *testing.T, up *upstream, synced bool) (func(*handlers.Config), *index.Store) {
	t.Helper()
	idx, err := index.Open(context.Background(), dbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	if synced {
		if err := index.NewSyncer(up.client(t), idx, 1000, nil).Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return func(c *handlers.Config) { c.Index, c.IndexInterval = idx, time.Minute }, idx
}

// Once the index is complete, search is served from it: any clue, the
// matching text marked, and no call to ServiceTitan.
func TestSearchFromTheIndex(t *testing.T) {
	up := newUpstream(t)
	configure, idx := withIndex(t, up, true)
	// A second customer every query below finds too: a search with one
	// match opens it instead of listing it.
	addToIndex(t, idx, index.Customer{ID: 6, Name: "Lovelace Bakery", Active: true,
		Address: client.Address{Street: "3 Analytical Way", City: "Springfield"}},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177"},
		index.Contact{ID: 61, CustomerID: 6, Type: client.ContactEmail, Value: "ada@bakery.example"})
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	before := apiRequests(up)
	for _, tt := range []struct{ q, mark string }{
		{"ada@", "ada@"},
		{"0177", "0177"},
		{"lovelace", "Lovelace"},
		{"analytical way", ""},
	} {
		p := b.get("/customers?q=" + strings.ReplaceAll(tt.q, " ", "+"))
		if p.status != http.StatusOK || p.doc.Find(`li[data-customer-id="5"]`).Length() != 1 {
			t.Errorf("%q: status %d, results %q", tt.q, p.status, text(p, "[data-results]"))
			continue
		}
		if mark := text(p, `li[data-customer-id="5"] mark`); tt.mark != "" && mark != tt.mark {
			t.Errorf("%q: marked %q, want %q", tt.q, mark, tt.mark)
		}
		if p.doc.Find(`li[data-customer-id="6"]`).Length() != 1 {
			t.Errorf("%q: the second customer is not listed", tt.q)
		}
	}
	if p := b.get("/customers?q=5"); p.status != http.StatusSeeOther || p.location != "/customers/5" {
		t.Errorf("an exact id: %d %q", p.status, p.location)
	}
	if p := b.get("/customers?q=bakery"); p.status != http.StatusSeeOther || p.location != "/customers/6" {
		t.Errorf("one match: %d %q, want it opened", p.status, p.location)
	}
	if got := apiRequests(up) - before; got != 0 {
		t.Errorf("searching the index made %d calls to ServiceTitan", got)
	}
	// A result whose contact matched opens the customer on that contact.
	p := b.get("/customers?q=0177")
	if href := attr(p, `li[data-customer-id="6"] > a`, "href"); href != "/customers/6?contact=60" {
		t.Errorf("the result's link %q, want it to name the matched contact", href)
	}
}

// The customer page marks the contact a search matched (?contact=) and
// puts the first focus on its Edit; a contact not the customer's, or no
// number at all, leaves the page as without it.
func TestCustomerPageMarksTheMatchedContact(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.appWith(t, time.Second, nil, nil).URL)
	for _, tt := range []struct {
		query   string
		matched string
		focused string
	}{
		{"?contact=8", "8", "8"},
		{"", "", "7"},
		{"?contact=99999", "", "7"},
		{"?contact=x%27", "", "7"},
		{"?contact=-7", "", "7"},
	} {
		p := b.get("/customers/5" + tt.query)
		if p.status != http.StatusOK {
			t.Errorf("%q: status %d", tt.query, p.status)
			continue
		}
		if got, _ := p.doc.Find("tr[data-matched]").Attr("data-contact-id"); got != tt.matched {
			t.Errorf("%q: marked %q, want %q", tt.query, got, tt.matched)
		}
		if n := p.doc.Find("[autofocus]").Length(); n != 1 {
			t.Errorf("%q: %d elements with autofocus", tt.query, n)
		}
		if got, _ := p.doc.Find("[autofocus]").Closest("tr").Attr("data-contact-id"); got != tt.focused {
			t.Errorf("%q: the focus on %q's Edit, want %q's", tt.query, got, tt.focused)
		}
	}
}

// A name typed with a slip finds the customer, listed (not opened) under
// a note that the name is close; each result shows the customer's first
// phone number. Every page but the search page has the header's box.
func TestSearchANameWithASlip(t *testing.T) {
	up := newUpstream(t)
	configure, idx := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	p := b.get("/customers?q=lovlace")
	if p.status != http.StatusOK || p.doc.Find(`li[data-customer-id="5"]`).Length() != 1 {
		t.Fatalf("status %d, results %q", p.status, text(p, "[data-results]"))
	}
	if !strings.Contains(text(p, "[data-near]"), "close to it") {
		t.Errorf("no note that the name is only close: %q", text(p, "main"))
	}
	if got := text(p, `li[data-customer-id="5"] [data-phone]`); got != "Phone: (217) 555-0177" {
		t.Errorf("the result's phone %q", got)
	}
	if p.doc.Find("[data-header-search]").Length() != 0 || p.doc.Find("input[type=search]").Length() != 1 {
		t.Errorf("the search page has %d search boxes", p.doc.Find("input[type=search]").Length())
	}
	// A number that matched is not said twice.
	addToIndex(t, idx, index.Customer{ID: 6, Name: "Charles Babbage", Active: true},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177"})
	if p := b.get("/customers?q=0177"); p.status != http.StatusOK || p.doc.Find(`li[data-customer-id="5"] [data-match]`).Length() != 1 ||
		p.doc.Find(`li[data-customer-id="5"] [data-phone]`).Length() != 0 {
		t.Errorf("the matched number is repeated as the phone: %d %q", p.status, text(p, `li[data-customer-id="5"]`))
	}
	for _, path := range []string{"/customers/5", "/audit", "/index"} {
		if p := b.get(path); p.doc.Find(`[data-header-search] input[type=search][name=q]`).Length() != 1 {
			t.Errorf("%s: no search box in the header", path)
		}
	}
}

// While the index is still loading, search says how much it covers and
// asks ServiceTitan, as before.
func TestSearchWhileTheIndexLoads(t *testing.T) {
	up := newUpstream(t)
	configure, _ := withIndex(t, up, false)
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	p := b.get("/customers?q=lovelace")
	if !strings.Contains(text(p, "[data-coverage]"), "Search covers 0% of customers, still loading") {
		t.Errorf("coverage note %q", text(p, "[data-coverage]"))
	}
	if p.doc.Find(`li[data-customer-id="5"]`).Length() != 1 || up.searches.Load() == 0 {
		t.Errorf("the live search did not run: %s", text(p, "main"))
	}
	st := b.get("/index")
	if attr(st, "[data-index-progress]", "value") != "0" || text(st, "[data-index-serving]") == "" {
		t.Errorf("/index: progress %q", attr(st, "[data-index-progress]", "value"))
	}
}

// The app's own writes reach the index at once: a memo just saved finds
// the customer.
func TestOwnSavesAreSearchableAtOnce(t *testing.T) {
	up := newUpstream(t)
	configure, idx := withIndex(t, up, true)
	srv := up.appWith(t, time.Second, nil, func(c *handlers.Config) {
		configure(c)
		c.Changes = newChanges(t, *c, idx)
	})
	b := newBrowser(t, srv.URL)
	form := b.openForm(7)
	form.Set("memo", "Gatehouse intercom")
	if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	if p := b.get("/customers?q=gatehouse"); p.status != http.StatusSeeOther || p.location != "/customers/5?contact=7" {
		t.Errorf("the saved memo does not find the customer: %d %q %s", p.status, p.location, text(p, "main"))
	}
}

// addToIndex puts a customer and its contacts in the index, as a feed
// page would.
func addToIndex(t *testing.T, idx *index.Store, cu index.Customer, contacts ...index.Contact) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []index.Page{{Feed: index.FeedCustomers, Customers: []index.Customer{cu}}, {Feed: index.FeedContacts, Contacts: contacts}} {
		f, err := idx.Feed(ctx, p.Feed)
		if err != nil {
			t.Fatal(err)
		}
		p.From, p.Next = f.ContinueFrom, f.ContinueFrom
		if err := idx.Apply(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
}

// /index counts the feed rows refused as poison, by reason, and the
// contacts waiting for their customer.
func TestIndexPageCountsRefusedRows(t *testing.T) {
	up := newUpstream(t)
	configure, idx := withIndex(t, up, true)
	now := time.Now()
	addToIndex(t, idx, index.Customer{ID: 6, Name: "Lovelace Bakery", Active: true, ModifiedOn: now},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177", ModifiedOn: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Removed: true},
		index.Contact{ID: 61, CustomerID: 6, Type: client.ContactEmail, Value: "ada@bakery.example", Memo: strings.Repeat("m", 300), ModifiedOn: now},
		index.Contact{ID: 62, CustomerID: 6, Type: client.ContactEmail, ModifiedOn: now},
		index.Contact{ID: 63, CustomerID: 7, Type: client.ContactEmail, Value: "who@example.com", ModifiedOn: now})
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	p := b.get("/index")
	for key, want := range map[string]string{"contacts/future": "1", "contacts/too-large": "1", "contacts/incomplete": "1"} {
		if got := text(p, `[data-index-refused="`+key+`"]`); got != want {
			t.Errorf("%s: %q refused, want %s", key, got, want)
		}
	}
	if got := text(p, "[data-index-waiting]"); got != "1" {
		t.Errorf("%q contacts waiting for their customer, want 1", got)
	}
}
