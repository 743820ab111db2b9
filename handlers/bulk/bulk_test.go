package bulk_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/identity"
)

// The whole flow: a pasted list previewed from the index (no call to
// ServiceTitan), confirmed once however often it is posted, worked, and
// its progress and result shown.
func TestBulkPreviewConfirmAndResult(t *testing.T) {
	rig, b := BulkApp(t, nil)
	before := ApiRequests(rig.Up)
	p := b.PostList(map[string]string{"list": "(217) 555-0177\nada@example.com\n(312) 555-0100\nnot a number\n",
		"action": "preferences", "jobRemindersEnabled": "off"}, "")
	if p.Status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", p.Status, Text(p, "main"))
	}
	if got := PreviewCounts(p); got["change"] != "1" || got["unchanged"] != "1" || got["unmatched"] != "1" || got["invalid"] != "1" {
		t.Errorf("preview counts %v", got)
	}
	if n := ApiRequests(rig.Up) - before; n != 0 {
		t.Errorf("the preview made %d calls to ServiceTitan", n)
	}
	if rows := p.Doc.Find("[data-preview-row]"); rows.Length() != 2 || !strings.Contains(rows.First().Text(), "Job reminders on") {
		t.Errorf("preview rows: %q", Text(p, "[data-preview-rows]"))
	}
	if lines := Text(p, "[data-preview-lines]"); !strings.Contains(lines, "no contact holds this value") || !strings.Contains(lines, "not a phone number") {
		t.Errorf("preview lines: %q", lines)
	}
	confirm := FormValues(p.Doc, "form[data-bulk-confirm]")
	job := confirm.Get("job")

	// A double click: one job, one run.
	for range 2 {
		c := b.Post("/bulk", confirm)
		if c.Status != http.StatusSeeOther || c.Location != "/bulk/"+job {
			t.Fatalf("confirm: %d %q", c.Status, c.Location)
		}
	}
	if n := rig.Queued.Count(); n != 1 {
		t.Errorf("%d runs queued, want 1", n)
	}
	running := b.Get("/bulk/" + job)
	if v, _ := running.Doc.Find("progress[data-bulk-progress]").Attr("max"); v != "2" || Text(running, "[data-flash]") != "Job started" {
		t.Errorf("the running job: max %q, flash %q", v, Text(running, "[data-flash]"))
	}
	if !strings.Contains(running.Body, `<noscript><meta http-equiv="refresh" content="5"></noscript>`) {
		t.Error("a running job's page does not refresh itself without JavaScript")
	}

	id := MustID(t, job)
	rig.Run(t, id)
	done := b.Get("/bulk/" + job)
	value, _ := done.Doc.Find("progress[data-bulk-progress]").Attr("value")
	if got := JobCounts(done); value != "2" || got["changed"] != "1" || got["unchanged"] != "1" || got["failed"] != "0" ||
		got["skipped"] != "0" || got["remaining"] != "0" {
		t.Errorf("the job done: progress %q, counts %v", value, got)
	}
	if strings.Contains(done.Body, `http-equiv="refresh"`) || done.Doc.Find("[data-bulk-pause]").Length() != 0 {
		t.Error("a finished job's page still refreshes or offers Pause")
	}
	if ct, _ := rig.Up.SB.Contact(5, 7); ct.Preferences.JobRemindersEnabled || !ct.Preferences.InvoiceStatementNotification {
		t.Errorf("contact 7 now %+v", ct.Preferences)
	}

	resp, err := b.HTTP.Get(b.Base + "/bulk/" + job + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := ReadCSV(t, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("result CSV: %d, %v", resp.StatusCode, err)
	}
	if strings.Join(rows[0][:6], ",") != "line,value,customer,contact,outcome,message" || len(rows) != 5 {
		t.Fatalf("result CSV %q", rows)
	}
	want := []string{"1,2175550177,5,7,changed", "2,ada@example.com,5,8,unchanged", "3,3125550100,,,unmatched", "4,,,,invalid"}
	for i, w := range want {
		if got := strings.Join(rows[i+1][:5], ","); got != w {
			t.Errorf("result row %d: %q, want %q", i+1, got, w)
		}
	}

	// The audit trail names the job, its owner and its one change.
	trail := b.Get("/audit?job=" + job)
	if j := trail.Doc.Find(`[data-audit-bulk-job="` + job + `"]`); j.Length() != 1 || !strings.Contains(j.Text(), "Sandbox user") ||
		!strings.Contains(j.Text(), "1 changed") {
		t.Errorf("/audit's bulk jobs: %q", Text(trail, "[data-audit-bulk-jobs]"))
	}
	entries := trail.Doc.Find(".history-entry[data-action]")
	if entries.Length() != 1 || entries.Find(`[data-bulk-job-link="`+job+`"]`).Length() != 1 || entries.AttrOr("data-actor", "") != "sandbox.user@example.invalid" {
		t.Errorf("/audit?job=%s lists %d attempts: %q", job, entries.Length(), Text(trail, "main"))
	}

	// GET /bulk lists the job.
	home := b.Get("/bulk")
	if row := home.Doc.Find(`[data-bulk-job="` + job + `"]`); row.Length() != 1 || !strings.Contains(row.Text(), "Job reminders off") {
		t.Errorf("/bulk lists %q", Text(home, "[data-bulk-jobs]"))
	}
}

// A form with problems comes back with each message linked from the
// summary and next to its field, and the list as typed.
func TestBulkFormProblems(t *testing.T) {
	_, b := BulkApp(t, nil)
	tests := []struct {
		name   string
		fields map[string]string
		file   string
		field  string
		msg    string
	}{
		{"nok, no list", map[string]string{"action": "preferences", "marketingUpdatesEnabled": "off"}, "", "list", "Paste a list"},
		{"nok, no preference chosen", map[string]string{"list": "ada@example.com", "action": "preferences"}, "", "flags", "Choose at least one preference"},
		{"nok, no action", map[string]string{"list": "ada@example.com"}, "", "action", "Choose what to do"},
		{"nok, a file that is not text", map[string]string{"action": "remove"}, "\xff\xfe\x00a", "file", "not UTF-8 text"},
		{"nok, an empty file's lines", map[string]string{"list": "\n\n", "action": "remove"}, "", "list", "Paste a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.PostList(tt.fields, tt.file)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status)
			}
			if link, _ := p.Doc.Find("[data-error-summary] a").Attr("href"); !strings.HasPrefix(link, "#") || p.Doc.Find(link).Length() != 1 {
				t.Errorf("the summary links %q, which is not on the page", link)
			}
			if msg := Text(p, `[data-field-error="`+tt.field+`"]`); !strings.Contains(msg, tt.msg) {
				t.Errorf("%s's message %q, want %q", tt.field, msg, tt.msg)
			}
			if tt.fields["list"] != "" && p.Doc.Find("textarea#field-list").Text() != tt.fields["list"] {
				t.Errorf("the list was not kept: %q", p.Doc.Find("textarea#field-list").Text())
			}
		})
	}
}

// A removal starts only when the number of contacts is typed.
func TestBulkRemoveNeedsTheCount(t *testing.T) {
	rig, b := BulkApp(t, nil)
	p := b.PostList(map[string]string{"action": "remove"}, "phone\n(217) 555-0123\n")
	if p.Status != http.StatusOK || PreviewCounts(p)["change"] != "1" {
		t.Fatalf("preview: %d %v", p.Status, PreviewCounts(p))
	}
	confirm := FormValues(p.Doc, "form[data-bulk-confirm]")
	for _, typed := range []string{"", "2"} {
		confirm.Set("confirm", typed)
		c := b.Post("/bulk", confirm)
		if c.Status != http.StatusUnprocessableEntity || !strings.Contains(Text(c, `[data-field-error="confirm"]`), "Type 1") {
			t.Errorf("confirm %q: %d %q", typed, c.Status, Text(c, `[data-field-error="confirm"]`))
		}
	}
	if rig.Queued.Count() != 0 {
		t.Fatal("a removal started without its count")
	}
	confirm.Set("confirm", "1")
	if c := b.Post("/bulk", confirm); c.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", c.Status)
	}
	rig.Run(t, MustID(t, confirm.Get("job")))
	if _, ok := rig.Up.SB.Contact(5, 9); ok {
		t.Error("contact 9 was not removed")
	}
}

// Pause, resume and cancel act on the job and say so.
func TestBulkControls(t *testing.T) {
	rig, b := BulkApp(t, nil)
	p := b.PostList(map[string]string{"list": "(217) 555-0177\n(217) 555-0123", "action": "preferences", "marketingUpdatesEnabled": "on"}, "")
	confirm := FormValues(p.Doc, "form[data-bulk-confirm]")
	job := confirm.Get("job")
	b.Post("/bulk", confirm)
	jobPage := b.Get("/bulk/" + job)
	token, _ := jobPage.Doc.Find(`form input[name="_csrf"]`).Attr("value")
	control := func(action string) Page {
		t.Helper()
		return b.Post("/bulk/"+job+"/"+action, url.Values{"_csrf": {token}})
	}
	if c := control("pause"); c.Status != http.StatusSeeOther {
		t.Fatalf("pause: %d", c.Status)
	}
	paused := b.Get("/bulk/" + job)
	if st, _ := paused.Doc.Find("[data-bulk-live]").Attr("data-state"); st != "paused" || paused.Doc.Find("[data-bulk-resume]").Length() != 1 ||
		!strings.Contains(Text(paused, "[data-bulk-state-by]"), "Sandbox user") {
		t.Errorf("paused: state %q, %q", st, Text(paused, "[data-bulk-state-by]"))
	}
	rig.Run(t, MustID(t, job)) // a paused job does nothing
	if got := JobCounts(b.Get("/bulk/" + job)); got["remaining"] != "2" {
		t.Errorf("a paused job went on: %v", got)
	}
	if c := control("resume"); c.Status != http.StatusSeeOther || rig.Queued.Count() != 2 {
		t.Fatalf("resume: %d, %d runs queued", c.Status, rig.Queued.Count())
	}
	control("cancel")
	cancelled := b.Get("/bulk/" + job)
	if got := JobCounts(cancelled); got["cancelled"] != "2" || got["remaining"] != "0" {
		t.Errorf("cancelled: %v", got)
	}
	if c := control("resume"); c.Status != http.StatusSeeOther || !strings.Contains(Text(b.Get("/bulk/"+job), "[data-notice]"), "could not be resumed") {
		t.Errorf("resuming a cancelled job: %d", c.Status)
	}
}

// Outside the sandbox, only the people AUTH_BULK_EMAILS or
// AUTH_BULK_GROUPS name may start, pause or cancel jobs; with neither set
// the page says which setting turns bulk changes on. Anyone may look.
func TestBulkPermissions(t *testing.T) {
	t.Run("nok, nobody named", func(t *testing.T) {
		_, b := BulkApp(t, func(c *handlers.Config) { c.BulkOpen = false })
		home := b.Get("/bulk")
		if home.Status != http.StatusOK || !strings.Contains(Text(home, "[data-bulk-not-allowed]"), "AUTH_BULK_EMAILS") ||
			home.Doc.Find("[data-bulk-form]").Length() != 0 {
			t.Errorf("/bulk: %d %q", home.Status, Text(home, "main"))
		}
		form := url.Values{"_csrf": {CSRFOf(home)}, "list": {"ada@example.com"}, "action": {"remove"}}
		if p := b.Post("/bulk/preview", form); p.Status != http.StatusForbidden {
			t.Errorf("preview: %d", p.Status)
		}
	})
	t.Run("nok, someone else named", func(t *testing.T) {
		_, b := BulkApp(t, func(c *handlers.Config) {
			c.BulkOpen, c.BulkPolicy = false, identity.Policy{Emails: []string{"lead@acme.example"}}
		})
		home := b.Get("/bulk")
		if !strings.Contains(Text(home, "[data-bulk-not-allowed]"), "Ask your administrator") {
			t.Errorf("/bulk: %q", Text(home, "main"))
		}
		form := url.Values{"_csrf": {CSRFOf(home)}, "list": {"ada@example.com"}, "action": {"remove"}}
		if p := b.Post("/bulk/preview", form); p.Status != http.StatusForbidden {
			t.Errorf("preview: %d", p.Status)
		}
	})
	t.Run("ok, named by group", func(t *testing.T) {
		_, b := BulkApp(t, func(c *handlers.Config) {
			c.BulkOpen, c.BulkPolicy = false, identity.Policy{Groups: []string{"office-leads"}}
			c.Identity = identity.Fixed{Email: "kelly@acme.example", Name: "Kelly", Groups: []string{"office-leads"}}
		})
		p := b.PostList(map[string]string{"list": "ada@example.com", "action": "preferences", "marketingUpdatesEnabled": "off"}, "")
		if p.Status != http.StatusOK || p.Doc.Find("form[data-bulk-confirm]").Length() != 1 {
			t.Errorf("preview: %d %q", p.Status, Text(p, "main"))
		}
	})
}

// A preview read from an index still loading says so: lines may match
// nothing that should.
func TestBulkPreviewWhileTheIndexLoads(t *testing.T) {
	rig, b := BulkApp(t, nil)
	ready := b.PostList(map[string]string{"list": "ada@example.com", "action": "remove"}, "")
	if ready.Doc.Find("[data-preview-index-note]").Length() != 0 {
		t.Errorf("a complete index: %q", Text(ready, "[data-preview-index-note]"))
	}
	if _, err := rig.Index.Erase(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := b.PostList(map[string]string{"list": "ada@example.com", "action": "remove"}, "")
	if note := Text(p, "[data-preview-index-note]"); !strings.Contains(note, "still loading") || PreviewCounts(p)["unmatched"] != "1" {
		t.Errorf("note %q, counts %v", note, PreviewCounts(p))
	}
}
