package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Once the tenant index is loaded, the one search box finds a customer from
// the clues staff get: an email address or part of one, four digits of a
// number, a name typed without its accents. The matched text is marked,
// and none of it asks ServiceTitan; a search one customer matches opens it.
func TestSearchTheIndexByAnyClue(t *testing.T) {
	app := startApp(t, withIndex(40))
	page := newCheckedPage(t)
	app.SB.ResetCounters()

	visit(t, page, app, "/")
	// The label says what the box finds.
	must(t, expect.Locator(searchBox(page)).ToBeFocused())

	for _, tt := range []struct {
		name, q, customer, marked string
	}{
		{"four digits of a number", "0177", "Ada Lovelace", "0177"},
	} {
		search(t, page, tt.q)
		hit := results(page).Filter(playwright.LocatorFilterOptions{
			Has: link(page, tt.customer),
		})
		if err := expect.Locator(hit).ToHaveCount(1); err != nil {
			t.Errorf("%s (%q): %s not among the results: %v", tt.name, tt.q, tt.customer, err)
			continue
		}
		if tt.marked != "" {
			if err := expect.Locator(hit.Locator("[data-match] mark")).ToHaveText(tt.marked); err != nil {
				t.Errorf("%s (%q): the matched contact: %v", tt.name, tt.q, err)
			}
		}
	}
	checkA11y(t, page)

	for _, op := range []string{sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts} {
		if n := app.SB.Requests(op); n != 0 {
			t.Errorf("searching the index made %d %s calls to ServiceTitan", n, op)
		}
	}

	// A search only one customer matches opens that customer at once: a
	// whole email, part of one, a name typed without its accents and out
	// of order.
	for _, tt := range []struct{ q, customer string }{
		{"ada@example.com", "Ada Lovelace"},
		{"ada@", "Ada Lovelace"},
		{"akes zoe", sandbox.GeneratedFirstCustomerName},
	} {
		must(t, searchBox(page).Fill(tt.q))
		must(t, searchBox(page).Press("Enter"))
		expectH1(t, page, tt.customer)
		visit(t, page, app, "/")
	}

}
