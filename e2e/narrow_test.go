package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// At a phone's width (390 px) the customer page shows contacts as cards
// with Edit in view, nothing scrolls sideways, and the edit form's Save
// is on screen without scrolling past the form. UPDATE_SCREENSHOTS=1
// writes docs/screenshots/customer-narrow.png.
func TestNarrowScreen(t *testing.T) {
	const width, height = 390, 844
	app := startApp(t)
	page := newCheckedPage(t, withContextOptions(func(o *playwright.BrowserNewContextOptions) {
		o.Viewport = &playwright.Size{Width: width, Height: height}
	}))
	visit(t, page, app, fmt.Sprintf("/customers/%d", sandbox.SeedCustomerID))
	expectH1(t, page, "Ada Lovelace")

	scrollWidth, err := page.Evaluate(`() => document.scrollingElement.scrollWidth`)
	must(t, err)
	if w, ok := scrollWidth.(int); !ok || w > width {
		t.Errorf("the page is %v px wide at %d: it scrolls sideways", scrollWidth, width)
	}
	// The header and the sandbox banner leave the page most of the screen.
	top, err := page.Evaluate(`() => document.querySelector("main").getBoundingClientRect().top`)
	must(t, err)
	t.Logf("the page starts %v px down at %d px wide", top, width)
	var px float64
	switch v := top.(type) {
	case float64:
		px = v
	case int:
		px = float64(v)
	}
	if px > 200 {
		t.Errorf("the header and banner take %.0f px at %d px wide, more than 200", px, width)
	}
	edit := page.Locator("[data-edit-link]").First()
	must(t, expect.Locator(edit).ToBeInViewport())
	box, err := edit.BoundingBox()
	must(t, err)
	if box.X < 0 || box.X+box.Width > width {
		t.Errorf("Edit is at x %.0f..%.0f, outside the %d px screen", box.X, box.X+box.Width, width)
	}
	checkA11y(t, page)
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		_, err := page.Screenshot(playwright.PageScreenshotOptions{Path: playwright.String(filepath.Join(paths.dir, "..", "docs", "screenshots", "customer-narrow.png")),
			Animations: playwright.ScreenshotAnimationsDisabled, Caret: playwright.ScreenshotCaretHide})
		must(t, err)
	}

	must(t, edit.Click())
	expectEditForm(t, page)
	must(t, expect.Locator(saveButton(page)).ToBeInViewport())
	checkA11y(t, page)
}
