package search_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/index"
)

// Once the index is complete, search is served from it: any clue, the
// matching text marked, and no call to ServiceTitan.
func TestSearchFromTheIndex(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, true)
	// A second customer every query below finds too: a search with one
	// match opens it instead of listing it.
	AddToIndex(t, idx, index.Customer{ID: 6, Name: "Lovelace Bakery", Active: true,
		Address: client.Address{Street: "3 Analytical Way", City: "Springfield"}},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177"},
		index.Contact{ID: 61, CustomerID: 6, Type: client.ContactEmail, Value: "ada@bakery.example"})
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	before := ApiRequests(up)
	for _, tt := range []struct{ q, mark string }{
		{"ada@", "ada@"},
		{"0177", "0177"},
		{"lovelace", "Lovelace"},
		{"analytical way", ""},
	} {
		p := b.Get("/customers?q=" + strings.ReplaceAll(tt.q, " ", "+"))
		if p.Status != http.StatusOK || p.Doc.Find(`li[data-customer-id="5"]`).Length() != 1 {
			t.Errorf("%q: status %d, results %q", tt.q, p.Status, Text(p, "[data-results]"))
			continue
		}
		if mark := Text(p, `li[data-customer-id="5"] mark`); tt.mark != "" && mark != tt.mark {
			t.Errorf("%q: marked %q, want %q", tt.q, mark, tt.mark)
		}
		if p.Doc.Find(`li[data-customer-id="6"]`).Length() != 1 {
			t.Errorf("%q: the second customer is not listed", tt.q)
		}
	}
	if p := b.Get("/customers?q=5"); p.Status != http.StatusSeeOther || p.Location != "/customers/5" {
		t.Errorf("an exact id: %d %q", p.Status, p.Location)
	}
	if p := b.Get("/customers?q=bakery"); p.Status != http.StatusSeeOther || p.Location != "/customers/6" {
		t.Errorf("one match: %d %q, want it opened", p.Status, p.Location)
	}
	if got := ApiRequests(up) - before; got != 0 {
		t.Errorf("searching the index made %d calls to ServiceTitan", got)
	}
	// A result whose contact matched opens the customer on that contact.
	p := b.Get("/customers?q=0177")
	if href := Attr(p, `li[data-customer-id="6"] > a`, "href"); href != "/customers/6?contact=60" {
		t.Errorf("the result's link %q, want it to name the matched contact", href)
	}
}

// The customer page marks the contact a search matched (?contact=) and
// puts the first focus on its Edit; a contact not the customer's, or no
// number at all, leaves the page as without it.
func TestCustomerPageMarksTheMatchedContact(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, nil).URL)
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
		p := b.Get("/customers/5" + tt.query)
		if p.Status != http.StatusOK {
			t.Errorf("%q: status %d", tt.query, p.Status)
			continue
		}
		if got, _ := p.Doc.Find("tr[data-matched]").Attr("data-contact-id"); got != tt.matched {
			t.Errorf("%q: marked %q, want %q", tt.query, got, tt.matched)
		}
		if n := p.Doc.Find("[autofocus]").Length(); n != 1 {
			t.Errorf("%q: %d elements with autofocus", tt.query, n)
		}
		if got, _ := p.Doc.Find("[autofocus]").Closest("tr").Attr("data-contact-id"); got != tt.focused {
			t.Errorf("%q: the focus on %q's Edit, want %q's", tt.query, got, tt.focused)
		}
	}
}

// A name typed with a slip finds the customer, listed (not opened) under
// a note that the name is close; each result shows the customer's first
// phone number. Every page but the search page has the header's box.
func TestSearchANameWithASlip(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	p := b.Get("/customers?q=lovlace")
	if p.Status != http.StatusOK || p.Doc.Find(`li[data-customer-id="5"]`).Length() != 1 {
		t.Fatalf("status %d, results %q", p.Status, Text(p, "[data-results]"))
	}
	if !strings.Contains(Text(p, "[data-near]"), "close to it") {
		t.Errorf("no note that the name is only close: %q", Text(p, "main"))
	}
	if got := Text(p, `li[data-customer-id="5"] [data-phone]`); got != "Phone: (217) 555-0177" {
		t.Errorf("the result's phone %q", got)
	}
	if p.Doc.Find("[data-header-search]").Length() != 0 || p.Doc.Find("input[type=search]").Length() != 1 {
		t.Errorf("the search page has %d search boxes", p.Doc.Find("input[type=search]").Length())
	}
	// A number that matched is not said twice.
	AddToIndex(t, idx, index.Customer{ID: 6, Name: "Charles Babbage", Active: true},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177"})
	if p := b.Get("/customers?q=0177"); p.Status != http.StatusOK || p.Doc.Find(`li[data-customer-id="5"] [data-match]`).Length() != 1 ||
		p.Doc.Find(`li[data-customer-id="5"] [data-phone]`).Length() != 0 {
		t.Errorf("the matched number is repeated as the phone: %d %q", p.Status, Text(p, `li[data-customer-id="5"]`))
	}
	for _, path := range []string{"/customers/5", "/audit", "/index"} {
		if p := b.Get(path); p.Doc.Find(`[data-header-search] input[type=search][name=q]`).Length() != 1 {
			t.Errorf("%s: no search box in the header", path)
		}
	}
}

// While the index is still loading, search says how much it covers and
// asks ServiceTitan, as before.
func TestSearchWhileTheIndexLoads(t *testing.T) {
	up := NewUpstream(t)
	configure, _ := WithIndex(t, up, false)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	p := b.Get("/customers?q=lovelace")
	if !strings.Contains(Text(p, "[data-coverage]"), "Search covers 0% of customers, still loading") {
		t.Errorf("coverage note %q", Text(p, "[data-coverage]"))
	}
	if p.Doc.Find(`li[data-customer-id="5"]`).Length() != 1 || up.Searches.Load() == 0 {
		t.Errorf("the live search did not run: %s", Text(p, "main"))
	}
	st := b.Get("/index")
	if Attr(st, "[data-index-progress]", "value") != "0" || Text(st, "[data-index-serving]") == "" {
		t.Errorf("/index: progress %q", Attr(st, "[data-index-progress]", "value"))
	}
}

// The app's own writes reach the index at once: a memo just saved finds
// the customer.
func TestOwnSavesAreSearchableAtOnce(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, true)
	srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
		configure(c)
		c.Changes = NewChanges(t, *c, idx)
	})
	b := NewBrowser(t, srv.URL)
	form := b.OpenForm(7)
	form.Set("memo", "Gatehouse intercom")
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
	}
	if p := b.Get("/customers?q=gatehouse"); p.Status != http.StatusSeeOther || p.Location != "/customers/5?contact=7" {
		t.Errorf("the saved memo does not find the customer: %d %q %s", p.Status, p.Location, Text(p, "main"))
	}
}

// /index counts the feed rows refused as poison, by reason, and the
// contacts waiting for their customer.
func TestIndexPageCountsRefusedRows(t *testing.T) {
	up := NewUpstream(t)
	configure, idx := WithIndex(t, up, true)
	now := time.Now()
	AddToIndex(t, idx, index.Customer{ID: 6, Name: "Lovelace Bakery", Active: true, ModifiedOn: now},
		index.Contact{ID: 60, CustomerID: 6, Type: client.ContactPhone, Value: "3125550177", ModifiedOn: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), Removed: true},
		index.Contact{ID: 61, CustomerID: 6, Type: client.ContactEmail, Value: "ada@bakery.example", Memo: strings.Repeat("m", 300), ModifiedOn: now},
		index.Contact{ID: 62, CustomerID: 6, Type: client.ContactEmail, ModifiedOn: now},
		index.Contact{ID: 63, CustomerID: 7, Type: client.ContactEmail, Value: "who@example.com", ModifiedOn: now})
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	p := b.Get("/index")
	for key, want := range map[string]string{"contacts/future": "1", "contacts/too-large": "1", "contacts/incomplete": "1"} {
		if got := Text(p, `[data-index-refused="`+key+`"]`); got != want {
			t.Errorf("%s: %q refused, want %s", key, got, want)
		}
	}
	if got := Text(p, "[data-index-waiting]"); got != "1" {
		t.Errorf("%q contacts waiting for their customer, want 1", got)
	}
}
