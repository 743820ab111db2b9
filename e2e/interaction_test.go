package e2e

import (
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Keyboard only: Tab reaches every control of the edit form in reading
// order, each with a visible focus indicator; Enter in the memo adds a line
// and Enter in the value field saves.
func TestKeyboardOnlyEditing(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	checkA11y(t, page)

	// The form opens with the focus in the memo, its text selected: typing
	// replaces it.
	must(t, expect.Locator(memoInput(page)).ToBeFocused())
	selected, err := page.Evaluate(`() => { const m = document.activeElement; return m.selectionStart === 0 && m.selectionEnd === m.value.length && m.value.length > 0; }`)
	must(t, err)
	if selected != true {
		t.Error("the memo's text is not selected when the form opens")
	}

	// From the top of the page: the skip link comes first; then the site
	// header, whatever links it has; then the form. Every stop shows where
	// the focus is.
	_, err = page.Evaluate(`() => { const top = document.createElement('span'); top.tabIndex = -1; document.body.prepend(top); top.focus(); }`)
	must(t, err)
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(link(page, "Skip to main content")).ToBeFocused())
	expectVisibleFocus(t, page)
	for i := 0; ; i++ {
		if i == 15 {
			t.Fatal("Tab never reached the Type select")
		}
		must(t, page.Keyboard().Press("Tab"))
		expectVisibleFocus(t, page)
		where, err := page.Evaluate(`(sel) => {
			const el = document.activeElement;
			if (el === document.querySelector(sel)) return 'type';
			return el.closest('main') ? 'main' : 'chrome';
		}`, "#field-type")
		must(t, err)
		if where == "type" {
			break
		}
		if where != "chrome" {
			t.Fatal("Tab reached something in the page before the form's first control (Type)")
		}
	}

	order := []struct {
		name string
		loc  playwright.Locator
	}{
		{"Type", typeSelect(page)},
		{"Value", valueInput(page)},
		{"Memo", memoInput(page)},
		{"Job reminders", byLabel(page, "Job reminders")},
		{"Marketing updates", byLabel(page, "Marketing updates")},
		{"Invoices and statements", byLabel(page, "Invoices and statements")},
		{"Save", saveButton(page)},
		{"Cancel", link(page, "Cancel")},
	}
	must(t, expect.Locator(order[0].loc).ToBeFocused())
	for _, step := range order[1:] {
		must(t, page.Keyboard().Press("Tab"))
		if err := expect.Locator(step.loc).ToBeFocused(); err != nil {
			t.Fatalf("after Tab, %s should have focus: %v", step.name, err)
		}
		expectVisibleFocus(t, page)
	}

	// Back to the memo: Shift+Tab walks the same order backwards.
	for i := len(order) - 2; order[i].name != "Memo"; i-- {
		must(t, page.Keyboard().Press("Shift+Tab"))
		must(t, expect.Locator(order[i].loc).ToBeFocused())
	}
	must(t, page.Keyboard().Press("Shift+Tab"))
	must(t, expect.Locator(memoInput(page)).ToBeFocused())

	// Enter in the memo starts a new line; it does not submit.
	must(t, page.Keyboard().Press("ControlOrMeta+End"))
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Cell\n"))
	must(t, page.Keyboard().Press("Backspace"))
	must(t, page.Keyboard().Type(" (new number)"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Cell (new number)"))
	expectEditForm(t, page)
	expectPatches(t, app, 0)

	// A checkbox toggles with Space.
	must(t, page.Keyboard().Press("Tab"))
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(byLabel(page, "Marketing updates")).ToBeFocused())
	must(t, page.Keyboard().Press("Space"))
	must(t, expect.Locator(byLabel(page, "Marketing updates")).ToBeChecked())

	// Enter in the value field submits the form.
	for range 3 {
		must(t, page.Keyboard().Press("Shift+Tab"))
	}
	must(t, expect.Locator(valueInput(page)).ToBeFocused())
	must(t, page.Keyboard().Press("ControlOrMeta+A"))
	must(t, page.Keyboard().Type("217 555 0150"))
	resp := submit(t, page, func() error { return page.Keyboard().Press("Enter") })
	expectStatus(t, resp, http.StatusSeeOther)
	expectRecord(t, page, map[string]string{
		"value":                               "2175550150",
		"memo":                                "Cell (new number)",
		"preferences.marketingUpdatesEnabled": "true",
	})
	expectPatches(t, app, 1)

	// On the record page the keyboard reaches "Edit contact" as well.
	edit := link(page, "Edit contact")
	for range 25 {
		if focused, _ := edit.Evaluate("el => el === document.activeElement", nil); focused == true {
			break
		}
		must(t, page.Keyboard().Press("Tab"))
	}
	must(t, expect.Locator(edit).ToBeFocused())
	expectVisibleFocus(t, page)
	must(t, page.Keyboard().Press("Enter"))
	expectEditForm(t, page)
	must(t, expect.Locator(valueInput(page)).ToHaveValue("(217) 555-0150"))
}

// With JavaScript off the app is plain HTML forms and links: search, open,
// edit, save, and the 422 error flow all work.
func TestWorksWithJavaScriptDisabled(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t, withJavaScriptDisabled())

	visit(t, page, app, "/")
	expectH1(t, page, "Find a customer")
	search(t, page, "Lovelace")
	checkA11y(t, page)
	must(t, link(page, "Ada Lovelace").Click())
	expectH1(t, page, "Ada Lovelace")
	must(t, link(page, "Edit (217) 555-0177").Click())
	expectEditForm(t, page)
	// The page's script really is off (also after the checkA11y above,
	// which lifts it for axe): with it, choosing Email would switch the
	// value input to type=email.
	_, err := typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Email"}})
	must(t, err)
	must(t, expect.Locator(valueInput(page)).ToHaveAttribute("type", "tel"))
	_, err = typeSelect(page).SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Mobile"}})
	must(t, err)
	checkA11y(t, page)

	must(t, memoInput(page).Fill("Cell, no JavaScript"))
	must(t, byLabel(page, "Job reminders").Uncheck())
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{
		"memo":                            "Cell, no JavaScript",
		"preferences.jobRemindersEnabled": "false",
		"value":                           sandbox.SeedMobileValue,
	})
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	checkA11y(t, page)
	expectPatches(t, app, 1)

	// The error flow: the 422 page is complete without script.
	must(t, link(page, "Edit contact").Click())
	expectEditForm(t, page)
	must(t, valueInput(page).Fill("555-01"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusUnprocessableEntity)
	must(t, expect.Locator(errorSummary(page)).ToBeVisible())
	must(t, expect.Locator(errorSummary(page)).ToBeFocused()) // the autofocus attribute, not script
	expectFieldError(t, page, valueInput(page), "Enter a 10-digit phone number, like (217) 555-0177.")
	must(t, expect.Locator(valueInput(page)).ToHaveValue("555-01"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Cell, no JavaScript"))
	checkA11y(t, page)
	expectPatches(t, app, 1)

	must(t, valueInput(page).Fill("(217) 555-0188"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	expectRecord(t, page, map[string]string{"value": "2175550188", "memo": "Cell, no JavaScript"})
	expectPatches(t, app, 2)
}

// A double click on Save sends one update: the first submit marks the
// button "Saving…" (aria-disabled) and any further submit is refused while
// the first is under way.
func TestDoubleClickSaveSendsOneUpdate(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)
	// Every submit event the page sees, after the app's own handler ran:
	// kept in sessionStorage so it survives the navigation to the record.
	must(t, page.AddInitScript(playwright.Script{Content: playwright.String(submitLogJS)}))

	openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	doubleClickSave(t, page, app, "Clicked twice")

	raw, err := page.Evaluate(`() => JSON.parse(sessionStorage.getItem('e2e-submits') || '[]')`)
	must(t, err)
	submits, _ := raw.([]interface{})
	sent := 0
	for i, s := range submits {
		e, _ := s.(map[string]interface{})
		if e["prevented"] == true {
			continue
		}
		sent++
		if e["text"] != "Saving…" || e["ariaDisabled"] != "true" {
			t.Errorf("submit %d went out with the Save button reading %q, aria-disabled=%v; want \"Saving…\", true", i+1, e["text"], e["ariaDisabled"])
		}
	}
	if len(submits) == 0 || sent != 1 {
		t.Errorf("submit events: %v; want exactly one that was not prevented", submits)
	}
}

// Without JavaScript the app's guard is gone: a double click must still make
// one update and land on the saved record. (Chromium usually drops the second
// submit itself; when it does post twice, the form's nonce makes the server
// send one PATCH. The test logs how many posts went out.)
func TestDoubleClickSaveWithoutJavaScriptSendsOneUpdate(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t, withJavaScriptDisabled())
	posts := countPosts(page)

	openEditForm(t, page, app, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	doubleClickSave(t, page, app, "Clicked twice, no script")
	t.Logf("the browser posted the form %d time(s)", posts())
}

// countPosts counts the POSTs page sends from now on.
func countPosts(page playwright.Page) func() int {
	var mu sync.Mutex
	n := 0
	page.OnRequest(func(r playwright.Request) {
		if r.Method() == "POST" {
			mu.Lock()
			n++
			mu.Unlock()
		}
	})
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}

// doubleClickSave types memo into the mobile contact's open form and
// double-clicks Save, then expects the record saved once: one flash, one
// PATCH.
func doubleClickSave(t testing.TB, page playwright.Page, app *testApp, memo string) {
	t.Helper()
	must(t, memoInput(page).Fill(memo))
	// A slow ServiceTitan keeps the first save in flight while the second
	// click arrives.
	app.SB.SetLatency(300 * time.Millisecond)
	must(t, saveButton(page).Dblclick())
	must(t, expect.Page(page).ToHaveURL(app.url(recordPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))))
	expectRecord(t, page, map[string]string{"memo": memo})
	app.SB.SetLatency(0)
	must(t, page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{State: playwright.LoadStateNetworkidle}))
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	expectPatches(t, app, 1)
}

// submitLogJS records, in sessionStorage, each submit event that reaches the
// document: whether the app prevented it and the Save button's state then.
const submitLogJS = `document.addEventListener('submit', (event) => {
	const log = JSON.parse(sessionStorage.getItem('e2e-submits') || '[]');
	const save = event.target.querySelector('[data-save-button]');
	log.push({
		prevented: event.defaultPrevented,
		text: save ? save.textContent : null,
		ariaDisabled: save ? save.getAttribute('aria-disabled') : null,
	});
	sessionStorage.setItem('e2e-submits', JSON.stringify(log));
});`

// After a save the browser's Back button returns to the form (the POST's
// answer was a 303, so its history entry is a GET): nothing is sent again and
// no "Confirm Form Resubmission" appears.
func TestBackAfterSaveDoesNotResubmit(t *testing.T) {
	app := startApp(t)
	page := newCheckedPage(t)

	var posts int
	page.OnRequest(func(r playwright.Request) {
		if r.Method() == "POST" {
			posts++
		}
	})

	visit(t, page, app, recordPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))
	must(t, link(page, "Edit contact").Click())
	expectEditForm(t, page)
	must(t, memoInput(page).Fill("Saved once"))
	expectStatus(t, submit(t, page, click(saveButton(page))), http.StatusSeeOther)
	recordURL := app.url(recordPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))
	must(t, expect.Page(page).ToHaveURL(recordURL))
	expectRecord(t, page, map[string]string{"memo": "Saved once"})
	must(t, expect.Locator(flash(page)).ToHaveCount(1))
	expectPatches(t, app, 1)

	resp, err := page.GoBack()
	must(t, err)
	if resp != nil && resp.Request().Method() != "GET" {
		t.Fatalf("Back re-sent a %s to %s", resp.Request().Method(), resp.URL())
	}
	must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`/edit$`)))
	expectEditForm(t, page)
	must(t, expect.Locator(saveButton(page)).ToBeEnabled())
	must(t, expect.Locator(page.Locator("[data-save-button]")).ToHaveText("Save"))
	checkA11y(t, page)
	expectPatches(t, app, 1)

	// Forward again shows the record, without the one-time message.
	_, err = page.GoForward()
	must(t, err)
	must(t, expect.Page(page).ToHaveURL(recordURL))
	expectRecord(t, page, map[string]string{"memo": "Saved once"})
	must(t, expect.Locator(flash(page)).ToHaveCount(0))
	expectPatches(t, app, 1)
	if posts != 1 {
		t.Errorf("the browser sent %d POSTs, want 1", posts)
	}
}

// Keys for busy days: "/" goes to the search box from any page (and is a
// plain slash while typing in a field); Ctrl+Enter saves the contact form
// from the memo, where Enter adds a line.
func TestSlashSearchesAndCtrlEnterSaves(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	patched := logPatches(app)

	must(t, memoInput(page).Fill("Gate code 1234"))
	must(t, memoInput(page).Press("Enter"))
	must(t, page.Keyboard().Type("Ring twice / knock"))
	must(t, expect.Locator(memoInput(page)).ToHaveValue("Gate code 1234\nRing twice / knock"))
	must(t, expect.Page(page).ToHaveURL(app.url(editPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))))
	submit(t, page, func() error { return memoInput(page).Press("Control+Enter") })
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Contact updated"))
	if n := patched.count(sandbox.SeedCustomerID, sandbox.SeedMobileContactID); n != 1 {
		t.Errorf("Ctrl+Enter sent %d PATCHes, want 1", n)
	}

	// From the record page, "/" goes home to the search box, focused.
	must(t, page.Locator("body").Press("/"))
	must(t, expect.Page(page).ToHaveURL(app.url("/")))
	must(t, expect.Locator(searchBox(page)).ToBeFocused())
	must(t, page.Keyboard().Type("Lovelace"))
	must(t, expect.Locator(searchBox(page)).ToHaveValue("Lovelace"))
	checkA11y(t, page)
}

// The busy-day path with the keyboard alone: home, search, the customer,
// the contact's edit form, a new memo, saved. Typed text aside, it takes
// at most 12 keystrokes (the goal); today 3.
func TestKeyboardPathToASavedMemo(t *testing.T) {
	app := startApp(t, withIndex(0))
	page := newCheckedPage(t)
	patched := logPatches(app)
	keys := 0
	press := func(key string) {
		t.Helper()
		keys++
		must(t, page.Keyboard().Press(key))
	}
	typeText := func(text string) { t.Helper(); must(t, page.Keyboard().Type(text)) }

	visit(t, page, app, "/")
	must(t, expect.Locator(searchBox(page)).ToBeFocused())
	typeText("Lovelace")
	press("Enter") // one match: the customer opens
	expectH1(t, page, "Ada Lovelace")
	must(t, expect.Locator(page.Locator("[data-edit-link]").First()).ToBeFocused())
	press("Enter") // the first contact's Edit
	expectEditForm(t, page)
	must(t, expect.Locator(memoInput(page)).ToBeFocused())
	typeText("Back gate, ring twice")
	submit(t, page, func() error { keys++; return page.Keyboard().Press("Control+Enter") })
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Contact updated"))
	must(t, expect.Locator(page.Locator(`[data-field="memo"]`)).ToHaveText("Back gate, ring twice"))
	if n := patched.total(); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
	t.Logf("home to a saved memo: %d keystrokes besides the typed text", keys)
	if keys > 12 {
		t.Errorf("%d keystrokes besides the typed text, more than 12", keys)
	}
	checkA11y(t, page)
}
