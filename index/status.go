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
	// Refused counts the feed rows refused as poison, by feed and reason;
	// Waiting the contacts kept aside until their customer comes.
	Refused []Refusal
	Waiting int64
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
// backfilled and the last read ended within staleAfter. It counts the
// rows held, which takes a while on a large index (a fifth of a second
// for a million contacts); Ready alone is quick.
func (s *Store) Status(ctx context.Context, staleAfter time.Duration) (Status, error) {
	var st Status
	var err error
	if st.Counts, err = s.Count(ctx); err != nil {
		return st, err
	}
	if st.CustomerFeed, st.ContactFeed, err = s.feeds(ctx); err != nil {
		return st, err
	}
	st.Ready, st.Lag = s.readiness(st.CustomerFeed, st.ContactFeed, staleAfter)
	if st.Refused, st.Waiting, err = s.refusals(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// Ready reports whether search can be served from the index, as
// Status.Ready does, reading only where the feeds stand: search asks on
// every query.
func (s *Store) Ready(ctx context.Context, staleAfter time.Duration) (bool, error) {
	c, k, err := s.feeds(ctx)
	if err != nil {
		return false, err
	}
	ready, _ := s.readiness(c, k, staleAfter)
	return ready, nil
}

// Complete: every feed was read to its end once, so the index holds the
// whole tenant (search may still be behind: Ready says whether it is
// served from the index).
func (st Status) Complete() bool { return st.CustomerFeed.Backfilled && st.ContactFeed.Backfilled }

// Complete reports Status.Complete, reading only where the feeds stand.
func (s *Store) Complete(ctx context.Context) (bool, error) {
	c, k, err := s.feeds(ctx)
	return Status{CustomerFeed: c, ContactFeed: k}.Complete(), err
}

func (s *Store) feeds(ctx context.Context) (customers, contacts Feed, err error) {
	if customers, err = s.Feed(ctx, FeedCustomers); err != nil {
		return customers, contacts, err
	}
	contacts, err = s.Feed(ctx, FeedContacts)
	return customers, contacts, err
}

// readiness says whether both feeds were backfilled and the older of
// their last reads ended within staleAfter, and how long ago it ended.
func (s *Store) readiness(customers, contacts Feed, staleAfter time.Duration) (ready bool, lag time.Duration) {
	last := contacts.LastSuccess
	if customers.LastSuccess.Before(last) {
		last = customers.LastSuccess
	}
	if !last.IsZero() {
		lag = s.now().Sub(last)
	}
	return customers.Backfilled && contacts.Backfilled && !last.IsZero() && lag <= staleAfter, lag
}
