package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// pageState is one thing staff can see, and how to get the page there from
// a fresh sandbox (each reach starts with sb.Reset()).
type pageState struct {
	name string
	// screenshot, when set, is the file name under docs/screenshots/.
	screenshot string
	// skipAxe leaves the state out of the accessibility sweep.
	skipAxe bool
	reach   func(t testing.TB, app *testApp, page playwright.Page)
}

// pageStates are every page and every outcome of the edit form, for the
// sweeps (accessibility, console errors) and the screenshots.
var pageStates = []pageState{
	{name: "search page", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/")
		expectH1(t, page, "Find a customer")
	}},
	{name: "search results", screenshot: "search-results.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/")
		search(t, page, "Gonzalez")
		must(t, expect.Locator(results(page)).ToHaveCount(2))
	}},
	{name: "no search results", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/customers?q=Zzyzx")
		must(t, expect.Locator(page.GetByText("No customers match “Zzyzx”.")).ToBeVisible())
	}},
	{name: "empty search", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/customers?q=")
		must(t, expect.Locator(page.GetByText("Type a name, phone number or customer ID to search.")).ToBeVisible())
	}},
	{name: "search results, second page", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/customers?q=e")
		must(t, link(page, "Next").Click())
		must(t, expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Name: "Results, page 2"})).ToBeVisible())
	}},
	{name: "customer page", screenshot: "customer.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/customers/10000001")
		expectH1(t, page, "Ada Lovelace")
		must(t, expect.Locator(contactRow(page, "(217) 555-0123")).ToBeVisible())
	}},
	// The customer page's template again, 60 rows long: in the console
	// sweep, not the axe one (axe takes seconds on it and finds nothing
	// that "customer page" would not).
	{name: "customer with 60 contacts", skipAxe: true, reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, "/customers/10000003")
		expectH1(t, page, "Harbor View Dental")
		must(t, expect.Locator(page.GetByRole("table", playwright.PageGetByRoleOptions{Name: "Contacts", Exact: playwright.Bool(true)}).GetByRole("rowheader")).
			ToHaveCount(sandbox.SeedManyContactsCount))
	}},
	{name: "record page", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		visit(t, page, app, recordPath(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID))
		expectRecord(t, page, map[string]string{"phoneSettings.doNotText": "true"})
	}},
	{name: "edit form", screenshot: "edit-form.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	}},
	{name: "edit form, five flags", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID)
		must(t, expect.Locator(byLabel(page, "Statements")).ToBeVisible())
	}},
	{name: "edit form, no preferences", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedNullPreferencesCustomerID, sandbox.SeedNullPreferencesContactID)
	}},
	{name: "form with errors", screenshot: "form-errors.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedEmailContactID)
		must(t, valueInput(page).Fill("ada@@example"))
		must(t, memoInput(page).Fill(longMemo))
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusUnprocessableEntity)
		must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	}},
	{name: "form with ServiceTitan's 400", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedEmailContactID)
		must(t, memoInput(page).Fill("Only after 6pm"))
		app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: http.StatusBadRequest,
			Body: `{"title":"One or more validation errors occurred.","status":400,"traceId":"abc","errors":{"Memo":["Memo is not allowed."],"":["The request is not allowed today."]}}`})
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusUnprocessableEntity)
		must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	}},
	{name: "record after save", screenshot: "record-saved.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		must(t, memoInput(page).Fill("Cell, best before noon"))
		must(t, byLabel(page, "Marketing updates").Check())
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
		expectRecord(t, page, map[string]string{"memo": "Cell, best before noon"})
		must(t, expect.Locator(flash(page)).ToBeVisible())
	}},
	{name: "not found", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		expectStatus(t, visit(t, page, app, "/customers/99999999"), http.StatusNotFound)
		expectH1(t, page, "Not found")
	}},
	{name: "conflict form", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
		must(t, valueInput(page).Fill("(217) 555-0177"))
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusConflict)
		must(t, expect.Locator(notSavedAlert(page)).ToBeVisible())
	}},
	{name: "changed meanwhile (lost-update conflict)", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		c, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		c.Memo, c.ModifiedOn = "Changed meanwhile", time.Now().UTC()
		app.SB.SetContact(sandbox.SeedCustomerID, c)
		must(t, memoInput(page).Fill("Mine"))
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusConflict)
		must(t, expect.Locator(button(page, "Save mine anyway")).ToBeVisible())
	}},
	{name: "contact gone form", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		must(t, memoInput(page).Fill("Gone"))
		app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Status: http.StatusNotFound,
			Body: `{"title":"Contact not found","status":404,"traceId":"gone"}`})
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusNotFound)
		must(t, expect.Locator(notSavedAlert(page)).ToBeVisible())
	}},
	{name: "unavailable form", screenshot: "unavailable.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		must(t, memoInput(page).Fill("Gate code 4321"))
		app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Status: http.StatusServiceUnavailable,
			Body: "<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>", ContentType: "text/html"})
		resp := submit(t, page, click(saveButton(page)))
		if resp.Status() < 500 {
			t.Fatalf("status %d, want 5xx", resp.Status())
		}
		must(t, expect.Locator(button(page, "Try again")).ToBeVisible())
	}},
	{name: "rate limited form", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		must(t, memoInput(page).Fill("Busy"))
		app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Status: http.StatusTooManyRequests, RetryAfter: "120"})
		expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusTooManyRequests)
		must(t, expect.Locator(notSavedAlert(page)).ToBeVisible())
	}},
	{name: "search while ServiceTitan is down", reach: func(t testing.TB, app *testApp, page playwright.Page) {
		app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpListCustomers, Status: http.StatusBadGateway, Body: "Bad gateway"})
		resp := visit(t, page, app, "/customers?q=Lovelace")
		if resp.Status() < 500 {
			t.Fatalf("status %d, want 5xx", resp.Status())
		}
		expectH1(t, page, "ServiceTitan is unavailable")
	}},
}

// reachState puts app and page into state s from the seed data.
func reachState(t testing.TB, app *testApp, page playwright.Page, s pageState) {
	t.Helper()
	app.SB.Reset()
	s.reach(t, app, page)
}
