package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Bulk changes (issue #16) in the browser: a list uploaded and previewed
// from the index, confirmed, worked by River through the change service,
// its progress followed live (JavaScript) or by the page refreshing itself
// (none), its result downloaded, and the contacts changed in the sandbox
// once each.

// The bulk pages' URLs.
var (
	bulkPreviewURL = regexp.MustCompile(`/bulk/preview$`)
	bulkConfirmURL = regexp.MustCompile(`/bulk$`)
	bulkJobURL     = regexp.MustCompile(`/bulk/\d+$`)
)

// optOutCSV is an opt-out export: Marketing updates off for each line. With
// withBulk(20, ...) the index holds the seed and 20 generated customers.
const optOutCSV = "value\n" +
	"(217) 555-0177\n" + // line 2: Ada's mobile, marketing already off: unchanged
	"ada@example.com\n" + // line 3: Ada's email, marketing on: changed
	"maria.gonzalez@example.net\n" + // line 4: Maria's email holds no preferences: changed (given the defaults)
	"billing.3@oakhollow-pm.example.com\n" + // line 5: shared by generated customers 10000044 to 10000048: four changed, one unchanged
	"(312) 555-0100\n" + // line 6: nobody's number: unmatched
	"not a number\n" + // line 7: invalid
	"ADA@example.com\n" // line 8: line 3 again: duplicate

// optOutResult is the result CSV the list should give, each row as
// "line,value,customer,contact,outcome" (the contract's first five columns).
var optOutResult = []string{
	"2,2175550177,10000001,20000001,unchanged",
	"3,ada@example.com,10000001,20000002,changed",
	"4,maria.gonzalez@example.net,10000002,20000005,changed",
	"5,billing.3@oakhollow-pm.example.com,10000044,20000306,changed",
	"5,billing.3@oakhollow-pm.example.com,10000045,20000310,changed",
	"5,billing.3@oakhollow-pm.example.com,10000046,20000314,unchanged",
	"5,billing.3@oakhollow-pm.example.com,10000047,20000318,changed",
	"5,billing.3@oakhollow-pm.example.com,10000048,20000322,changed",
	"6,3125550100,,,unmatched",
	"7,,,,invalid",
	"8,ada@example.com,,,duplicate",
}

// optOutContacts are the contacts the list names: [customer, contact].
var optOutContacts = [][2]int64{
	{10000001, 20000001}, {10000001, 20000002}, {10000002, 20000005},
	{10000044, 20000306}, {10000045, 20000310}, {10000046, 20000314}, {10000047, 20000318}, {10000048, 20000322},
}

// patchLog counts the PATCHes ServiceTitan receives, per contact.
type patchLog struct {
	mu  sync.Mutex
	per map[string]int // "customer/contact" -> PATCHes
}

var patchPath = regexp.MustCompile(`/customers/(\d+)/contacts/(\d+)$`)

// logPatches has the sandbox count each contact's PATCHes (and answer
// them as it would).
func logPatches(app *testApp) *patchLog {
	l := &patchLog{per: map[string]int{}}
	app.SB.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		if m := patchPath.FindStringSubmatch(r.URL.Path); m != nil {
			l.mu.Lock()
			l.per[m[1]+"/"+m[2]]++
			l.mu.Unlock()
		}
		apply()
	})
	return l
}

func (l *patchLog) count(customer, contact int64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.per[fmt.Sprintf("%d/%d", customer, contact)]
}

func (l *patchLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.per {
		n += c
	}
	return n
}

// apiCalls counts the calls to ServiceTitan's API (reads and writes).
func apiCalls(app *testApp) int {
	n := 0
	for _, op := range []string{sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts,
		sandbox.OpUpdateContact, sandbox.OpCreateContact, sandbox.OpDeleteContact} {
		n += app.SB.Requests(op)
	}
	return n
}

// The list form's controls.
func listInput(page playwright.Page) playwright.Locator { return byLabel(page, "Paste a list") }
func fileInput(page playwright.Page) playwright.Locator { return byLabel(page, "Or upload a CSV file") }
func previewButton(page playwright.Page) playwright.Locator {
	return button(page, "Preview")
}

// previewCount is the preview's total of kind (change, unchanged,
// unmatched, invalid, duplicate).
func previewCount(page playwright.Page, kind string) playwright.Locator {
	return page.Locator(fmt.Sprintf("[data-preview-count=%q]", kind))
}

// jobCount is the job page's count of kind (changed, unchanged, failed,
// skipped, cancelled, remaining).
func jobCount(page playwright.Page, kind string) playwright.Locator {
	return page.Locator(fmt.Sprintf("[data-count=%q]", kind))
}

func jobProgress(page playwright.Page) playwright.Locator {
	return page.Locator("progress[data-bulk-progress]")
}

// jobState is the part of the job page that says where it stands (its
// data-state: running, paused, cancelled, done).
func jobState(page playwright.Page) playwright.Locator { return page.Locator("[data-bulk-live]") }

// expectPreviewCounts checks the preview's totals.
func expectPreviewCounts(t testing.TB, page playwright.Page, want map[string]string) {
	t.Helper()
	for _, kind := range sortedKeys(want) {
		if err := expect.Locator(previewCount(page, kind)).ToHaveText(want[kind]); err != nil {
			t.Errorf("preview count %s: %v", kind, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// expectJobCounts checks the job page's counts.
func expectJobCounts(t testing.TB, page playwright.Page, want map[string]string) {
	t.Helper()
	for _, kind := range sortedKeys(want) {
		if err := expect.Locator(jobCount(page, kind)).ToHaveText(want[kind]); err != nil {
			t.Errorf("job count %s: %v", kind, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// expectJobState waits up to within for the job page to say state.
func expectJobState(t testing.TB, page playwright.Page, state string, within time.Duration) {
	t.Helper()
	must(t, expect.Locator(jobState(page)).ToHaveAttribute("data-state", state,
		playwright.LocatorAssertionsToHaveAttributeOptions{Timeout: playwright.Float(float64(within.Milliseconds()))}))
}

// expectDone waits up to within for the job to be done, its progress full.
func expectDone(t testing.TB, page playwright.Page, total int, within time.Duration) {
	t.Helper()
	expectJobState(t, page, "done", within)
	must(t, expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Name: "Done", Exact: playwright.Bool(true)})).ToBeVisible())
	n := fmt.Sprint(total)
	must(t, expect.Locator(jobProgress(page)).ToHaveAttribute("max", n))
	must(t, expect.Locator(jobProgress(page)).ToHaveAttribute("value", n))
	must(t, expect.Locator(page.Locator("[data-bulk-done]")).ToHaveText(n+" of "+n+" contacts"))
	// Nothing left to pause or cancel.
	must(t, expect.Locator(page.Locator("[data-bulk-controls]")).ToHaveCount(0))
}

// openBulkForm opens GET /bulk.
func openBulkForm(t testing.TB, page playwright.Page, app *testApp) {
	t.Helper()
	visit(t, page, app, "/bulk")
	expectH1(t, page, "Bulk changes")
	must(t, expect.Locator(previewButton(page)).ToBeVisible())
}

// setFlag chooses On, Off or "Leave as it is" for a preference.
func setFlag(t testing.TB, page playwright.Page, label, choice string) {
	t.Helper()
	_, err := byLabel(page, label).SelectOption(playwright.SelectOptionValues{Labels: &[]string{choice}})
	must(t, err)
}

// previewList presses Preview and waits for the preview.
func previewList(t testing.TB, page playwright.Page) {
	t.Helper()
	expectStatus(t, submitTo(t, page, bulkPreviewURL, click(previewButton(page))), http.StatusOK)
	must(t, expect.Locator(page.Locator("[data-preview-totals]")).ToBeVisible())
}

// startJob presses the preview's confirmation and waits for the job's page.
func startJob(t testing.TB, page playwright.Page, buttonName string) {
	t.Helper()
	expectStatus(t, submitTo(t, page, bulkConfirmURL, click(button(page, buttonName))), http.StatusSeeOther)
	must(t, expect.Page(page).ToHaveURL(bulkJobURL))
	must(t, expect.Locator(jobProgress(page)).ToBeVisible())
}

// downloadResult downloads the job's result CSV and returns its rows.
func downloadResult(t testing.TB, page playwright.Page) [][]string {
	t.Helper()
	dl, err := page.ExpectDownload(func() error { return link(page, "Download the result (CSV)").Click() })
	must(t, err)
	if !regexp.MustCompile(`^bulk-\d+-result\.csv$`).MatchString(dl.SuggestedFilename()) {
		t.Errorf("the result downloads as %q", dl.SuggestedFilename())
	}
	path, err := dl.Path()
	must(t, err)
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	raw, err := io.ReadAll(f)
	must(t, err)
	body, ok := bytes.CutPrefix(raw, []byte("\ufeff"))
	if !ok {
		t.Errorf("the result CSV does not start with a UTF-8 byte-order mark (Excel would misread accents)")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the result is not CSV: %v", err)
	}
	if len(rows) == 0 || strings.Join(rows[0][:min(6, len(rows[0]))], ",") != "line,value,customer,contact,outcome,message" {
		t.Fatalf("the result's header: %q", rows)
	}
	return rows[1:]
}

// expectResultRows checks the result's rows by their first five columns,
// and that only failed or skipped rows carry a message.
func expectResultRows(t testing.TB, rows [][]string, want []string) {
	t.Helper()
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r[:5], ","))
		if r[4] == "changed" || r[4] == "unchanged" {
			if r[5] != "" {
				t.Errorf("result row %q has a message %q", r[:5], r[5])
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the result's rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The whole flow with a file, with and without JavaScript: the preview
// counts what the seed holds, the job runs to the end on the job page
// (live with JavaScript; by the page's own refresh without), the result
// says what happened to each line and contact, and ServiceTitan received
// one PATCH for each contact that needed one, none for the others.
func TestBulkPreferencesFromAFile(t *testing.T) {
	for _, js := range []bool{true, false} {
		t.Run(map[bool]string{true: "with JavaScript", false: "without JavaScript"}[js], func(t *testing.T) {
			// 5 calls a second: the 8 contacts take some 3 seconds, so the
			// job page shows the job running first.
			app := startApp(t, withBulk(20, 5))
			var opts []pageOption
			if !js {
				opts = append(opts, withJavaScriptDisabled())
			}
			page := newCheckedPage(t, opts...)
			patched := logPatches(app)

			openBulkForm(t, page, app)
			if js {
				checkA11y(t, page)
			}
			must(t, fileInput(page).SetInputFiles(playwright.InputFile{Name: "optouts.csv", MimeType: "text/csv", Buffer: []byte(optOutCSV)}))
			setFlag(t, page, "Marketing updates", "Off")
			previewList(t, page)
			expectH1(t, page, "Preview: set Marketing updates off")
			must(t, expect.Locator(page.GetByText("optouts.csv ·")).ToBeVisible())
			expectPreviewCounts(t, page, map[string]string{"change": "6", "unchanged": "2", "unmatched": "1", "invalid": "1", "duplicate": "1"})
			must(t, expect.Locator(page.Locator("[data-preview-shared]")).ToContainText("1 value is held by several customers"))
			must(t, expect.Locator(page.Locator("[data-preview-row]")).ToHaveCount(8))
			must(t, expect.Locator(page.Locator(`[data-preview-row="unchanged"]`)).ToHaveCount(2))
			must(t, expect.Locator(page.Locator("[data-preview-line]")).ToHaveCount(3))
			if js {
				checkA11y(t, page)
			}
			if n := patched.total(); n != 0 {
				t.Fatalf("the preview sent %d PATCHes", n)
			}

			startJob(t, page, "Start the job")
			expectH1(t, page, "Bulk job #1: set Marketing updates off")
			must(t, expect.Locator(message(page, "Job started")).ToHaveCount(1))
			expectJobState(t, page, "running", time.Second)
			must(t, expect.Locator(jobProgress(page)).ToHaveAttribute("max", "8"))
			must(t, expect.Locator(button(page, "Pause")).ToBeVisible())
			html, err := page.Content()
			must(t, err)
			if !strings.Contains(html, `<noscript><meta http-equiv="refresh" content="5"></noscript>`) {
				t.Error("the running job's page does not refresh itself without JavaScript")
			}
			if js {
				checkA11y(t, page)
				// The page stays the same document: only its parts change.
				_, err := page.Evaluate(`() => { window.e2eSameDocument = true; }`)
				must(t, err)
			}

			// Without JavaScript the page refreshes every 5 seconds: allow
			// a few refreshes.
			expectDone(t, page, 8, 20*time.Second)
			expectJobCounts(t, page, map[string]string{"changed": "6", "unchanged": "2", "failed": "0", "skipped": "0", "remaining": "0"})
			if js {
				same, err := page.Evaluate(`() => window.e2eSameDocument === true`)
				must(t, err)
				if same != true {
					t.Error("with JavaScript the job page was reloaded, not kept current in place")
				}
			} else {
				html, err := page.Content()
				must(t, err)
				if strings.Contains(html, `http-equiv="refresh"`) {
					t.Error("the finished job's page still refreshes itself")
				}
			}
			checkA11y(t, page)

			expectResultRows(t, downloadResult(t, page), optOutResult)

			// ServiceTitan: marketing off for every contact named, each
			// changed one PATCHed once, the others not at all.
			changed := map[int64]bool{20000002: true, 20000005: true, 20000306: true, 20000310: true, 20000318: true, 20000322: true}
			for _, cc := range optOutContacts {
				ct, ok := app.SB.Contact(cc[0], cc[1])
				switch {
				case !ok:
					t.Errorf("contact %d is gone", cc[1])
				case ct.Preferences == nil || ct.Preferences.MarketingUpdatesEnabled:
					t.Errorf("contact %d: marketing updates not off: %+v", cc[1], ct.Preferences)
				}
				want := 0
				if changed[cc[1]] {
					want = 1
				}
				if n := patched.count(cc[0], cc[1]); n != want {
					t.Errorf("contact %d received %d PATCHes, want %d", cc[1], n, want)
				}
			}
			if n := patched.total(); n != len(changed) {
				t.Errorf("%d PATCHes in all, want %d", n, len(changed))
			}
			// Maria's email held no preferences: it now has the others'
			// defaults with marketing off.
			if ct, _ := app.SB.Contact(10000002, 20000005); ct.Preferences == nil ||
				!ct.Preferences.JobRemindersEnabled || !ct.Preferences.InvoiceStatementNotification {
				t.Errorf("Maria's email now holds %+v", ct.Preferences)
			}

			// The job is listed on /bulk.
			must(t, link(page, "Back to bulk changes").Click())
			must(t, expect.Locator(page.Locator(`[data-bulk-job="1"]`)).ToContainText("set Marketing updates off"))
			must(t, expect.Locator(page.Locator(`[data-bulk-job="1"]`)).ToHaveAttribute("data-state", "done"))
		})
	}
}

// Keyboard only: Preview with nothing filled in brings the form back with
// the error summary focused, each message linked to its field; then the
// list typed, a preference chosen and the job started without a mouse.
func TestBulkFormWithTheKeyboard(t *testing.T) {
	app := startApp(t, withBulk(0, 0))
	page := newCheckedPage(t)
	openBulkForm(t, page, app)

	tabTo(t, page, previewButton(page))
	expectVisibleFocus(t, page)
	expectStatus(t, submitTo(t, page, bulkPreviewURL, func() error { return page.Keyboard().Press("Enter") }), http.StatusUnprocessableEntity)
	must(t, expect.Locator(errorSummary(page)).ToBeFocused())
	summaryLinks := errorSummary(page).GetByRole("link")
	must(t, expect.Locator(summaryLinks).ToHaveText([]string{
		"Choose at least one preference to turn on or off.",
		"Paste a list, or choose a CSV file.",
	}))
	must(t, expect.Locator(summaryLinks.Nth(0)).ToHaveAttribute("href", "#field-flags"))
	must(t, expect.Locator(summaryLinks.Nth(1)).ToHaveAttribute("href", "#field-list"))
	expectFieldError(t, page, listInput(page), "Paste a list, or choose a CSV file.")
	must(t, expect.Locator(page.Locator(`#field-flags [data-field-error="flags"]`)).ToContainText("Choose at least one preference"))
	checkA11y(t, page)

	// From the summary to the list: Tab, Tab to the second link, Enter.
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(summaryLinks.Nth(0)).ToBeFocused())
	must(t, page.Keyboard().Press("Tab"))
	must(t, expect.Locator(summaryLinks.Nth(1)).ToBeFocused())
	must(t, page.Keyboard().Press("Enter"))
	must(t, expect.Page(page).ToHaveURL(regexp.MustCompile(`#field-list$`)))
	must(t, expect.Locator(listInput(page)).ToBeFocused())
	must(t, page.Keyboard().Type("(217) 555-0123\nmaria.gonzalez@example.net\n(512) 555-0142"))

	// Marketing updates: On, by the keyboard (Leave as it is, On, Off).
	tabTo(t, page, byLabel(page, "Marketing updates"))
	expectVisibleFocus(t, page)
	must(t, page.Keyboard().Press("ArrowDown"))
	must(t, expect.Locator(byLabel(page, "Marketing updates")).ToHaveValue("on"))
	tabTo(t, page, previewButton(page))
	expectStatus(t, submitTo(t, page, bulkPreviewURL, func() error { return page.Keyboard().Press("Enter") }), http.StatusOK)
	expectH1(t, page, "Preview: set Marketing updates on")
	// Ada's landline and Maria's mobile have marketing off, Maria's email
	// no preferences: three to change.
	expectPreviewCounts(t, page, map[string]string{"change": "3", "unchanged": "0", "unmatched": "0", "invalid": "0"})

	tabTo(t, page, button(page, "Start the job"))
	expectVisibleFocus(t, page)
	expectStatus(t, submitTo(t, page, bulkConfirmURL, func() error { return page.Keyboard().Press("Enter") }), http.StatusSeeOther)
	expectDone(t, page, 3, 10*time.Second)
	expectJobCounts(t, page, map[string]string{"changed": "3", "unchanged": "0", "failed": "0", "skipped": "0", "remaining": "0"})
	for _, cc := range [][2]int64{{10000001, 20000003}, {10000002, 20000004}, {10000002, 20000005}} {
		if ct, _ := app.SB.Contact(cc[0], cc[1]); ct.Preferences == nil || !ct.Preferences.MarketingUpdatesEnabled {
			t.Errorf("contact %d: marketing updates not on: %+v", cc[1], ct.Preferences)
		}
	}
	expectPatches(t, app, 3)
}

// A removal starts only once the number of contacts it removes is typed:
// nothing, or a wrong number, brings the preview back with the message at
// the field and nothing removed.
func TestBulkRemovalNeedsTheCount(t *testing.T) {
	app := startApp(t, withBulk(0, 0))
	page := newCheckedPage(t)
	openBulkForm(t, page, app)
	must(t, listInput(page).Fill("(217) 555-0123\n303-555-0191\n"))
	must(t, byLabel(page, "Remove the contacts").Check())
	previewList(t, page)
	expectH1(t, page, "Preview: remove contacts")
	expectPreviewCounts(t, page, map[string]string{"change": "2", "unchanged": "0", "unmatched": "0", "invalid": "0", "texting-opt-out": "1"})
	// Ada's home number texted STOP: counted, warned of and marked (#23, item 2).
	must(t, expect.Locator(page.Locator(`[data-warning="texting-opt-out"]`)).ToContainText("1 number texted STOP"))
	must(t, expect.Locator(page.Locator("tr[data-texting-opt-out]")).ToHaveCount(1))
	must(t, expect.Locator(page.Locator("tr[data-texting-opt-out]")).ToContainText("(217) 555-0123"))
	confirmInput := byLabel(page, "Type 2 to remove 2 contacts")
	must(t, expect.Locator(confirmInput).ToBeVisible())
	checkA11y(t, page)

	for _, tt := range []struct{ typed, msg string }{
		{"", "Type 2, the number of contacts to remove, to confirm."},
		{"3", "You typed 3, but the job would remove 2 contacts. Type 2 to confirm."},
	} {
		must(t, confirmInput.Fill(tt.typed))
		expectStatus(t, submitTo(t, page, bulkConfirmURL, click(button(page, "Remove the contacts"))), http.StatusUnprocessableEntity)
		must(t, expect.Locator(errorSummary(page)).ToBeFocused())
		must(t, expect.Locator(errorSummary(page).GetByRole("link")).ToHaveText(tt.msg))
		expectFieldError(t, page, confirmInput, tt.msg)
		must(t, expect.Locator(confirmInput).ToHaveValue(tt.typed))
	}
	checkA11y(t, page)
	if n := deletes(app); n != 0 {
		t.Fatalf("%d contacts removed before the count was typed", n)
	}

	must(t, confirmInput.Fill("2"))
	startJob(t, page, "Remove the contacts")
	expectH1(t, page, "Bulk job #1: remove contacts")
	expectDone(t, page, 2, 10*time.Second)
	expectJobCounts(t, page, map[string]string{"changed": "2", "failed": "0", "skipped": "0", "remaining": "0"})
	for _, cc := range [][2]int64{{sandbox.SeedCustomerID, sandbox.SeedDoNotTextContactID}, {10000004, 20000069}} {
		if _, ok := app.SB.Contact(cc[0], cc[1]); ok {
			t.Errorf("contact %d was not removed", cc[1])
		}
	}
	if n := deletes(app); n != 2 {
		t.Errorf("%d DELETEs, want 2", n)
	}
	// A pasted list has no header: its lines count from 1.
	expectResultRows(t, downloadResult(t, page), []string{
		"1,2175550123,10000001,20000003,changed",
		"2,3035550191,10000004,20000069,changed",
	})
}

// Pause stops a running job between contacts: the page says who paused it
// and offers Resume, and nothing more is sent until then; Resume takes it
// to the end, no contact changed twice.
func TestBulkPauseAndResume(t *testing.T) {
	// 2 calls a second: about a second a contact, time to pause.
	app := startApp(t, withBulk(0, 2))
	page := newCheckedPage(t)
	patched := logPatches(app)
	openBulkForm(t, page, app)
	// Six contacts with marketing off.
	list := []struct {
		value             string
		customer, contact int64
	}{
		{"(217) 555-0177", 10000001, 20000001},
		{"(217) 555-0123", 10000001, 20000003},
		{"(512) 555-0142", 10000002, 20000004},
		{"(303) 555-0178", 10000004, 20000068},
		{"(402) 555-0122", 10000005, 20000072},
		{"(802) 555-0112", 10000005, 20000075},
	}
	var lines []string
	for _, l := range list {
		lines = append(lines, l.value)
	}
	must(t, listInput(page).Fill(strings.Join(lines, "\n")))
	setFlag(t, page, "Marketing updates", "On")
	previewList(t, page)
	expectPreviewCounts(t, page, map[string]string{"change": "6", "unchanged": "0"})
	startJob(t, page, "Start the job")
	expectJobState(t, page, "running", time.Second)

	expectStatus(t, submitTo(t, page, regexp.MustCompile(`/bulk/\d+/pause$`), click(button(page, "Pause"))), http.StatusSeeOther)
	expectJobState(t, page, "paused", time.Second)
	must(t, expect.Locator(message(page, "Job paused")).ToHaveCount(1))
	must(t, expect.Locator(page.Locator("[data-bulk-state-by]")).ToHaveText("Paused by Sandbox user."))
	must(t, expect.Locator(button(page, "Pause")).ToHaveCount(0))
	must(t, expect.Locator(button(page, "Resume")).ToBeVisible())
	must(t, expect.Locator(button(page, "Cancel the job")).ToBeVisible())
	checkA11y(t, page)

	// The contact in hand finishes; then nothing is sent to ServiceTitan:
	// no call in 1.2 s, when a running job makes one every half second.
	calls := apiCalls(app)
	for try := 1; ; try++ {
		time.Sleep(1200 * time.Millisecond)
		n := apiCalls(app)
		if n == calls {
			break
		}
		if try == 4 {
			t.Fatalf("the paused job went on: %d calls to ServiceTitan, then %d", calls, n)
		}
		calls = n
	}
	sent := patched.total()
	if sent >= len(list) {
		t.Fatalf("the job ended before it could be paused (%d PATCHes)", sent)
	}
	visit(t, page, app, "/bulk/1")
	expectJobState(t, page, "paused", time.Second)
	must(t, expect.Locator(jobCount(page, "changed")).ToHaveText(fmt.Sprint(sent)))
	must(t, expect.Locator(jobCount(page, "remaining")).ToHaveText(fmt.Sprint(len(list)-sent)))

	expectStatus(t, submitTo(t, page, regexp.MustCompile(`/bulk/\d+/resume$`), click(button(page, "Resume"))), http.StatusSeeOther)
	must(t, expect.Locator(message(page, "Job resumed")).ToHaveCount(1))
	expectDone(t, page, len(list), 15*time.Second)
	expectJobCounts(t, page, map[string]string{"changed": "6", "unchanged": "0", "failed": "0", "skipped": "0", "remaining": "0"})
	checkA11y(t, page)
	for _, l := range list {
		if n := patched.count(l.customer, l.contact); n != 1 {
			t.Errorf("contact %d received %d PATCHes, want 1", l.contact, n)
		}
		if ct, _ := app.SB.Contact(l.customer, l.contact); ct.Preferences == nil || !ct.Preferences.MarketingUpdatesEnabled {
			t.Errorf("contact %d: marketing updates not on", l.contact)
		}
	}
}

// bulkScreenshots takes TestScreenshots' pictures of bulk changes: the
// preview of optOutCSV, then its job running (at 4 calls a second,
// pictured once three contacts are changed).
func bulkScreenshots(t testing.TB, page playwright.Page, shoot func(page playwright.Page, name, file string)) {
	t.Helper()
	app := startApp(t, withBulk(20, 4))
	patched := logPatches(app)
	openBulkForm(t, page, app)
	must(t, fileInput(page).SetInputFiles(playwright.InputFile{Name: "optouts.csv", MimeType: "text/csv", Buffer: []byte(optOutCSV)}))
	setFlag(t, page, "Marketing updates", "Off")
	previewList(t, page)
	expectPreviewCounts(t, page, map[string]string{"change": "6"})
	shoot(page, "bulk preview", "bulk-preview.png")

	startJob(t, page, "Start the job")
	for deadline := time.Now().Add(10 * time.Second); patched.total() < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the job sent %d PATCHes in 10 s", patched.total())
		}
	}
	visit(t, page, app, "/bulk/1")
	expectJobState(t, page, "running", time.Second)
	shoot(page, "bulk job running", "bulk-job.png")
}
