package e2e

import (
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Once the tenant index is loaded, the one search box finds a customer from
// the clues staff get: an email address, four digits of a number, a name
// typed without its accents. The matched text is marked, and none of it
// asks ServiceTitan.
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
		{"an email address", "ada@example.com", "Ada Lovelace", "ada@example.com"},
		{"part of an email address", "ada@", "Ada Lovelace", "ada@"},
		{"four digits of a number", "0177", "Ada Lovelace", "0177"},
		{"a name without its accents, words out of order", "akes zoe", sandbox.GeneratedFirstCustomerName, ""},
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
	// The accented name: each word typed is marked in the name as written.
	zoe := results(page).Filter(playwright.LocatorFilterOptions{Has: link(page, sandbox.GeneratedFirstCustomerName)})
	must(t, expect.Locator(zoe.Locator("a mark")).ToHaveText([]string{"Zoë", "Åkes"}))
	checkA11y(t, page)

	for _, op := range []string{sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts} {
		if n := app.SB.Requests(op); n != 0 {
			t.Errorf("searching the index made %d %s calls to ServiceTitan", n, op)
		}
	}

	// The result leads to the customer, read from ServiceTitan as always.
	must(t, link(page, sandbox.GeneratedFirstCustomerName).Click())
	expectH1(t, page, sandbox.GeneratedFirstCustomerName)
}
