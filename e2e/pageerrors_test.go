package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// pageErrors records, for one page, every console message of type "error"
// (Chromium reports Content-Security-Policy violations and failed resource
// loads this way) and every uncaught exception ("pageerror").
type pageErrors struct {
	mu      sync.Mutex
	entries []pageErrorEntry
}

type pageErrorEntry struct {
	Kind  string // "console", "csp" (a console error about the CSP) or "pageerror"
	Text  string
	Where string // "url:line:column" when the browser gave one
}

func (e pageErrorEntry) String() string {
	if e.Where == "" {
		return fmt.Sprintf("[%s] %s", e.Kind, e.Text)
	}
	return fmt.Sprintf("[%s] %s (at %s)", e.Kind, e.Text, e.Where)
}

// watchPageErrors starts recording errors on page. Call it right after
// newPage, before the first navigation, so nothing is missed.
func watchPageErrors(page playwright.Page) *pageErrors {
	w := &pageErrors{}
	page.OnConsole(func(m playwright.ConsoleMessage) {
		if m.Type() != "error" {
			return
		}
		e := pageErrorEntry{Kind: "console", Text: m.Text()}
		if isCSPViolation(e.Text) {
			e.Kind = "csp"
		}
		if loc := m.Location(); loc != nil && loc.URL != "" {
			e.Where = fmt.Sprintf("%s:%d:%d", loc.URL, loc.LineNumber+1, loc.ColumnNumber+1)
		}
		w.add(e)
	})
	page.OnPageError(func(err error) {
		w.add(pageErrorEntry{Kind: "pageerror", Text: err.Error()})
	})
	return w
}

func isCSPViolation(text string) bool {
	return strings.Contains(text, "Content Security Policy") || strings.Contains(text, "Content-Security-Policy")
}

func (w *pageErrors) add(e pageErrorEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entries = append(w.entries, e)
}

// all returns a copy of everything recorded so far.
func (w *pageErrors) all() []pageErrorEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]pageErrorEntry(nil), w.entries...)
}

// cspViolations returns only the Content-Security-Policy violations.
func (w *pageErrors) cspViolations() []pageErrorEntry {
	var out []pageErrorEntry
	for _, e := range w.all() {
		if e.Kind == "csp" {
			out = append(out, e)
		}
	}
	return out
}

// assertNoPageErrors fails the test, listing them, if the page logged any
// console error, CSP violation or uncaught exception so far. Events arrive
// asynchronously: assert after the page has visibly settled (e.g. after a
// web-first assertion), not right after an action.
func assertNoPageErrors(t testing.TB, w *pageErrors) {
	t.Helper()
	entries := w.all()
	if len(entries) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d console error(s) / CSP violation(s) / page error(s):", len(entries))
	for _, e := range entries {
		b.WriteString("\n- ")
		b.WriteString(e.String())
	}
	t.Error(b.String())
}
