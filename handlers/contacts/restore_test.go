package contacts_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// The quick Undo takes only the removal this session just made: another
// session's removal (a colleague's, or a bulk job row's) posted to it, or
// this session's older one, is refused and nothing is added; those are
// brought back with Restore (#25, item 8).
func TestUndoTakesOnlyTheRemovalThisSessionMade(t *testing.T) {
	up := NewUpstream(t)
	srv := up.App(t, time.Second)
	mine, theirs := NewBrowser(t, srv.URL), NewBrowser(t, srv.URL)

	older := mine.Remove(8)
	latest := mine.Remove(9)
	// Another session posts the removal id to its own Undo, with its own
	// valid form token.
	post := FormValues(theirs.Get("/customers/5/contacts/7/delete").Doc, "form[data-remove-form]")
	post.Set("removal", latest["removal"])
	post.Set("nonce", "their-nonce")
	p := theirs.Post("/customers/5/contacts/undo", post)
	if p.Status != http.StatusForbidden || !strings.Contains(Text(p, "[data-error-message]"), "only the removal you made last") {
		t.Fatalf("another session's undo: %d %q", p.Status, Text(p, "[data-error-message]"))
	}
	if href := Attr(p, "[data-back-link]", "href"); href != "/customers/5/removals/"+latest["removal"]+"/restore" {
		t.Errorf("the refusal links %q, not the removal's Restore", href)
	}
	// This session's older removal, posted with its old Undo form.
	form := FormValues(mine.Get("/customers/5").Doc, "form") // any form: for the token
	form.Set("removal", older["removal"])
	form.Set("nonce", older["nonce"])
	form.Set("_csrf", older["_csrf"])
	if p := mine.Post("/customers/5/contacts/undo", form); p.Status != http.StatusForbidden {
		t.Errorf("an older removal's undo: %d", p.Status)
	}
	if up.Creates() != 0 {
		t.Fatalf("%d contacts added by refused undos", up.Creates())
	}
	// The one just made comes back.
	form.Set("removal", latest["removal"])
	form.Set("nonce", latest["nonce"])
	if p := mine.Post("/customers/5/contacts/undo", form); p.Status != http.StatusSeeOther || up.Creates() != 1 {
		t.Errorf("the latest removal's undo: %d after %d creates", p.Status, up.Creates())
	}
}

// Restore: a removal in the audit trail carries a Restore action, its own
// confirmation page (the contact as removed, who removed it), a nonce and
// the form token; the restore is an undo naming the removal, under the
// restoring person's name; a removal restored already says so instead of
// adding the contact twice (#23, item 7).
func TestRestoreFromTheAuditTrail(t *testing.T) {
	store := OpenAudit(t)
	up := NewUpstream(t)
	srv := up.AppWith(t, time.Second, nil, WithAudit(store))
	b := NewBrowser(t, srv.URL)
	b.Remove(8)

	trail := b.Get("/audit?customer=5")
	link := Attr(trail, `[data-action="delete"] [data-restore-link]`, "href")
	entries, _, _ := store.List(context.Background(), audit.Filter{Action: audit.ActionDelete})
	if len(entries) != 1 || link != "/customers/5/removals/"+strconv.FormatInt(entries[0].ID, 10)+"/restore" {
		t.Fatalf("Restore link %q for %d removals", link, len(entries))
	}
	removal := entries[0].ID

	// Another session (a colleague, days later) restores it.
	other := NewBrowser(t, srv.URL)
	confirm := other.Get(link)
	if confirm.Status != http.StatusOK || Attr(confirm, `[data-field="value"]`, "data-value") != "ada@example.com" ||
		!strings.Contains(Text(confirm, "[data-removed-by]"), "Removed by") || up.Creates() != 0 {
		t.Fatalf("confirmation: %d %q %q", confirm.Status, Attr(confirm, `[data-field="value"]`, "data-value"), Text(confirm, "[data-removed-by]"))
	}
	form := FormValues(confirm.Doc, "form[data-restore-form]")
	if form.Get("nonce") == "" || form.Get("_csrf") == "" {
		t.Fatalf("the form carries %v", form)
	}
	noToken := FormValues(confirm.Doc, "form[data-restore-form]")
	noToken.Del("_csrf")
	if p := other.Post(link, noToken); p.Status != http.StatusForbidden || up.Creates() != 0 {
		t.Errorf("without the form token: %d after %d creates", p.Status, up.Creates())
	}
	done := other.Post(link, form)
	if done.Status != http.StatusSeeOther || !strings.HasPrefix(done.Location, "/customers/5/contacts/") || up.Creates() != 1 {
		t.Fatalf("restore: %d %q after %d creates", done.Status, done.Location, up.Creates())
	}
	if rec := other.Get(done.Location); Text(rec, "[data-flash]") != "Contact restored" {
		t.Errorf("after the restore: %q", Text(rec, "[data-flash]"))
	}
	undos, _, _ := store.List(context.Background(), audit.Filter{Undoes: []int64{removal}})
	if len(undos) != 1 || undos[0].Action != audit.ActionCreate || undos[0].Outcome != audit.OutcomeSaved {
		t.Errorf("the restore's entry: %+v", undos)
	}

	// Restored already: the History says so, the page says by whom, and a
	// second post (the same form again, or a fresh one) adds nothing.
	trail = b.Get("/audit?customer=5")
	if trail.Doc.Find(`[data-action="delete"] [data-restore-link]`).Length() != 0 ||
		trail.Doc.Find(`[data-action="delete"] [data-restored] a`).Length() != 1 {
		t.Errorf("the removal still offers Restore once restored")
	}
	if got := Attr(trail, `[data-undoes]`, "data-undoes"); got != strconv.FormatInt(removal, 10) {
		t.Errorf("the restore names removal %q", got)
	}
	again := b.Get(link)
	if again.Doc.Find("[data-already-restored]").Length() != 1 || again.Doc.Find("form[data-restore-form]").Length() != 0 {
		t.Errorf("the page of a removal restored already offers it again")
	}
	fresh := FormValues(b.Get("/customers/5/contacts/9/delete").Doc, "form[data-remove-form]")
	fresh.Set("nonce", "another")
	if p := b.Post(link, fresh); p.Status != http.StatusSeeOther || p.Location != link || up.Creates() != 1 {
		t.Errorf("a second restore: %d %q after %d creates", p.Status, p.Location, up.Creates())
	}
	if p := other.Post(link, form); p.Status != http.StatusSeeOther || up.Creates() != 1 {
		t.Errorf("the same form again: %d after %d creates", p.Status, up.Creates())
	}

	// Anything else is no removal to restore.
	for _, path := range []string{"/customers/5/removals/" + strconv.FormatInt(undos[0].ID, 10) + "/restore",
		"/customers/6/removals/" + strconv.FormatInt(removal, 10) + "/restore", "/customers/5/removals/999/restore"} {
		if p := b.Get(path); p.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
}
