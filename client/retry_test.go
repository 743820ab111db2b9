package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// A short Retry-After is waited out before the call is made again: the
// retry must come after the time ServiceTitan asked for, not at once.
func TestShortRetryAfterIsWaitedOut(t *testing.T) {
	sb := sandboxtest.Start(t)
	st, err := client.New(sb.ClientConfig(), clienttest.WithMaxRetryWait(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CheckToken(context.Background()); err != nil { // the token is not what is timed
		t.Fatal(err)
	}
	sb.InjectFault(sandbox.Fault{Operation: sandbox.OpGetCustomer, Times: 1, Status: 429, RetryAfter: "1"})
	start := time.Now()
	if _, err := st.GetCustomer(context.Background(), sandbox.SeedCustomerID); err != nil {
		t.Fatalf("GetCustomer after a 429: %v", err)
	}
	if took := time.Since(start); took < 950*time.Millisecond {
		t.Errorf("retried after %v; ServiceTitan asked for 1 s", took)
	}
	if n := sb.Requests(sandbox.OpGetCustomer); n != 2 {
		t.Errorf("%d requests, want 2 (the 429 and the retry)", n)
	}
}
