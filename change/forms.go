package change

import (
	"context"
	"sync"
	"time"
)

// Forms makes one form instance cause at most one change however often it
// is posted (a double click, a second tab, a resubmit after Back): the
// first post claims it and does the work, and every other post gets the
// first one's outcome. A change that did not happen (anything but Saved
// or NoChange) releases the form once its waiting posts have their answer,
// so "Try again" makes a fresh attempt; a saved form is remembered for a
// while.
//
// MemoryForms keeps this in one process; a shared store (PostgreSQL) lets
// several instances share it.
type Forms interface {
	// Claim registers a post of the form named key. first is true for the
	// post that must do the work and then call Finish.
	Claim(ctx context.Context, key string) (first bool, err error)
	// Wait returns the outcome of the first post of key, waiting for it as
	// long as ctx allows, or ErrAbandoned when the instance working on it
	// has died.
	Wait(ctx context.Context, key string) (Outcome, error)
	// Finish publishes the first post's outcome.
	Finish(ctx context.Context, key string, o Outcome) error
}

// FormTTL is how long a saved form's outcome is kept for repeated posts.
const FormTTL = 15 * time.Minute

// MemoryForms is Forms in one process's memory.
type MemoryForms struct {
	mu     sync.Mutex
	byKey  map[string]*formEntry
	ttl    time.Duration
	claims int
}

type formEntry struct {
	done    chan struct{}
	outcome Outcome // set before done is closed
	// released: the change did not happen, so the next post of the form
	// is a fresh attempt; the entry stays a moment for posts still waiting.
	released bool
	expires  time.Time
}

// releasedTTL keeps a released entry for posts that claimed before it
// finished and have not read it yet.
const releasedTTL = time.Minute

// NewMemoryForms returns an empty registry.
func NewMemoryForms() *MemoryForms {
	return &MemoryForms{byKey: map[string]*formEntry{}, ttl: FormTTL}
}

// Claim implements Forms.
func (m *MemoryForms) Claim(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.claims++; m.claims%256 == 0 {
		for k, e := range m.byKey {
			if !e.expires.IsZero() && now.After(e.expires) {
				delete(m.byKey, k)
			}
		}
	}
	if e, ok := m.byKey[key]; ok && !e.released && (e.expires.IsZero() || now.Before(e.expires)) {
		return false, nil
	}
	m.byKey[key] = &formEntry{done: make(chan struct{})}
	return true, nil
}

// Wait implements Forms.
func (m *MemoryForms) Wait(ctx context.Context, key string) (Outcome, error) {
	m.mu.Lock()
	e, ok := m.byKey[key]
	m.mu.Unlock()
	if !ok {
		// Swept meanwhile: long finished, and not saved (saved entries
		// outlive any wait).
		return Outcome{Result: NotSaved}, nil
	}
	select {
	case <-e.done:
		return e.outcome, nil
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
}

// Finish implements Forms.
func (m *MemoryForms) Finish(_ context.Context, key string, o Outcome) error {
	m.mu.Lock()
	e, ok := m.byKey[key]
	if !ok || e.released {
		m.mu.Unlock()
		return nil
	}
	e.outcome = o
	if o.OK() {
		e.expires = time.Now().Add(m.ttl)
	} else {
		e.released, e.expires = true, time.Now().Add(releasedTTL)
	}
	m.mu.Unlock()
	close(e.done)
	return nil
}
