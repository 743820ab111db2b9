package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// pageErrors records, for one page, every console message of type "error"
// (Chromium reports Content-Security-Policy violations and failed resource
// loads this way) and every uncaught exception ("pageerror").
//
// It also records the status of every document the page's main frame
// loaded. Chromium logs "Failed to load resource: the server responded with
// a status of 404" for an error page itself, not only for a broken
// subresource; an error page the test navigated to on purpose (a 404 page, a
// 422 form) is not a console error, so that one message is left out of
// [pageErrors.all] when it names a main-frame document that was answered
// with exactly that status. A stylesheet, script or image that fails to load
// is still reported.
type pageErrors struct {
	mu        sync.Mutex
	entries   []pageErrorEntry
	documents map[string]map[int]bool // main-frame document URL -> statuses seen
}

type pageErrorEntry struct {
	Kind  string // "console", "csp" (a console error about the CSP) or "pageerror"
	Text  string
	Where string // "url:line:column" when the browser gave one
	URL   string // the URL part of Where
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
	w := &pageErrors{documents: map[string]map[int]bool{}}
	page.OnResponse(func(r playwright.Response) {
		if r.Request().IsNavigationRequest() && r.Frame() == page.MainFrame() {
			w.addDocument(r.URL(), r.Status())
		}
	})
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
			e.URL = loc.URL
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

func (w *pageErrors) addDocument(url string, status int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.documents[url] == nil {
		w.documents[url] = map[int]bool{}
	}
	w.documents[url][status] = true
}

// failedLoad matches Chromium's console message for a resource answered
// with an error status.
var failedLoad = regexp.MustCompile(`^Failed to load resource: the server responded with a status of (\d{3})\b`)

// isErrorPageLoadLocked reports whether e is Chromium's note that a main-frame
// document came with the error status the server gave it.
func (w *pageErrors) isErrorPageLoadLocked(e pageErrorEntry) bool {
	if e.Kind != "console" || e.URL == "" {
		return false
	}
	m := failedLoad.FindStringSubmatch(e.Text)
	if m == nil {
		return false
	}
	status, _ := strconv.Atoi(m[1])
	return w.documents[e.URL][status]
}

// all returns a copy of everything recorded so far, except the notes about
// error pages loaded as documents (see [pageErrors]).
func (w *pageErrors) all() []pageErrorEntry {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []pageErrorEntry
	for _, e := range w.entries {
		if !w.isErrorPageLoadLocked(e) {
			out = append(out, e)
		}
	}
	return out
}

// clear forgets the errors recorded so far (not the document statuses), so
// one page can be checked state by state.
func (w *pageErrors) clear() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.entries = nil
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

// newCheckedPage is newPage watched from the start: when the test ends, any
// console error, CSP violation or uncaught exception the page logged fails
// it (assertNoPageErrors, run before the page closes).
func newCheckedPage(t testing.TB, opts ...pageOption) playwright.Page {
	t.Helper()
	page := newPage(t, opts...)
	errs := watchPageErrors(page)
	t.Cleanup(func() { assertNoPageErrors(t, errs) })
	return page
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
