package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/index"
)

// openTrail is the audit trail on a database of the test's, and the
// database.
func openTrail(t *testing.T) (audit.Store, *db.DB) {
	t.Helper()
	h := dbtest.SQLite(t)
	store, err := audit.New(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, h
}

// recordExternal records changes made in ServiceTitan in the trail on h,
// as the tenant index's sync does.
func recordExternal(t *testing.T, h *db.DB, entries ...audit.Entry) {
	t.Helper()
	ctx := context.Background()
	x, err := audit.NewExternal(h.Dialect, 77)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := h.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := x.Record(ctx, tx, entries); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// A change made in ServiceTitan shows in the contact's History and on
// /audit as the app's own do (li.history-entry, data-outcome="saved",
// data-action), with data-source="servicetitan", naming nobody, a texting
// status in plain words; /audit?source= filters by it, the CSV says it
// last, and the customer page links to the customer's History.
func TestChangesMadeInServiceTitanShowBesideTheAppsOwn(t *testing.T) {
	store, h := openTrail(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	form := b.OpenForm(7)
	form.Set("memo", "Saved here")
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
	}
	stop := time.Now().Add(time.Minute)
	recordExternal(t, h,
		audit.Entry{Time: stop, CustomerID: 5, ContactID: 7, Action: audit.ActionUpdate,
			Changes:  []audit.Change{{Field: "phoneSettings.doNotText", Before: "false", After: "true"}},
			Messages: []string{index.TextedStop}},
		audit.Entry{Time: stop.Add(time.Second), CustomerID: 5, ContactID: 8, Action: audit.ActionDelete,
			Changes: []audit.Change{{Field: "type", Before: "Email"}, {Field: "value", Before: "old@example.com"}, {Field: "memo", Before: "Old"}}})

	rec := b.Get("/customers/5/contacts/7")
	entries := rec.Doc.Find("[data-history] li.history-entry")
	if entries.Length() != 2 {
		t.Fatalf("History has %d entries, want 2", entries.Length())
	}
	external, mine := entries.Eq(0), entries.Eq(1)
	for _, tt := range []struct {
		name, attr, want string
	}{
		{"source", "data-source", "servicetitan"}, {"outcome", "data-outcome", "saved"}, {"action", "data-action", "update"}, {"actor", "data-actor", ""},
	} {
		if got, _ := external.Attr(tt.attr); got != tt.want {
			t.Errorf("the change made in ServiceTitan: %s = %q, want %q", tt.attr, got, tt.want)
		}
	}
	said := strings.Join(strings.Fields(external.Text()), " ")
	for _, want := range []string{audit.ExternalActor, "Edited in ServiceTitan", "Texting: Allowed", "Opted out (texted STOP)", index.TextedStop} {
		if !strings.Contains(said, want) {
			t.Errorf("the change made in ServiceTitan reads %q; want it to say %q", said, want)
		}
	}
	if strings.Contains(said, "kelly") || strings.Contains(said, "Kelly") {
		t.Errorf("the change made in ServiceTitan names a person: %q", said)
	}
	if got, _ := mine.Attr("data-source"); got != "app" {
		t.Errorf("the app's own save: data-source = %q, want app", got)
	}

	for _, tt := range []struct {
		query   string
		entries int
		problem string
	}{
		{"", 3, ""},
		{"?source=servicetitan", 2, ""},
		{"?source=app", 1, ""},
		{"?source=servicetitan&action=delete", 1, ""},
		{"?source=elsewhere", 0, "Choose where the changes were made"},
	} {
		p := b.Get("/audit" + tt.query)
		if n := p.Doc.Find("li.history-entry[data-source]").Length(); p.Status != http.StatusOK || n != tt.entries || !strings.Contains(Text(p, "[data-problem]"), tt.problem) {
			t.Errorf("/audit%s: status %d, %d entries, problem %q; want %d, %q", tt.query, p.Status, n, Text(p, "[data-problem]"), tt.entries, tt.problem)
		}
		if tt.query == "?source=servicetitan" {
			if got := Attr(p, "select#source option[selected]", "value"); got != "servicetitan" {
				t.Errorf("the source filter shows %q selected", got)
			}
			if got := Attr(p, "[data-csv-link]", "href"); !strings.Contains(got, "source=servicetitan") {
				t.Errorf("the CSV link %q drops the source", got)
			}
			removal := p.Doc.Find(`li[data-action="delete"]`)
			if !strings.Contains(removal.Text(), "Removed in ServiceTitan") {
				t.Errorf("the removal reads %q", strings.Join(strings.Fields(removal.Text()), " "))
			}
		}
	}

	resp, err := b.HTTP.Get(b.Base + "/audit.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := ReadCSV(t, resp.Body)
	resp.Body.Close()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	last := len(rows[0]) - 1
	if rows[0][last] != "source" {
		t.Errorf("the CSV's last column is %q, want source", rows[0][last])
	}
	sources := map[string]int{}
	for _, row := range rows[1:] {
		sources[row[last]]++
		if row[last] == "servicetitan" && (row[1] != "" || row[2] != audit.ExternalActor) {
			t.Errorf("a change made in ServiceTitan names %q <%s> in the CSV", row[2], row[1])
		}
	}
	if sources["app"] != 1 || sources["servicetitan"] != 4 {
		t.Errorf("CSV rows by source: %v; want the app's save (1 field) and ServiceTitan's STOP (1) and removal (3)", sources)
	}

	if p := b.Get("/customers/5"); Attr(p, "[data-customer-history]", "href") != "/audit?customer=5" {
		t.Errorf("the customer page links its History at %q", Attr(p, "[data-customer-history]", "href"))
	}

	// A removal made in ServiceTitan can be restored; its page says where
	// it was removed, naming nobody.
	all, _, err := store.List(context.Background(), audit.Filter{Action: audit.ActionDelete})
	if err != nil || len(all) != 1 {
		t.Fatalf("removals: %d, %v", len(all), err)
	}
	p := b.Get(fmt.Sprintf("/customers/5/removals/%d/restore", all[0].ID))
	if got := Text(p, "[data-removed-by]"); p.Status != http.StatusOK || !strings.Contains(got, "Removed in ServiceTitan, not through contactdesk") {
		t.Errorf("restore page: status %d, %q", p.Status, got)
	}
}

// A conflict with a change made in ServiceTitan names nobody, though the
// History holds that change (dated as ServiceTitan dated it): it was not
// saved through this app.
func TestAConflictWithAChangeMadeInServiceTitanNamesNobody(t *testing.T) {
	store, h := openTrail(t)
	up := NewUpstream(t)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, WithAudit(store)).URL)
	form := b.OpenForm(7)
	at := time.Now().UTC().Truncate(time.Millisecond)
	up.Edit(7, func(c *client.Contact) { c.Memo, c.ModifiedOn = "Theirs", at })
	recordExternal(t, h, audit.Entry{Time: at, CustomerID: 5, ContactID: 7, Action: audit.ActionUpdate,
		Changes: []audit.Change{{Field: "memo", Before: "Cell", After: "Theirs"}}})
	form.Set("memo", "Mine")
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusConflict {
		t.Fatalf("save: %d, want 409", p.Status)
	}
	if n := p.Doc.Find("[data-conflict-by]").Length(); n != 0 || !strings.Contains(Text(p, "#conflict-title"), "Someone else changed this contact") {
		t.Errorf("the conflict names %q; want nobody", Text(p, "#conflict-title"))
	}
}
