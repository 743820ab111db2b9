package audit_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// An undo reads "Restored" in /audit as in a contact's History, not
// "Added" (#29, item 7).
func TestAuditShowsAnUndoAsRestored(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	undo := b.Remove(8)
	form := url.Values{}
	for k, v := range undo {
		form.Set(k, v)
	}
	if p := b.Post("/customers/5/contacts/undo", form); p.Status != http.StatusSeeOther {
		t.Fatalf("undo: %d", p.Status)
	}
	p := b.Get("/audit")
	entry := p.Doc.Find(`[data-action="create"]`)
	if entry.Length() != 1 {
		t.Fatalf("%d additions in /audit", entry.Length())
	}
	if got := entry.Find(".action").Text(); got != "Restored" {
		t.Errorf("/audit calls the undo %q", got)
	}
}
