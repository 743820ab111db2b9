// Package clienttest holds the client options that only tests set: how
// long the client waits before a retry. A test of what follows a failure
// retries at once instead of waiting as a real caller should.
package clienttest

import (
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// WithMaxRetryWait sets the longest Retry-After that is waited out (once)
// before retrying; longer waits are returned to the caller (0: none is, so
// a rate limit reaches the caller).
func WithMaxRetryWait(d time.Duration) client.Option {
	return func(s *client.Settings) { s.MaxRetryWait = d }
}

// WithBackoff sets the base delay between retries of failed reads (the
// client's is 200 ms, doubled each time, with jitter).
func WithBackoff(d time.Duration) client.Option {
	return func(s *client.Settings) { s.Backoff = d }
}
