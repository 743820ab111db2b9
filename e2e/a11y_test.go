package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
)

// axeTags are the rule sets checkA11y runs: WCAG 2.0/2.1 A and AA plus the
// AA rules new in WCAG 2.2.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

func loadAxe() (string, error) {
	axeOnce.Do(func() {
		b, err := os.ReadFile(paths.axeScript)
		if err != nil {
			axeErr = fmt.Errorf("read axe-core (%s): %w", paths.axeScript, err)
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

// axeViolation is the part of an axe-core result that checkA11y reports.
type axeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []axeNode `json:"nodes"`
}

type axeNode struct {
	Target  string `json:"target"`
	Summary string `json:"summary"`
}

// runAxeJS runs axe on the whole document and returns its violations in the
// shape of axeViolation. Shadow-DOM targets are joined with " >>> ".
const runAxeJS = `async (tags) => {
	const results = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
	return results.violations.map(v => ({
		id: v.id,
		impact: v.impact || '',
		help: v.help,
		helpUrl: v.helpUrl,
		nodes: v.nodes.map(n => ({
			target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : String(t)).join(', '),
			summary: n.failureSummary || '',
		})),
	}));
}`

// checkA11y runs axe-core's WCAG 2.x A/AA rules on the page's current
// document and fails the test with one entry per violation (rule id, help
// text, offending nodes). axe-core is injected by page.Evaluate rather than a
// script tag, so it works under the app's strict Content-Security-Policy and
// with JavaScript disabled for the page.
func checkA11y(t testing.TB, page playwright.Page) {
	t.Helper()
	requireBrowser(t)
	violations, err := runAxe(page)
	if err != nil {
		t.Fatalf("checkA11y: %v", err)
	}
	if len(violations) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "checkA11y: %d accessibility violation(s) on %s:", len(violations), page.URL())
	for _, v := range violations {
		fmt.Fprintf(&b, "\n- [%s] %s: %s (%s)", v.Impact, v.ID, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n    at %s", n.Target)
			if n.Summary != "" {
				fmt.Fprintf(&b, "\n      %s", strings.ReplaceAll(n.Summary, "\n", "\n      "))
			}
		}
	}
	t.Error(b.String())
}

// axeTimeout bounds one axe run. page.Evaluate itself has no timeout, and an
// axe run that never settles would otherwise hang until `go test -timeout`.
const axeTimeout = 60 * time.Second

// runAxe injects axe-core into the page (once per document) and runs it.
func runAxe(page playwright.Page) ([]axeViolation, error) {
	// axe.run is asynchronous and waits on timers, which never fire while the
	// page's script execution is disabled. For such a page, allow scripts just
	// for the check: the DOM is already built without the page's own scripts
	// (they do not run retroactively), so the check still sees the no-JS page.
	if javaScriptDisabled(page.Context()) {
		restore, err := allowScriptsTemporarily(page)
		if err != nil {
			return nil, err
		}
		defer restore()
	}

	loaded, err := evaluateWithTimeout(page, axeTimeout,
		`() => typeof window.axe === 'object' && typeof window.axe.run === 'function'`, nil)
	if err != nil {
		return nil, fmt.Errorf("probe for axe-core: %w", err)
	}
	if ok, _ := loaded.(bool); !ok {
		src, err := loadAxe()
		if err != nil {
			return nil, err
		}
		if _, err := evaluateWithTimeout(page, axeTimeout, src, nil); err != nil {
			return nil, fmt.Errorf("inject axe-core: %w", err)
		}
	}
	raw, err := evaluateWithTimeout(page, axeTimeout, runAxeJS, axeTags)
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	// Round-trip through JSON to turn the generic result into structs.
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("axe result: %w", err)
	}
	var violations []axeViolation
	if err := json.Unmarshal(b, &violations); err != nil {
		return nil, fmt.Errorf("axe result: %w", err)
	}
	return violations, nil
}

// allowScriptsTemporarily lifts the context's JavaScript-disabled emulation
// for page through a CDP session (Chromium only) and returns the function
// that puts it back.
func allowScriptsTemporarily(page playwright.Page) (restore func(), err error) {
	session, err := page.Context().NewCDPSession(page)
	if err != nil {
		return nil, fmt.Errorf("CDP session: %w", err)
	}
	setDisabled := func(v bool) error {
		_, err := session.Send("Emulation.setScriptExecutionDisabled", map[string]interface{}{"value": v})
		return err
	}
	// A new session's own state is "enabled", which makes a plain `false` a
	// no-op in Chromium: go through `true` so that `false` takes effect.
	if err := setDisabled(true); err != nil {
		_ = session.Detach()
		return nil, fmt.Errorf("enable scripts for axe: %w", err)
	}
	if err := setDisabled(false); err != nil {
		_ = session.Detach()
		return nil, fmt.Errorf("enable scripts for axe: %w", err)
	}
	return func() {
		// Not detached: closing a CDP session can reset the emulation it set.
		// The session ends with the browser context.
		_ = setDisabled(true)
	}, nil
}

// evaluateWithTimeout is page.Evaluate with an upper bound on its duration.
// On timeout the evaluation is abandoned; it ends when the context closes.
func evaluateWithTimeout(page playwright.Page, d time.Duration, expr string, arg interface{}) (interface{}, error) {
	type result struct {
		v   interface{}
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r result
		if arg == nil {
			r.v, r.err = page.Evaluate(expr)
		} else {
			r.v, r.err = page.Evaluate(expr, arg)
		}
		ch <- r
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(d):
		return nil, fmt.Errorf("no result after %v", d)
	}
}
