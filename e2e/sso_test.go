package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/playwright-community/playwright-go"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
)

// ssoProxy is oauth2-proxy, the SSO proxy offices put in front of
// internal tools, in front of the app, signing people in at mockoidc (an
// OpenID Connect provider that signs in whoever is queued next, without a
// login page).
type ssoProxy struct {
	URL string
	IdP *mockoidc.MockOIDC
	log *bytes.Buffer
}

// startSSOProxy runs the oauth2-proxy binary E2E_OAUTH2_PROXY names
// (scripts/setup-oauth2-proxy.sh builds it; scripts/test.sh sets it) in
// front of upstream, on a free loopback port.
func startSSOProxy(t *testing.T, upstream string) *ssoProxy {
	t.Helper()
	bin := os.Getenv("E2E_OAUTH2_PROXY")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("E2E_OAUTH2_PROXY is not set (scripts/test.sh sets it)")
		}
		t.Skip("E2E_OAUTH2_PROXY is not set: export E2E_OAUTH2_PROXY=$(bash scripts/setup-oauth2-proxy.sh | tail -1)")
	}
	idp, err := mockoidc.Run()
	must(t, err)
	t.Cleanup(func() { idp.Shutdown() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	secret := make([]byte, 32)
	rand.Read(secret)
	p := &ssoProxy{URL: "http://" + addr, IdP: idp, log: &bytes.Buffer{}}
	cmd := exec.Command(bin,
		"--http-address="+addr,
		"--upstream="+upstream,
		"--provider=oidc",
		"--oidc-issuer-url="+idp.Issuer(),
		"--client-id="+idp.ClientID,
		"--client-secret="+idp.ClientSecret,
		"--redirect-url="+p.URL+"/oauth2/callback",
		"--scope=openid email profile groups",
		"--email-domain=*",
		"--cookie-secret="+base64.URLEncoding.EncodeToString(secret),
		"--cookie-secure=false",
		"--skip-provider-button=true",
		"--pass-user-headers=true",
	)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("oauth2-proxy log:\n%s", p.log.String())
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(p.URL + "/ping"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("oauth2-proxy did not start: %s", p.log.String())
		}
	}
}

// kellyAtIdP is Kelly as the identity provider knows her: oauth2-proxy
// passes her subject (an opaque id) as X-Forwarded-User.
var kellyAtIdP = &mockoidc.MockUser{Subject: "8d9f7c1e-4b2a-4f0e-9c1d-opaque", Email: "kelly.ng@acme.example", EmailVerified: true,
	PreferredUsername: "Kelly Ng", Groups: []string{"csr"}}

// TestBehindOAuth2Proxy runs the app as offices do: behind oauth2-proxy,
// with the audit trail. Chromium signs in through it at the identity
// provider; the app names Kelly by her preferred username, never by her
// opaque subject; a save appears in the History under her email; sign-out
// goes through /oauth2/sign_out; someone outside AUTH_ALLOWED_DOMAINS gets
// the 403 page; a request that does not come through the proxy gets 401.
func TestBehindOAuth2Proxy(t *testing.T) {
	sqlite, err := audit.New(context.Background(), dbtest.SQLite(t))
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
	sso := startSSOProxy(t, app.URL)
	viaProxy := &testApp{URL: sso.URL, SB: app.SB}

	sso.IdP.QueueUser(kellyAtIdP)
	page := newCheckedPage(t)
	visit(t, page, viaProxy, editPath(sandbox.SeedCustomerID, sandbox.SeedMobileContactID))
	expectEditForm(t, page)
	check(t, expect.Locator(page.Locator("[data-user]")).ToHaveText("Signed in as Kelly Ng (kelly.ng@acme.example) Sign out"))
	check(t, expect.Locator(page.Locator("[data-user]")).Not().ToContainText("opaque"))
	check(t, expect.Locator(link(page, "Sign out")).ToHaveAttribute("href", "/oauth2/sign_out"))
	check(t, memoInput(page).Fill("Call after 5pm"))
	submit(t, page, click(saveButton(page)))

	entry := page.Locator("[data-history] [data-outcome='saved']").First()
	check(t, expect.Locator(entry).ToHaveAttribute("data-actor", "kelly.ng@acme.example"))
	check(t, expect.Locator(entry).ToContainText("Call after 5pm"))
	checkA11y(t, page)

	// Sign out: oauth2-proxy ends the session and sends the browser home,
	// which signs in again at the provider: as someone outside
	// acme.example this time, who gets the 403 page.
	sso.IdP.QueueUser(&mockoidc.MockUser{Subject: "5f0c-opaque", Email: "sam@elsewhere.example", EmailVerified: true, PreferredUsername: "Sam"})
	must(t, link(page, "Sign out").Click())
	check(t, expect.Page(page).ToHaveURL(viaProxy.url("/")))
	check(t, expect.Locator(page.Locator("main")).ToContainText("You are signed in as Sam (sam@elsewhere.example)"))
	check(t, expect.Locator(page.Locator("main")).Not().ToContainText("Kelly"))
	resp, err := page.Reload()
	must(t, err)
	if resp.Status() != http.StatusForbidden {
		t.Errorf("someone outside AUTH_ALLOWED_DOMAINS: status %d, want 403", resp.Status())
	}
	checkA11y(t, page)

	// Straight to the app, not through the proxy: not signed in.
	direct := newPage(t)
	resp, err = direct.Goto(app.url("/"), playwright.PageGotoOptions{})
	must(t, err)
	if resp.Status() != http.StatusUnauthorized {
		t.Errorf("without the proxy: status %d, want 401", resp.Status())
	}
	check(t, expect.Locator(h1(direct)).ToHaveText("You are not signed in"))
}
