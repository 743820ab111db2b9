package e2e

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

var restoreURL = regexp.MustCompile(`/customers/\d+/removals/\d+/restore$`)

// optOutWarning is the warning that a number's texting opt-out does not
// survive its removal.
func optOutWarning(page playwright.Page) playwright.Locator {
	return page.Locator(`[data-warning="texting-opt-out"]`)
}

// removeStopNumber removes Ada's home number, which texted STOP, through
// its confirmation, which warns first.
func removeStopNumber(t *testing.T, page playwright.Page, app *testApp) {
	t.Helper()
	visit(t, page, app, "/customers/10000001")
	must(t, contactRow(page, "(217) 555-0123").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Remove (217) 555-0123"}).Click())
	expectH1(t, page, "Remove this contact?")
	must(t, expect.Locator(optOutWarning(page)).ToContainText("This number texted STOP"))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("may be texted again"))
	checkA11y(t, page)
	expectStatus(t, submitTo(t, page, removeURL, click(button(page, "Remove contact"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Contact removed")).ToHaveCount(1))
}

// Undo of a number that texted STOP: the removal warned, and the page
// after the undo says the opt-out was not carried over and what was done
// (#23, item 2).
func TestUndoOfANumberThatTextedStop(t *testing.T) {
	app := startApp(t)
	ct, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
	ct.Preferences.MarketingUpdatesEnabled = true
	app.SB.SetContact(sandbox.SeedCustomerID, ct)
	page := newCheckedPage(t)
	removeStopNumber(t, page, app)

	expectStatus(t, submitTo(t, page, undoURL, click(button(page, "Undo"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Contact restored")).ToHaveCount(1))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("texting opt-out was NOT carried over"))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("Marketing updates were turned off on it"))
	expectRecord(t, page, map[string]string{"value": sandbox.SeedDoNotTextValue, "phoneSettings.doNotText": "false",
		"preferences.marketingUpdatesEnabled": "false"})
	must(t, expect.Locator(page.Locator(`[data-history] [data-action="create"]`)).ToContainText("texted STOP"))
	checkA11y(t, page)
}

// Restore, after leaving the page the removal landed on: the removal's
// entry in the audit trail carries Restore; its page shows the contact and
// the same STOP warning; the restore is audited as an undo naming the
// removal; then the entry and the page say it was restored, and nothing
// can restore it twice (#23, item 7).
func TestRestoreARemovalFromTheAuditTrail(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)
	removeStopNumber(t, page, app)

	// Somewhere else, later: the audit trail.
	visit(t, page, app, "/audit")
	removal := page.Locator(`.history-entry[data-action="delete"]`)
	must(t, expect.Locator(removal).ToHaveCount(1))
	must(t, removal.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Restore this contact…"}).Click())
	expectH1(t, page, "Restore this contact?")
	must(t, expect.Page(page).ToHaveURL(restoreURL))
	confirmation := page.URL()
	must(t, expect.Locator(recordField(page, "value")).ToHaveAttribute("data-value", sandbox.SeedDoNotTextValue))
	must(t, expect.Locator(page.Locator("[data-removed-by]")).ToContainText("Removed by"))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("This number had texted STOP"))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("the restored contact may be texted"))
	checkA11y(t, page)
	if creates(app) != 0 {
		t.Fatalf("%d creates before the confirmation", creates(app))
	}

	expectStatus(t, submitTo(t, page, restoreURL, click(button(page, "Restore contact"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Contact restored")).ToHaveCount(1))
	must(t, expect.Locator(optOutWarning(page)).ToContainText("NOT carried over"))
	expectRecord(t, page, map[string]string{"value": sandbox.SeedDoNotTextValue, "memo": "Home"})
	must(t, expect.Locator(page.Locator(`[data-history] [data-action="create"]`)).ToContainText("Restored"))
	checkA11y(t, page)

	visit(t, page, app, "/audit")
	must(t, expect.Locator(removal.Locator("[data-restored]")).ToContainText("Restored"))
	must(t, expect.Locator(removal.Locator("[data-restore-link]")).ToHaveCount(0))
	must(t, expect.Locator(page.Locator(`.history-entry[data-action="create"][data-undoes]`)).ToHaveCount(1))
	checkA11y(t, page)

	// The confirmation again (a bookmark, Back): restored already.
	if _, err := page.Goto(confirmation); err != nil {
		t.Fatal(err)
	}
	must(t, expect.Locator(page.Locator("[data-already-restored]")).ToContainText("restored it on"))
	must(t, expect.Locator(button(page, "Restore contact")).ToHaveCount(0))
	checkA11y(t, page)
	if creates(app) != 1 {
		t.Errorf("%d creates, want 1", creates(app))
	}
}
