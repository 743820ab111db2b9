package e2e

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

var (
	locationRemoveURL  = regexp.MustCompile(`/locations/\d+/contacts/\d+/delete$`)
	locationUndoURL    = regexp.MustCompile(`/locations/\d+/contacts/undo$`)
	locationContactURL = regexp.MustCompile(`/locations/\d+/contacts/\d+$`)
)

// A site contact, found by its location's street: Oakridge Property
// Management's Maple Court Apartments, at 140 Maple St (its merged
// duplicate at "140 Maple Street" is inactive and comes second). With the
// keyboard alone: the search opens the location, Enter its first
// contact's Edit, a new memo, Ctrl+Enter. Then one of its contacts is
// removed and brought back with Undo. Every page is axe-clean.
func TestSiteContactFoundByItsStreet(t *testing.T) {
	app := startApp(t, withIndex(0))
	page := newCheckedPage(t)
	visit(t, page, app, "/")
	must(t, expect.Locator(searchBox(page)).ToBeFocused())
	must(t, page.Keyboard().Type("140 Maple St"))
	must(t, page.Keyboard().Press("Enter"))
	expectH1(t, page, "Maple Court Apartments")
	must(t, expect.Locator(page.Locator("[data-location-customer]")).ToContainText("Oakridge Property Management"))
	checkA11y(t, page)

	must(t, expect.Locator(page.Locator("[data-edit-link]").First()).ToBeFocused())
	must(t, page.Keyboard().Press("Enter"))
	expectEditForm(t, page)
	must(t, expect.Locator(memoInput(page)).ToBeFocused())
	must(t, page.Keyboard().Press("Control+a"))
	must(t, page.Keyboard().Type("Site manager - Dana, call before 6 pm"))
	expectStatus(t, submitTo(t, page, locationContactURL, func() error { return page.Keyboard().Press("Control+Enter") }), http.StatusSeeOther)
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Contact updated"))
	must(t, expect.Locator(recordField(page, "memo")).ToHaveText("Site manager - Dana, call before 6 pm"))
	must(t, expect.Locator(page.Locator(`[data-history] [data-action="update"]`)).ToHaveCount(1))
	checkA11y(t, page)
	if n := app.SB.Requests(sandbox.OpUpdateLocationContact); n != 1 || patches(app) != 0 {
		t.Errorf("%d location PATCHes, %d customer PATCHes; want 1 and 0", n, patches(app))
	}

	// Remove the gate phone, then Undo.
	must(t, page.GetByRole("link", playwright.PageGetByRoleOptions{Name: "Back to Maple Court Apartments"}).Click())
	expectH1(t, page, "Maple Court Apartments")
	gate := page.Locator("[data-contact-id]").Filter(playwright.LocatorFilterOptions{HasText: "Gate phone"})
	must(t, expect.Locator(gate).ToHaveCount(1))
	must(t, gate.Locator("[data-remove-link]").Click())
	expectH1(t, page, "Remove this contact?")
	checkA11y(t, page)
	expectStatus(t, submitTo(t, page, locationRemoveURL, click(button(page, "Remove contact"))), http.StatusSeeOther)
	expectH1(t, page, "Maple Court Apartments")
	must(t, expect.Locator(message(page, "Contact removed")).ToHaveCount(1))
	must(t, expect.Locator(gate).ToHaveCount(0))
	checkA11y(t, page)
	expectStatus(t, submitTo(t, page, locationUndoURL, click(button(page, "Undo"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Contact restored")).ToHaveCount(1))
	must(t, expect.Locator(recordField(page, "memo")).ToContainText("Gate phone"))
	checkA11y(t, page)
	if d, c := app.SB.Requests(sandbox.OpDeleteLocationContact), app.SB.Requests(sandbox.OpCreateLocationContact); d != 1 || c != 1 {
		t.Errorf("%d location DELETEs, %d POSTs; want 1 and 1", d, c)
	}

	// The audit trail lists both, naming the location.
	visit(t, page, app, "/audit?location=100000008")
	must(t, expect.Locator(page.Locator(".history-entry")).ToHaveCount(3))
	must(t, expect.Locator(page.Locator(".history-entry [data-location-id]").First()).ToContainText("Maple Court Apartments"))
	checkA11y(t, page)
}

// locationScreenshot takes TestScreenshots' picture of a location's page.
func locationScreenshot(t testing.TB, app *testApp, page playwright.Page, shoot func(page playwright.Page, name, file string)) {
	t.Helper()
	visit(t, page, app, "/locations/100000008")
	expectH1(t, page, "Maple Court Apartments")
	shoot(page, "location page", "location.png")
}
