// Package sandboxtest starts a ServiceTitan sandbox for a test and points a
// client at it, as net/http/httptest does for a handler. Tests in several
// packages (client, change, e2e) talk to the sandbox through a real client;
// this is the one place that says how.
package sandboxtest

import (
	"testing"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Start serves a new sandbox, built with opts, on a loopback port until the
// test ends.
func Start(t testing.TB, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	sb := sandbox.New(opts...)
	_, stop, err := sb.Start()
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(stop)
	return sb
}

// ClientConfig is the configuration of a client that calls sb, once started,
// with the credentials it accepts. Timeout and UserAgent are left to the
// caller.
func ClientConfig(sb *sandbox.Server) client.Config {
	creds := sb.Credentials()
	return client.Config{
		APIURL:       sb.APIURL(),
		AuthURL:      sb.TokenURL(),
		TenantID:     creds.TenantID,
		ClientID:     creds.ClientID,
		ClientSecret: creds.ClientSecret,
		AppKey:       creds.AppKey,
	}
}
