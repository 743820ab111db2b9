package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// The states of adding and removing contacts, for the sweeps and the
// screenshots.
func init() {
	pageStates = append(pageStates,
		pageState{name: "add form", screenshot: "add-form.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/new")
			expectH1(t, page, "Add contact")
		}},
		pageState{name: "add form with errors", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/new")
			must(t, valueInput(page).Fill("555-01"))
			expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusUnprocessableEntity)
			must(t, expect.Locator(errorSummary(page)).ToBeFocused())
		}},
		pageState{name: "add form, duplicate", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/new")
			must(t, valueInput(page).Fill("(217) 555-0177"))
			expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusConflict)
		}},
		pageState{name: "add form, ServiceTitan unavailable", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/new")
			must(t, valueInput(page).Fill("(217) 555-0111"))
			app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpCreateContact, Status: http.StatusServiceUnavailable})
			if resp := submitTo(t, page, addURL, click(addButton(page))); resp.Status() < 500 {
				t.Fatalf("status %d, want 5xx", resp.Status())
			}
			must(t, expect.Locator(notSavedAlert(page)).ToBeVisible())
		}},
		pageState{name: "removal confirmation", screenshot: "remove-confirm.png", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/20000002/delete")
			expectH1(t, page, "Remove this contact?")
		}},
		pageState{name: "removal, changed meanwhile", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/20000003/delete")
			c, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
			c.Memo, c.ModifiedOn = "Changed meanwhile", time.Now().UTC()
			app.SB.SetContact(sandbox.SeedCustomerID, c)
			expectStatus(t, submitTo(t, page, removeURL, click(button(page, "Remove contact"))), http.StatusConflict)
		}},
		pageState{name: "customer page after a removal, with Undo", reach: func(t testing.TB, app *testApp, page playwright.Page) {
			visit(t, page, app, "/customers/10000001/contacts/20000003/delete")
			expectStatus(t, submitTo(t, page, removeURL, click(button(page, "Remove contact"))), http.StatusSeeOther)
			must(t, expect.Locator(button(page, "Undo")).ToBeVisible())
		}},
	)
}
