// Package sandboxtest starts a ServiceTitan sandbox for a test, as
// net/http/httptest does for a handler; [sandbox.Server.ClientConfig]
// points a real client at it.
package sandboxtest

import (
	"testing"

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
