package e2e

// Temporary: checks the harness itself. Delete once real browser tests exist.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/playwright-community/playwright-go"
)

const smokeCSP = "default-src 'self'"

const smokeIndex = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Harness smoke</title>
</head>
<body>
<main>
<h1>ContactDesk harness</h1>
<p id="js-status">JavaScript did not run</p>
</main>
<script src="/app.js"></script>
</body>
</html>
`

const smokeAppJS = `document.getElementById('js-status').textContent = 'JavaScript ran';`

// smokeInline breaks the CSP on purpose: its inline script must be refused.
const smokeInline = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Inline</title></head>
<body><main><h1>Inline</h1><script>document.title = 'inline ran';</script></main></body>
</html>
`

func newSmokeServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	serve := func(contentType, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", smokeCSP)
			w.Header().Set("Content-Type", contentType)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("GET /{$}", serve("text/html; charset=utf-8", smokeIndex))
	mux.Handle("GET /app.js", serve("text/javascript; charset=utf-8", smokeAppJS))
	mux.Handle("GET /inline", serve("text/html; charset=utf-8", smokeInline))
	mux.Handle("GET /favicon.ico", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func TestHarnessSmoke(t *testing.T) {
	requireBrowser(t)
	srv := newSmokeServer(t)

	t.Run("page", func(t *testing.T) {
		page := newPage(t)
		errs := watchPageErrors(page)
		if _, err := page.Goto(srv.URL + "/"); err != nil {
			t.Fatalf("goto: %v", err)
		}
		if err := expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Level: playwright.Int(1)})).ToHaveText("ContactDesk harness"); err != nil {
			t.Fatal(err)
		}
		if err := expect.Locator(page.Locator("#js-status")).ToHaveText("JavaScript ran"); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, page)
		assertNoPageErrors(t, errs)
	})

	t.Run("javascript-disabled", func(t *testing.T) {
		page := newPage(t, withJavaScriptDisabled())
		if _, err := page.Goto(srv.URL + "/"); err != nil {
			t.Fatalf("goto: %v", err)
		}
		if err := expect.Locator(page.GetByRole("heading", playwright.PageGetByRoleOptions{Level: playwright.Int(1)})).ToHaveText("ContactDesk harness"); err != nil {
			t.Fatal(err)
		}
		if err := expect.Locator(page.Locator("#js-status")).ToHaveText("JavaScript did not run"); err != nil {
			t.Fatal(err)
		}
		checkA11y(t, page)
		// checkA11y lifts the no-JS emulation only while axe runs.
		if _, err := page.Reload(); err != nil {
			t.Fatalf("reload: %v", err)
		}
		if err := expect.Locator(page.Locator("#js-status")).ToHaveText("JavaScript did not run"); err != nil {
			t.Fatalf("JavaScript is enabled again after checkA11y: %v", err)
		}
	})

	t.Run("csp-violation-detected", func(t *testing.T) {
		page := newPage(t)
		errs := watchPageErrors(page)
		if _, err := page.Goto(srv.URL + "/inline"); err != nil {
			t.Fatalf("goto: %v", err)
		}
		if err := expect.Page(page).ToHaveTitle("Inline"); err != nil {
			t.Fatalf("inline script ran despite the CSP: %v", err)
		}
		// The violation is reported asynchronously; poll briefly for it.
		for i := 0; i < 50 && len(errs.cspViolations()) == 0; i++ {
			page.WaitForTimeout(100)
		}
		if got := errs.cspViolations(); len(got) == 0 {
			t.Fatalf("no CSP violation recorded; all errors: %v", errs.all())
		} else {
			t.Logf("recorded as expected: %v", got[0])
		}
	})
}
