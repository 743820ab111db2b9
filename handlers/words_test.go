package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// An undo reads "Restored" in /audit as in a contact's History, not
// "Added" (#29, item 7).
func TestAuditShowsAnUndoAsRestored(t *testing.T) {
	up := newUpstream(t)
	b := newBrowser(t, up.app(t, time.Second).URL)
	undo := b.remove(8)
	form := url.Values{}
	for k, v := range undo {
		form.Set(k, v)
	}
	if p := b.post("/customers/5/contacts/undo", form); p.status != http.StatusSeeOther {
		t.Fatalf("undo: %d", p.status)
	}
	p := b.get("/audit")
	entry := p.doc.Find(`[data-action="create"]`)
	if entry.Length() != 1 {
		t.Fatalf("%d additions in /audit", entry.Length())
	}
	if got := entry.Find(".action").Text(); got != "Restored" {
		t.Errorf("/audit calls the undo %q", got)
	}
}
