package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// A number that texted STOP: its removal confirmation warns before
// anything is removed, and after its Undo the page says the opt-out was
// not carried over and what the undo did (#23, item 2).
func TestRemovalAndUndoOfANumberThatTextedStop(t *testing.T) {
	up := newUpstream(t)
	up.edit(7, func(ct *client.Contact) { ct.Preferences.MarketingUpdatesEnabled = true })
	b := newBrowser(t, up.app(t, time.Second).URL)

	if n := b.get("/customers/5/contacts/9/delete").doc.Find(`[data-warning="texting-opt-out"]`).Length(); n != 0 {
		t.Errorf("a number that may be texted warns %d times", n)
	}
	confirm := b.get("/customers/5/contacts/7/delete")
	warning := text(confirm, `[data-warning="texting-opt-out"]`)
	if !strings.Contains(warning, "texted STOP") || !strings.Contains(warning, "may be texted again") {
		t.Fatalf("the confirmation's warning: %q", warning)
	}
	done := b.post("/customers/5/contacts/7/delete", formValues(confirm.doc, "form[data-remove-form]"))
	if done.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", done.status)
	}
	back := b.post("/customers/5/contacts/undo", formValues(b.get("/customers/5").doc, "form[data-undo-form]"))
	if back.status != http.StatusSeeOther {
		t.Fatalf("undo: %d\n%s", back.status, back.body)
	}
	rec := b.get(back.location)
	note := text(rec, `[data-warning="texting-opt-out"]`)
	if !strings.Contains(note, "NOT carried over") || !strings.Contains(note, "Marketing updates were turned off") {
		t.Errorf("after the undo: %q", note)
	}
	if got := attr(rec, `[data-field="preferences.marketingUpdatesEnabled"]`, "data-value"); got != "false" {
		t.Errorf("marketing updates of the restored contact: %q", got)
	}
	// The History says it, as part of the undo by that person.
	if msg := text(rec, "[data-history] .history-message"); !strings.Contains(msg, "texted STOP") {
		t.Errorf("the undo's History entry says %q", msg)
	}
}

// A removal's preview counts and marks the numbers that texted STOP, as
// the confirmation of one removal warns; a preference change does not (its
// contacts stay, and so does their opt-out).
func TestBulkRemovalPreviewMarksNumbersThatTextedStop(t *testing.T) {
	_, b := bulkApp(t, nil)
	list := "phone\n(217) 555-0177\n(217) 555-0123\n"
	p := b.postList(map[string]string{"action": "remove"}, list)
	if p.status != http.StatusOK || previewCounts(p)["texting-opt-out"] != "1" {
		t.Fatalf("preview: %d %v", p.status, previewCounts(p))
	}
	if w := text(p, `[data-warning="texting-opt-out"]`); !strings.Contains(w, "1 number texted STOP") {
		t.Errorf("the preview's warning: %q", w)
	}
	marked := p.doc.Find("tr[data-texting-opt-out]")
	if marked.Length() != 1 || !strings.Contains(marked.Text(), "(217) 555-0177") || !strings.Contains(marked.Text(), "Texted STOP") {
		t.Errorf("rows marked: %d %q", marked.Length(), marked.Text())
	}
	prefs := b.postList(map[string]string{"action": "preferences", "marketingUpdatesEnabled": "off"}, list)
	if prefs.status != http.StatusOK || previewCounts(prefs)["change"] == "" {
		t.Fatalf("preference preview: %d %v", prefs.status, previewCounts(prefs))
	}
	if _, counted := previewCounts(prefs)["texting-opt-out"]; counted || prefs.doc.Find(`[data-warning="texting-opt-out"], tr[data-texting-opt-out]`).Length() != 0 {
		t.Errorf("a preference change warns of the opt-out: %v", previewCounts(prefs))
	}
}
