package audit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// CompleteRetryTime bounds how long an outcome's write is tried again (see
// RetryComplete).
const CompleteRetryTime = 10 * time.Second

// RetryComplete records an attempt's outcome through s.Complete, trying
// again after a failure, a little later each time, until it is written, it
// cannot be (an invalid outcome, no such attempt), or ctx ends: a database
// gone for a few seconds (a restart, a failover) must not leave the
// History saying "unknown" for a change whose outcome was known. What
// stays unwritten is settled later by reading the contact.
func RetryComplete(ctx context.Context, s Store, id int64, outcome Outcome, messages []string, traceID string) error {
	if err := checkOutcome(id, outcome); err != nil {
		return err
	}
	wait := 100 * time.Millisecond
	for tries := 1; ; tries++ {
		err := s.Complete(ctx, id, outcome, messages, traceID)
		if err == nil || errors.Is(err, ErrNotFound) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %d tries)", err, tries)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
