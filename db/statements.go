package db

import (
	"context"
	"database/sql"
	"sync"
)

// Statements are one handle's prepared statements, kept by their query
// text. Parsing is a large part of a small query's cost in SQLite; a
// caller's query texts are few and made by its code (never of input: a
// value is always an argument), so the set stays small.
type Statements struct {
	h  *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// NewStatements keeps statements prepared on h.
func NewStatements(h *sql.DB) *Statements {
	return &Statements{h: h, m: map[string]*sql.Stmt{}}
}

// Handle is the handle the statements are prepared on.
func (c *Statements) Handle() *sql.DB { return c.h }

// Get returns the prepared statement for query, preparing and keeping it
// the first time. On SQLite's writer get statements before beginning a
// transaction (its one connection then belongs to the transaction) and
// use them inside it through tx.StmtContext.
func (c *Statements) Get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return st, nil
	}
	// Prepared outside the lock: preparing waits for a free connection,
	// and other callers need not wait with it.
	st, err := c.h.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok { // prepared meanwhile by another caller
		_ = st.Close()
		return old, nil
	}
	c.m[query] = st
	return st, nil
}

// Query runs query through its prepared statement.
func (c *Statements) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.Get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// Close closes the statements kept; later calls prepare them again.
func (c *Statements) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = map[string]*sql.Stmt{}
}
