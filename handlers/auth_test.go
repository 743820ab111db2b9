package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/identity"
)

// behindProxy configures proxy-header identity with the test's own peer
// address (127.0.0.1) trusted or not.
func behindProxy(trusted string, policy identity.Policy) func(*handlers.Config) {
	return func(c *handlers.Config) {
		proxies, _ := identity.ParseProxies(trusted)
		c.TrustedProxies = proxies
		c.Identity = identity.ProxyHeaders{Trusted: proxies}
		c.Policy = policy
		c.SignOutURL = "/oauth2/sign_out"
		c.SSOOrigin = "https://sso.example.com"
	}
}

func getAs(t *testing.T, b *Browser, path string, headers map[string]string) Page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.Base+path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.Do(req)
}

func TestIdentityAndAccess(t *testing.T) {
	kelly := map[string]string{"X-Forwarded-Email": "kelly@acme.example", "X-Forwarded-User": "8d9f7c1e-opaque", "X-Forwarded-Preferred-Username": "Kelly Ng", "X-Forwarded-Groups": "csr"}
	tests := []struct {
		name       string
		trusted    string
		policy     identity.Policy
		headers    map[string]string
		wantStatus int
		wantText   string
	}{
		{"ok, trusted proxy, no allow-lists", "127.0.0.1/32", identity.Policy{}, kelly, 200, "Kelly Ng (kelly@acme.example)"},
		{"ok, allowed by group", "127.0.0.1/32", identity.Policy{Groups: []string{"csr"}}, kelly, 200, "Kelly Ng"},
		{"nok, spoofed headers from an untrusted peer", "10.0.0.0/8", identity.Policy{}, kelly, 401, "You are not signed in"},
		{"nok, no identity from the proxy", "127.0.0.1/32", identity.Policy{}, nil, 401, "You are not signed in"},
		{"nok, outside the allow-lists", "127.0.0.1/32", identity.Policy{Domains: []string{"other.example"}}, kelly, 403,
			"You are signed in as Kelly Ng (kelly@acme.example)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			b := NewBrowser(t, up.AppWith(t, time.Second, nil, behindProxy(tt.trusted, tt.policy)).URL)
			p := getAs(t, b, "/customers/5", tt.headers)
			if p.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d", p.Status, tt.wantStatus)
			}
			if !strings.Contains(strings.Join(strings.Fields(p.Doc.Text()), " "), tt.wantText) {
				t.Errorf("page lacks %q", tt.wantText)
			}
			if tt.wantStatus != 200 && up.Customers.Load() != 0 {
				t.Error("an unauthenticated request reached ServiceTitan")
			}
			if tt.wantStatus == 200 && Attr(p, "a[href='/oauth2/sign_out']", "href") == "" {
				t.Error("sign-out link missing")
			}
			if h := getAs(t, b, "/healthz", nil); h.Status != 200 {
				t.Errorf("healthz needs no identity, got %d", h.Status)
			}
		})
	}
}

func TestSessionBelongsToOnePerson(t *testing.T) {
	up := NewUpstream(t)
	srv := up.AppWith(t, time.Second, nil, behindProxy("127.0.0.1/32", identity.Policy{}))
	b := NewBrowser(t, srv.URL)
	getAs(t, b, "/customers/5", map[string]string{"X-Forwarded-Email": "kelly@acme.example"})
	if p := getAs(t, b, "/", map[string]string{"X-Forwarded-Email": "kelly@acme.example"}); p.Doc.Find("a[href='/customers/5']").Length() == 0 {
		t.Fatal("kelly's recent customer missing")
	}
	if p := getAs(t, b, "/", map[string]string{"X-Forwarded-Email": "sam@acme.example"}); p.Doc.Find("a[href='/customers/5']").Length() != 0 {
		t.Error("sam sees kelly's recently opened customers")
	}
}

func TestHTTPSBehindTrustedProxy(t *testing.T) {
	kelly := map[string]string{"X-Forwarded-Email": "kelly@acme.example", "X-Forwarded-Proto": "https"}
	tests := []struct {
		name      string
		trusted   string
		wantHSTS  bool
		wantHost  bool
		wantCSPTo string
	}{
		{"ok, trusted proxy says https", "127.0.0.1/32", true, true, "form-action 'self' https://sso.example.com"},
		{"nok, untrusted peer cannot claim https", "10.0.0.0/8", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := NewUpstream(t)
			configure := behindProxy(tt.trusted, identity.Policy{})
			if tt.trusted == "10.0.0.0/8" {
				configure = func(c *handlers.Config) {
					proxies, _ := identity.ParseProxies(tt.trusted)
					c.TrustedProxies = proxies
					c.SSOOrigin = "https://sso.example.com"
				}
			}
			b := NewBrowser(t, up.AppWith(t, time.Second, nil, configure).URL)
			p := getAs(t, b, "/", kelly)
			if got := p.Header.Get("Strict-Transport-Security") != ""; got != tt.wantHSTS {
				t.Errorf("HSTS = %v, want %v", got, tt.wantHSTS)
			}
			cookies := (&http.Response{Header: p.Header}).Cookies()
			var hostCookie bool
			for _, c := range cookies {
				if c.Name == "__Host-contactdesk" {
					hostCookie = c.Secure && c.Path == "/" && c.Domain == "" && c.HttpOnly
				}
			}
			if hostCookie != tt.wantHost {
				t.Errorf("__Host- secure cookie = %v, want %v (%v)", hostCookie, tt.wantHost, cookies)
			}
			if !strings.Contains(p.Header.Get("Content-Security-Policy"), "form-action 'self' https://sso.example.com") {
				t.Errorf("CSP = %q", p.Header.Get("Content-Security-Policy"))
			}
		})
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	up, b, form := OpenedForm(t, 7)
	form.Set("memo", strings.Repeat("x", 5<<20))
	p := b.Post("/customers/5/contacts/7", form)
	if p.Status != http.StatusRequestEntityTooLarge || up.Patches.Load() != 0 {
		t.Errorf("status %d, PATCHes %d; want 413, 0", p.Status, up.Patches.Load())
	}
}

func TestChunkedOversizedFormIs413(t *testing.T) {
	_, b, form := OpenedForm(t, 7)
	form.Set("memo", strings.Repeat("x", 2<<20))
	req, _ := http.NewRequest(http.MethodPost, b.Base+"/customers/5/contacts/7", struct{ *strings.Reader }{strings.NewReader(form.Encode())})
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if req.ContentLength > 0 {
		t.Fatal("want a chunked body")
	}
	if p := b.Do(req); p.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", p.Status)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	var debugLogs, infoLogs SyncBuffer
	log := slog.New(teeHandler{
		slog.NewJSONHandler(&debugLogs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&infoLogs, &slog.HandlerOptions{Level: slog.LevelInfo}),
	})
	up := NewUpstream(t)
	calls := 0
	up.OnPatch = func(w http.ResponseWriter, r *http.Request, apply func()) {
		calls++
		switch calls {
		case 1:
			WriteJSON(w, 400, `{"title":"One or more validation errors occurred.","traceId":"t1","errors":{"Value":["Bad."]}}`)
		case 2:
			w.WriteHeader(http.StatusUnauthorized) // forces a token refresh
		case 3:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			apply()
			WriteJSON(w, 200, `{"id":7,"type":"MobilePhone","value":"2175550166","memo":"ok","modifiedOn":"2026-03-04T15:05:05Z","createdOn":"2026-03-04T15:04:05Z"}`)
		}
	}
	b := NewBrowser(t, up.AppWith(t, time.Second, log, nil).URL)
	for range 3 {
		form := b.OpenForm(7)
		form.Set("value", "(217) 555-0166")
		form.Set("memo", "ok")
		b.Post("/customers/5/contacts/7", form)
	}
	b.Get("/customers?q=2175550177")
	b.Get("/customers?q=ada%40example.com")
	all := debugLogs.String()
	if !strings.Contains(all, `"msg":"request"`) {
		t.Fatal("no request logs captured")
	}
	for _, secret := range []string{"client-secret-value", "app-key-value", "secret-token-value", SessionSecret} {
		if strings.Contains(all, secret) {
			t.Errorf("logs contain the secret %q", secret)
		}
	}
	for _, pii := range []string{"2175550166", "555-0166", "2175550177", "ada@example.com", "ada%40example.com"} {
		if strings.Contains(infoLogs.String(), pii) {
			t.Errorf("info-level logs contain customer data %q", pii)
		}
	}
}

type teeHandler []slog.Handler

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, x := range h {
		if x.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, x := range h {
		if x.Enabled(ctx, r.Level) {
			x.Handle(ctx, r.Clone())
		}
	}
	return nil
}

func (h teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithAttrs(as)
	}
	return out
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	out := make(teeHandler, len(h))
	for i, x := range h {
		out[i] = x.WithGroup(name)
	}
	return out
}
