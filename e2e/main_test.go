package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/playwright-community/playwright-go"
)

// Shared by every test in the package; set up once in TestMain.
var (
	paths   harnessPaths
	pw      *playwright.Playwright
	browser playwright.Browser
	// expect gives web-first assertions that retry until they pass or time out.
	expect = playwright.NewPlaywrightAssertions(5000)
	// skipReason is set (outside CI only) when the setup is missing: every
	// browser test then skips with it.
	skipReason string
)

// Timeouts for page actions and navigations, in milliseconds. Generous
// enough for a 2-core CI machine, short enough to fail a hung test quickly.
const (
	actionTimeoutMS     = 10_000
	navigationTimeoutMS = 15_000
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	inCI := isCI()
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", args...)
		return 1
	}

	var err error
	paths, err = resolveHarnessPaths()
	if err != nil {
		return fail("%v", err)
	}
	if missing := paths.missing(); len(missing) > 0 {
		msg := "browser test setup is incomplete:\n  - " + strings.Join(missing, "\n  - ") + "\n" + setupHint
		if inCI {
			return fail("FAIL (CI=true, so this is not skipped): %s", msg)
		}
		skipReason = "e2e: " + msg
		fmt.Fprintln(os.Stderr, skipReason)
		return m.Run()
	}

	pw, browser, err = startBrowser(paths)
	if err != nil {
		return fail("FAIL: %v\n%s", err, setupHint)
	}
	defer func() {
		if err := browser.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: closing browser: %v\n", err)
		}
		if err := pw.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping Playwright: %v\n", err)
		}
	}()

	// Artifacts describe the latest run only.
	if err := os.RemoveAll(paths.artifacts); err != nil {
		return fail("clearing %s: %v", paths.artifacts, err)
	}
	return m.Run()
}

func traceScreenshots() bool {
	v, _ := strconv.ParseBool(os.Getenv("E2E_TRACE_SCREENSHOTS"))
	return v
}

func isCI() bool {
	v, _ := strconv.ParseBool(os.Getenv("CI"))
	return v
}

// requireBrowser skips the test when the setup is missing (never under CI,
// where TestMain has already failed).
func requireBrowser(t testing.TB) {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
}

// pageOption adjusts the browser context that newPage creates.
type pageOption func(*playwright.BrowserNewContextOptions)

// withJavaScriptDisabled opens the page with JavaScript turned off, to check
// that a page works as plain HTML (progressive enhancement).
func withJavaScriptDisabled() pageOption {
	return func(o *playwright.BrowserNewContextOptions) {
		o.JavaScriptEnabled = playwright.Bool(false)
	}
}

// withContextOptions applies arbitrary context options (viewport, locale,
// base URL, ...) through fn.
func withContextOptions(fn func(*playwright.BrowserNewContextOptions)) pageOption {
	return pageOption(fn)
}

// newPage opens a page in a fresh browser context (own cookies and storage)
// that is closed when the test ends. Tracing (DOM snapshots; screencast
// frames too with E2E_TRACE_SCREENSHOTS=1) runs from the start; if the test
// has failed by cleanup time, a full-page screenshot and the trace are saved
// to e2e/artifacts/<TestName>/ and their paths logged, otherwise the trace is
// discarded.
func newPage(t testing.TB, opts ...pageOption) playwright.Page {
	t.Helper()
	requireBrowser(t)

	ctxOpts := playwright.BrowserNewContextOptions{
		Locale:     playwright.String("en-US"),
		TimezoneId: playwright.String("UTC"),
	}
	for _, opt := range opts {
		opt(&ctxOpts)
	}
	bctx, err := browser.NewContext(ctxOpts)
	if err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	bctx.SetDefaultTimeout(actionTimeoutMS)
	bctx.SetDefaultNavigationTimeout(navigationTimeoutMS)
	// A screencast filmstrip in the trace costs about a quarter of the
	// suite's time on a 2-core machine; the DOM snapshots and the failure
	// screenshot are usually enough. E2E_TRACE_SCREENSHOTS=1 turns it on.
	if err := bctx.Tracing().Start(playwright.TracingStartOptions{
		Title:       playwright.String(t.Name()),
		Screenshots: playwright.Bool(traceScreenshots()),
		Snapshots:   playwright.Bool(true),
	}); err != nil {
		_ = bctx.Close()
		t.Fatalf("start tracing: %v", err)
	}
	page, err := bctx.NewPage()
	if err != nil {
		_ = bctx.Close()
		t.Fatalf("new page: %v", err)
	}

	if ctxOpts.JavaScriptEnabled != nil && !*ctxOpts.JavaScriptEnabled {
		jsDisabledContexts.Store(bctx, true)
	}

	// One cleanup, so the screenshot is taken before the trace stops and
	// both before the context closes.
	t.Cleanup(func() {
		if t.Failed() {
			saveFailureArtifacts(t, page, bctx)
		} else if err := bctx.Tracing().Stop(); err != nil {
			t.Logf("discarding trace: %v", err)
		}
		if err := bctx.Close(); err != nil {
			t.Errorf("closing browser context: %v", err)
		}
		jsDisabledContexts.Delete(bctx)
	})
	return page
}

// jsDisabledContexts holds the contexts that newPage opened with JavaScript
// disabled (checkA11y has to work around it).
var jsDisabledContexts sync.Map // playwright.BrowserContext -> true

func javaScriptDisabled(bctx playwright.BrowserContext) bool {
	_, ok := jsDisabledContexts.Load(bctx)
	return ok
}

// artifactSeq numbers the pages of one test that save artifacts, so a test
// with several pages does not overwrite its own files.
var (
	artifactSeqMu sync.Mutex
	artifactSeq   = map[string]int{}
)

func saveFailureArtifacts(t testing.TB, page playwright.Page, bctx playwright.BrowserContext) {
	dir := artifactDir(t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("artifacts: %v", err)
		return
	}
	artifactSeqMu.Lock()
	artifactSeq[t.Name()]++
	n := artifactSeq[t.Name()]
	artifactSeqMu.Unlock()
	suffix := ""
	if n > 1 {
		suffix = "-" + strconv.Itoa(n)
	}

	shot := filepath.Join(dir, "screenshot"+suffix+".png")
	if page.IsClosed() {
		t.Logf("artifacts: page already closed, no screenshot")
	} else if _, err := page.Screenshot(playwright.PageScreenshotOptions{
		Path:     playwright.String(shot),
		FullPage: playwright.Bool(true),
		Timeout:  playwright.Float(actionTimeoutMS),
	}); err != nil {
		t.Logf("artifacts: screenshot failed: %v", err)
	} else {
		t.Logf("artifacts: screenshot %s", shot)
	}

	trace := filepath.Join(dir, "trace"+suffix+".zip")
	if err := bctx.Tracing().Stop(trace); err != nil {
		t.Logf("artifacts: saving trace failed: %v", err)
	} else {
		t.Logf("artifacts: trace %s (view: %s %s show-trace --host 127.0.0.1 --port 0 %s)", trace,
			filepath.Join(paths.driverDir, "node"), filepath.Join(paths.driverDir, "package", "cli.js"), trace)
	}
}

// artifactDir maps a test name such as "TestFoo/sub case" to
// e2e/artifacts/TestFoo/sub_case, keeping each path element file-name safe.
func artifactDir(testName string) string {
	parts := strings.Split(testName, "/")
	for i, p := range parts {
		p = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
				return r
			}
			return '_'
		}, p)
		if p == "" || p == "." || p == ".." {
			p = "_"
		}
		parts[i] = p
	}
	return filepath.Join(append([]string{paths.artifacts}, parts...)...)
}
