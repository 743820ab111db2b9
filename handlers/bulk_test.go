package handlers_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
)

// bulkRig is the app with bulk jobs: the index synced from the upstream,
// the bulk tables, and a queue that records the runs asked for (the test
// runs them with run).
type bulkRig struct {
	up     *upstream
	idx    *index.Store
	store  *bulk.Store
	queued *runQueue
	runner *bulk.Runner
}

type runQueue struct {
	mu   sync.Mutex
	jobs []int64
}

func (q *runQueue) InsertTx(_ context.Context, _ *sql.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, args.(bulk.RunArgs).Job)
	return &rivertype.JobInsertResult{}, nil
}

func (q *runQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs)
}

// bulkApp starts the app with bulk jobs; configure adjusts it further
// (who may run them).
func bulkApp(t *testing.T, configure func(*handlers.Config)) (*bulkRig, *browser) {
	t.Helper()
	return bulkAppWith(t, nil, configure)
}

// bulkAppWith is bulkApp with prepare run on the upstream and the index
// before the index syncs.
func bulkAppWith(t *testing.T, prepare func(*upstream, *index.Store), configure func(*handlers.Config)) (*bulkRig, *browser) {
	t.Helper()
	up := newUpstream(t)
	ctx := context.Background()
	sqlDB := dbtest.SQLite(t)
	idx, err := index.Open(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(up, idx)
	}
	if err := index.NewSyncer(up.client(t), idx, 1000, nil).Pass(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := bulk.Open(ctx, sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	rig := &bulkRig{up: up, idx: idx, store: store, queued: &runQueue{}}
	srv := up.appWith(t, time.Second, nil, func(c *handlers.Config) {
		c.Index, c.IndexInterval = idx, time.Minute
		c.Changes = newChanges(t, *c, idx)
		c.Bulk = &bulk.Service{Store: store, Index: idx, IndexComplete: idx.Complete, Queue: rig.queued}
		c.BulkOpen = true
		rig.runner = bulk.NewRunner(bulk.RunnerConfig{Store: store, Changes: c.Changes, Trail: c.Audit, PerSecond: 1000})
		if configure != nil {
			configure(c)
		}
	})
	return rig, newBrowser(t, srv.URL)
}

// run works a job to its end, as the queued runs would.
func (r *bulkRig) run(t *testing.T, job int64) {
	t.Helper()
	for range 50 {
		step, err := r.runner.Work(context.Background(), job)
		if err != nil {
			t.Fatal(err)
		}
		if !step.More {
			return
		}
	}
	t.Fatal("the job did not end")
}

// postList posts the list form as a browser does (multipart), with the
// CSRF token of the form on GET /bulk.
func (b *browser) postList(fields map[string]string, file string) page {
	b.t.Helper()
	form := b.get("/bulk")
	token, _ := form.doc.Find(`form[data-bulk-form] input[name="_csrf"]`).Attr("value")
	return b.do(listPost(b.base, token, fields, file))
}

// previewCounts reads the preview's totals by data-preview-count.
func previewCounts(p page) map[string]string {
	out := map[string]string{}
	p.doc.Find("[data-preview-count]").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-preview-count")
		out[k] = strings.TrimSpace(s.Text())
	})
	return out
}

// jobCounts reads a job page's counts by data-count.
func jobCounts(p page) map[string]string {
	out := map[string]string{}
	p.doc.Find("[data-count]").Each(func(_ int, s *goquery.Selection) {
		k, _ := s.Attr("data-count")
		out[k] = strings.TrimSpace(s.Text())
	})
	return out
}

// The whole flow: a pasted list previewed from the index (no call to
// ServiceTitan), confirmed once however often it is posted, worked, and
// its progress and result shown.
func TestBulkPreviewConfirmAndResult(t *testing.T) {
	rig, b := bulkApp(t, nil)
	before := apiRequests(rig.up)
	p := b.postList(map[string]string{"list": "(217) 555-0177\nada@example.com\n(312) 555-0100\nnot a number\n",
		"action": "preferences", "jobRemindersEnabled": "off"}, "")
	if p.status != http.StatusOK {
		t.Fatalf("preview: %d\n%s", p.status, text(p, "main"))
	}
	if got := previewCounts(p); got["change"] != "1" || got["unchanged"] != "1" || got["unmatched"] != "1" || got["invalid"] != "1" {
		t.Errorf("preview counts %v", got)
	}
	if n := apiRequests(rig.up) - before; n != 0 {
		t.Errorf("the preview made %d calls to ServiceTitan", n)
	}
	if rows := p.doc.Find("[data-preview-row]"); rows.Length() != 2 || !strings.Contains(rows.First().Text(), "Job reminders on") {
		t.Errorf("preview rows: %q", text(p, "[data-preview-rows]"))
	}
	if lines := text(p, "[data-preview-lines]"); !strings.Contains(lines, "no contact holds this value") || !strings.Contains(lines, "not a phone number") {
		t.Errorf("preview lines: %q", lines)
	}
	confirm := formValues(p.doc, "form[data-bulk-confirm]")
	job := confirm.Get("job")

	// A double click: one job, one run.
	for range 2 {
		c := b.post("/bulk", confirm)
		if c.status != http.StatusSeeOther || c.location != "/bulk/"+job {
			t.Fatalf("confirm: %d %q", c.status, c.location)
		}
	}
	if n := rig.queued.count(); n != 1 {
		t.Errorf("%d runs queued, want 1", n)
	}
	running := b.get("/bulk/" + job)
	if v, _ := running.doc.Find("progress[data-bulk-progress]").Attr("max"); v != "2" || text(running, "[data-flash]") != "Job started" {
		t.Errorf("the running job: max %q, flash %q", v, text(running, "[data-flash]"))
	}
	if !strings.Contains(running.body, `<noscript><meta http-equiv="refresh" content="5"></noscript>`) {
		t.Error("a running job's page does not refresh itself without JavaScript")
	}

	id := mustID(t, job)
	rig.run(t, id)
	done := b.get("/bulk/" + job)
	value, _ := done.doc.Find("progress[data-bulk-progress]").Attr("value")
	if got := jobCounts(done); value != "2" || got["changed"] != "1" || got["unchanged"] != "1" || got["failed"] != "0" ||
		got["skipped"] != "0" || got["remaining"] != "0" {
		t.Errorf("the job done: progress %q, counts %v", value, got)
	}
	if strings.Contains(done.body, `http-equiv="refresh"`) || done.doc.Find("[data-bulk-pause]").Length() != 0 {
		t.Error("a finished job's page still refreshes or offers Pause")
	}
	if ct, _ := rig.up.sb.Contact(5, 7); ct.Preferences.JobRemindersEnabled || !ct.Preferences.InvoiceStatementNotification {
		t.Errorf("contact 7 now %+v", ct.Preferences)
	}

	resp, err := b.c.Get(b.base + "/bulk/" + job + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rows, err := readCSV(t, resp.Body)
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
	trail := b.get("/audit?job=" + job)
	if j := trail.doc.Find(`[data-audit-bulk-job="` + job + `"]`); j.Length() != 1 || !strings.Contains(j.Text(), "Sandbox user") ||
		!strings.Contains(j.Text(), "1 changed") {
		t.Errorf("/audit's bulk jobs: %q", text(trail, "[data-audit-bulk-jobs]"))
	}
	entries := trail.doc.Find(".history-entry[data-action]")
	if entries.Length() != 1 || entries.Find(`[data-bulk-job-link="`+job+`"]`).Length() != 1 || entries.AttrOr("data-actor", "") != "sandbox.user@example.invalid" {
		t.Errorf("/audit?job=%s lists %d attempts: %q", job, entries.Length(), text(trail, "main"))
	}

	// GET /bulk lists the job.
	home := b.get("/bulk")
	if row := home.doc.Find(`[data-bulk-job="` + job + `"]`); row.Length() != 1 || !strings.Contains(row.Text(), "Job reminders off") {
		t.Errorf("/bulk lists %q", text(home, "[data-bulk-jobs]"))
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not an id: %q", s)
		}
		id = id*10 + int64(r-'0')
	}
	return id
}

// A form with problems comes back with each message linked from the
// summary and next to its field, and the list as typed.
func TestBulkFormProblems(t *testing.T) {
	_, b := bulkApp(t, nil)
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
			p := b.postList(tt.fields, tt.file)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.status)
			}
			if link, _ := p.doc.Find("[data-error-summary] a").Attr("href"); !strings.HasPrefix(link, "#") || p.doc.Find(link).Length() != 1 {
				t.Errorf("the summary links %q, which is not on the page", link)
			}
			if msg := text(p, `[data-field-error="`+tt.field+`"]`); !strings.Contains(msg, tt.msg) {
				t.Errorf("%s's message %q, want %q", tt.field, msg, tt.msg)
			}
			if tt.fields["list"] != "" && p.doc.Find("textarea#field-list").Text() != tt.fields["list"] {
				t.Errorf("the list was not kept: %q", p.doc.Find("textarea#field-list").Text())
			}
		})
	}
}

// A removal starts only when the number of contacts is typed.
func TestBulkRemoveNeedsTheCount(t *testing.T) {
	rig, b := bulkApp(t, nil)
	p := b.postList(map[string]string{"action": "remove"}, "phone\n(217) 555-0123\n")
	if p.status != http.StatusOK || previewCounts(p)["change"] != "1" {
		t.Fatalf("preview: %d %v", p.status, previewCounts(p))
	}
	confirm := formValues(p.doc, "form[data-bulk-confirm]")
	for _, typed := range []string{"", "2"} {
		confirm.Set("confirm", typed)
		c := b.post("/bulk", confirm)
		if c.status != http.StatusUnprocessableEntity || !strings.Contains(text(c, `[data-field-error="confirm"]`), "Type 1") {
			t.Errorf("confirm %q: %d %q", typed, c.status, text(c, `[data-field-error="confirm"]`))
		}
	}
	if rig.queued.count() != 0 {
		t.Fatal("a removal started without its count")
	}
	confirm.Set("confirm", "1")
	if c := b.post("/bulk", confirm); c.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d", c.status)
	}
	rig.run(t, mustID(t, confirm.Get("job")))
	if _, ok := rig.up.sb.Contact(5, 9); ok {
		t.Error("contact 9 was not removed")
	}
}

// Pause, resume and cancel act on the job and say so.
func TestBulkControls(t *testing.T) {
	rig, b := bulkApp(t, nil)
	p := b.postList(map[string]string{"list": "(217) 555-0177\n(217) 555-0123", "action": "preferences", "marketingUpdatesEnabled": "on"}, "")
	confirm := formValues(p.doc, "form[data-bulk-confirm]")
	job := confirm.Get("job")
	b.post("/bulk", confirm)
	jobPage := b.get("/bulk/" + job)
	token, _ := jobPage.doc.Find(`form input[name="_csrf"]`).Attr("value")
	control := func(action string) page {
		t.Helper()
		return b.post("/bulk/"+job+"/"+action, url.Values{"_csrf": {token}})
	}
	if c := control("pause"); c.status != http.StatusSeeOther {
		t.Fatalf("pause: %d", c.status)
	}
	paused := b.get("/bulk/" + job)
	if st, _ := paused.doc.Find("[data-bulk-live]").Attr("data-state"); st != "paused" || paused.doc.Find("[data-bulk-resume]").Length() != 1 ||
		!strings.Contains(text(paused, "[data-bulk-state-by]"), "Sandbox user") {
		t.Errorf("paused: state %q, %q", st, text(paused, "[data-bulk-state-by]"))
	}
	rig.run(t, mustID(t, job)) // a paused job does nothing
	if got := jobCounts(b.get("/bulk/" + job)); got["remaining"] != "2" {
		t.Errorf("a paused job went on: %v", got)
	}
	if c := control("resume"); c.status != http.StatusSeeOther || rig.queued.count() != 2 {
		t.Fatalf("resume: %d, %d runs queued", c.status, rig.queued.count())
	}
	control("cancel")
	cancelled := b.get("/bulk/" + job)
	if got := jobCounts(cancelled); got["cancelled"] != "2" || got["remaining"] != "0" {
		t.Errorf("cancelled: %v", got)
	}
	if c := control("resume"); c.status != http.StatusSeeOther || !strings.Contains(text(b.get("/bulk/"+job), "[data-notice]"), "could not be resumed") {
		t.Errorf("resuming a cancelled job: %d", c.status)
	}
}

// Outside the sandbox, only the people AUTH_BULK_EMAILS or
// AUTH_BULK_GROUPS name may start, pause or cancel jobs; with neither set
// the page says which setting turns bulk changes on. Anyone may look.
func TestBulkPermissions(t *testing.T) {
	t.Run("nok, nobody named", func(t *testing.T) {
		_, b := bulkApp(t, func(c *handlers.Config) { c.BulkOpen = false })
		home := b.get("/bulk")
		if home.status != http.StatusOK || !strings.Contains(text(home, "[data-bulk-not-allowed]"), "AUTH_BULK_EMAILS") ||
			home.doc.Find("[data-bulk-form]").Length() != 0 {
			t.Errorf("/bulk: %d %q", home.status, text(home, "main"))
		}
		form := url.Values{"_csrf": {csrfOf(home)}, "list": {"ada@example.com"}, "action": {"remove"}}
		if p := b.post("/bulk/preview", form); p.status != http.StatusForbidden {
			t.Errorf("preview: %d", p.status)
		}
	})
	t.Run("nok, someone else named", func(t *testing.T) {
		_, b := bulkApp(t, func(c *handlers.Config) {
			c.BulkOpen, c.BulkPolicy = false, identity.Policy{Emails: []string{"lead@acme.example"}}
		})
		home := b.get("/bulk")
		if !strings.Contains(text(home, "[data-bulk-not-allowed]"), "Ask your administrator") {
			t.Errorf("/bulk: %q", text(home, "main"))
		}
		form := url.Values{"_csrf": {csrfOf(home)}, "list": {"ada@example.com"}, "action": {"remove"}}
		if p := b.post("/bulk/preview", form); p.status != http.StatusForbidden {
			t.Errorf("preview: %d", p.status)
		}
	})
	t.Run("ok, named by group", func(t *testing.T) {
		_, b := bulkApp(t, func(c *handlers.Config) {
			c.BulkOpen, c.BulkPolicy = false, identity.Policy{Groups: []string{"office-leads"}}
			c.Identity = identity.Fixed{Email: "kelly@acme.example", Name: "Kelly", Groups: []string{"office-leads"}}
		})
		p := b.postList(map[string]string{"list": "ada@example.com", "action": "preferences", "marketingUpdatesEnabled": "off"}, "")
		if p.status != http.StatusOK || p.doc.Find("form[data-bulk-confirm]").Length() != 1 {
			t.Errorf("preview: %d %q", p.status, text(p, "main"))
		}
	})
}

func csrfOf(p page) string {
	token, _ := p.doc.Find(`input[name="_csrf"]`).First().Attr("value")
	return token
}

// A preview read from an index still loading says so: lines may match
// nothing that should.
func TestBulkPreviewWhileTheIndexLoads(t *testing.T) {
	rig, b := bulkApp(t, nil)
	ready := b.postList(map[string]string{"list": "ada@example.com", "action": "remove"}, "")
	if ready.doc.Find("[data-preview-index-note]").Length() != 0 {
		t.Errorf("a complete index: %q", text(ready, "[data-preview-index-note]"))
	}
	if _, err := rig.idx.Erase(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := b.postList(map[string]string{"list": "ada@example.com", "action": "remove"}, "")
	if note := text(p, "[data-preview-index-note]"); !strings.Contains(note, "still loading") || previewCounts(p)["unmatched"] != "1" {
		t.Errorf("note %q, counts %v", note, previewCounts(p))
	}
}
