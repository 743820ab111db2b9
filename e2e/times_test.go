package e2e

import (
	"regexp"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/handlers"
)

// With no DISPLAY_TZ, times show in the browser's own zone; a browser
// without JavaScript gets them in UTC, and the page says UTC.
func TestTimesInTheBrowsersZone(t *testing.T) {
	app := startApp(t, withIndex(0), withHandlers(func(c *handlers.Config) { c.DisplayTZ = nil }))
	lastSync := func(page playwright.Page) playwright.Locator { return page.Locator("[data-index-last-sync] time") }

	chicago := newCheckedPage(t, withContextOptions(func(o *playwright.BrowserNewContextOptions) {
		o.TimezoneId = playwright.String("America/Chicago")
	}))
	visit(t, chicago, app, "/index")
	must(t, expect.Locator(lastSync(chicago)).ToHaveAttribute("data-localized", ""))
	must(t, expect.Locator(lastSync(chicago)).ToHaveText(regexp.MustCompile(`\d{1,2}:\d\d\s?[AP]M C[SD]T$`)))
	checkA11y(t, chicago)

	plain := newPage(t, withJavaScriptDisabled())
	visit(t, plain, app, "/index")
	must(t, expect.Locator(lastSync(plain)).ToHaveText(regexp.MustCompile(`\d{1,2}:\d\d [AP]M UTC$`)))
}
