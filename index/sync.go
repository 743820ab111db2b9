package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactdesk/contactdesk/client"
)

// Feeds is what the sync needs from ServiceTitan; *client.Client has it.
type Feeds interface {
	ExportCustomers(ctx context.Context, from string, row func(client.ExportCustomer) error) (next string, hasMore bool, err error)
	ExportContacts(ctx context.Context, from string, row func(client.ExportContact) error) (next string, hasMore bool, err error)
	ExportLocations(ctx context.Context, from string, row func(client.ExportLocation) error) (next string, hasMore bool, err error)
	ExportLocationContacts(ctx context.Context, from string, row func(client.ExportLocationContact) error) (next string, hasMore bool, err error)
	CountCustomers(ctx context.Context) (int, error)
}

// pageTime is the time a pass keeps for reading and applying one more
// page; with less left before its deadline it stops.
const pageTime = 30 * time.Second

// Syncer brings the index up to date from the Data Export feeds.
type Syncer struct {
	feeds Feeds
	store *Store
	log   *slog.Logger
	// share is the sync's part of the tenant's rate budget (INDEX_RATE).
	share *rate.Limiter
	// maxPages bounds one pass, so a feed that never ends cannot hold a
	// job forever; the next pass goes on from the cursor.
	maxPages int
	// checkMargin is the time a pass keeps after its hygiene check stops,
	// to end (see Step).
	checkMargin time.Duration
}

// NewSyncer returns a Syncer taking at most perSecond calls.
func NewSyncer(feeds Feeds, store *Store, perSecond float64, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{feeds: feeds, store: store, log: log, share: rate.NewLimiter(rate.Limit(perSecond), 1), maxPages: 2000,
		checkMargin: 5 * time.Second}
}

// Pass reads each feed from its cursor to its end, a page at a time, each
// page applied with its cursor in one transaction. A page that cannot be
// read (malformed, ServiceTitan down) leaves the cursor where it was: the
// error is recorded and returned, and the job runs again with backoff. So
// does a feed that does not move on (see ErrFeedStuck). A token
// ServiceTitan no longer takes (400) restarts the feed from its high-water
// mark (see Store.Restart).
//
// One pass works at a time (on every instance together): Pass returns nil
// at once when another holds the pass lock.
func (s *Syncer) Pass(ctx context.Context) error {
	_, err := s.Step(ctx)
	return err
}

// errOutOfTime: a feed stopped before its end because the pass's time is
// nearly up; the next pass goes on from its cursor.
var errOutOfTime = errors.New("index: the pass is out of time")

// Step is Pass, saying whether it stopped before the feeds' end because
// its time (ctx's deadline) was nearly up: the caller goes on at once.
func (s *Syncer) Step(ctx context.Context) (more bool, err error) {
	release, ok, err := s.store.lockPass(ctx)
	if err != nil || !ok {
		if err == nil {
			s.log.DebugContext(ctx, "index: another sync pass is running; this one has nothing to do")
		}
		return false, err
	}
	defer release()
	// An empty index about to load drops what only search and the
	// hygiene report read, until every feed has ended (see load.go).
	if err := s.store.beginLoading(ctx); err != nil {
		return false, err
	}
	ctx = client.Background(ctx, s.share)
	if n, err := s.feeds.CountCustomers(ctx); err == nil {
		if err := s.store.SetTotal(ctx, "customers", n); err != nil {
			s.log.WarnContext(ctx, "index: the tenant's customer count could not be kept", "error", err)
		}
	} else {
		s.log.WarnContext(ctx, "index: the tenant's customer count could not be read", "error", err)
	}
	for _, feed := range FeedNames {
		if err := s.feed(ctx, feed); errors.Is(err, errOutOfTime) {
			more = true
			break
		} else if err != nil {
			return false, err
		}
	}
	if !more {
		if err := s.store.finishLoading(ctx); err != nil {
			return false, err
		}
		switch err := s.store.optimizeSearch(ctx); {
		case errors.Is(err, errOptimizeLater) || err != nil && ctx.Err() != nil:
			more = true
		case err != nil:
			return false, err
		}
	}
	// The rows the pages brought are checked for the hygiene report
	// after they are in, and what the report counts across contacts is
	// brought up to date: a failure costs the report a pass, not search
	// its rows.
	// The check stops a little before the pass's time is up (a million
	// contacts take longer than a pass), and the next pass, at once, goes
	// on from where it stands.
	checkCtx := ctx
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		checkCtx, cancel = context.WithDeadline(ctx, d.Add(-s.checkMargin))
		defer cancel()
	}
	n, err := s.store.Check(checkCtx)
	switch {
	case err != nil && ctx.Err() == nil && checkCtx.Err() != nil:
		s.log.DebugContext(ctx, "index: the hygiene check goes on in the next pass", "contacts", n)
		more = true
	case err != nil && ctx.Err() == nil:
		s.log.WarnContext(ctx, "index: contacts could not be checked for the hygiene report", "error", err)
	case n > 0:
		s.log.DebugContext(ctx, "index: contacts checked for the hygiene report", "contacts", n)
	}
	return more, nil
}

// ErrFeedStuck: a feed does not move on. Its continueFrom came back to a
// token it already gave in the pass, it sent a page with no row that says
// more follow, or it did not end within the pass's page limit. Read on, it
// would spend the rate budget forever while the index learns nothing.
var ErrFeedStuck = errors.New("index: the feed does not move on")

func (s *Syncer) feed(ctx context.Context, feed string) error {
	restarted := false
	// The tokens the feed gave in this pass (and the one it started from),
	// since its cursor last moved other than by this pass (an erase,
	// another sync, a restart).
	seen := map[string]bool{}
	applied := ""
	// next is the page after the one being applied, read meanwhile.
	var next *prefetch
	defer func() { next.drop() }()
	for i := range s.maxPages {
		if d, ok := ctx.Deadline(); ok && next == nil && time.Until(d) < pageTime {
			// Out of time for another page: the next pass goes on
			// from the cursor. (A page read ahead was begun in time.)
			return errOutOfTime
		}
		state, err := s.store.Feed(ctx, feed)
		if err != nil {
			return err
		}
		if state.ContinueFrom != applied {
			clear(seen)
		}
		seen[state.ContinueFrom] = true
		var page Page
		if next != nil && next.from == state.ContinueFrom {
			page, err = next.wait()
		} else {
			// Nothing read ahead, or read from a token the cursor
			// no longer holds (it moved, or the feed restarted).
			next.drop()
			page, err = s.read(ctx, feed, state.ContinueFrom)
		}
		next = nil
		if errors.Is(err, client.ErrValidation) && !restarted {
			from, rerr := s.store.Restart(ctx, feed)
			if rerr != nil {
				return rerr
			}
			s.log.WarnContext(ctx, "index: ServiceTitan refused the feed's token; starting again from the newest change the feed sent, less a margin",
				"feed", feed, "from", from, "error", err)
			restarted = true
			continue
		}
		if err != nil && ctx.Err() != nil {
			// The app is stopping (or the pass ran out of time): not the
			// feed's fault, nothing to record.
			return fmt.Errorf("index: read the %s feed: %w", feed, ctx.Err())
		}
		if err != nil {
			return s.failed(ctx, feed, err)
		}
		if page.HasMore {
			switch {
			case len(page.Customers)+len(page.Contacts)+len(page.Locations) == 0:
				return s.failed(ctx, feed, fmt.Errorf("%w: a page with no row says more follow", ErrFeedStuck))
			case seen[page.Next]:
				return s.failed(ctx, feed, fmt.Errorf("%w: its continueFrom came back to a token it already gave in this pass", ErrFeedStuck))
			}
		}
		page.From = state.ContinueFrom
		if page.HasMore && i+1 < s.maxPages {
			if d, ok := ctx.Deadline(); !ok || time.Until(d) >= pageTime {
				next = s.readAhead(ctx, feed, page.Next)
			}
		}
		err = s.store.Apply(ctx, page)
		if errors.Is(err, ErrCursorMoved) {
			// Erased, or another sync got there first: read on from
			// wherever the cursor is now.
			s.log.InfoContext(ctx, "index: the feed's cursor moved while a page was read; reading from where it is now", "feed", feed)
			continue
		}
		if err != nil {
			return err
		}
		applied = page.Next
		s.log.DebugContext(ctx, "index: page applied", "feed", feed, "rows", len(page.Customers)+len(page.Contacts)+len(page.Locations), "more", page.HasMore)
		if !page.HasMore {
			return nil
		}
	}
	return s.failed(ctx, feed, fmt.Errorf("%w: it did not end within %d pages", ErrFeedStuck, s.maxPages))
}

// failed records why a feed could not be read (its cursor stays), for
// /index, and returns it: the job runs again with backoff.
func (s *Syncer) failed(ctx context.Context, feed string, err error) error {
	if recErr := s.store.RecordError(context.WithoutCancel(ctx), feed, err); recErr != nil {
		s.log.ErrorContext(ctx, "index: the feed's error could not be recorded for /index", "feed", feed, "error", recErr)
	}
	s.log.ErrorContext(ctx, "index: the feed could not be read; the cursor stays", "feed", feed, "error", err)
	return fmt.Errorf("index: read the %s feed: %w", feed, err)
}

// prefetch is a page being read while the page before it is applied.
//
// A backfill's pages were read and then applied in turn: the wait for
// ServiceTitan's answer and the decoding of its rows (a fifth of a first
// backfill's CPU) left the second core idle while the page was written,
// and the writing idle while the page was read. Reading the next page
// while one is applied overlaps them. The read-ahead page is only in
// memory (one page more than before): it is applied, with its cursor in
// one transaction, only when the cursor still stands at the token it was
// read from, so a pass killed meanwhile loses nothing and applies
// nothing twice; the read ahead is begun only when the page before it
// says more follow and the pass has time and pages left for it, so a
// pass makes the same calls as without it.
type prefetch struct {
	from   string
	cancel context.CancelFunc
	done   chan struct{}
	page   Page
	err    error
}

// readAhead begins reading the page from the token from.
func (s *Syncer) readAhead(ctx context.Context, feed, from string) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{from: from, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.page, p.err = s.read(ctx, feed, from)
	}()
	return p
}

// wait returns the page read ahead, once read.
func (p *prefetch) wait() (Page, error) {
	<-p.done
	p.cancel()
	return p.page, p.err
}

// drop stops a read ahead that will not be applied and waits for it to
// end; nil does nothing.
func (p *prefetch) drop() {
	if p == nil {
		return
	}
	p.cancel()
	<-p.done
}

// read reads one page of a feed into rows: decoded as a stream, kept in
// memory only as the index's own compact rows, applied only once the
// whole page decoded.
func (s *Syncer) read(ctx context.Context, feed, from string) (Page, error) {
	p := Page{Feed: feed}
	var err error
	switch feed {
	case FeedCustomers:
		p.Next, p.HasMore, err = s.feeds.ExportCustomers(ctx, from, func(c client.ExportCustomer) error {
			p.Customers = append(p.Customers, Customer{ID: c.ID, Name: c.Name, Type: c.Type, Address: c.Address, Active: c.Active, ModifiedOn: c.ModifiedOn})
			return nil
		})
	case FeedContacts:
		p.Next, p.HasMore, err = s.feeds.ExportContacts(ctx, from, func(c client.ExportContact) error {
			p.Contacts = append(p.Contacts, Contact{ID: c.ID, CustomerID: c.CustomerID, Type: c.Type, Value: c.Value, Memo: c.Memo,
				PhoneSettings: c.PhoneSettings, Preferences: c.Preferences, CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn, Removed: !c.Active})
			return nil
		})
	case FeedLocations:
		p.Next, p.HasMore, err = s.feeds.ExportLocations(ctx, from, func(l client.ExportLocation) error {
			// A location merged into another is gone as a place of its own.
			p.Locations = append(p.Locations, Location{ID: l.ID, CustomerID: l.CustomerID, Name: l.Name, Address: l.Address,
				Active: l.Active && l.MergedToID == 0, ModifiedOn: l.ModifiedOn})
			return nil
		})
	case FeedLocationContacts:
		p.Next, p.HasMore, err = s.feeds.ExportLocationContacts(ctx, from, func(c client.ExportLocationContact) error {
			p.Contacts = append(p.Contacts, Contact{ID: c.ID, LocationID: c.LocationID, Type: c.Type, Value: c.Value, Memo: c.Memo,
				PhoneSettings: c.PhoneSettings, Preferences: c.Preferences, CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn, Removed: !c.Active})
			return nil
		})
	}
	return p, err
}
