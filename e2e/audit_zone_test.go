package e2e

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/handlers"
)

// The audit trail's dates are days in the zone its times are shown in
// (#23, item 4). With no DISPLAY_TZ that is the browser's: a change made
// at 7:40 PM Central on Dec 1 (01:40 UTC on Dec 2) is found with From = To
// = 12/01/2026 by a browser in America/Chicago, and the page says "Dates
// in Central time". Without JavaScript the days are UTC's, and the page
// says so.
func TestAuditDatesInTheBrowsersZone(t *testing.T) {
	var store audit.Store
	app := startApp(t, withHandlers(func(c *handlers.Config) {
		c.DisplayTZ = nil
		store = c.Audit.(audit.Store)
	}))
	id, err := store.Begin(context.Background(), audit.Entry{Time: time.Date(2026, 12, 2, 1, 40, 0, 0, time.UTC),
		ActorEmail: "jordan@acme.example", ActorName: "Jordan Diaz", CustomerID: 10000001, ContactID: 20000001,
		Changes: []audit.Change{{Field: "memo", Before: "Cell", After: "Evening call"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Complete(context.Background(), id, audit.OutcomeSaved, nil, ""); err != nil {
		t.Fatal(err)
	}
	entries := func(page playwright.Page) playwright.Locator { return page.Locator(".history-entry") }
	zone := func(page playwright.Page) playwright.Locator { return page.Locator("[data-audit-zone]") }
	filterDec1 := func(page playwright.Page, to string) {
		must(t, byLabel(page, "From").Fill("2026-12-01"))
		must(t, byLabel(page, "To").Fill(to))
		must(t, button(page, "Filter").Click())
		must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`to=`+to)))
	}

	chicago := newCheckedPage(t, withContextOptions(func(o *playwright.BrowserNewContextOptions) {
		o.TimezoneId = playwright.String("America/Chicago")
	}))
	visit(t, chicago, app, "/audit")
	must(t, expect.Locator(zone(chicago)).ToHaveText("Dates in your time zone (America/Chicago)."))
	must(t, expect.Locator(chicago.Locator(`[data-audit-shortcut="Today"]`)).ToHaveAttribute("href", regexp.MustCompile(`tz=America%2FChicago`)))
	filterDec1(chicago, "2026-12-01")
	must(t, expect.Locator(entries(chicago)).ToHaveCount(1))
	must(t, expect.Locator(entries(chicago)).ToContainText("Evening call"))
	must(t, expect.Locator(zone(chicago)).ToHaveText("Dates in Central time (America/Chicago)."))
	must(t, expect.Locator(byLabel(chicago, "From")).ToHaveValue("2026-12-01"))
	checkA11y(t, chicago)

	plain := newPage(t, withJavaScriptDisabled())
	visit(t, plain, app, "/audit")
	filterDec1(plain, "2026-12-01")
	must(t, expect.Locator(entries(plain)).ToHaveCount(0))
	must(t, expect.Locator(zone(plain)).ToContainText("Dates in UTC"))
	filterDec1(plain, "2026-12-02")
	must(t, expect.Locator(entries(plain)).ToHaveCount(1))
}
