package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
)

// Every search box takes at most 200 characters: /audit?customer= went
// through the index's search without the limit.
func TestEverySearchBoxHasTheQueryLimit(t *testing.T) {
	up := newUpstream(t)
	configure, _ := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, configure).URL)
	long := strings.Repeat("lovelace ", 23) // 207 characters
	if p := b.get("/customers?q=" + url.QueryEscape(long)); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(p, "[data-problem]"), "at most 200") {
		t.Errorf("/customers: %d %q", p.status, text(p, "[data-problem]"))
	}
	p := b.get("/audit?customer=" + url.QueryEscape(long))
	if !strings.Contains(text(p, "[data-problem]"), "at most 200") || attr(p, `input[name="customer"]`, "value") != strings.TrimSpace(long) {
		t.Errorf("/audit: %d %q", p.status, text(p, "[data-problem]"))
	}
}

// A search that runs out of its time is stopped and says so, keeping what
// was typed: on SQLite every other page waits for the connection it holds.
func TestSearchStoppedWhenItTakesTooLong(t *testing.T) {
	up := newUpstream(t)
	configure, _ := withIndex(t, up, true)
	b := newBrowser(t, up.appWith(t, time.Second, nil, func(c *handlers.Config) {
		configure(c)
		c.SearchTimeout = time.Nanosecond // every search runs out of time
	}).URL)
	p := b.get("/customers?q=lovelace")
	if p.status != http.StatusServiceUnavailable || !strings.Contains(text(p, "[data-problem]"), "That search took too long and was stopped") ||
		attr(p, `input[name="q"]`, "value") != "lovelace" {
		t.Errorf("/customers: %d %q", p.status, text(p, "main"))
	}
	if p := b.get("/audit?customer=lovelace"); !strings.Contains(text(p, "[data-problem]"), "took too long") {
		t.Errorf("/audit: %d %q", p.status, text(p, "[data-problem]"))
	}
}
