package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"

	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
)

// TestBehindSSOProxyWithAuditHistory runs the app as in production: behind
// an authenticating proxy (a tiny reverse proxy that injects oauth2-proxy's
// identity headers, as the real one does after sign-in) and with the audit
// trail. A save in the browser appears in the contact's History under the
// signed-in person's email.
func TestBehindSSOProxyWithAuditHistory(t *testing.T) {
	sqlite, err := audit.OpenSQLite(context.Background(), t.TempDir()+"/audit.db")
	must(t, err)
	store := audit.CompleteInBackground(sqlite, func(id int64, err error) { t.Errorf("audit outcome %d: %v", id, err) })
	t.Cleanup(func() { store.Close() })
	app := startApp(t, withHandlers(func(c *handlers.Config) {
		proxies, _ := identity.ParseProxies("127.0.0.1/32")
		c.TrustedProxies = proxies
		c.Identity = identity.ProxyHeaders{Trusted: proxies}
		c.Policy = identity.Policy{Domains: []string{"acme.example"}}
		c.SignOutURL = "/oauth2/sign_out"
		c.Audit = store
		c.Sandbox = false
	}))
	upstream, _ := url.Parse(app.URL)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		// Whatever the browser sent, the proxy sets the identity itself.
		r.Header.Set("X-Forwarded-Email", "kelly.ng@acme.example")
		r.Header.Set("X-Forwarded-User", "8d9f7c1e-opaque")
		r.Header.Set("X-Forwarded-Preferred-Username", "Kelly Ng")
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(front.Close)
	viaProxy := &testApp{URL: front.URL, SB: app.SB}

	page := newCheckedPage(t)
	visit(t, page, viaProxy, editPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))
	check(t, expect.Locator(page.Locator("[data-user]")).ToContainText("Kelly Ng (kelly.ng@acme.example)"))
	check(t, expect.Locator(link(page, "Sign out")).ToHaveAttribute("href", "/oauth2/sign_out"))
	check(t, memoInput(page).Fill("Call after 5pm"))
	submit(t, page, click(saveButton(page)))

	entry := page.Locator("[data-history] [data-outcome='saved']").First()
	check(t, expect.Locator(entry).ToHaveAttribute("data-actor", "kelly.ng@acme.example"))
	check(t, expect.Locator(entry).ToContainText("Call after 5pm"))
	checkA11y(t, page)

	// Straight to the app, without the proxy's headers: not signed in.
	direct := newPage(t)
	resp, err := direct.Goto(app.url("/"), playwright.PageGotoOptions{})
	must(t, err)
	if resp.Status() != http.StatusUnauthorized {
		t.Errorf("without the proxy: status %d, want 401", resp.Status())
	}
	check(t, expect.Locator(h1(direct)).ToHaveText("You are not signed in"))
}
