package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
)

// Every search box takes at most 200 characters: /audit?customer= went
// through the index's search without the limit.
func TestEverySearchBoxHasTheQueryLimit(t *testing.T) {
	up := NewUpstream(t)
	configure, _ := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
	long := strings.Repeat("lovelace ", 23) // 207 characters
	if p := b.Get("/customers?q=" + url.QueryEscape(long)); p.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(Text(p, "[data-problem]"), "at most 200") {
		t.Errorf("/customers: %d %q", p.Status, Text(p, "[data-problem]"))
	}
	p := b.Get("/audit?customer=" + url.QueryEscape(long))
	if !strings.Contains(Text(p, "[data-problem]"), "at most 200") || Attr(p, `input[name="customer"]`, "value") != strings.TrimSpace(long) {
		t.Errorf("/audit: %d %q", p.Status, Text(p, "[data-problem]"))
	}
}

// A search that runs out of its time is stopped and says so, keeping what
// was typed: on SQLite every other page waits for the connection it holds.
func TestSearchStoppedWhenItTakesTooLong(t *testing.T) {
	up := NewUpstream(t)
	configure, _ := WithIndex(t, up, true)
	b := NewBrowser(t, up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
		configure(c)
		c.SearchTimeout = time.Nanosecond // every search runs out of time
	}).URL)
	p := b.Get("/customers?q=lovelace")
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(Text(p, "[data-problem]"), "That search took too long and was stopped") ||
		Attr(p, `input[name="q"]`, "value") != "lovelace" {
		t.Errorf("/customers: %d %q", p.Status, Text(p, "main"))
	}
	if p := b.Get("/audit?customer=lovelace"); !strings.Contains(Text(p, "[data-problem]"), "took too long") {
		t.Errorf("/audit: %d %q", p.Status, Text(p, "[data-problem]"))
	}
}
