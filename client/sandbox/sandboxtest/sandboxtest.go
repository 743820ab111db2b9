// Package sandboxtest starts a ServiceTitan sandbox for a test, as
// net/http/httptest does for a handler, and holds the sandbox options only
// tests set: their own data, credentials, clock, tokens and page size.
// [sandbox.Server.ClientConfig] points a real client at it.
package sandboxtest

import (
	"testing"
	"time"

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

// WithSeed replaces the sandbox's seed data with records (see
// [sandbox.Settings].Seed); with none, it starts with no customers.
func WithSeed(records ...sandbox.Record) sandbox.Option {
	if records == nil {
		records = []sandbox.Record{} // not nil: nil keeps the built-in seed
	}
	return func(s *sandbox.Settings) { s.Seed = records }
}

// WithCredentials sets the tenant, client id/secret and app key the
// sandbox accepts.
func WithCredentials(c sandbox.Credentials) sandbox.Option {
	return func(s *sandbox.Settings) { s.Credentials = c }
}

// WithClock sets the sandbox's clock for token expiry and for createdOn
// and modifiedOn stamps.
func WithClock(now func() time.Time) sandbox.Option {
	return func(s *sandbox.Settings) { s.Clock = now }
}

// WithAccessToken makes the token endpoint issue token every time, so that
// a test can look for it.
func WithAccessToken(token string) sandbox.Option {
	return func(s *sandbox.Settings) { s.AccessToken = token }
}

// WithTokenLifetime sets how long issued access tokens stay valid.
func WithTokenLifetime(d time.Duration) sandbox.Option {
	return func(s *sandbox.Settings) { s.TokenLifetime = d }
}

// WithExportPageSize sets the most rows a page of an export feed holds, so
// that a test reads several pages of a small tenant.
func WithExportPageSize(n int) sandbox.Option {
	return func(s *sandbox.Settings) { s.ExportPageSize = n }
}
