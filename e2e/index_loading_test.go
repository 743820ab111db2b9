package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
)

// While the index has its customers but not yet their contacts: /index's
// progress is not full, the search page says results may be incomplete,
// and a bulk preview says so and does not start until its owner confirms
// that the lines that matched nothing are skipped. Once the index is
// complete, the bar is full and the list previewed again matches every
// line.
func TestWhileTheIndexLoadsItsContacts(t *testing.T) {
	app := startApp(t, withBulk(0, 0), withContactsLoading())
	page := newCheckedPage(t)

	visit(t, page, app, "/index")
	bar := page.Locator("progress[data-index-progress]")
	must(t, expect.Locator(page.Locator("#index-progress-label")).ToContainText("every customer read; contacts being read"))
	if value, maxValue := progressOf(t, bar); value >= maxValue {
		t.Errorf("the bar is full (%d of %d) while the contacts load", value, maxValue)
	}
	checkA11y(t, page)

	// An email: ServiceTitan cannot be searched by one, and the page says
	// the results may be incomplete.
	visit(t, page, app, "/")
	must(t, searchBox(page).Fill("ada@example.com"))
	must(t, searchBox(page).Press("Enter"))
	must(t, expect.Locator(page.Locator("[data-coverage]")).ToContainText("results may be incomplete"))
	checkA11y(t, page)

	openBulkForm(t, page, app)
	must(t, listInput(page).Fill("ada@example.com\n(217) 555-0123"))
	setFlag(t, page, "Marketing updates", "Off")
	previewList(t, page)
	must(t, expect.Locator(page.Locator("[data-preview-index-note]")).ToContainText("still loading"))
	expectPreviewCounts(t, page, map[string]string{"change": "0", "unmatched": "2"})
	skip := byLabel(page, "Start anyway: skip the 2 lines that matched nothing")
	must(t, expect.Locator(skip).Not().ToBeChecked())

	// Started without the box: refused at it, nothing started.
	expectStatus(t, submitTo(t, page, bulkConfirmURL, click(button(page, "Start the job"))), http.StatusUnprocessableEntity)
	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	expectFieldError(t, page, skip, "Tick “Start anyway” to skip the lines that matched nothing")
	checkA11y(t, page)

	// The index completes: the bar is full, the old preview says to
	// preview again, and the list previewed again starts as usual.
	app.syncIndex(t)
	visit(t, page, app, "/index")
	must(t, expect.Locator(page.Locator("#index-progress-label")).ToHaveText("Complete"))
	if value, maxValue := progressOf(t, bar); value != maxValue {
		t.Errorf("the bar is at %d of %d once the index is complete", value, maxValue)
	}
	openBulkForm(t, page, app)
	must(t, listInput(page).Fill("ada@example.com\n(217) 555-0123"))
	setFlag(t, page, "Marketing updates", "Off")
	previewList(t, page)
	must(t, expect.Locator(page.Locator("[data-preview-index-note]")).ToHaveCount(0))
	must(t, expect.Locator(page.Locator("[data-skip-unmatched]")).ToHaveCount(0))
	expectPreviewCounts(t, page, map[string]string{"change": "1", "unchanged": "1", "unmatched": "0"})
	startJob(t, page, "Start the job")
	expectDone(t, page, 2, 10*time.Second)
}

// progressOf reads a <progress>'s value and max.
func progressOf(t testing.TB, bar playwright.Locator) (value, maxValue int64) {
	t.Helper()
	v, err := bar.GetAttribute("value")
	must(t, err)
	m, err := bar.GetAttribute("max")
	must(t, err)
	value, err = strconv.ParseInt(v, 10, 64)
	must(t, err)
	maxValue, err = strconv.ParseInt(m, 10, 64)
	must(t, err)
	return value, maxValue
}
