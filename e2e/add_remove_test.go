package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// The add and remove forms post here.
var (
	addURL    = regexp.MustCompile(`/customers/\d+/contacts$`)
	removeURL = regexp.MustCompile(`/customers/\d+/contacts/\d+/delete$`)
	undoURL   = regexp.MustCompile(`/customers/\d+/contacts/undo$`)
)

// submitTo runs action and returns the answer to the POST to a URL that
// matches target.
func submitTo(t testing.TB, page playwright.Page, target *regexp.Regexp, action func() error) playwright.Response {
	t.Helper()
	resp, err := page.ExpectResponse(target, action)
	if err != nil {
		t.Fatalf("submitting: %v", err)
	}
	if m := resp.Request().Method(); m != "POST" {
		t.Fatalf("first response after submitting is a %s %s, want the POST", m, resp.URL())
	}
	return resp
}

func creates(app *testApp) int { return app.SB.Requests(sandbox.OpCreateContact) }
func deletes(app *testApp) int { return app.SB.Requests(sandbox.OpDeleteContact) }

// message is the one-time message that says text.
func message(page playwright.Page, text string) playwright.Locator {
	return page.GetByRole("status").Filter(playwright.LocatorFilterOptions{HasText: text})
}

func addContactLink(page playwright.Page) playwright.Locator { return link(page, "Add contact") }
func addButton(page playwright.Page) playwright.Locator      { return button(page, "Add contact") }

// Keyboard only: from the customer page to a new contact, reading order
// and visible focus all the way.
func TestAddContactWithTheKeyboard(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)
	visit(t, page, app, "/customers/10000001")
	expectH1(t, page, "Ada Lovelace")
	tabTo(t, page, addContactLink(page))
	must(t, page.Keyboard().Press("Enter"))
	expectH1(t, page, "Add contact")
	must(t, expect.Locator(typeSelect(page)).ToHaveValue("MobilePhone"))
	must(t, expect.Locator(byLabel(page, "Job reminders")).ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Marketing updates")).Not().ToBeChecked())
	must(t, expect.Locator(byLabel(page, "Invoices and statements")).ToBeChecked())
	checkA11y(t, page)

	tabTo(t, page, valueInput(page))
	expectVisibleFocus(t, page)
	must(t, page.Keyboard().Type("(217) 555-0142"))
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(memoInput(page)).ToBeFocused())
	must(t, page.Keyboard().Type("New cell"))
	must(t, page.Keyboard().Press("Tab"))
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(byLabel(page, "Marketing updates")).ToBeFocused())
	must(t, page.Keyboard().Press("Space"))
	tabTo(t, page, addButton(page))
	expectVisibleFocus(t, page)
	resp := submitTo(t, page, addURL, func() error { return page.Keyboard().Press("Enter") })
	expectStatus(t, resp, http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": "2175550142", "memo": "New cell", "preferences.marketingUpdatesEnabled": "true"})
	must(t, expect.Locator(message(page, "Contact added")).ToHaveCount(1))
	checkA11y(t, page)
	if creates(app) != 1 {
		t.Errorf("%d creates, want 1", creates(app))
	}
}

// tabTo presses Tab until target has the focus.
func tabTo(t testing.TB, page playwright.Page, target playwright.Locator) {
	t.Helper()
	for range 40 {
		if focused, _ := target.Evaluate("el => el === document.activeElement", nil); focused == true {
			return
		}
		must(t, page.Keyboard().Press("Tab"))
	}
	must(t, expect.Locator(target).ToBeFocused())
}

// A number the customer already has: 409, the message next to the value,
// a link to the contact that has it, and what was typed kept.
func TestAddingADuplicateSaysWhichContactHasIt(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)
	visit(t, page, app, "/customers/10000001/contacts/new")
	must(t, valueInput(page).Fill("217.555.0123"))
	must(t, memoInput(page).Fill("Home again"))
	expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusConflict)
	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	expectFieldError(t, page, valueInput(page), "This customer already has this number")
	must(t, expect.Locator(valueInput(page)).ToHaveValue("217.555.0123"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Home again"))
	checkA11y(t, page)
	must(t, link(page, "Open the contact that has it").Click())
	expectRecord(t, page, map[string]string{"value": sandbox.SeedDoNotTextValue})
	if creates(app) != 0 {
		t.Errorf("%d creates, want none", creates(app))
	}
}

// Remove with the confirmation, then Undo: the same contact comes back.
func TestRemoveThenUndo(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)
	visit(t, page, app, "/customers/10000001")
	must(t, contactRow(page, "ada@example.com").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Remove ada@example.com"}).Click())
	expectH1(t, page, "Remove this contact?")
	must(t, expect.Locator(recordField(page, "value")).ToHaveText("ada@example.com"))
	must(t, expect.Locator(page.Locator("[data-last-warning]")).ToContainText("last email address"))
	checkA11y(t, page)

	expectStatus(t, submitTo(t, page, removeURL, click(button(page, "Remove contact"))), http.StatusSeeOther)
	expectH1(t, page, "Ada Lovelace")
	must(t, expect.Locator(message(page, "Contact removed")).ToHaveCount(1))
	must(t, expect.Locator(contactRow(page, "ada@example.com")).ToHaveCount(0))
	checkA11y(t, page)
	if deletes(app) != 1 {
		t.Errorf("%d deletes, want 1", deletes(app))
	}

	expectStatus(t, submitTo(t, page, undoURL, click(button(page, "Undo"))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": "ada@example.com", "memo": "Personal", "preferences.marketingUpdatesEnabled": "true"})
	must(t, expect.Locator(message(page, "Contact restored")).ToHaveCount(1))
	must(t, expect.Locator(page.Locator(`[data-history] [data-action="create"]`)).ToHaveCount(1))
	checkA11y(t, page)
}

// A double click on Add makes one contact, with and without JavaScript.
func TestDoubleClickAddMakesOneContact(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "with JavaScript", false: "without JavaScript"}[js], func(t *testing.T) {
			app := startApp(t)
			var opts []pageOption
			if !js {
				opts = append(opts, withJavaScriptDisabled())
			}
			page := newCheckedPage(t, opts...)
			posts := countPosts(page)
			visit(t, page, app, "/customers/10000001/contacts/new")
			must(t, valueInput(page).Fill("2175550161"))
			app.SB.SetLatency(300 * time.Millisecond)
			must(t, addButton(page).Dblclick())
			must(t, expect.Locator(message(page, "Contact added")).ToHaveCount(1))
			app.SB.SetLatency(0)
			held := 0
			for _, ct := range app.SB.Contacts(sandbox.SeedCustomerID) {
				if ct.Value == "2175550161" {
					held++
				}
			}
			if held != 1 || creates(app) != 1 {
				t.Errorf("%d contacts hold the number after %d creates; want 1 and 1", held, creates(app))
			}
			t.Logf("the browser posted the form %d time(s)", posts())
		})
	}
}

// Without JavaScript: add, then remove, then undo, all plain forms.
func TestAddAndRemoveWithoutJavaScript(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t, withJavaScriptDisabled())
	visit(t, page, app, "/customers/10000001")
	must(t, addContactLink(page).Click())
	must(t, valueInput(page).Fill("ada.work@example"))
	_, err := typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Email"}})
	must(t, err)
	expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusUnprocessableEntity)
	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	checkA11y(t, page)
	must(t, valueInput(page).Fill("ada.work@example.com"))
	expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": "ada.work@example.com", "type": "Email"})
	must(t, link(page, "Remove contact").Click())
	expectStatus(t, submitTo(t, page, removeURL, click(button(page, "Remove contact"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Contact removed")).ToHaveCount(1))
	expectStatus(t, submitTo(t, page, undoURL, click(button(page, "Undo"))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": "ada.work@example.com"})
	if c, d := creates(app), deletes(app); c != 2 || d != 1 {
		t.Errorf("%d creates, %d deletes; want 2 and 1", c, d)
	}
	if !strings.Contains(page.URL(), "/customers/10000001/contacts/") {
		t.Errorf("ended on %s", page.URL())
	}
}
