package e2e

import (
	"net/http"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// colleagueSavesMemo is a second member of staff, in their own browser
// context (own session), changing the mobile contact's memo through the app.
func colleagueSavesMemo(t testing.TB, app *testApp, memo string) {
	t.Helper()
	page := newCheckedPage(t)
	openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	must(t, memoInput(page).Fill(memo))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"memo": memo})
}

// staleEditForm starts the app and opens the mobile contact's edit form;
// then a colleague saves the memo "Kelly's memo", so that the form is stale.
func staleEditForm(t testing.TB) (*testApp, playwright.Page) {
	t.Helper()
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	colleagueSavesMemo(t, app, "Kelly's memo")
	return app, page
}

// conflictRow is the conflict table's row for a form field.
func conflictRow(page playwright.Page, label string) playwright.Locator {
	return page.Locator("[data-conflict]").GetByRole("row").
		Filter(playwright.LocatorFilterOptions{Has: page.GetByRole("rowheader", playwright.PageGetByRoleOptions{Name: label, Exact: playwright.Bool(true)})})
}

// Two people edit the same contact: the second save writes nothing, shows
// both versions side by side and keeps the typed input; "Save mine anyway"
// then saves it.
func TestConcurrentEditShowsBothVersionsThenSaveMine(t *testing.T) {
	app, page := staleEditForm(t)
	expectPatches(t, app, 1)

	must(t, memoInput(page).Fill("My memo"))
	must(t, valueInput(page).Fill("(217) 555-0150"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusConflict)
	conflict := page.Locator("[data-conflict]")
	must(t, expect.Locator(conflict).ToHaveRole("alert"))
	must(t, expect.Locator(conflict.Locator("[data-not-saved]")).ToHaveText("Your changes were NOT saved."))
	// The "colleague" saved through the app as the same sandbox user: the
	// audit trail knows, and the heading says it was you, elsewhere.
	must(t, expect.Locator(conflict.GetByRole("heading")).ToHaveText("You (in another tab or window) changed this contact while you were editing"))
	must(t, expect.Locator(conflictRow(page, "Memo").GetByRole("cell")).ToHaveText([]string{"Cell", "Kelly's memo", "My memo"}))
	must(t, expect.Locator(conflictRow(page, "Value").GetByRole("cell")).ToHaveText([]string{"(217) 555-0177", "(217) 555-0177", "(217) 555-0150"}))
	must(t, expect.Locator(conflictRow(page, "Type")).ToHaveCount(0))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("My memo"))
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0150"))
	checkA11y(t, page)
	expectPatches(t, app, 1) // nothing written over the colleague's change

	expectStatus(t, submit(t, page, click(button(page, "Save mine anyway"))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"memo": "My memo", "value": "2175550150"})
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	expectPatches(t, app, 2)
}

// "Discard mine" drops the typed input and reopens the form on the record
// as it is now.
func TestConcurrentEditDiscardMine(t *testing.T) {
	app, page := staleEditForm(t)
	must(t, memoInput(page).Fill("My memo"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusConflict)
	must(t, link(page, "Discard mine").Click())
	must(t, expect.Page(page).ToHaveURL(app.url(editPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))))
	expectEditForm(t, page)
	must(t, expect.Locator(page.Locator("[data-conflict]")).ToHaveCount(0))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Kelly's memo"))
	expectPatches(t, app, 1)
}

// The colleague changed only the memo; I changed only the number. After the
// conflict, "Save mine anyway" must save my number and leave the colleague's
// memo alone: I never touched the memo, so keeping "mine" there means
// writing back the stale value the form was opened with — the very lost
// update the conflict check exists to prevent.
func TestConcurrentEditSaveMineKeepsTheirChangeToFieldsIDidNotTouch(t *testing.T) {
	app, page := staleEditForm(t)

	must(t, valueInput(page).Fill("(217) 555-0150"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusConflict)
	must(t, expect.Locator(conflictRow(page, "Value").GetByRole("cell")).ToHaveText([]string{"(217) 555-0177", "(217) 555-0177", "(217) 555-0150"}))
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0150"))

	expectStatus(t, submit(t, page, click(button(page, "Save mine anyway"))), http.StatusSeeOther)
	must(t, expect.Locator(recordField(page, "value")).ToHaveAttribute("data-value", "2175550150"))
	// The record is on screen already (the value matched): no need to wait.
	if err := expect.Locator(recordField(page, "memo")).ToHaveAttribute("data-value", "Kelly's memo",
		playwright.LocatorAssertionsToHaveAttributeOptions{Timeout: playwright.Float(500)}); err != nil {
		stored, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		t.Errorf("BUG: \"Save mine anyway\" overwrote the colleague's memo with the stale one (ServiceTitan now holds memo %q): %v",
			stored.Memo, err)
	}
}
