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
	return &background{Store: s, onError: onError, pending: map[uint64]pendingWrite{}, waitLimit: listWaitLimit}
}

type background struct {
	Store
	onError   func(id int64, err error)
	waitLimit time.Duration // listWaitLimit, shorter in tests

	mu      sync.Mutex
	closed  bool
	next    uint64
	pending map[uint64]pendingWrite
	writes  sync.WaitGroup
}

func (b *background) Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error {
	return b.completeAfter(ctx, id, outcome, messages, traceID, nil, nil)
}

// CompleteAfter records an attempt's outcome through s, as RetryComplete
// does, after first has run, and then runs then (either may be nil). On a
// store made by CompleteInBackground all three run there, in that order,
// after the caller has moved on: List and Each wait for first and the
// outcome (the record page's History shows both), WaitPending for then
// too. The change service reports what it re-read to the search index in
// first (it may add changes made in ServiceTitan to the History) and
// writes the saved contact's copy in the index in then: a save's answer
// waits for none of them, the record page it leads to waits for the
// outcome but not for the index's copy, and a search waits for the copy
// (see WaitPending). On any other store the three run before it returns.
//
// first and then get a context without ctx's cancellation; they report
// their own failures (the outcome is written whatever happens to first,
// and then runs whatever happens to the outcome).
func CompleteAfter(ctx context.Context, s Store, id int64, outcome Outcome, messages []string, traceID string, first, then func(context.Context)) error {
	if b, ok := s.(*background); ok {
		return b.completeAfter(ctx, id, outcome, messages, traceID, first, then)
	}
	if first != nil {
		first(context.WithoutCancel(ctx))
	}
	err := RetryComplete(ctx, s, id, outcome, messages, traceID)
	if then != nil {
		then(context.WithoutCancel(ctx))
	}
	return err
}

// WaitPending waits, on a store made by CompleteInBackground, for the
// outcomes pending when it is called and the work before and after each
// (see CompleteAfter): for up to a couple of seconds, or until ctx ends.
// On any other store it returns at once.
func WaitPending(ctx context.Context, s Store) error {
	if b, ok := s.(*background); ok {
		return b.waitPending(ctx, true)
	}
	return nil
}

// pendingWrite is one outcome on its way: recorded is closed once it (and
// the work before it) is written, done once the work after it is done too.
type pendingWrite struct {
	recorded, done chan struct{}
}

func (b *background) completeAfter(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string, first, then func(context.Context)) error {
	now := func() {
		if first != nil {
			first(context.WithoutCancel(ctx))
		}
		if then != nil {
			then(context.WithoutCancel(ctx))
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
	key, w := b.next, pendingWrite{recorded: make(chan struct{}), done: make(chan struct{})}
	b.next++
	b.pending[key] = w
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
		close(w.recorded)
		if then != nil {
			// Its own time, as first's: the outcome's tries may have
			// spent completeTimeout.
			tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), completeTimeout)
			then(tctx)
			tcancel()
		}
		b.mu.Lock()
		delete(b.pending, key)
		b.mu.Unlock()
		close(w.done)
		if err != nil {
			b.onError(id, err)
		}
	}()
	return nil
}

// List waits for the pending outcomes (see waitPending), then lists.
func (b *background) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	if err := b.waitPending(ctx, false); err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	return b.Store.List(ctx, f)
}

// Each waits for the pending outcomes (see waitPending), then walks.
func (b *background) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	if err := b.waitPending(ctx, false); err != nil {
		return fmt.Errorf("audit: each: %w", err)
	}
	return b.Store.Each(ctx, f, fn)
}

// waitPending waits for the Completes pending when it is called (not for
// those that start meanwhile, so a steady stream of saves cannot hold it
// up): until each outcome is written, or with all until the work after it
// is done too. It waits at most listWaitLimit: a database too slow to write
// them in that time still gets the read, and the page shows those outcomes
// as unknown rather than showing nothing. It fails only when ctx ends
// first.
func (b *background) waitPending(ctx context.Context, all bool) error {
	b.mu.Lock()
	waits := make([]chan struct{}, 0, len(b.pending))
	for _, w := range b.pending {
		if all {
			waits = append(waits, w.done)
		} else {
			waits = append(waits, w.recorded)
		}
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
