package e2e

import (
	"testing"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// The audit trail as staff use it: part of a name in "Changed by", and
// Today a click away.
func TestAuditFiltersByPartOfANameAndToday(t *testing.T) {
	app, page := startAtEditForm(t, sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	must(t, memoInput(page).Fill("Audited today"))
	submit(t, page, click(saveButton(page)))
	must(t, expect.Locator(page.Locator("[data-flash]")).ToHaveText("Contact updated"))

	visit(t, page, app, "/audit")
	entries := page.Locator(".history-entry")
	must(t, expect.Locator(entries).ToHaveCount(1))

	// A part of the name, typed as staff type it.
	for _, tt := range []struct {
		typed string
		want  int
	}{{"sandbox", 1}, {"SANDBOX US", 1}, {"jordan", 0}} {
		must(t, byLabel(page, "Changed by (name or email)").Fill(tt.typed))
		must(t, byLabel(page, "Changed by (name or email)").Press("Enter"))
		must(t, expect.Locator(byLabel(page, "Changed by (name or email)")).ToHaveValue(tt.typed))
		if err := expect.Locator(entries).ToHaveCount(tt.want); err != nil {
			t.Errorf("Changed by %q: %v", tt.typed, err)
		}
	}

	// Today, with the name kept.
	must(t, byLabel(page, "Changed by (name or email)").Fill("sandbox"))
	must(t, byLabel(page, "Changed by (name or email)").Press("Enter"))
	must(t, page.Locator(`[data-audit-shortcut="Today"]`).Click())
	must(t, expect.Locator(page.Locator(`[data-audit-shortcut="Today"]`)).ToHaveAttribute("aria-current", "page"))
	must(t, expect.Locator(entries).ToHaveCount(1))
	must(t, expect.Locator(entries.First()).ToContainText("Audited today"))
	checkA11y(t, page)
}
