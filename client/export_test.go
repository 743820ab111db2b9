package client

import (
	"io"
	"time"
)

// Internals for the tests of package client_test, which run the client
// against the sandbox (client/sandbox imports this package, so those tests
// cannot live inside it).

// RenewBefore is how long before expiry a token is replaced.
const RenewBefore = renewBefore

// SetNow sets the clock the client reads Retry-After dates and token
// expiry against.
func (c *Client) SetNow(now func() time.Time) { c.now = now }

// DecodeExportContacts decodes a page of the contacts feed as
// ExportContacts does, without the call: the decode-only baseline of
// benchmarks.
func DecodeExportContacts(r io.Reader, row func(ExportContact) error) (next string, hasMore bool, err error) {
	return decodeExportPage(r, exportContactWire.row, row)
}
