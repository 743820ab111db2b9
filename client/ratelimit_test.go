package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// Background work takes a turn only when nobody is waiting: a person who
// asks after it still goes first.
func TestBackgroundNeverTakesAPersonsTurn(t *testing.T) {
	// A turn a second: the person's goroutine, started 20 ms after the
	// background one, has the rest of it to begin waiting, however busy
	// the machine (at 10 a second, 80 ms under -race at load 11 was not
	// always enough, and the background call took the turn first).
	c := &Client{budget: newBudget(1)}
	c.budget.SetBurst(1)
	if !c.budget.Allow() { // the budget is spent for now
		t.Fatal("fresh limiter had no turn")
	}
	var mu sync.Mutex
	var order []string
	done := func(who string) {
		mu.Lock()
		order = append(order, who)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	bg := Background(context.Background(), rate.NewLimiter(rate.Inf, 1))
	wg.Go(func() {
		if err := c.waitTurn(bg); err != nil {
			t.Error(err)
		}
		done("background")
	})
	time.Sleep(20 * time.Millisecond) // the background call is waiting first
	wg.Go(func() {
		if err := c.waitTurn(context.Background()); err != nil {
			t.Error(err)
		}
		done("person")
	})
	wg.Wait()
	if len(order) != 2 || order[0] != "person" {
		t.Errorf("turns went to %v; the person must not wait behind background work", order)
	}
}

// Background work keeps within its own share.
func TestBackgroundKeepsToItsShare(t *testing.T) {
	c := &Client{budget: newBudget(1000)}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	bg := Background(ctx, rate.NewLimiter(rate.Limit(10), 1))
	calls := 0
	for c.waitTurn(bg) == nil {
		calls++
	}
	if calls < 4 || calls > 7 { // 10/s for half a second: about 5 (and the first at once)
		t.Errorf("%d background calls in 500 ms at a share of 10/s", calls)
	}
}

// A call that ends while waiting for its turn was never sent: even for a
// write that is not an unknown outcome.
func TestCallEndedWaitingForATurnWasNeverSent(t *testing.T) {
	c := &Client{budget: newBudget(1)}
	c.budget.Allow()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := c.waitTurn(ctx)
	if err == nil || !isDialError(err) {
		t.Errorf("err = %v; want one that says the call never left", err)
	}
}

// The budget can be split while the client serves (several instances).
func TestSetRateLimit(t *testing.T) {
	c, err := New(Config{APIURL: "http://127.0.0.1:1", AuthURL: "http://127.0.0.1:1", TenantID: 1, ClientID: "c", ClientSecret: "s", AppKey: "k"},
		WithRateLimit(50))
	if err != nil {
		t.Fatal(err)
	}
	c.SetRateLimit(50.0 / 3)
	if got := c.RateLimit(); got < 16.6 || got > 16.7 {
		t.Errorf("RateLimit() = %g, want 50/3", got)
	}
	// A third of the budget lets a third of the calls go at once: kept at
	// 50, three instances' bursts together would be three times the
	// tenant's limit.
	if got := c.budget.Burst(); got != 16 {
		t.Errorf("burst after SetRateLimit(50/3) = %d, want 16", got)
	}
	unlimited, _ := New(Config{APIURL: "http://127.0.0.1:1", AuthURL: "http://127.0.0.1:1", TenantID: 1, ClientID: "c", ClientSecret: "s", AppKey: "k"})
	unlimited.SetRateLimit(10)
	if unlimited.RateLimit() != 0 {
		t.Errorf("a client without a budget got one")
	}
}
