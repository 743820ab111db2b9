package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
)

// remove removes contact id of customer 5 through its confirmation, as a
// person does, and returns the Undo form the customer page then offers.
func (b *browser) remove(id int64) (undo map[string]string) {
	b.t.Helper()
	path := "/customers/5/contacts/" + strconv.FormatInt(id, 10) + "/delete"
	done := b.post(path, formValues(b.get(path).doc, "form[data-remove-form]"))
	if done.status != http.StatusSeeOther {
		b.t.Fatalf("remove %d: %d", id, done.status)
	}
	form := formValues(b.get("/customers/5").doc, "form[data-undo-form]")
	if form.Get("removal") == "" {
		b.t.Fatalf("no Undo after removing %d", id)
	}
	undo = map[string]string{}
	for k := range form {
		undo[k] = form.Get(k)
	}
	return undo
}

// The quick Undo takes only the removal this session just made: another
// session's removal (a colleague's, or a bulk job row's) posted to it, or
// this session's older one, is refused and nothing is added; those are
// brought back with Restore (#25, item 8).
func TestUndoTakesOnlyTheRemovalThisSessionMade(t *testing.T) {
	up := newUpstream(t)
	srv := up.app(t, time.Second)
	mine, theirs := newBrowser(t, srv.URL), newBrowser(t, srv.URL)

	older := mine.remove(8)
	latest := mine.remove(9)
	// Another session posts the removal id to its own Undo, with its own
	// valid form token.
	post := formValues(theirs.get("/customers/5/contacts/7/delete").doc, "form[data-remove-form]")
	post.Set("removal", latest["removal"])
	post.Set("nonce", "their-nonce")
	p := theirs.post("/customers/5/contacts/undo", post)
	if p.status != http.StatusForbidden || !strings.Contains(text(p, "[data-error-message]"), "only the removal you made last") {
		t.Fatalf("another session's undo: %d %q", p.status, text(p, "[data-error-message]"))
	}
	if href := attr(p, "[data-back-link]", "href"); href != "/customers/5/removals/"+latest["removal"]+"/restore" {
		t.Errorf("the refusal links %q, not the removal's Restore", href)
	}
	// This session's older removal, posted with its old Undo form.
	form := formValues(mine.get("/customers/5").doc, "form") // any form: for the token
	form.Set("removal", older["removal"])
	form.Set("nonce", older["nonce"])
	form.Set("_csrf", older["_csrf"])
	if p := mine.post("/customers/5/contacts/undo", form); p.status != http.StatusForbidden {
		t.Errorf("an older removal's undo: %d", p.status)
	}
	if up.creates() != 0 {
		t.Fatalf("%d contacts added by refused undos", up.creates())
	}
	// The one just made comes back.
	form.Set("removal", latest["removal"])
	form.Set("nonce", latest["nonce"])
	if p := mine.post("/customers/5/contacts/undo", form); p.status != http.StatusSeeOther || up.creates() != 1 {
		t.Errorf("the latest removal's undo: %d after %d creates", p.status, up.creates())
	}
}

// Restore: a removal in the audit trail carries a Restore action, its own
// confirmation page (the contact as removed, who removed it), a nonce and
// the form token; the restore is an undo naming the removal, under the
// restoring person's name; a removal restored already says so instead of
// adding the contact twice (#23, item 7).
func TestRestoreFromTheAuditTrail(t *testing.T) {
	store := openAudit(t)
	up := newUpstream(t)
	srv := up.appWith(t, time.Second, nil, withAudit(store))
	b := newBrowser(t, srv.URL)
	b.remove(8)

	trail := b.get("/audit?customer=5")
	link := attr(trail, `[data-action="delete"] [data-restore-link]`, "href")
	entries, _, _ := store.List(context.Background(), audit.Filter{Action: audit.ActionDelete})
	if len(entries) != 1 || link != "/customers/5/removals/"+strconv.FormatInt(entries[0].ID, 10)+"/restore" {
		t.Fatalf("Restore link %q for %d removals", link, len(entries))
	}
	removal := entries[0].ID

	// Another session (a colleague, days later) restores it.
	other := newBrowser(t, srv.URL)
	confirm := other.get(link)
	if confirm.status != http.StatusOK || attr(confirm, `[data-field="value"]`, "data-value") != "ada@example.com" ||
		!strings.Contains(text(confirm, "[data-removed-by]"), "Removed by") || up.creates() != 0 {
		t.Fatalf("confirmation: %d %q %q", confirm.status, attr(confirm, `[data-field="value"]`, "data-value"), text(confirm, "[data-removed-by]"))
	}
	form := formValues(confirm.doc, "form[data-restore-form]")
	if form.Get("nonce") == "" || form.Get("_csrf") == "" {
		t.Fatalf("the form carries %v", form)
	}
	noToken := formValues(confirm.doc, "form[data-restore-form]")
	noToken.Del("_csrf")
	if p := other.post(link, noToken); p.status != http.StatusForbidden || up.creates() != 0 {
		t.Errorf("without the form token: %d after %d creates", p.status, up.creates())
	}
	done := other.post(link, form)
	if done.status != http.StatusSeeOther || !strings.HasPrefix(done.location, "/customers/5/contacts/") || up.creates() != 1 {
		t.Fatalf("restore: %d %q after %d creates", done.status, done.location, up.creates())
	}
	if rec := other.get(done.location); text(rec, "[data-flash]") != "Contact restored" {
		t.Errorf("after the restore: %q", text(rec, "[data-flash]"))
	}
	undos, _, _ := store.List(context.Background(), audit.Filter{Undoes: []int64{removal}})
	if len(undos) != 1 || undos[0].Action != audit.ActionCreate || undos[0].Outcome != audit.OutcomeSaved {
		t.Errorf("the restore's entry: %+v", undos)
	}

	// Restored already: the History says so, the page says by whom, and a
	// second post (the same form again, or a fresh one) adds nothing.
	trail = b.get("/audit?customer=5")
	if trail.doc.Find(`[data-action="delete"] [data-restore-link]`).Length() != 0 ||
		trail.doc.Find(`[data-action="delete"] [data-restored] a`).Length() != 1 {
		t.Errorf("the removal still offers Restore once restored")
	}
	if got := attr(trail, `[data-undoes]`, "data-undoes"); got != strconv.FormatInt(removal, 10) {
		t.Errorf("the restore names removal %q", got)
	}
	again := b.get(link)
	if again.doc.Find("[data-already-restored]").Length() != 1 || again.doc.Find("form[data-restore-form]").Length() != 0 {
		t.Errorf("the page of a removal restored already offers it again")
	}
	fresh := formValues(b.get("/customers/5/contacts/9/delete").doc, "form[data-remove-form]")
	fresh.Set("nonce", "another")
	if p := b.post(link, fresh); p.status != http.StatusSeeOther || p.location != link || up.creates() != 1 {
		t.Errorf("a second restore: %d %q after %d creates", p.status, p.location, up.creates())
	}
	if p := other.post(link, form); p.status != http.StatusSeeOther || up.creates() != 1 {
		t.Errorf("the same form again: %d after %d creates", p.status, up.creates())
	}

	// Anything else is no removal to restore.
	for _, path := range []string{"/customers/5/removals/" + strconv.FormatInt(undos[0].ID, 10) + "/restore",
		"/customers/6/removals/" + strconv.FormatInt(removal, 10) + "/restore", "/customers/5/removals/999/restore"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
}
