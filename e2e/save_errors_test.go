package e2e

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// A memo as long as ServiceTitan refuses: 300 characters.
var longMemo = strings.Repeat("Call the side door, the bell is broken. ", 8)[:300]

// Invalid input never reaches ServiceTitan: an email address without a
// domain and a memo over 255 characters come back as 422 with each message
// next to its field, the summary focused and everything typed kept. Fixing
// both saves.
func TestInvalidInputShowsErrorsNextToFields(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedEmailContactID)
	must(t, expect.Locator(valueInput(page)).ToHaveValue("ada@example.com"))
	must(t, expect.Locator(page.Locator("#error-summary")).ToHaveCount(0))
	// The value input follows the type (the phone keypad for numbers).
	must(t, expect.Locator(valueInput(page)).ToHaveAttribute("type", "email"))
	_, err := typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Mobile"}})
	must(t, err)
	must(t, expect.Locator(valueInput(page)).ToHaveAttribute("type", "tel"))
	_, err = typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Email"}})
	must(t, err)
	must(t, expect.Locator(valueInput(page)).ToHaveAttribute("type", "email"))

	must(t, valueInput(page).Fill("ada@@example"))
	must(t, memoInput(page).Fill(longMemo))
	resp := submit(t, page, click(saveButton(page)))
	expectStatus(t, resp, http.StatusUnprocessableEntity)

	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	must(t, expect.Locator(errorSummary(page)).ToHaveRole("alert"))
	must(t, expect.Page(page).ToHaveTitle(regexp.MustCompile(`^Error: `)))
	summaryLinks := errorSummary(page).GetByRole("link")
	must(t, expect.Locator(summaryLinks).ToHaveText([]string{
		"Enter an email address like name@example.com.",
		"Memo must be 255 characters or fewer; it has 300.",
	}))
	must(t, expect.Locator(summaryLinks.First()).ToHaveAttribute("href", "#field-value"))
	must(t, expect.Locator(summaryLinks.Last()).ToHaveAttribute("href", "#field-memo"))
	expectFieldError(t, page, valueInput(page), "Enter an email address like name@example.com.")
	expectFieldError(t, page, memoInput(page), "Memo must be 255 characters or fewer; it has 300.")
	must(t, expect.Locator(typeSelect(page)).Not().ToHaveAttribute("aria-invalid", "true"))
	// What was typed is all still there.
	must(t, expect.Locator(valueInput(page)).ToHaveValue("ada@@example"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue(longMemo))
	must(t, expect.Locator(typeSelect(page)).ToHaveValue("Email"))
	must(t, expect.Locator(byLabel(page, "Marketing updates")).ToBeChecked())
	checkA11y(t, page)
	expectPatches(t, app, 0)

	must(t, valueInput(page).Fill("ada.lovelace@example.com"))
	must(t, memoInput(page).Fill("Personal; invoices too"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{
		"type":  "Email",
		"value": "ada.lovelace@example.com",
		"memo":  "Personal; invoices too",
	})
	must(t, expect.Locator(recordField(page, "phoneSettings.doNotText")).ToHaveCount(0))
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	expectPatches(t, app, 1)
}

// fieldText is a form field, found by its label, and the text it holds.
type fieldText struct{ label, text string }

// saveFault is one way ServiceTitan fails a save the form sent, and what the
// form must show for it.
type saveFault struct {
	name    string
	contact int64       // the mobile or the email contact of sandbox.SeedCustomerID
	fill    []fieldText // typed before the save, and still there after it
	tick    []string    // checkboxes ticked before the save, still ticked after
	fault   sandbox.Fault
	status  int // the POST's answer; 0 accepts any 5xx (which one is the app's choice)

	// ServiceTitan's per-field errors: the error summary's links, the
	// message next to the field it names, and the fields it leaves alone.
	summary    []string
	fieldError fieldText
	valid      []string

	// The alert saying nothing was saved ("" heading: the row has none).
	heading   string
	alertSays []string

	reference string      // the trace id shown for support
	retry     bool        // a "Try again" button is offered
	unchanged []fieldText // fields not typed in, still as the form opened
	notShown  []string    // words of ServiceTitan's answer staff must not see

	// Once ServiceTitan answers again: the button that saves the same
	// input and the record it shows ("": the row ends at the failed save).
	saveWith string
	saved    map[string]string
}

// A save that ServiceTitan refuses or fails: the form comes back with the
// error status, says what went wrong, keeps everything typed and sends one
// PATCH; where trying again can help, it saves once ServiceTitan answers.
func TestFailedSaveKeepsInput(t *testing.T) {
	for _, tc := range []saveFault{
		{
			// ServiceTitan's own 400 (an RFC 7807 problem with per-field
			// errors) is shown next to the field it names, with the
			// reference for support.
			name:    "ServiceTitan's validation error shown next to the field",
			contact: sandbox.SeedEmailContactID,
			fill:    []fieldText{{"Memo", "Only after 6pm"}},
			fault: sandbox.Fault{
				Operation: sandbox.OpUpdateContact,
				Times:     1,
				Status:    http.StatusBadRequest,
				Body:      `{"title":"One or more validation errors occurred.","status":400,"traceId":"abc","errors":{"Memo":["Memo is not allowed."]}}`,
			},
			status:     http.StatusUnprocessableEntity,
			summary:    []string{"Memo is not allowed."},
			fieldError: fieldText{"Memo", "Memo is not allowed."},
			valid:      []string{"Value"},
			reference:  "abc",
			// The fault was for one request: the same input saves now.
			saveWith: "Save",
			saved:    map[string]string{"memo": "Only after 6pm"},
		},
		{
			// A contact deleted in ServiceTitan while the form was open:
			// the page says plainly that nothing was saved, and the typed
			// input is still there to copy.
			name:    "contact gone while editing",
			contact: sandbox.SeedMobileContactID,
			fill:    []fieldText{{"Value", "(217) 555-0150"}, {"Memo", "New cell since March"}},
			fault: sandbox.Fault{
				Operation: sandbox.OpUpdateContact,
				Status:    http.StatusNotFound,
				Body:      `{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.4","title":"Contact not found","status":404,"traceId":"gone-404"}`,
			},
			status:  http.StatusNotFound,
			heading: "Not found",
			alertSays: []string{
				"ServiceTitan has no contact with ID 20000001.",
				"Your input is still below so you can copy it.",
				"Reference: gone-404",
			},
			reference: "gone-404",
			retry:     false, // trying again cannot help
		},
		{
			// ServiceTitan down (a gateway's 503 HTML page): "Try again"
			// saves once ServiceTitan is back.
			name:    "ServiceTitan unavailable, then try again",
			contact: sandbox.SeedMobileContactID,
			fill:    []fieldText{{"Memo", "Gate code 4321"}},
			tick:    []string{"Marketing updates"},
			fault: sandbox.Fault{
				Operation:   sandbox.OpUpdateContact,
				Status:      http.StatusServiceUnavailable,
				Body:        "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>",
				ContentType: "text/html",
			},
			status:    0, // some 5xx
			heading:   "ServiceTitan is unavailable",
			alertSays: []string{"NOT saved"},
			retry:     true,
			unchanged: []fieldText{{"Value", "(217) 555-0177"}},
			notShown:  []string{"nginx"}, // the gateway's page
			saveWith:  "Try again",
			saved: map[string]string{
				"memo":                                "Gate code 4321",
				"preferences.marketingUpdatesEnabled": "true",
				"value":                               sandbox.SeedMobileValue,
			},
		},
		{
			// ServiceTitan's rate limit with a long Retry-After surfaces
			// at once (it is not waited out) and the page says when to
			// try again.
			name:    "rate limited save says when to retry",
			contact: sandbox.SeedMobileContactID,
			fill:    []fieldText{{"Memo", "Busy signal"}},
			fault: sandbox.Fault{
				Operation:  sandbox.OpUpdateContact,
				Times:      1,
				Status:     http.StatusTooManyRequests,
				RetryAfter: "30",
				Body:       `{"title":"Too many requests","status":429,"traceId":"slow-down"}`,
			},
			status:    http.StatusTooManyRequests,
			heading:   "ServiceTitan is busy",
			alertSays: []string{"Try again in 30 seconds."},
			reference: "slow-down",
			retry:     true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) { runSaveFault(t, tc) })
	}
}

// runSaveFault opens the contact's edit form in a fresh app and browser
// context, types and ticks, makes ServiceTitan fail with tc.fault, saves,
// and checks the page, the input and the PATCHes as tc says.
func runSaveFault(t *testing.T, tc saveFault) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, tc.contact)
	for _, f := range tc.fill {
		must(t, byLabel(page, f.label).Fill(f.text))
	}
	for _, label := range tc.tick {
		must(t, byLabel(page, label).Check())
	}
	app.SB.InjectFault(tc.fault)
	resp := submit(t, page, click(saveButton(page)))
	if tc.status != 0 {
		expectStatus(t, resp, tc.status)
	} else if resp.Status() < 500 {
		t.Fatalf("save while ServiceTitan fails answered %d, want a 5xx", resp.Status())
	}

	if tc.summary != nil {
		must(t, expect.Locator(errorSummary(page)).ToBeFocused())
		must(t, expect.Locator(errorSummary(page).GetByRole("link")).ToHaveText(tc.summary))
		expectFieldError(t, page, byLabel(page, tc.fieldError.label), tc.fieldError.text)
	}
	for _, label := range tc.valid {
		must(t, expect.Locator(byLabel(page, label)).Not().ToHaveAttribute("aria-invalid", "true"))
	}
	if tc.heading != "" {
		alert := notSavedAlert(page)
		must(t, expect.Locator(alert).ToBeVisible())
		must(t, expect.Locator(alert).ToHaveRole("alert"))
		must(t, expect.Locator(alert.Locator("[data-not-saved]")).ToHaveText("Your changes were NOT saved."))
		must(t, expect.Locator(alert.GetByRole("heading")).ToHaveText(tc.heading))
		for _, s := range tc.alertSays {
			must(t, expect.Locator(alert).ToContainText(s))
		}
	}
	if tc.reference != "" {
		must(t, expect.Locator(page.GetByText("Reference: "+tc.reference)).ToBeVisible())
	}
	retry := button(page, "Try again")
	if tc.retry {
		must(t, expect.Locator(retry).ToBeVisible())
	} else {
		must(t, expect.Locator(retry).ToHaveCount(0))
	}
	// What was typed, ticked or left alone is all still there.
	for _, f := range slices.Concat(tc.fill, tc.unchanged) {
		must(t, expect.Locator(byLabel(page, f.label)).ToHaveValue(f.text))
	}
	for _, label := range tc.tick {
		must(t, expect.Locator(byLabel(page, label)).ToBeChecked())
	}
	for _, s := range tc.notShown {
		must(t, expect.Locator(page.GetByText(s)).ToHaveCount(0))
	}
	checkA11y(t, page)
	expectPatches(t, app, 1)

	if tc.saveWith != "" {
		app.SB.ClearFaults()
		expectStatus(t, submit(t, page, click(button(page, tc.saveWith))), http.StatusSeeOther)
		expectRecord(t, page, tc.saved)
		must(t, expect.Locator(flash(page)).ToHaveCount(1))
		expectPatches(t, app, 2)
	}
}

// An unknown customer gets a 404 page that says so in words; so do a
// malformed id and an unknown address.
func TestNotFoundPages(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)

	for _, tc := range []struct {
		path, heading, message string
	}{
		{"/customers/99999999", "Not found", "ServiceTitan has no customer with ID 99999999. It may have been deleted or merged into another record."},
		{"/customers/10000001/contacts/29999999", "Not found", "ServiceTitan has no contact with ID 29999999 for Ada Lovelace."},
		{"/customers/not-a-number", "Not found", `There is no customer with the ID "not-a-number".`},
		{"/no/such/page", "Page not found", "There is no page at this address."},
	} {
		resp := visit(t, page, app, tc.path)
		expectStatus(t, resp, http.StatusNotFound)
		expectH1(t, page, tc.heading)
		must(t, expect.Page(page).ToHaveTitle(regexp.MustCompile(`(?i)not found`)))
		must(t, expect.Locator(page.Locator("main")).ToContainText(tc.message))
		must(t, expect.Locator(page.GetByRole("main").GetByRole("link")).ToHaveCount(1))
		checkA11y(t, page)
	}
	// The way out works.
	must(t, link(page, "Back to search").Click())
	expectH1(t, page, "Find a customer")
}

// Changing the landline to the number the mobile already has: ServiceTitan
// answers 409, its explanation is shown next to Value, nothing is saved and
// the typed number stays.
func TestDuplicateValueConflictKeepsInput(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
	must(t, expect.Locator(typeSelect(page)).ToHaveValue("Phone"))
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0123"))
	must(t, expect.Locator(page.Locator("#texting-status")).ToContainText("Opted out"))
	must(t, valueInput(page).Fill("(217) 555-0177"))
	resp := submit(t, page, click(saveButton(page)))
	expectStatus(t, resp, http.StatusConflict)

	const explanation = "A contact with this value already exists for this customer."
	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	must(t, expect.Locator(errorSummary(page)).ToContainText(explanation))
	expectFieldError(t, page, valueInput(page), explanation)
	alert := notSavedAlert(page)
	must(t, expect.Locator(alert).ToBeVisible())
	must(t, expect.Locator(alert.GetByRole("heading")).ToHaveText("ServiceTitan refused the change"))
	must(t, expect.Locator(alert).ToContainText(explanation))
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0177"))
	must(t, expect.Locator(typeSelect(page)).ToHaveValue("Phone"))
	checkA11y(t, page)
	expectPatches(t, app, 1)

	stored, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID)
	if stored.Value != sandbox.SeedDoNotTextValue {
		t.Errorf("the landline was changed to %q", stored.Value)
	}
}

// The answer to a save is lost after ServiceTitan applied it: the app checks
// instead of sending the change again, and says so.
func TestLostSaveAnswerIsCheckedNotResent(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	must(t, memoInput(page).Fill("Lost and found"))
	app.SB.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, AfterApply: true, DropConnection: true})
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"memo": "Lost and found"})
	must(t, expect.Locator(page.Locator("[data-notice]")).ToHaveText(
		"ServiceTitan's confirmation was lost on the way, so we checked: your change is there."))
	checkA11y(t, page)
	expectPatches(t, app, 1)
}

// Saving an untouched form sends nothing and says so.
func TestSavingWithoutChangesSendsNothing(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	// The same number typed another way is no change either.
	must(t, valueInput(page).Fill("+1 217 555 0177"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": sandbox.SeedMobileValue, "memo": "Cell"})
	must(t, expect.Locator(page.GetByRole("status").Filter(playwright.LocatorFilterOptions{HasText: "No changes to save."})).ToBeVisible())
	must(t, expect.Locator(flash(page)).ToHaveCount(0))
	expectPatches(t, app, 0)
}

// A gateway in front of ServiceTitan times out (504) after ServiceTitan has
// stored the change: the answer to the save was lost, exactly like a dropped
// connection, so the app must check the contact instead of telling staff
// their change was NOT saved. (Telling them so is false, and "Try again" then
// reports a conflict with "someone else" — their own saved change.)
func TestGatewayTimeoutAfterServiceTitanSavedIsCheckedNotReportedAsNotSaved(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	must(t, memoInput(page).Fill("Saved behind a slow gateway"))
	app.SB.InjectFault(sandbox.Fault{
		Operation:   sandbox.OpUpdateContact,
		Times:       1,
		AfterApply:  true, // ServiceTitan stores the change; the gateway answers 504
		Status:      http.StatusGatewayTimeout,
		Body:        "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>",
		ContentType: "text/html",
	})
	resp := submit(t, page, click(saveButton(page)))
	stored, _ := app.SB.Contact(sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	if stored.Memo != "Saved behind a slow gateway" {
		t.Fatalf("setup: the sandbox did not apply the change (memo %q)", stored.Memo)
	}
	expectPatches(t, app, 1)

	must(t, expect.Page(page).ToHaveURL(app.url(recordPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))))
	quick := playwright.LocatorAssertionsToHaveCountOptions{Timeout: playwright.Float(1000)}
	if err := expect.Locator(page.Locator("[data-record]")).ToHaveCount(1, quick); err != nil {
		said, _ := page.Locator("main").InnerText()
		t.Fatalf("BUG: the save was stored in ServiceTitan but the app answered %d and said:\n%s\nwant: a re-read, then the record with "+
			"\"ServiceTitan's confirmation was lost on the way, so we checked: your change is there.\"", resp.Status(), firstLines(said, 4))
	}
	expectRecord(t, page, map[string]string{"memo": "Saved behind a slow gateway"})
	must(t, expect.Locator(page.Locator("[data-notice]")).ToContainText("your change is there"))
	expectPatches(t, app, 1)
}

// firstLines is the first n non-empty lines of s, for messages.
func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && len(out) < n {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
