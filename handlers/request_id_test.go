package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/identity"
)

// A well-formed X-Request-Id is kept only from a trusted proxy: from any
// other peer it is replaced, whatever it looks like.
func TestRequestIDOnlyFromTrustedProxies(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted string
		keep    bool
	}{
		{"ok, from the trusted proxy", "127.0.0.1/32", true},
		{"nok, from a peer outside AUTH_TRUSTED_PROXIES", "10.0.0.0/8", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			proxies, _ := identity.ParseProxies(tt.trusted)
			up := NewUpstream(t)
			srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) { c.TrustedProxies = proxies })
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
			req.Header.Set("X-Request-Id", "proxy-id-123")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Request-Id") == "proxy-id-123"; got != tt.keep {
				t.Errorf("X-Request-Id kept = %v, want %v", got, tt.keep)
			}
		})
	}
}

func TestRequestIDFromClientsIsNotTrusted(t *testing.T) {
	up := NewUpstream(t)
	b := NewBrowser(t, up.App(t, time.Second).URL)
	p := getAs(t, b, "/", map[string]string{"X-Request-Id": "forged <id>"})
	if got := p.Header.Get("X-Request-Id"); got == "forged <id>" || got == "" {
		t.Errorf("X-Request-Id = %q", got)
	}
}
