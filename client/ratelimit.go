package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// WithRateLimit makes the client keep within perSecond calls to
// ServiceTitan (ST_RATE_LIMIT): the tenant's budget, 60 calls/s per
// application, is shared by every integration, and over it ServiceTitan
// answers 429. People's calls wait their turn; background work (see
// Background) takes only turns nobody is waiting for.
func WithRateLimit(perSecond float64) Option {
	return func(s *Settings) { s.RateLimit = perSecond }
}

// SetRateLimit changes the client's budget to perSecond calls while it
// serves (the instances on one database split the tenant's); no-op for a
// client made without WithRateLimit.
func (c *Client) SetRateLimit(perSecond float64) {
	if c.budget == nil || perSecond <= 0 {
		return
	}
	c.budget.SetLimit(rate.Limit(perSecond))
	c.budget.SetBurst(burst(perSecond))
}

// newBudget keeps calls within perSecond a second; nil (no limit) for
// perSecond <= 0.
func newBudget(perSecond float64) *rate.Limiter {
	if perSecond <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(perSecond), burst(perSecond))
}

// burst lets a second's worth of calls go at once.
func burst(perSecond float64) int { return max(1, int(perSecond)) }

// RateLimit is the client's budget in calls a second (0: none).
func (c *Client) RateLimit() float64 {
	if c.budget == nil {
		return 0
	}
	return float64(c.budget.Limit())
}

// backgroundKey carries a background share in a context.
type backgroundKey struct{}

// Background marks the calls made with ctx as background work (the index
// sync, a bulk job) with its own share of the budget: each call first waits
// for the share, then takes a turn of the client's budget only when one is
// free now. It never reserves a turn ahead of a person, so people's
// requests never queue behind it.
func Background(ctx context.Context, share *rate.Limiter) context.Context {
	return context.WithValue(ctx, backgroundKey{}, share)
}

// errNoTurn: the call ended while waiting for its turn, so it was never
// sent (a write that never left is not an unknown outcome).
var errNoTurn = errors.New("servicetitan: no turn within the rate limit before the call ended")

// backgroundPoll is how often background work looks for a free turn.
const backgroundPoll = 20 * time.Millisecond

// waitTurn waits until a call may be made within the budget.
func (c *Client) waitTurn(ctx context.Context) error {
	share, background := ctx.Value(backgroundKey{}).(*rate.Limiter)
	if background && share != nil {
		if err := share.Wait(ctx); err != nil {
			return fmt.Errorf("%w: %w", errNoTurn, err)
		}
	}
	if c.budget == nil {
		return nil
	}
	if !background {
		if err := c.budget.Wait(ctx); err != nil {
			return fmt.Errorf("%w: %w", errNoTurn, err)
		}
		return nil
	}
	for !c.budget.Allow() {
		t := time.NewTimer(backgroundPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w: %w", errNoTurn, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
