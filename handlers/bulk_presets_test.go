package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A STOP list (#29, item 3): a preset sets its preferences whatever the
// choices below say; an unknown header is asked about, then read; a
// preview with nothing to change cannot be started.
func TestBulkPresetsColumnsAndNothingToDo(t *testing.T) {
	_, b := bulkApp(t, nil)
	p := b.postList(map[string]string{"list": "(217) 555-0123\n", "action": "stop", "marketingUpdatesEnabled": "on"}, "")
	if p.status != http.StatusOK || text(p, "h1") != "Preview: set Job reminders off, Marketing updates off" {
		t.Fatalf("the STOP preset: %d %q", p.status, text(p, "h1"))
	}

	sms := "From,Body,Date\n+1 217 555 0123,STOP,2026-11-02\n"
	p = b.postList(map[string]string{"list": sms, "action": "unsubscribed"}, "")
	if p.status != http.StatusUnprocessableEntity || p.doc.Find(`[data-bulk-column] input[type=radio][name=column]`).Length() != 3 ||
		!strings.Contains(text(p, "[data-error-summary]"), "From, Body, Date") {
		t.Fatalf("an SMS export's header: %d %q", p.status, text(p, "[data-error-summary]"))
	}
	if _, checked := p.doc.Find(`input[name=action][value=unsubscribed]`).Attr("checked"); !checked {
		t.Errorf("the preset chosen is not kept")
	}
	p = b.postList(map[string]string{"list": sms, "action": "unsubscribed", "column": "From"}, "")
	if p.status != http.StatusOK || previewCounts(p)["invalid"] != "0" || previewCounts(p)["unmatched"] != "0" {
		t.Fatalf("told the column: %d %v %q", p.status, previewCounts(p), text(p, "main"))
	}

	// Ada's mobile has marketing off already: nothing would change.
	p = b.postList(map[string]string{"list": "(217) 555-0177\n", "action": "unsubscribed"}, "")
	if _, disabled := p.doc.Find("[data-confirm-button]").Attr("disabled"); !disabled || previewCounts(p)["change"] != "0" {
		t.Fatalf("nothing to change: the button is not disabled (%v)", previewCounts(p))
	}
	job, _ := p.doc.Find(`form[data-bulk-confirm] input[name="job"]`).Attr("value")
	if c := b.post("/bulk", url.Values{"_csrf": {csrfOf(p)}, "job": {job}}); c.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(c, "[data-error-summary]"), "Nothing would change") {
		t.Errorf("started anyway: %d %q", c.status, text(c, "[data-error-summary]"))
	}
}
