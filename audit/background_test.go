package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// gatedStore holds every Complete until its gate is closed.
type gatedStore struct {
	Store
	gate    chan struct{}
	started chan struct{} // one value per Complete that reached the store
}

func (g *gatedStore) Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error {
	g.started <- struct{}{}
	<-g.gate
	return g.Store.Complete(ctx, id, outcome, messages, traceID)
}

func newGated(t *testing.T) (*gatedStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := openSQLite(t, context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return &gatedStore{Store: s, gate: make(chan struct{}), started: make(chan struct{}, 16)}, path
}

func begin(t *testing.T, s Store) int64 {
	t.Helper()
	id, err := s.Begin(context.Background(), Entry{ActorEmail: "kelly@acme.example", CustomerID: 5, ContactID: 7,
		Changes: []Change{{Field: "memo", Before: "a", After: "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// returnsBefore reports whether f returns within a short while.
func returnsBefore(f func()) bool {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(100 * time.Millisecond):
		return false
	}
}

// waitsForTheWrite checks that a call which must wait for a pending write
// has not answered on done a short while later; then release lets the
// write through, and the call must succeed. early is the failure when the
// call did not wait.
func waitsForTheWrite(t *testing.T, done <-chan error, release func(), early string) {
	t.Helper()
	select {
	case <-done:
		t.Fatal(early)
	case <-time.After(50 * time.Millisecond):
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCompleteInBackground(t *testing.T) {
	ctx := context.Background()

	t.Run("ok, Complete returns at once and List waits for it", func(t *testing.T) {
		inner, _ := newGated(t)
		s := CompleteInBackground(inner, func(id int64, err error) { t.Errorf("attempt %d: %v", id, err) })
		defer s.Close()
		id := begin(t, s)
		cctx, cancel := context.WithCancel(ctx)
		if !returnsBefore(func() {
			if err := s.Complete(cctx, id, OutcomeSaved, nil, "tr-1"); err != nil {
				t.Error(err)
			}
		}) {
			t.Fatal("Complete waited for the write")
		}
		cancel() // the caller's context ends with its request: the write goes on
		<-inner.started

		var entries []Entry
		listed := make(chan error, 1)
		go func() {
			var err error
			entries, _, err = s.List(ctx, Filter{ContactID: 7})
			listed <- err
		}()
		waitsForTheWrite(t, listed, func() { close(inner.gate) }, "List returned before the pending outcome was written")
		if len(entries) != 1 || entries[0].Outcome != OutcomeSaved || entries[0].TraceID != "tr-1" {
			t.Errorf("entries = %+v, want the attempt saved", entries)
		}
	})

	t.Run("ok, Close writes what is pending, then closes", func(t *testing.T) {
		inner, path := newGated(t)
		s := CompleteInBackground(inner, nil)
		id := begin(t, s)
		if err := s.Complete(ctx, id, OutcomeRejected, []string{"memo: too long"}, ""); err != nil {
			t.Fatal(err)
		}
		<-inner.started
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		waitsForTheWrite(t, closed, func() { close(inner.gate) }, "Close did not wait for the pending write")
		if err := s.Complete(ctx, id, OutcomeSaved, nil, ""); !errors.Is(err, ErrClosed) {
			t.Errorf("Complete after Close = %v, want ErrClosed", err)
		}

		reopened, err := openSQLite(t, ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer reopened.Close()
		entries, _, err := reopened.List(ctx, Filter{})
		if err != nil || len(entries) != 1 || entries[0].Outcome != OutcomeRejected {
			t.Errorf("after Close: %+v, %v; want the attempt rejected", entries, err)
		}
	})

	t.Run("nok, an invalid outcome is refused at once", func(t *testing.T) {
		inner, _ := newGated(t)
		s := CompleteInBackground(inner, nil)
		defer s.Close()
		for _, o := range []Outcome{OutcomeUnknown, "maybe"} {
			if err := s.Complete(ctx, 1, o, nil, ""); err == nil {
				t.Errorf("Complete(%q) accepted", o)
			}
		}
		if len(inner.started) != 0 {
			t.Error("an invalid outcome reached the store")
		}
	})

	t.Run("nok, a failed write goes to onError", func(t *testing.T) {
		inner, _ := newGated(t)
		close(inner.gate)
		failed := make(chan error, 1)
		s := CompleteInBackground(inner, func(id int64, err error) {
			if id == 999 {
				failed <- err
			}
		})
		defer s.Close()
		if err := s.Complete(ctx, 999, OutcomeSaved, nil, ""); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-failed:
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("onError got %v, want ErrNotFound", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("onError was not called")
		}
	})

	t.Run("ok, List reads anyway when an outcome takes too long", func(t *testing.T) {
		_, s := pendingOutcome(t, OutcomeSaved)
		s.(*background).waitLimit = 30 * time.Millisecond
		entries, _, err := s.List(ctx, Filter{})
		if err != nil || len(entries) != 1 || entries[0].Outcome != OutcomeUnknown {
			t.Errorf("List = %+v, %v; want the attempt, outcome still unknown", entries, err)
		}
	})

	t.Run("nok, List gives up when its context ends", func(t *testing.T) {
		_, s := pendingOutcome(t, OutcomeSaved)
		lctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		if _, _, err := s.List(lctx, Filter{}); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("List = %v, want the deadline", err)
		}
	})
}

func TestCompleteInBackgroundEach(t *testing.T) {
	ctx := context.Background()

	t.Run("ok, Each waits for a pending Complete", func(t *testing.T) {
		release, s := pendingOutcome(t, OutcomeConflict)
		var outcomes []Outcome
		walked := make(chan error, 1)
		go func() {
			walked <- s.Each(ctx, Filter{}, func(e Entry) error {
				outcomes = append(outcomes, e.Outcome)
				return nil
			})
		}()
		waitsForTheWrite(t, walked, release, "Each returned before the pending outcome was written")
		if len(outcomes) != 1 || outcomes[0] != OutcomeConflict {
			t.Errorf("outcomes = %q, want [conflict]", outcomes)
		}
	})

	t.Run("nok, Each gives up when its context ends", func(t *testing.T) {
		_, s := pendingOutcome(t, OutcomeSaved)
		ectx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		err := s.Each(ectx, Filter{}, func(Entry) error { t.Error("fn called"); return nil })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Each = %v, want the deadline", err)
		}
	})
}

// pendingOutcome returns a background store holding one attempt whose
// outcome is being written, and release, which lets the write through
// (the test's end does too, then closes the store).
func pendingOutcome(t *testing.T, outcome Outcome) (release func(), s Store) {
	t.Helper()
	inner, _ := newGated(t)
	s = CompleteInBackground(inner, func(id int64, err error) { t.Errorf("attempt %d: %v", id, err) })
	release = sync.OnceFunc(func() { close(inner.gate) })
	t.Cleanup(func() { release(); s.Close() })
	if err := s.Complete(context.Background(), begin(t, s), outcome, nil, ""); err != nil {
		t.Fatal(err)
	}
	<-inner.started
	return release, s
}

// flakyStore fails the first fails Completes, as a database does while it
// restarts.
type flakyStore struct {
	Store
	mu    sync.Mutex
	fails int
}

func (f *flakyStore) Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error {
	f.mu.Lock()
	failing := f.fails > 0
	f.fails--
	f.mu.Unlock()
	if failing {
		return errors.New("connection refused")
	}
	return f.Store.Complete(ctx, id, outcome, messages, traceID)
}

// An outcome whose write fails for a moment (the database restarting) is
// written once it can be, directly and in the background alike, instead
// of leaving the attempt "unknown".
func TestAnOutcomeWriteIsTriedAgain(t *testing.T) {
	ctx := context.Background()
	inner, _ := newGated(t)
	close(inner.gate)
	flaky := &flakyStore{Store: inner, fails: 3}
	id := begin(t, flaky)
	if err := RetryComplete(ctx, flaky, id, OutcomeSaved, nil, ""); err != nil {
		t.Fatalf("RetryComplete: %v", err)
	}
	if e, _ := Get(ctx, flaky, id); e.Outcome != OutcomeSaved {
		t.Errorf("outcome %s, want saved", e.Outcome)
	}

	flaky.fails = 3
	lost := make(chan error, 1)
	bg := CompleteInBackground(flaky, func(_ int64, err error) { lost <- err })
	id = begin(t, bg)
	if err := bg.Complete(ctx, id, OutcomeRejected, []string{"value: not a number"}, ""); err != nil {
		t.Fatal(err)
	}
	e, err := Get(ctx, bg, id) // waits for the write
	if err != nil || e.Outcome != OutcomeRejected {
		t.Errorf("outcome %s, %v; want rejected", e.Outcome, err)
	}
	bg.Close()
	select {
	case err := <-lost:
		t.Fatalf("the outcome was given up: %v", err)
	default:
	}
}

// CompleteAfter runs its first step before the outcome and its last after
// it, in the background on a background store (List waiting for the first
// and the outcome, WaitPending for all three) and at once on any other;
// both steps run whatever becomes of the outcome.
func TestCompleteAfter(t *testing.T) {
	ctx := context.Background()

	t.Run("ok, in the background: first, the outcome, then; List waits for the outcome, WaitPending for then", func(t *testing.T) {
		inner, _ := newGated(t)
		close(inner.gate)
		s := CompleteInBackground(inner, func(id int64, err error) { t.Errorf("attempt %d: %v", id, err) })
		defer s.Close()
		id := begin(t, s)
		firstGate, firstRan := make(chan struct{}), make(chan struct{})
		thenGate, thenRan := make(chan struct{}), make(chan struct{})
		first := func(fctx context.Context) {
			<-firstGate
			if fctx.Err() != nil {
				t.Error("first's context has ended")
			}
			close(firstRan)
		}
		then := func(tctx context.Context) {
			if e, err := Get(tctx, inner, id); err != nil || e.Outcome != OutcomeSaved {
				t.Errorf("then ran with the outcome %s (%v), want saved", e.Outcome, err)
			}
			<-thenGate
			if tctx.Err() != nil {
				t.Error("then's context has ended")
			}
			close(thenRan)
		}
		cctx, cancel := context.WithCancel(ctx)
		if !returnsBefore(func() {
			if err := CompleteAfter(cctx, s, id, OutcomeSaved, nil, "", first, then); err != nil {
				t.Error(err)
			}
		}) {
			t.Fatal("CompleteAfter waited for first")
		}
		cancel() // the caller's request ends: all three go on
		if len(inner.started) != 0 {
			t.Fatal("the outcome was written before first ran")
		}
		listed := make(chan error, 1)
		go func() {
			entries, _, err := s.List(ctx, Filter{ID: id})
			if err == nil && (len(entries) != 1 || entries[0].Outcome != OutcomeSaved) {
				err = fmt.Errorf("List = %+v, want the attempt saved", entries)
			}
			listed <- err
		}()
		waitsForTheWrite(t, listed, func() { close(firstGate) }, "List returned before first and the outcome were done")
		select {
		case <-thenRan:
			t.Fatal("then ran before its gate opened")
		default:
		}
		waited := make(chan error, 1)
		go func() { waited <- WaitPending(ctx, s) }()
		waitsForTheWrite(t, waited, func() { close(thenGate) }, "WaitPending returned before then was done")
		select {
		case <-thenRan:
		default:
			t.Fatal("WaitPending returned before then ran")
		}
	})

	t.Run("ok, on another store: first, the outcome, then, before it returns", func(t *testing.T) {
		inner, _ := newGated(t)
		close(inner.gate)
		id := begin(t, inner)
		var order []string
		err := CompleteAfter(ctx, inner, id, OutcomeSaved, nil, "", func(context.Context) {
			order = append(order, "first")
			if e, _ := Get(ctx, inner, id); e.Outcome != OutcomeUnknown {
				t.Errorf("outcome %s before first ended, want unknown", e.Outcome)
			}
		}, func(context.Context) {
			order = append(order, "then")
			if e, _ := Get(ctx, inner, id); e.Outcome != OutcomeSaved {
				t.Errorf("outcome %s when then began, want saved", e.Outcome)
			}
		})
		if err != nil || strings.Join(order, ",") != "first,then" {
			t.Fatalf("CompleteAfter = %v, ran %v", err, order)
		}
		if e, _ := Get(ctx, inner, id); e.Outcome != OutcomeSaved {
			t.Errorf("outcome %s, want saved", e.Outcome)
		}
		if err := WaitPending(ctx, inner); err != nil {
			t.Errorf("WaitPending on a store without a background: %v", err)
		}
	})

	t.Run("nok, an invalid outcome or a closed store: first and then run all the same", func(t *testing.T) {
		inner, _ := newGated(t)
		close(inner.gate)
		s := CompleteInBackground(inner, nil)
		id := begin(t, s)
		firsts, thens := 0, 0
		first := func(context.Context) { firsts++ }
		then := func(context.Context) { thens++ }
		if err := CompleteAfter(ctx, s, id, OutcomeUnknown, nil, "", first, then); err == nil {
			t.Error("an unknown outcome was accepted")
		}
		s.Close()
		if err := CompleteAfter(ctx, s, id, OutcomeSaved, nil, "", first, then); !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
		if firsts != 2 || thens != 2 {
			t.Errorf("first ran %d times, then %d; want 2 each", firsts, thens)
		}
	})
}
