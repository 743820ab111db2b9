package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A number that texted STOP: its removal confirmation warns before
// anything is removed, and after its Undo the page says the opt-out was
// not carried over and what the undo did (#23, item 2).
func TestRemovalAndUndoOfANumberThatTextedStop(t *testing.T) {
	up := NewUpstream(t)
	up.Edit(7, func(ct *client.Contact) { ct.Preferences.MarketingUpdatesEnabled = true })
	b := NewBrowser(t, up.App(t, time.Second).URL)

	if n := b.Get("/customers/5/contacts/9/delete").Doc.Find(`[data-warning="texting-opt-out"]`).Length(); n != 0 {
		t.Errorf("a number that may be texted warns %d times", n)
	}
	confirm := b.Get("/customers/5/contacts/7/delete")
	warning := Text(confirm, `[data-warning="texting-opt-out"]`)
	if !strings.Contains(warning, "texted STOP") || !strings.Contains(warning, "may be texted again") {
		t.Fatalf("the confirmation's warning: %q", warning)
	}
	done := b.Post("/customers/5/contacts/7/delete", FormValues(confirm.Doc, "form[data-remove-form]"))
	if done.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", done.Status)
	}
	back := b.Post("/customers/5/contacts/undo", FormValues(b.Get("/customers/5").Doc, "form[data-undo-form]"))
	if back.Status != http.StatusSeeOther {
		t.Fatalf("undo: %d\n%s", back.Status, back.Body)
	}
	rec := b.Get(back.Location)
	note := Text(rec, `[data-warning="texting-opt-out"]`)
	if !strings.Contains(note, "NOT carried over") || !strings.Contains(note, "Marketing updates were turned off") {
		t.Errorf("after the undo: %q", note)
	}
	if got := Attr(rec, `[data-field="preferences.marketingUpdatesEnabled"]`, "data-value"); got != "false" {
		t.Errorf("marketing updates of the restored contact: %q", got)
	}
	// The History says it, as part of the undo by that person.
	if msg := Text(rec, "[data-history] .history-message"); !strings.Contains(msg, "texted STOP") {
		t.Errorf("the undo's History entry says %q", msg)
	}
}

// A removal's preview counts and marks the numbers that texted STOP, as
// the confirmation of one removal warns; a preference change does not (its
// contacts stay, and so does their opt-out).
func TestBulkRemovalPreviewMarksNumbersThatTextedStop(t *testing.T) {
	_, b := BulkApp(t, nil)
	list := "phone\n(217) 555-0177\n(217) 555-0123\n"
	p := b.PostList(map[string]string{"action": "remove"}, list)
	if p.Status != http.StatusOK || PreviewCounts(p)["texting-opt-out"] != "1" {
		t.Fatalf("preview: %d %v", p.Status, PreviewCounts(p))
	}
	if w := Text(p, `[data-warning="texting-opt-out"]`); !strings.Contains(w, "1 number texted STOP") {
		t.Errorf("the preview's warning: %q", w)
	}
	marked := p.Doc.Find("tr[data-texting-opt-out]")
	if marked.Length() != 1 || !strings.Contains(marked.Text(), "(217) 555-0177") || !strings.Contains(marked.Text(), "Texted STOP") {
		t.Errorf("rows marked: %d %q", marked.Length(), marked.Text())
	}
	prefs := b.PostList(map[string]string{"action": "preferences", "marketingUpdatesEnabled": "off"}, list)
	if prefs.Status != http.StatusOK || PreviewCounts(prefs)["change"] == "" {
		t.Fatalf("preference preview: %d %v", prefs.Status, PreviewCounts(prefs))
	}
	if _, counted := PreviewCounts(prefs)["texting-opt-out"]; counted || prefs.Doc.Find(`[data-warning="texting-opt-out"], tr[data-texting-opt-out]`).Length() != 0 {
		t.Errorf("a preference change warns of the opt-out: %v", PreviewCounts(prefs))
	}
}
