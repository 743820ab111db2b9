package index

import (
	"context"
	"database/sql/driver"
	"fmt"

	"github.com/contactdesk/contactdesk/db"
)

// One sync pass works at a time, on every instance together: a second
// would read the same pages again and spend the tenant's budget twice (its
// pages would be refused with ErrCursorMoved, so it could only waste).
// The lock dies with the pass's process: a pass left running by a dead
// process never blocks the next one, whatever River's bookkeeping of the
// dead job says. On SQLite (one instance: see the app's instance lock) it
// is a mutex of the Store; on PostgreSQL a session advisory lock on a
// connection of its own, keyed by the schema, so schemas of one database
// (tests) each have theirs.

// syncLockKey names the sync's advisory lock on PostgreSQL ("idxs").
const syncLockKey = 0x69647873

// lockPass takes the pass lock if it is free: ok false means another pass
// holds it. release gives it back.
func (s *Store) lockPass(ctx context.Context) (release func(), ok bool, err error) {
	if s.dialect != db.Postgres {
		if !s.passMu.TryLock() {
			return nil, false, nil
		}
		return s.passMu.Unlock, true, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("index: take the sync's lock: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, syncLockKey).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("index: take the sync's lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		// Closing the connection would return it to the pool still
		// holding the lock: unlock first; if that fails, the pool must not
		// keep the connection.
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, syncLockKey); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // returns ErrBadConn on purpose: discards the connection
		}
		conn.Close()
	}, true, nil
}
