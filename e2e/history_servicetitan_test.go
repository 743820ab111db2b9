package e2e

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A change made in ServiceTitan itself (here the customer texting STOP)
// shows in the contact's History after the next sync pass, beside the
// app's own save: as ServiceTitan's, naming nobody, the STOP in plain
// words. The customer page links to the customer's History, where "Made
// where" lists the changes made in ServiceTitan alone. Every page is
// axe-clean.
func TestAChangeMadeInServiceTitanShowsInTheHistory(t *testing.T) {
	app := startApp(t, withIndex(0))
	page := newCheckedPage(t)
	ada, mobile := sandbox.SeedCustomerID, sandbox.SeedMobileContactID

	openEditForm(t, page, app, ada, mobile)
	must(t, memoInput(page).Fill("Saved through contactdesk"))
	submit(t, page, click(saveButton(page)))
	must(t, expect.Locator(flash(page)).ToBeVisible())

	if _, ok := app.SB.TextStop(ada, mobile, true); !ok {
		t.Fatal("the sandbox has no such contact")
	}
	app.syncIndex(t)

	visit(t, page, app, recordPath(ada, mobile))
	entries := page.Locator("[data-history] li.history-entry")
	must(t, expect.Locator(entries).ToHaveCount(2))
	theirs := page.Locator(`[data-history] li.history-entry[data-source="servicetitan"]`)
	must(t, expect.Locator(theirs).ToHaveCount(1))
	must(t, expect.Locator(theirs).ToHaveAttribute("data-outcome", "saved"))
	must(t, expect.Locator(theirs).ToHaveAttribute("data-action", "update"))
	must(t, expect.Locator(theirs).ToContainText("Changed in ServiceTitan, not through contactdesk"))
	must(t, expect.Locator(theirs).ToContainText("Texted STOP: ServiceTitan stopped texting this number."))
	mine := page.Locator(`[data-history] li.history-entry[data-source="app"]`)
	must(t, expect.Locator(mine).ToContainText("Saved through contactdesk"))
	checkA11y(t, page)

	visit(t, page, app, "/customers/"+strconv.FormatInt(ada, 10))
	must(t, link(page, "History of this customer’s contacts").Click())
	must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/audit\?customer=`+strconv.FormatInt(ada, 10)+`$`)))
	must(t, expect.Locator(page.Locator("li.history-entry")).ToHaveCount(2))
	_, err := byLabel(page, "Made where").SelectOption(playwright.SelectOptionValues{Labels: &[]string{"In ServiceTitan"}})
	must(t, err)
	must(t, button(page, "Filter").Click())
	must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`source=servicetitan`)))
	must(t, expect.Locator(page.Locator("li.history-entry")).ToHaveCount(1))
	must(t, expect.Locator(page.Locator(`li.history-entry[data-source="servicetitan"]`)).ToContainText("Edited in ServiceTitan"))
	checkA11y(t, page)
}
