package handlers

import (
	"fmt"
	"sync"
	"time"
)

// ttlCache is a small in-process map whose entries expire. It is bounded:
// when full, expired entries go first, then everything (a cache, not a
// store: a miss only costs a call to ServiceTitan).
type ttlCache[K comparable, V any] struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration, max int) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, max: max, m: map[K]ttlEntry[V]{}}
}

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if len(c.m) >= c.max {
		for key, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, key)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[k] = ttlEntry[V]{v: v, expires: now.Add(c.ttl)}
}

// Cache sizes and lifetimes.
const (
	// nameTTL bounds how stale a customer's name on an edit or record page
	// can be; the customer page refreshes it.
	nameTTL  = 5 * time.Minute
	cacheMax = 10000
)

func writtenKey(customerID, contactID int64) string {
	return fmt.Sprintf("%d/%d", customerID, contactID)
}
