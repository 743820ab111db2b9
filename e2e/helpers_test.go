package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// must fails the test at once on err (a failed action or web-first
// assertion: nothing after it would make sense).
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// check reports err without stopping the test, for independent assertions.
func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Error(err)
	}
}

// visit opens path on app and returns the main document's response.
func visit(t testing.TB, page playwright.Page, app *testApp, path string) playwright.Response {
	t.Helper()
	resp, err := page.Goto(app.url(path))
	if err != nil {
		t.Fatalf("goto %s: %v", path, err)
	}
	if resp == nil {
		t.Fatalf("goto %s: no response", path)
	}
	return resp
}

func editPath(customerID, contactID int64) string {
	return fmt.Sprintf("/customers/%d/contacts/%d/edit", customerID, contactID)
}

func recordPath(customerID, contactID int64) string {
	return fmt.Sprintf("/customers/%d/contacts/%d", customerID, contactID)
}

// Locators as people find things: by label, role and accessible name.

func byLabel(page playwright.Page, text string) playwright.Locator {
	return page.GetByLabel(text, playwright.PageGetByLabelOptions{Exact: playwright.Bool(true)})
}

func button(page playwright.Page, name string) playwright.Locator {
	return page.GetByRole("button", playwright.PageGetByRoleOptions{Name: name, Exact: playwright.Bool(true)})
}

func link(page playwright.Page, name string) playwright.Locator {
	return page.GetByRole("link", playwright.PageGetByRoleOptions{Name: name, Exact: playwright.Bool(true)})
}

func h1(page playwright.Page) playwright.Locator {
	return page.GetByRole("heading", playwright.PageGetByRoleOptions{Level: playwright.Int(1)})
}

func searchBox(page playwright.Page) playwright.Locator {
	return page.GetByRole("searchbox", playwright.PageGetByRoleOptions{Name: "Name, phone number, email, address or ID"})
}

// The edit form's controls.
func typeSelect(page playwright.Page) playwright.Locator { return byLabel(page, "Type") }
func valueInput(page playwright.Page) playwright.Locator { return byLabel(page, "Value") }
func memoInput(page playwright.Page) playwright.Locator  { return byLabel(page, "Memo") }
func saveButton(page playwright.Page) playwright.Locator { return button(page, "Save") }

// The page-level parts of the form's outcomes.
func errorSummary(page playwright.Page) playwright.Locator { return page.Locator("#error-summary") }
func notSavedAlert(page playwright.Page) playwright.Locator {
	return page.Locator("[data-alert]").Filter(playwright.LocatorFilterOptions{Has: page.Locator("[data-not-saved]")})
}

// expectH1 waits for the page's one <h1> to read text.
func expectH1(t testing.TB, page playwright.Page, text string) {
	t.Helper()
	must(t, expect.Locator(h1(page)).ToHaveText(text))
}

// expectEditForm waits for the edit form.
func expectEditForm(t testing.TB, page playwright.Page) {
	t.Helper()
	expectH1(t, page, "Edit contact")
	must(t, expect.Locator(saveButton(page)).ToBeVisible())
}

// openEditForm visits a contact's edit form and waits until it is shown.
func openEditForm(t testing.TB, page playwright.Page, app *testApp, customerID, contactID int64) {
	t.Helper()
	visit(t, page, app, editPath(customerID, contactID))
	expectEditForm(t, page)
}

// startAtEditForm starts the app and opens a contact's edit form on a
// checked page (newCheckedPage).
func startAtEditForm(t testing.TB, customerID, contactID int64) (*testApp, playwright.Page) {
	t.Helper()
	app := startApp(t)
	page := newCheckedPage(t)
	openEditForm(t, page, app, customerID, contactID)
	return app, page
}

// search types q into the search box and presses Enter.
func search(t testing.TB, page playwright.Page, q string) {
	t.Helper()
	box := searchBox(page)
	must(t, box.Fill(q))
	must(t, box.Press("Enter"))
	// Wait for the new results page, not the one already on screen.
	must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/customers\?q=`+regexp.QuoteMeta(url.QueryEscape(q))+`$`)))
	must(t, expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Name: "Results"})).ToBeVisible())
	must(t, expect.Locator(searchBox(page)).ToHaveValue(q))
}

// results is the list of search results.
func results(page playwright.Page) playwright.Locator {
	return page.GetByRole("region", playwright.PageGetByRoleOptions{Name: "Results"}).GetByRole("listitem")
}

// contactRow is the customer page's row for the contact shown as value.
func contactRow(page playwright.Page, value string) playwright.Locator {
	return page.GetByRole("table", playwright.PageGetByRoleOptions{Name: "Contacts", Exact: playwright.Bool(true)}).
		GetByRole("row").
		Filter(playwright.LocatorFilterOptions{Has: page.GetByRole("rowheader", playwright.PageGetByRoleOptions{Name: value, Exact: playwright.Bool(true)})})
}

// recordField is the record page's value for an API path ("memo",
// "preferences.jobRemindersEnabled"); its data-value is the raw API value.
func recordField(page playwright.Page, field string) playwright.Locator {
	return page.Locator(fmt.Sprintf(`[data-record] [data-field=%q], [data-preferences] [data-field=%q]`, field, field))
}

// expectRecord waits for the record page and checks the raw value of each
// field.
func expectRecord(t testing.TB, page playwright.Page, want map[string]string) {
	t.Helper()
	must(t, expect.Locator(page.Locator("[data-record]")).ToBeVisible())
	fields := make([]string, 0, len(want))
	for f := range want {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	ok := true
	for _, f := range fields {
		if err := expect.Locator(recordField(page, f)).ToHaveAttribute("data-value", want[f]); err != nil {
			t.Errorf("record field %s: %v", f, err)
			ok = false
		}
	}
	if !ok {
		t.FailNow()
	}
}

// flash is the one-time "Contact updated" message (a status message, so
// screen readers announce it).
func flash(page playwright.Page) playwright.Locator {
	return page.GetByRole("status").Filter(playwright.LocatorFilterOptions{HasText: regexp.MustCompile(`^\s*Contact updated\s*$`)})
}

// expectFieldError checks that control (found by its label) is marked
// invalid and that one of the elements its aria-describedby names, the
// message placed with the field, says msg.
func expectFieldError(t testing.TB, page playwright.Page, control playwright.Locator, msg string) {
	t.Helper()
	must(t, expect.Locator(control).ToHaveAttribute("aria-invalid", "true"))
	must(t, expect.Locator(control).ToHaveAttribute("aria-describedby", regexp.MustCompile(`\S`)))
	describedBy, err := control.GetAttribute("aria-describedby")
	must(t, err)
	var sel []string
	for _, id := range strings.Fields(describedBy) {
		sel = append(sel, "[id="+fmt.Sprintf("%q", id)+"]")
	}
	described := page.Locator(strings.Join(sel, ", ")).Filter(playwright.LocatorFilterOptions{HasText: msg})
	if err := expect.Locator(described).ToHaveCount(1); err != nil {
		t.Fatalf("no element named by aria-describedby=%q says %q: %v", describedBy, msg, err)
	}
	// The message also sits in the field's own block, between label and
	// control, not only somewhere on the page.
	field := page.Locator(".field, .checkbox").Filter(playwright.LocatorFilterOptions{Has: control})
	must(t, expect.Locator(field.Last().Locator(".field-error")).ToContainText(msg))
}

// actionURL matches the URL the edit form posts to.
var actionURL = regexp.MustCompile(`/customers/\d+/contacts/\d+$`)

// submit runs action (a click or key press that submits the edit form) and
// returns the answer to the POST: 303 for a save, or the form again with
// its error status.
func submit(t testing.TB, page playwright.Page, action func() error) playwright.Response {
	t.Helper()
	resp, err := page.ExpectResponse(actionURL, action)
	if err != nil {
		t.Fatalf("submitting the form: %v", err)
	}
	if m := resp.Request().Method(); m != "POST" {
		t.Fatalf("first response after submitting is a %s %s, want the POST", m, resp.URL())
	}
	return resp
}

// click adapts a locator's Click to an action for submit.
func click(l playwright.Locator) func() error {
	return func() error { return l.Click() }
}

// expectStatus checks a response's status code.
func expectStatus(t testing.TB, resp playwright.Response, want int) {
	t.Helper()
	if resp.Status() != want {
		t.Fatalf("%s %s answered %d, want %d", resp.Request().Method(), resp.URL(), resp.Status(), want)
	}
}

// patches is how many PATCHes (Customers_UpdateContact) reached ServiceTitan.
func patches(app *testApp) int { return app.SB.Requests(sandbox.OpUpdateContact) }

// expectPatches checks the PATCH count.
func expectPatches(t testing.TB, app *testApp, want int) {
	t.Helper()
	if got := patches(app); got != want {
		t.Fatalf("ServiceTitan received %d contact update(s), want %d", got, want)
	}
}

// focusIndicatorJS describes document.activeElement and whether it shows a
// visible focus indicator (an outline or a box shadow).
const focusIndicatorJS = `() => {
	const el = document.activeElement;
	if (!el || el === document.body) return { name: 'body', visible: false };
	const s = getComputedStyle(el);
	const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
	const shadow = s.boxShadow !== '' && s.boxShadow !== 'none';
	const label = (el.labels && el.labels.length ? el.labels[0].textContent : el.textContent || '').trim();
	return {
		name: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + label + '"',
		visible: outline || shadow,
		style: 'outline: ' + s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor + '; box-shadow: ' + s.boxShadow,
	};
}`

// expectVisibleFocus checks that the focused element shows a focus
// indicator.
func expectVisibleFocus(t testing.TB, page playwright.Page) {
	t.Helper()
	raw, err := page.Evaluate(focusIndicatorJS)
	must(t, err)
	m, _ := raw.(map[string]interface{})
	if visible, _ := m["visible"].(bool); !visible {
		t.Errorf("focused element %v has no visible focus indicator (%v)", m["name"], m["style"])
	}
}
