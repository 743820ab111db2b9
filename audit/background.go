package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// completeTimeout bounds one background Complete, tries again included.
const completeTimeout = CompleteRetryTime

// ErrClosed is returned by a Store from CompleteInBackground once closed.
var ErrClosed = errors.New("audit: store closed")

// CompleteInBackground returns a Store whose Complete returns at once and
// writes the outcome in the background, so a save's answer does not wait
// for the second write of its audit row (the first, Begin, still comes
// before the PATCH and is not deferred).
//
// What it keeps of Store's promises:
//   - List and Each wait for every Complete that returned before they
//     were called (up to listWaitLimit), so the record page that follows a
//     save shows its outcome; this holds within one process: with several
//     instances sharing PostgreSQL, a page served by another instance may
//     still show the outcome as unknown for a moment;
//   - Close waits for every pending Complete, then closes s: a graceful
//     stop loses none;
//   - an invalid outcome is refused at once, as s would refuse it; a write
//     that fails is tried again (RetryComplete) for up to completeTimeout,
//     and what still fails (an unknown id, the database gone) goes to
//     onError, since the caller has moved on. The row then keeps its
//     "unknown" outcome, as after a crash mid-save, until it is settled by
//     reading the contact.
//
// The write keeps ctx's values but not its cancellation or deadline; it
// has completeTimeout of its own.
func CompleteInBackground(s Store, onError func(id int64, err error)) Store {
	if onError == nil {
		onError = func(int64, error) {}
	}
	return &background{Store: s, onError: onError, pending: map[uint64]chan struct{}{}, waitLimit: listWaitLimit}
}

type background struct {
	Store
	onError   func(id int64, err error)
	waitLimit time.Duration // listWaitLimit, shorter in tests

	mu      sync.Mutex
	closed  bool
	next    uint64
	pending map[uint64]chan struct{} // closed when that write is done
	writes  sync.WaitGroup
}

func (b *background) Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error {
	return b.completeAfter(ctx, id, outcome, messages, traceID, nil)
}

// CompleteAfter records an attempt's outcome through s, as RetryComplete
// does, after first has run (nil: nothing to run first). On a store made
// by CompleteInBackground both run there, first then the outcome, and List
// and Each wait for both as for any pending outcome: the change service
// writes a saved contact's copy in the search index there, so a save's
// answer waits for neither while the record page it leads to, which waits
// for its outcome, finds both done. On any other store first runs, then
// the outcome is written, before it returns.
//
// first gets a context without ctx's cancellation; it reports its own
// failures (the outcome is written whatever happens to it).
func CompleteAfter(ctx context.Context, s Store, id int64, outcome Outcome, messages []string, traceID string, first func(context.Context)) error {
	if b, ok := s.(*background); ok {
		return b.completeAfter(ctx, id, outcome, messages, traceID, first)
	}
	if first != nil {
		first(context.WithoutCancel(ctx))
	}
	return RetryComplete(ctx, s, id, outcome, messages, traceID)
}

// WaitPending waits, on a store made by CompleteInBackground, for the
// outcomes (and the work before them, see CompleteAfter) pending when it
// is called, as List does: for up to a couple of seconds, or until ctx
// ends. On any other store it returns at once.
func WaitPending(ctx context.Context, s Store) error {
	if b, ok := s.(*background); ok {
		return b.waitPending(ctx)
	}
	return nil
}

func (b *background) completeAfter(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string, first func(context.Context)) error {
	now := func() {
		if first != nil {
			first(context.WithoutCancel(ctx))
		}
	}
	if err := checkOutcome(id, outcome); err != nil {
		now()
		return err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		now()
		return fmt.Errorf("audit: complete attempt %d: %w", id, ErrClosed)
	}
	key, done := b.next, make(chan struct{})
	b.next++
	b.pending[key] = done
	b.writes.Add(1)
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
	go func() {
		defer b.writes.Done()
		defer cancel()
		if first != nil {
			first(ctx)
		}
		err := RetryComplete(ctx, b.Store, id, outcome, messages, traceID)
		b.mu.Lock()
		delete(b.pending, key)
		b.mu.Unlock()
		close(done)
		if err != nil {
			b.onError(id, err)
		}
	}()
	return nil
}

// List waits for the pending Completes (see waitPending), then lists.
func (b *background) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	if err := b.waitPending(ctx); err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	return b.Store.List(ctx, f)
}

// Each waits for the pending Completes (see waitPending), then walks.
func (b *background) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	if err := b.waitPending(ctx); err != nil {
		return fmt.Errorf("audit: each: %w", err)
	}
	return b.Store.Each(ctx, f, fn)
}

// waitPending waits for the Completes pending when it is called (not for
// those that start meanwhile, so a steady stream of saves cannot hold it
// up), for at most listWaitLimit: a database too slow to write them in that
// time still gets the read, and the page shows those outcomes as unknown
// rather than showing nothing. It fails only when ctx ends first.
func (b *background) waitPending(ctx context.Context) error {
	b.mu.Lock()
	waits := make([]chan struct{}, 0, len(b.pending))
	for _, done := range b.pending {
		waits = append(waits, done)
	}
	b.mu.Unlock()
	if len(waits) == 0 {
		return nil
	}
	limit := time.NewTimer(b.waitLimit)
	defer limit.Stop()
	for _, done := range waits {
		select {
		case <-done:
		case <-limit.C:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("waiting for outcomes being written: %w", ctx.Err())
		}
	}
	return nil
}

// listWaitLimit bounds the wait of List and Each for pending outcomes.
const listWaitLimit = 2 * time.Second

// Close waits for the pending Completes, then closes the store.
func (b *background) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.writes.Wait()
	return b.Store.Close()
}
