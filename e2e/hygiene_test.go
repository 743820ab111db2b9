package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
)

// hygieneCount is a section's total on /hygiene.
func hygieneCount(page playwright.Page, section string) playwright.Locator {
	return page.Locator(`[data-hygiene-count="` + section + `"]`)
}

// readCount reads a section's total as a number.
func readCount(t testing.TB, page playwright.Page, section string) int {
	t.Helper()
	s, err := hygieneCount(page, section).TextContent()
	must(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("%s count %q is not a number", section, s)
	}
	return n
}

// The report over a generated tenant, then one placeholder number removed
// through Fix in bulk to the end of its job: the person keeps one line of
// the list, the job removes that contact and no other, and the report
// counts one fewer.
func TestHygieneFixAPlaceholderInBulk(t *testing.T) {
	app := startApp(t, withBulk(60, 0))
	page := newCheckedPage(t)
	visit(t, page, app, "/hygiene")
	expectH1(t, page, "Contact hygiene")
	for _, section := range []string{"placeholder-phone", "placeholder-email", "invalid", "shared", "unreachable"} {
		must(t, expect.Locator(hygieneCount(page, section)).ToHaveText(regexpDigits))
	}
	before := readCount(t, page, "placeholder-phone")
	if before < 2 {
		t.Fatalf("the generated tenant has %d placeholder numbers; the test needs 2", before)
	}
	if n := readCount(t, page, "shared"); n == 0 {
		t.Errorf("the generated tenant's shared emails are not reported")
	}
	rows := page.Locator(`tr[data-hygiene="placeholder-phone"]`)
	must(t, expect.Locator(rows).ToHaveCount(min(before, 25)))
	first := rows.First()
	contactID, err := first.GetAttribute("data-contact-id")
	must(t, err)
	customerID, err := first.GetAttribute("data-customer-id")
	must(t, err)
	second, err := rows.Nth(1).GetAttribute("data-contact-id")
	must(t, err)
	secondCustomer, err := rows.Nth(1).GetAttribute("data-customer-id")
	must(t, err)
	checkA11y(t, page)

	// Fix in bulk: the list holds the section's contacts, Remove is chosen.
	must(t, page.Locator(`[data-hygiene-fix="placeholder-phone"]`).Click())
	expectH1(t, page, "Bulk changes")
	must(t, expect.Locator(page.Locator("[data-bulk-source]")).ToContainText("Placeholder phone numbers"))
	must(t, expect.Locator(byLabel(page, "Remove the contacts")).ToBeChecked())
	list, err := listInput(page).InputValue()
	must(t, err)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != before+1 || lines[0] != "contact id,customer id" || lines[1] != contactID+","+customerID {
		t.Fatalf("the list: %d lines, starting %q", len(lines), lines[:min(2, len(lines))])
	}
	checkA11y(t, page)
	// Keep one contact's line: the others stay as they are.
	must(t, listInput(page).Fill(lines[0]+"\n"+lines[1]+"\n"))
	previewList(t, page)
	expectPreviewCounts(t, page, map[string]string{"change": "1", "unchanged": "0", "unmatched": "0", "invalid": "0"})
	must(t, byLabel(page, "Type 1 to remove 1 contact").Fill("1"))
	startJob(t, page, "Remove the contacts")
	expectDone(t, page, 1, 10*time.Second)
	expectJobCounts(t, page, map[string]string{"changed": "1", "failed": "0", "skipped": "0", "remaining": "0"})

	cust, _ := strconv.ParseInt(customerID, 10, 64)
	gone, _ := strconv.ParseInt(contactID, 10, 64)
	kept, _ := strconv.ParseInt(second, 10, 64)
	keptCustomer, _ := strconv.ParseInt(secondCustomer, 10, 64)
	if _, ok := app.SB.Contact(cust, gone); ok {
		t.Errorf("contact %d is still in ServiceTitan", gone)
	}
	if n := deletes(app); n != 1 {
		t.Errorf("%d DELETEs, want 1", n)
	}
	visit(t, page, app, "/hygiene")
	must(t, expect.Locator(hygieneCount(page, "placeholder-phone")).ToHaveText(strconv.Itoa(before-1)))
	must(t, expect.Locator(page.Locator(`tr[data-hygiene="placeholder-phone"][data-contact-id="`+contactID+`"]`)).ToHaveCount(0))
	must(t, expect.Locator(page.Locator(`tr[data-hygiene="placeholder-phone"][data-contact-id="`+second+`"]`)).ToHaveCount(1))
	if _, ok := app.SB.Contact(keptCustomer, kept); !ok {
		t.Errorf("contact %d, left out of the list, was removed", kept)
	}

	// The section's CSV holds the rows left.
	resp, err := page.Request().Get(app.URL + "/hygiene.csv?section=placeholder-phone")
	must(t, err)
	body, err := resp.Text()
	must(t, err)
	if resp.Status() != http.StatusOK || strings.Count(strings.TrimSpace(body), "\n") != before-1 {
		t.Errorf("the CSV: %d, %d lines after the header", resp.Status(), strings.Count(strings.TrimSpace(body), "\n"))
	}
}

var regexpDigits = regexp.MustCompile(`^\d+$`)

// hygieneScreenshot takes TestScreenshots' picture of the hygiene report
// over a generated tenant.
func hygieneScreenshot(t testing.TB, page playwright.Page, shoot func(page playwright.Page, name, file string)) {
	t.Helper()
	app := startApp(t, withBulk(200, 0))
	visit(t, page, app, "/hygiene")
	expectH1(t, page, "Contact hygiene")
	must(t, expect.Locator(hygieneCount(page, "placeholder-phone")).ToHaveText(regexpDigits))
	shoot(page, "hygiene report", "hygiene.png")
}
