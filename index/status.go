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
	// LocationFeed and LocationContactFeed are the service locations'.
	LocationFeed, LocationContactFeed Feed
	// Ready: every feed was read to its end once, and recently, and the
	// indexes a first backfill loads without are made again.
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
	fs, err := s.feeds(ctx)
	if err != nil {
		return st, err
	}
	st.CustomerFeed, st.ContactFeed, st.LocationFeed, st.LocationContactFeed = fs[0], fs[1], fs[2], fs[3]
	st.Ready, st.Lag = s.readiness(fs, staleAfter)
	if st.Ready {
		if st.Ready, err = s.loaded(ctx); err != nil {
			return st, err
		}
	}
	if st.Refused, st.Waiting, err = s.refusals(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// Ready reports whether search can be served from the index, as
// Status.Ready does, reading only where the feeds stand: search asks on
// every query.
func (s *Store) Ready(ctx context.Context, staleAfter time.Duration) (bool, error) {
	fs, err := s.feeds(ctx)
	if err != nil {
		return false, err
	}
	if ready, _ := s.readiness(fs, staleAfter); !ready {
		return false, nil
	}
	return s.loaded(ctx)
}

// loaded reports whether the first backfill's indexes are made (see
// load.go): until they are, search is not served from the index.
func (s *Store) loaded(ctx context.Context) (bool, error) {
	loading, err := s.loading(ctx, s.db)
	return !loading, err
}

// Complete: every feed was read to its end once, so the index holds the
// whole tenant (search may still be behind: Ready says whether it is
// served from the index).
func (st Status) Complete() bool {
	return st.CustomerFeed.Backfilled && st.ContactFeed.Backfilled && st.LocationFeed.Backfilled && st.LocationContactFeed.Backfilled
}

// Complete reports Status.Complete, reading only where the feeds stand.
func (s *Store) Complete(ctx context.Context) (bool, error) {
	fs, err := s.feeds(ctx)
	if err != nil {
		return false, err
	}
	for _, f := range fs {
		if !f.Backfilled {
			return false, nil
		}
	}
	return true, nil
}

// feeds reads where every feed stands, in FeedNames' order.
func (s *Store) feeds(ctx context.Context) ([]Feed, error) {
	out := make([]Feed, len(FeedNames))
	for i, name := range FeedNames {
		f, err := s.Feed(ctx, name)
		if err != nil {
			return out, err
		}
		out[i] = f
	}
	return out, nil
}

// readiness says whether every feed was backfilled and the oldest of
// their last reads ended within staleAfter, and how long ago it ended.
func (s *Store) readiness(feeds []Feed, staleAfter time.Duration) (ready bool, lag time.Duration) {
	var last time.Time
	backfilled := true
	for i, f := range feeds {
		if i == 0 || f.LastSuccess.Before(last) {
			last = f.LastSuccess
		}
		backfilled = backfilled && f.Backfilled
	}
	if !last.IsZero() {
		lag = s.now().Sub(last)
	}
	return backfilled && !last.IsZero() && lag <= staleAfter, lag
}
