package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// widths are the screens office staff use: a desk's and a phone's.
var widths = []struct {
	name          string
	width, height int
}{
	{"1280px", 1280, 800},
	{"390px", 390, 844},
}

// atWidths runs f once per screen width, on a checked page of that size.
func atWidths(t *testing.T, f func(t *testing.T, page playwright.Page)) {
	t.Helper()
	for _, w := range widths {
		t.Run(w.name, func(t *testing.T) {
			page := newCheckedPage(t, withContextOptions(func(o *playwright.BrowserNewContextOptions) {
				o.Viewport = &playwright.Size{Width: w.width, Height: w.height}
			}))
			f(t, page)
		})
	}
}

// editOf is the Edit link of the customer page's row for a contact.
func editOf(page playwright.Page, contactID int64) playwright.Locator {
	return page.Locator(fmt.Sprintf(`tr[data-contact-id="%d"] [data-edit-link]`, contactID))
}

// A search that matched one of a customer's contacts opens the customer
// with that contact marked (data-matched), in view, and the focus on its
// Edit: not on the first contact's, whose removal Tab, Tab, Enter would
// otherwise start.
func TestSearchLandsOnTheMatchedContact(t *testing.T) {
	app := startApp(t, withIndex(0))
	// The 45th of Harbor View Dental's 60 contacts that is a phone number:
	// far down the page.
	var deep client.Contact
	for i, ct := range app.SB.Contacts(sandbox.SeedManyContactsCustomerID) {
		if i >= 44 && ct.Type.IsPhoneNumber() {
			deep = ct
			break
		}
	}
	if deep.ID == 0 {
		t.Fatal("Harbor View Dental has no phone number past its 44th contact")
	}

	atWidths(t, func(t *testing.T, page playwright.Page) {
		for _, tt := range []struct {
			q                  string
			customer           string
			contactID, otherID int64
		}{
			{"217 555 0123", "Ada Lovelace", sandbox.SeedDoNotTextContactID, sandbox.SeedMobileContactID},
			{deep.Value, "Harbor View Dental", deep.ID, 0},
		} {
			visit(t, page, app, "/")
			must(t, searchBox(page).Fill(tt.q))
			must(t, searchBox(page).Press("Enter"))
			expectH1(t, page, tt.customer)
			edit := editOf(page, tt.contactID)
			must(t, expect.Locator(edit).ToBeFocused())
			must(t, expect.Locator(edit).ToBeInViewport())
			must(t, expect.Locator(page.Locator("tr[data-matched]")).ToHaveCount(1))
			must(t, expect.Locator(page.Locator(fmt.Sprintf(`tr[data-matched][data-contact-id="%d"]`, tt.contactID))).ToHaveCount(1))
			must(t, expect.Locator(page.Locator("tr[data-matched]")).ToContainText("Matches your search"))
			if tt.otherID != 0 {
				must(t, expect.Locator(page.Locator(fmt.Sprintf(`tr[data-contact-id="%d"][data-matched]`, tt.otherID))).ToHaveCount(0))
			}
			checkA11y(t, page)
		}
	})

	// Without JavaScript too: the focus is the page's (autofocus).
	page := newCheckedPage(t, withJavaScriptDisabled())
	visit(t, page, app, "/")
	must(t, searchBox(page).Fill("(217) 555-0123"))
	must(t, searchBox(page).Press("Enter"))
	expectH1(t, page, "Ada Lovelace")
	must(t, expect.Locator(editOf(page, sandbox.SeedDoNotTextContactID)).ToBeFocused())

	// A name opens the customer with the focus on the first contact, as
	// before: no contact matched.
	visit(t, page, app, "/")
	must(t, searchBox(page).Fill("Lovelace"))
	must(t, searchBox(page).Press("Enter"))
	expectH1(t, page, "Ada Lovelace")
	must(t, expect.Locator(editOf(page, sandbox.SeedMobileContactID)).ToBeFocused())
	must(t, expect.Locator(page.Locator("tr[data-matched]")).ToHaveCount(0))
}

// After each step the focus is where the next one starts: the add form in
// its Value, the removal's question, the Undo after a removal, a job's
// progress heading once it starts (a live region, aria-live="polite"). On
// the add form a value with an "@" turns the type to Email; without
// JavaScript the server says "choose Email".
func TestFocusFollowsEachStep(t *testing.T) {
	app := startApp(t, withBulk(0, 1))
	atWidths(t, func(t *testing.T, page playwright.Page) {
		visit(t, page, app, fmt.Sprintf("/customers/%d", sandbox.SeedCustomerID))
		must(t, addContactLink(page).Click())
		expectH1(t, page, "Add contact")
		must(t, expect.Locator(valueInput(page)).ToBeFocused())
		must(t, page.Keyboard().Type("kelly@example.com"))
		must(t, expect.Locator(typeSelect(page)).ToHaveValue("Email"))
		must(t, expect.Locator(valueInput(page)).ToHaveAttribute("type", "email"))
		must(t, expect.Locator(page.Locator("[data-type-note]")).ToHaveText("Type set to Email: the value has an @."))
		must(t, expect.Locator(valueInput(page)).ToBeFocused())
		checkA11y(t, page)
		expectStatus(t, submitTo(t, page, addURL, func() error { return page.Keyboard().Press("Enter") }), http.StatusSeeOther)
		expectRecord(t, page, map[string]string{"type": "Email", "value": "kelly@example.com"})

		// Remove it again: the question has the focus, then the Undo.
		visit(t, page, app, fmt.Sprintf("/customers/%d", sandbox.SeedCustomerID))
		must(t, contactRow(page, "kelly@example.com").GetByRole("link", playwright.LocatorGetByRoleOptions{Name: "Remove kelly@example.com"}).Click())
		expectH1(t, page, "Remove this contact?")
		must(t, expect.Locator(h1(page)).ToBeFocused())
		checkA11y(t, page)
		must(t, page.Keyboard().Press("Tab"))
		must(t, expect.Locator(button(page, "Remove contact")).ToBeFocused())
		expectStatus(t, submitTo(t, page, removeURL, func() error { return page.Keyboard().Press("Enter") }), http.StatusSeeOther)
		expectH1(t, page, "Ada Lovelace")
		must(t, expect.Locator(button(page, "Undo")).ToBeFocused())
		checkA11y(t, page)
	})

	// A job started: the focus on its progress heading, in a live region.
	page := newCheckedPage(t)
	openBulkForm(t, page, app)
	must(t, listInput(page).Fill("(217) 555-0123\nmaria.gonzalez@example.net\n"))
	setFlag(t, page, "Marketing updates", "On")
	previewList(t, page)
	startJob(t, page, "Start the job")
	progress := page.Locator("#progress-title")
	must(t, expect.Locator(progress).ToBeFocused())
	must(t, expect.Locator(jobState(page)).ToHaveAttribute("aria-live", "polite"))
	checkA11y(t, page)
	expectDone(t, page, 2, 20*time.Second)
	// The live updates kept the heading, and the focus on it.
	must(t, expect.Locator(progress).ToBeFocused())

	// Without JavaScript a phone number with an "@" is refused, saying why.
	page = newCheckedPage(t, withJavaScriptDisabled())
	visit(t, page, app, fmt.Sprintf("/customers/%d/contacts/new", sandbox.SeedCustomerID))
	must(t, expect.Locator(valueInput(page)).ToBeFocused())
	must(t, valueInput(page).Fill("kelly@example.com"))
	expectStatus(t, submitTo(t, page, addURL, click(addButton(page))), http.StatusUnprocessableEntity)
	expectFieldError(t, page, valueInput(page), "This looks like an email — choose Email")
	must(t, expect.Locator(valueInput(page)).ToHaveValue("kelly@example.com"))
	checkA11y(t, page)
}

// Every page has a search box in its header (the search page has its
// own); a name typed with a slip finds the customer ("lovlace": Ada
// Lovelace), shown, not opened, under a note that it is a close name;
// results show each customer's phone number.
func TestSearchFromEveryPageFindsANameWithASlip(t *testing.T) {
	app := startApp(t, withIndex(0))
	atWidths(t, func(t *testing.T, page playwright.Page) {
		headerBox := page.GetByRole("search", playwright.PageGetByRoleOptions{Name: "Find a customer"}).GetByRole("searchbox")
		for _, path := range []string{"/audit", "/hygiene", fmt.Sprintf("/customers/%d", sandbox.SeedManyContactsCustomerID)} {
			visit(t, page, app, path)
			must(t, expect.Locator(headerBox).ToBeVisible())
		}
		// The search page has one box: its own.
		visit(t, page, app, "/")
		must(t, expect.Locator(page.GetByRole("searchbox")).ToHaveCount(1))

		visit(t, page, app, fmt.Sprintf("/customers/%d", sandbox.SeedManyContactsCustomerID))
		checkA11y(t, page)
		must(t, headerBox.Fill("lovlace"))
		must(t, headerBox.Press("Enter"))
		must(t, expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Name: "Results"})).ToBeVisible())
		must(t, expect.Locator(searchBox(page)).ToHaveValue("lovlace"))
		must(t, expect.Locator(page.Locator("[data-near]")).ToContainText("close to it"))
		hit := results(page).Filter(playwright.LocatorFilterOptions{Has: link(page, "Ada Lovelace")})
		must(t, expect.Locator(hit).ToHaveCount(1))
		must(t, expect.Locator(hit.Locator("[data-phone]")).ToHaveText("Phone: (217) 555-0177"))
		checkA11y(t, page)
		must(t, link(page, "Ada Lovelace").Click())
		expectH1(t, page, "Ada Lovelace")
	})
}

// Times and words (#29, item 7): a job's page says every time as a <time>
// (one zone), and "Job started" goes once the job is done; the preview
// says types and unset preferences in staff's words; "Today" and "Last 7
// days" are apart.
func TestTimesAndWordsStaffRead(t *testing.T) {
	app := startApp(t, withBulk(0, 0))
	page := newCheckedPage(t)
	openBulkForm(t, page, app)
	// Maria's email holds no preferences.
	must(t, listInput(page).Fill("maria.gonzalez@example.net\n"))
	setFlag(t, page, "Marketing updates", "Off")
	previewList(t, page)
	row := page.Locator("[data-preview-rows] tbody tr")
	must(t, expect.Locator(row).ToContainText("preferences not set yet"))
	must(t, expect.Locator(row).Not().ToContainText("no preferences held"))
	// The one row's PATCH waits until the page has said "Job started": a
	// busy machine could otherwise finish the job before its page loads,
	// and a done job's page rightly says nothing of starting. The wait is
	// bounded well within the client's timeout, so the row is never a lost
	// answer.
	started := make(chan struct{})
	app.SB.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		select {
		case <-started:
		case <-time.After(time.Second):
		}
		apply()
	})
	startJob(t, page, "Start the job")
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Job started"))
	close(started)
	expectDone(t, page, 1, 10*time.Second)
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveCount(0))
	must(t, expect.Locator(page.Locator("[data-bulk-state-by] time[datetime]")).ToHaveCount(1))
	checkA11y(t, page)

	visit(t, page, app, "/audit")
	today, week := page.Locator(`[data-audit-shortcut="Today"]`), page.Locator(`[data-audit-shortcut="Last 7 days"]`)
	a, err := today.BoundingBox()
	must(t, err)
	b, err := week.BoundingBox()
	must(t, err)
	if gap := b.X - (a.X + a.Width); b.Y == a.Y && gap < 8 {
		t.Errorf("Today and Last 7 days are %.0f px apart", gap)
	}
}

// "Fix in bulk" hands staff a list they can read and tick (#29, item 2):
// each contact by its value as formatted, type, customer and memo, all
// ticked; one whose removal would leave its customer without a phone
// number says so.
func TestFixInBulkIsAListToTick(t *testing.T) {
	app := startApp(t, withBulk(60, 0))
	atWidths(t, func(t *testing.T, page playwright.Page) {
		visit(t, page, app, "/hygiene")
		must(t, page.Locator(`[data-hygiene-fix="placeholder-phone"]`).Click())
		expectH1(t, page, "Bulk changes")
		picks := page.Locator("[data-bulk-picks] tbody tr")
		n, err := picks.Count()
		must(t, err)
		if n < 2 {
			t.Fatalf("%d contacts to tick", n)
		}
		must(t, expect.Locator(page.Locator("[data-bulk-picks] input[name=contact]:checked")).ToHaveCount(n))
		first := picks.First()
		shown, err := first.GetByRole("rowheader").TextContent()
		must(t, err)
		t.Logf("the first contact reads %q", shown)
		must(t, expect.Locator(first.GetByRole("rowheader")).ToContainText(regexp.MustCompile(`^[\d()+ -]{7,}`)))
		// The customer's link (a location's contact has its location's after it).
		must(t, expect.Locator(first.GetByRole("link").First()).Not().ToHaveText(""))
		// Each box is named by its value and customer.
		must(t, expect.Locator(page.GetByRole("checkbox").First()).ToHaveAccessibleName(regexp.MustCompile(`^[\d()+ -]{7,}, \S.+`)))
		warned := page.Locator(`[data-bulk-picks] [data-warning="last-contact"]`)
		w, err := warned.Count()
		must(t, err)
		t.Logf("%d of %d contacts are their customer's last phone number", w, n)
		if w > 0 {
			must(t, expect.Locator(warned.First()).ToContainText("without a phone number"))
		}
		checkA11y(t, page)
	})
}

// A STOP list (#29, item 3): jobs named for what they are for, a plain
// word that texting itself cannot be set, an SMS export's header asked
// about instead of every line called invalid, and Start disabled when
// nothing would change.
func TestAStopListFromAnSMSExport(t *testing.T) {
	app := startApp(t, withBulk(0, 0))
	const sms = "From,Body,Date\n+1 217 555 0123,STOP,2026-11-02\n(512) 555-0142,stop,2026-11-03\n"
	atWidths(t, func(t *testing.T, page playwright.Page) {
		openBulkForm(t, page, app)
		must(t, expect.Locator(page.Locator("[data-texting-note]")).ToContainText("cannot be set by this app or any other"))
		must(t, listInput(page).Fill(sms))
		must(t, byLabel(page, "Replied STOP: marketing and job reminders off").Check())
		expectStatus(t, submitTo(t, page, bulkPreviewURL, click(previewButton(page))), http.StatusUnprocessableEntity)
		must(t, expect.Locator(errorSummary(page)).ToBeFocused())
		must(t, expect.Locator(errorSummary(page)).ToContainText("Which column holds the phone numbers"))
		question := page.GetByRole("group", playwright.PageGetByRoleOptions{Name: "Which column holds the phone number or email?"})
		must(t, expect.Locator(question.GetByRole("radio")).ToHaveCount(3))
		must(t, expect.Locator(listInput(page)).ToHaveValue(sms))
		must(t, expect.Locator(byLabel(page, "Replied STOP: marketing and job reminders off")).ToBeChecked())
		checkA11y(t, page)
		must(t, question.GetByLabel("From").Check())
		previewList(t, page)
		expectH1(t, page, "Preview: set Job reminders off, Marketing updates off")
		// Ada's landline and Maria's mobile (its reminders and marketing
		// off already): every line read, none invalid.
		expectPreviewCounts(t, page, map[string]string{"change": "1", "unchanged": "1", "invalid": "0", "unmatched": "0"})
		must(t, expect.Locator(button(page, "Start the job")).ToBeEnabled())
		checkA11y(t, page)
	})

	// A list already as asked: nothing to start.
	page := newCheckedPage(t)
	openBulkForm(t, page, app)
	must(t, listInput(page).Fill("(217) 555-0177\n")) // Ada's mobile: marketing already off
	must(t, byLabel(page, "Unsubscribed from email: marketing off").Check())
	previewList(t, page)
	expectPreviewCounts(t, page, map[string]string{"change": "0", "unchanged": "1"})
	must(t, expect.Locator(button(page, "Start the job")).ToBeDisabled())
	must(t, expect.Locator(page.Locator("[data-nothing-to-do]")).ToBeVisible())
	checkA11y(t, page)
}

// Hygiene sections can be searched (#29, item 5): a filter box per
// section finds a number as people write it, numbers are shown formatted,
// and a contact fixed from the list links back to the same place ("Fixed
// — next"), where it is gone.
func TestHygieneFilterAndFixedNext(t *testing.T) {
	app := startApp(t, withBulk(60, 0))
	atWidths(t, func(t *testing.T, page playwright.Page) {
		visit(t, page, app, "/hygiene")
		section := page.Locator(`[data-hygiene-section="placeholder-phone"]`)
		rows := section.Locator(`tr[data-hygiene]`)
		must(t, expect.Locator(rows.First()).ToBeVisible())
		// Own contacts only: a service location's is fixed from its page.
		var contactID, customerID, shown string
		n, err := rows.Count()
		must(t, err)
		for i := range n {
			ct, _ := rows.Nth(i).GetAttribute("data-contact-id")
			cu, _ := rows.Nth(i).GetAttribute("data-customer-id")
			cti, _ := strconv.ParseInt(ct, 10, 64)
			cui, _ := strconv.ParseInt(cu, 10, 64)
			if _, ok := app.SB.Contact(cui, cti); ok {
				contactID, customerID = ct, cu
				shown, err = rows.Nth(i).Locator("td").Nth(1).TextContent()
				must(t, err)
				break
			}
		}
		if contactID == "" {
			t.Fatal("no customer's own placeholder number on the first page")
		}
		number := regexp.MustCompile(`\(\d{3}\) \d{3}-\d{4}`).FindString(shown)
		if number == "" {
			t.Fatalf("the number is not shown formatted: %q", shown)
		}
		// The filter takes the number as people write it.
		digits := strings.NewReplacer("(", "", ")", "", " ", "-").Replace(number)
		filter := page.GetByRole("search", playwright.PageGetByRoleOptions{Name: "Filter Placeholder phone numbers"}).GetByRole("searchbox")
		must(t, filter.Fill(digits))
		must(t, filter.Press("Enter"))
		must(t, expect.Locator(filter).ToHaveValue(digits))
		must(t, expect.Locator(rows.First()).ToBeVisible())
		texts, err := rows.Locator("td:nth-child(2)").AllTextContents()
		must(t, err)
		for _, tx := range texts {
			if !strings.Contains(tx, number) {
				t.Errorf("the filter %q lists %q", digits, tx)
			}
		}
		checkA11y(t, page)

		// Fix it: a real number in its place, saved; then back to the list.
		row := section.Locator(`tr[data-contact-id="` + contactID + `"][data-customer-id="` + customerID + `"]`)
		must(t, row.Locator("td").Nth(1).GetByRole("link").Click())
		must(t, link(page, "Edit contact").Click())
		expectEditForm(t, page)
		must(t, valueInput(page).Fill(fmt.Sprintf("(312) 555-01%s", contactID[len(contactID)-2:])))
		submit(t, page, click(saveButton(page)))
		must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Contact updated"))
		next := page.Locator("[data-hygiene-next]")
		must(t, expect.Locator(next).ToContainText("Fixed — next"))
		checkA11y(t, page)
		must(t, next.Click())
		must(t, expect.Locator(filter).ToHaveValue(digits))
		must(t, expect.Locator(section.Locator(`tr[data-contact-id="`+contactID+`"]`)).ToHaveCount(0))
	})
}

// Narrow screens (#29, item 8): at 390 px Edit, View and Remove are at
// least 44 by 44 px, and a customer with 60 contacts shows ten until the
// person asks for the others (no script needed); at 1280 px all show.
func TestNarrowScreenTargetsAndLongLists(t *testing.T) {
	app := startApp(t)
	path := fmt.Sprintf("/customers/%d", sandbox.SeedManyContactsCustomerID)
	atWidths(t, func(t *testing.T, page playwright.Page) {
		visit(t, page, app, path)
		expectH1(t, page, "Harbor View Dental")
		rows := page.GetByRole("table", playwright.PageGetByRoleOptions{Name: "Contacts", Exact: playwright.Bool(true)}).GetByRole("rowheader")
		show := link(page, fmt.Sprintf("Show the other %d contacts", sandbox.SeedManyContactsCount-10))
		narrow := page.ViewportSize().Width < 600
		if !narrow {
			must(t, expect.Locator(rows).ToHaveCount(sandbox.SeedManyContactsCount))
			must(t, expect.Locator(show).ToBeHidden())
			checkA11y(t, page)
			return
		}
		must(t, expect.Locator(rows).ToHaveCount(10))
		height, err := page.Evaluate(`() => document.scrollingElement.scrollHeight`)
		must(t, err)
		t.Logf("the page is %v px long at 390 px with ten of its 60 contacts", height)
		if h, ok := height.(int); !ok || h > 5000 {
			t.Errorf("the page is %v px long", height)
		}
		for _, name := range []string{"Edit", "View", "Remove"} {
			box, err := page.Locator("table.contacts tbody tr").First().GetByRole("link").Filter(playwright.LocatorFilterOptions{HasText: name}).BoundingBox()
			must(t, err)
			if box.Width < 44 || box.Height < 44 {
				t.Errorf("%s is %.0f×%.0f px, under 44×44", name, box.Width, box.Height)
			}
		}
		checkA11y(t, page)
		must(t, show.Click())
		must(t, expect.Locator(rows).ToHaveCount(sandbox.SeedManyContactsCount))
		must(t, expect.Locator(show).ToBeHidden())
		checkA11y(t, page)
	})
	// Without JavaScript too.
	page := newCheckedPage(t, withJavaScriptDisabled(), withContextOptions(func(o *playwright.BrowserNewContextOptions) {
		o.Viewport = &playwright.Size{Width: 390, Height: 844}
	}))
	visit(t, page, app, path)
	must(t, link(page, fmt.Sprintf("Show the other %d contacts", sandbox.SeedManyContactsCount-10)).Click())
	must(t, expect.Locator(page.GetByRole("table", playwright.PageGetByRoleOptions{Name: "Contacts", Exact: playwright.Bool(true)}).GetByRole("rowheader")).
		ToHaveCount(sandbox.SeedManyContactsCount))
}
