package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Every page state passes axe-core's WCAG 2.2 A/AA rules: the search page,
// results, the customer and record pages, the form, and the form after each
// kind of failure.
func TestAccessibilityOfEveryPageState(t *testing.T) {
	app := startApp(t)
	// One page for all states (a context per state costs more than the
	// checks); each state starts from a fresh sandbox and a navigation.
	page := newPage(t)
	errs := watchPageErrors(page)
	for _, s := range pageStates {
		if s.skipAxe {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			errs.clear()
			reachState(t, app, page, s)
			checkA11y(t, page)
			assertNoPageErrors(t, errs)
		})
	}

	// The checker itself works on these pages: an image without alt text
	// added to the last one is reported.
	_, err := page.Evaluate(`() => {
		const img = document.createElement('img');
		img.src = document.querySelector('link[rel=icon]').href;
		document.querySelector('main').append(img);
	}`)
	must(t, err)
	violations, err := runAxe(page)
	must(t, err)
	found := false
	for _, v := range violations {
		found = found || v.ID == "image-alt"
	}
	if !found {
		t.Errorf("axe did not report an <img> without alt text; violations: %+v", violations)
	}
}

// No page logs a console error, throws, or breaks the Content-Security-
// Policy; every page is served with that policy. The detector itself is
// checked too: a deliberate inline script must be reported.
func TestNoConsoleErrorsOrCSPViolations(t *testing.T) {
	app := startApp(t)
	page := newPage(t)
	errs := watchPageErrors(page)
	// Violations as the page's own securitypolicyviolation events see them,
	// kept across navigations (init scripts are exempt from the CSP).
	must(t, page.AddInitScript(playwright.Script{Content: playwright.String(cspEventLogJS)}))
	// Event handlers must not call back into Playwright (that deadlocks):
	// collect the documents here, read their headers afterwards.
	var docsMu sync.Mutex
	var docs []playwright.Response
	page.OnResponse(func(r playwright.Response) {
		if r.Request().ResourceType() == "document" {
			docsMu.Lock()
			docs = append(docs, r)
			docsMu.Unlock()
		}
	})

	var reported []string
	for _, s := range pageStates {
		reachState(t, app, page, s)
		raw, err := page.Evaluate(`() => {
			const log = JSON.parse(sessionStorage.getItem('e2e-csp') || '[]');
			sessionStorage.removeItem('e2e-csp');
			return log;
		}`)
		must(t, err)
		for _, v := range raw.([]interface{}) {
			reported = append(reported, s.name+": "+v.(string))
		}
	}
	assertNoPageErrors(t, errs)
	if len(reported) > 0 {
		t.Errorf("securitypolicyviolation events:\n%s", strings.Join(reported, "\n"))
	}
	docsMu.Lock()
	defer docsMu.Unlock()
	if len(docs) < len(pageStates) {
		t.Errorf("saw %d documents for %d page states", len(docs), len(pageStates))
	}
	var noCSP []string
	for _, r := range docs {
		csp, err := r.HeaderValue("content-security-policy")
		must(t, err)
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			noCSP = append(noCSP, fmt.Sprintf("%d %s: %q", r.Status(), r.URL(), csp))
		}
	}
	if len(noCSP) > 0 {
		t.Errorf("documents served without the Content-Security-Policy: %v", noCSP)
	}

	// The detectors work: an inline script on a real page is blocked and
	// reported both ways.
	control := newPage(t)
	controlErrs := watchPageErrors(control)
	must(t, control.AddInitScript(playwright.Script{Content: playwright.String(cspEventLogJS)}))
	visit(t, control, app, "/")
	expectH1(t, control, "Find a customer")
	_, err := control.Evaluate(`() => {
		const s = document.createElement('script');
		s.textContent = 'document.title = "inline ran"';
		document.body.append(s);
	}`)
	must(t, err)
	must(t, expect.Page(control).Not().ToHaveTitle("inline ran"))
	must(t, expect.Locator(control.Locator("html")).ToHaveAttribute("data-e2e-csp", "1"))
	if got := controlErrs.cspViolations(); len(got) == 0 {
		t.Errorf("the console watcher missed a CSP violation; recorded: %v", controlErrs.all())
	}
}

// cspEventLogJS records securitypolicyviolation events in sessionStorage
// (and counts them on <html data-e2e-csp>).
const cspEventLogJS = `document.addEventListener('securitypolicyviolation', (e) => {
	const log = JSON.parse(sessionStorage.getItem('e2e-csp') || '[]');
	log.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
	sessionStorage.setItem('e2e-csp', JSON.stringify(log));
	document.documentElement.setAttribute('data-e2e-csp', String(log.length));
});`

// Screenshots of the main states for the docs. With UPDATE_SCREENSHOTS=1
// they are written to docs/screenshots/; otherwise the states are still
// rendered and checked, and nothing is written.
func TestScreenshots(t *testing.T) {
	update := os.Getenv("UPDATE_SCREENSHOTS") == "1"
	outDir := filepath.Join(paths.dir, "..", "docs", "screenshots")
	if update {
		must(t, os.MkdirAll(outDir, 0o755))
	}
	const width, height = 1100, 800
	app := startApp(t)
	screen := withContextOptions(func(o *playwright.BrowserNewContextOptions) {
		o.Viewport = &playwright.Size{Width: width, Height: height}
		o.TimezoneId = playwright.String("America/Chicago")
	})
	page := newCheckedPage(t, screen)

	taken := 0
	// shoot takes the picture of page as it is, named file.
	shoot := func(page playwright.Page, name, file string) {
		t.Helper()
		// The top of the page, without a blinking caret, so the pictures
		// are stable.
		_, err := page.Evaluate(`() => { window.scrollTo(0, 0); }`)
		must(t, err)
		shot, err := page.Screenshot(playwright.PageScreenshotOptions{
			Animations: playwright.ScreenshotAnimationsDisabled,
			Caret:      playwright.ScreenshotCaretHide,
		})
		must(t, err)
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s: screenshot is not a PNG: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
			t.Errorf("%s: screenshot is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), width, height)
		}
		// Something was drawn: a blank or single-colour page has few colours.
		colours := map[[4]uint32]bool{}
		for y := 0; y < height; y += 8 {
			for x := 0; x < width; x += 8 {
				r, g, b, a := img.At(x, y).RGBA()
				colours[[4]uint32{r, g, b, a}] = true
			}
		}
		if len(colours) < 8 {
			t.Errorf("%s: screenshot looks blank (%d colours)", name, len(colours))
		}
		if update {
			must(t, os.WriteFile(filepath.Join(outDir, file), shot, 0o644))
			t.Logf("wrote docs/screenshots/%s", file)
		}
		taken++
	}
	for _, s := range pageStates {
		if s.screenshot == "" {
			continue
		}
		reachState(t, app, page, s)
		shoot(page, s.name, s.screenshot)
	}
	// Bulk changes need the index and the job queue: an app of their own.
	locationScreenshot(t, app, page, shoot)
	bulkScreenshots(t, newCheckedPage(t, screen), shoot)
	hygieneScreenshot(t, newCheckedPage(t, screen), shoot)
	if taken != 12 {
		t.Errorf("%d screenshot states, want 12", taken)
	}
}
