package bulk_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// A STOP list (#29, item 3): a preset sets its preferences whatever the
// choices below say; an unknown header is asked about, then read; a
// preview with nothing to change cannot be started.
func TestBulkPresetsColumnsAndNothingToDo(t *testing.T) {
	_, b := BulkApp(t, nil)
	p := b.PostList(map[string]string{"list": "(217) 555-0123\n", "action": "stop", "marketingUpdatesEnabled": "on"}, "")
	if p.Status != http.StatusOK || Text(p, "h1") != "Preview: set Job reminders off, Marketing updates off" {
		t.Fatalf("the STOP preset: %d %q", p.Status, Text(p, "h1"))
	}

	sms := "From,Body,Date\n+1 217 555 0123,STOP,2026-11-02\n"
	p = b.PostList(map[string]string{"list": sms, "action": "unsubscribed"}, "")
	if p.Status != http.StatusUnprocessableEntity || p.Doc.Find(`[data-bulk-column] input[type=radio][name=column]`).Length() != 3 ||
		!strings.Contains(Text(p, "[data-error-summary]"), "From, Body, Date") {
		t.Fatalf("an SMS export's header: %d %q", p.Status, Text(p, "[data-error-summary]"))
	}
	if _, checked := p.Doc.Find(`input[name=action][value=unsubscribed]`).Attr("checked"); !checked {
		t.Errorf("the preset chosen is not kept")
	}
	p = b.PostList(map[string]string{"list": sms, "action": "unsubscribed", "column": "From"}, "")
	if p.Status != http.StatusOK || PreviewCounts(p)["invalid"] != "0" || PreviewCounts(p)["unmatched"] != "0" {
		t.Fatalf("told the column: %d %v %q", p.Status, PreviewCounts(p), Text(p, "main"))
	}

	// Ada's mobile has marketing off already: nothing would change.
	p = b.PostList(map[string]string{"list": "(217) 555-0177\n", "action": "unsubscribed"}, "")
	if _, disabled := p.Doc.Find("[data-confirm-button]").Attr("disabled"); !disabled || PreviewCounts(p)["change"] != "0" {
		t.Fatalf("nothing to change: the button is not disabled (%v)", PreviewCounts(p))
	}
	job, _ := p.Doc.Find(`form[data-bulk-confirm] input[name="job"]`).Attr("value")
	if c := b.Post("/bulk", url.Values{"_csrf": {CSRFOf(p)}, "job": {job}}); c.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(Text(c, "[data-error-summary]"), "Nothing would change") {
		t.Errorf("started anyway: %d %q", c.Status, Text(c, "[data-error-summary]"))
	}
}
