package client

import "time"

// Internals for the tests of package client_test, which run the client
// against the sandbox (client/sandbox imports this package, so those tests
// cannot live inside it).

// RenewBefore is how long before expiry a token is replaced.
const RenewBefore = renewBefore

// SetNow sets the clock the client reads Retry-After dates and token
// expiry against.
func (c *Client) SetNow(now func() time.Time) { c.now = now }
