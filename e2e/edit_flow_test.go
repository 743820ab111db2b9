package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// The whole job: find Ada Lovelace by name, open her mobile number, change
// everything the form offers, save, and read the record back.
func TestFindByNameEditAndSaveContact(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)

	visit(t, page, app, "/")
	expectH1(t, page, "Find a customer")
	must(t, expect.Locator(searchBox(page)).ToBeFocused()) // autofocus
	checkA11y(t, page)

	search(t, page, "Lovelace")
	must(t, expect.Locator(results(page)).ToHaveCount(1))
	must(t, expect.Locator(results(page)).ToContainText("12 Analytical Way, Springfield, IL 62701"))
	checkA11y(t, page)

	must(t, link(page, "Ada Lovelace").Click())
	expectH1(t, page, "Ada Lovelace")
	row := contactRow(page, "(217) 555-0177")
	must(t, expect.Locator(row).ToContainText("Cell"))
	checkA11y(t, page)
	modifiedBefore, err := row.Locator("time").GetAttribute("datetime")
	must(t, err)
	if modifiedBefore == "" {
		t.Fatal("the contact row shows no last-changed time")
	}

	must(t, row.GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Edit (217) 555-0177", Exact: playwright.Bool(true)}).Click())
	expectEditForm(t, page)
	must(t, expect.Locator(typeSelect(page)).ToHaveValue("MobilePhone"))
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0177"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Cell"))
	must(t, expect.Locator(byLabel(page, "Job reminders")).ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Marketing updates")).Not().ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Invoices and statements")).ToBeChecked())
	checkA11y(t, page)

	_, err = typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Landline"}})
	must(t, err)
	must(t, valueInput(page).Fill("217-555-0199"))
	must(t, memoInput(page).Fill("Work line, ask for Ada"))
	must(t, byLabel(page, "Job reminders").Uncheck())
	must(t, byLabel(page, "Marketing updates").Check())

	resp := submit(t, page, click(saveButton(page)))
	expectStatus(t, resp, http.StatusSeeOther)
	must(t, expect.Page(page).ToHaveURL(app.url(recordPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))))
	expectRecord(t, page, map[string]string{
		"id":                                  "20000001",
		"type":                                "Phone",
		"value":                               "2175550199",
		"memo":                                "Work line, ask for Ada",
		"phoneSettings.phoneNumber":           "2175550199",
		"phoneSettings.doNotText":             "false",
		"preferences.jobRemindersEnabled":     "false",
		"preferences.marketingUpdatesEnabled": "true",
		"preferences.invoiceStatementNotification": "true",
	})
	must(t, expect.Locator(recordField(page, "value")).ToHaveText("(217) 555-0199"))
	must(t, expect.Locator(recordField(page, "type")).ToHaveText("Landline"))
	modified := recordField(page, "modifiedOn")
	must(t, expect.Locator(modified).Not().ToHaveAttribute("data-value", modifiedBefore))
	modifiedAfter, err := modified.GetAttribute("data-value")
	must(t, err)
	before, errBefore := time.Parse(time.RFC3339, modifiedBefore)
	after, errAfter := time.Parse(time.RFC3339, modifiedAfter)
	if errBefore != nil || errAfter != nil || !after.After(before) {
		t.Errorf("modifiedOn went from %q to %q; want a later time", modifiedBefore, modifiedAfter)
	}
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	must(t, expect.Locator(page.GetByText("Contact updated", playwright.PageGetByTextOptions{Exact: playwright.Bool(true)})).ToHaveCount(1))
	checkA11y(t, page)
	expectPatches(t, app, 1)

	// What ServiceTitan holds now is what the page showed.
	stored, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	if stored.Type != client.ContactPhone || stored.Value != "2175550199" || stored.Memo != "Work line, ask for Ada" ||
		stored.Preferences == nil || stored.Preferences.JobRemindersEnabled || !stored.Preferences.MarketingUpdatesEnabled ||
		!stored.Preferences.InvoiceStatementNotification {
		t.Errorf("ServiceTitan holds %+v (preferences %+v)", stored, stored.Preferences)
	}

	// The message is for the moment of saving only.
	_, err = page.Reload()
	must(t, err)
	expectRecord(t, page, map[string]string{"value": "2175550199", "memo": "Work line, ask for Ada"})
	must(t, expect.Locator(page.GetByText("Contact updated")).ToHaveCount(0))
	expectPatches(t, app, 1)
}

// Searching by a phone number as people write it finds the customer, whose
// page lists all three contacts.
func TestFindCustomerByPhoneNumber(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)

	visit(t, page, app, "/")
	search(t, page, "(217) 555-0177")
	must(t, expect.Locator(results(page)).ToHaveCount(1))
	must(t, expect.Locator(results(page)).ToContainText([]string{"Ada Lovelace"}))
	must(t, expect.Locator(results(page)).ToContainText("(217) 555-0177 · ada@example.com · 1 more"))
	checkA11y(t, page)

	must(t, link(page, "Ada Lovelace").Click())
	must(t, expect.Page(page).ToHaveURL(app.url("/customers/10000001")))
	expectH1(t, page, "Ada Lovelace")
	table := page.GetByRole("table", playwright.PageGetByRoleOptions{Name: "Contacts", Exact: playwright.Bool(true)})
	must(t, expect.Locator(table.GetByRole("rowheader")).ToHaveText([]string{"(217) 555-0177", "ada@example.com", "(217) 555-0123"}))
	must(t, expect.Locator(contactRow(page, "(217) 555-0177")).ToContainText("Mobile"))
	must(t, expect.Locator(contactRow(page, "ada@example.com")).ToContainText("Personal"))
	must(t, expect.Locator(contactRow(page, "(217) 555-0123")).ToContainText("Opted out (texted STOP)"))
	for _, v := range []string{"(217) 555-0177", "ada@example.com", "(217) 555-0123"} {
		must(t, expect.Locator(link(page, "Edit "+v)).ToBeVisible())
		must(t, expect.Locator(link(page, "View "+v)).ToBeVisible())
	}
	checkA11y(t, page)

	// The customer is now among the recently opened ones.
	must(t, link(page, "Back to search").Click())
	expectH1(t, page, "Find a customer")
	must(t, expect.Locator(page.GetByRole("region", playwright.PageGetByRoleOptions{Name: "Recently opened"}).GetByRole("link")).
		ToHaveText([]string{"Ada Lovelace"}))
	checkA11y(t, page)

	// The number as people also write it.
	for _, q := range []string{"217-555-0177", "+1 217 555 0177", "2175550177", "217.555.0123"} {
		search(t, page, q)
		if err := expect.Locator(results(page).GetByRole("link")).ToHaveText([]string{"Ada Lovelace"}); err != nil {
			t.Errorf("search %q: %v", q, err)
		}
	}
	// A customer ID goes straight to the customer.
	must(t, searchBox(page).Fill("10000001"))
	must(t, searchBox(page).Press("Enter"))
	must(t, expect.Page(page).ToHaveURL(app.url("/customers/10000001")))
	expectH1(t, page, "Ada Lovelace")
}

// The split 2026 invoice flags: the form offers "Invoices" and "Statements"
// instead of the combined flag, and toggling one changes only that one.
func TestFiveFlagContactSavesStatementsFlag(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)

	visit(t, page, app, recordPath(sandbox.SeedFiveFlagCustomerID, sandbox.SeedFiveFlagContactID))
	want := map[string]string{
		"preferences.jobRemindersEnabled":          "true",
		"preferences.marketingUpdatesEnabled":      "false",
		"preferences.invoiceStatementNotification": "true",
		"preferences.invoiceNotification":          "true",
		"preferences.statementNotification":        "false",
	}
	expectRecord(t, page, want)
	checkA11y(t, page)

	must(t, link(page, "Edit contact").Click())
	expectEditForm(t, page)
	prefs := page.GetByRole("group", playwright.PageGetByRoleOptions{Name: "Notification preferences"})
	must(t, expect.Locator(prefs.GetByRole("checkbox")).ToHaveCount(4))
	must(t, expect.Locator(byLabel(page, "Invoices")).ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Statements")).Not().ToBeChecked())
	must(t, expect.Locator(page.GetByLabel("Invoices and statements")).ToHaveCount(0))
	must(t, expect.Locator(byLabel(page, "Job reminders")).ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Marketing updates")).Not().ToBeChecked())
	checkA11y(t, page)

	must(t, byLabel(page, "Statements").Check())
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	want["preferences.statementNotification"] = "true"
	expectRecord(t, page, want)
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	expectRecord(t, page, map[string]string{"value": "5125550142", "memo": "Cell", "type": "MobilePhone"})
	expectPatches(t, app, 1)
}
