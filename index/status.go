package index

import (
	"context"
	"time"
)

// Status is how the index stands, for its page, the search page and the
// metrics.
type Status struct {
	Counts
	CustomerFeed, ContactFeed Feed
	// Ready: both feeds were read to their end once, and recently.
	Ready bool
	// Lag is how long ago the last complete read ended.
	Lag time.Duration
}

// Progress is the share of the tenant's customers the index holds, 0 to 1.
func (st Status) Progress() float64 {
	if st.Ready {
		return 1
	}
	if st.Total <= 0 {
		return 0
	}
	return min(1, float64(st.Counts.Customers)/float64(st.Total))
}

// Status reads how the index stands; it is Ready when both feeds were
// backfilled and the last read ended within staleAfter.
func (s *Store) Status(ctx context.Context, staleAfter time.Duration) (Status, error) {
	var st Status
	var err error
	if st.Counts, err = s.Count(ctx); err != nil {
		return st, err
	}
	if st.CustomerFeed, err = s.Feed(ctx, FeedCustomers); err != nil {
		return st, err
	}
	if st.ContactFeed, err = s.Feed(ctx, FeedContacts); err != nil {
		return st, err
	}
	last := st.ContactFeed.LastSuccess
	if st.CustomerFeed.LastSuccess.Before(last) {
		last = st.CustomerFeed.LastSuccess
	}
	if !last.IsZero() {
		st.Lag = s.now().Sub(last)
	}
	st.Ready = st.CustomerFeed.Backfilled && st.ContactFeed.Backfilled && !last.IsZero() && st.Lag <= staleAfter
	return st, nil
}
