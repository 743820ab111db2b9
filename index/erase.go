package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/contactdesk/contactdesk/db"
)

// Erased counts what Erase deleted.
type Erased struct {
	Customers, Contacts int64
}

// Erase deletes every customer and contact the index holds and sets both
// feeds back to their start: search asks ServiceTitan live until the next
// sync pass has loaded the tenant again. A page a sync read before the
// erase is refused (ErrCursorMoved), so nothing from before comes back
// half. On SQLite the freed pages are overwritten (secure_delete) and the
// write-ahead log is emptied, so customers' details do not linger in the
// file; PostgreSQL's TRUNCATE removes the tables' files.
func (s *Store) Erase(ctx context.Context) (n Erased, err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return n, fmt.Errorf("index: erase: %w", err)
	}
	defer conn.Close()
	if s.dialect == db.SQLite {
		var was int
		if err := conn.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&was); err != nil {
			return n, fmt.Errorf("index: erase: %w", err)
		}
		if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
			return n, fmt.Errorf("index: erase: %w", err)
		}
		defer func() {
			// The connection goes back to the pool as it was.
			if _, restoreErr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA secure_delete = %d", was)); restoreErr != nil {
				err = errors.Join(err, fmt.Errorf("index: erase: restore secure_delete: %w", restoreErr))
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return n, fmt.Errorf("index: erase: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM index_customers),
		(SELECT COUNT(*) FROM index_contacts WHERE removed = `+s.boolean(false)+`)`).Scan(&n.Customers, &n.Contacts); err != nil {
		return n, fmt.Errorf("index: erase: %w", err)
	}
	for _, q := range s.eraseStatements() {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return n, fmt.Errorf("index: erase: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return n, fmt.Errorf("index: erase: %w", err)
	}
	if s.dialect == db.SQLite {
		// Copy the erased pages into the file and empty the log; a reader
		// holding an old snapshot may keep the log for now (busy), which
		// the next checkpoint finishes.
		var busy, logged, moved sql.NullInt64
		if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil {
			return n, fmt.Errorf("index: erase: checkpoint: %w", err)
		}
	}
	return n, nil
}

func (s *Store) eraseStatements() []string {
	summary := `UPDATE index_settings SET value = 'full' WHERE name = 'summary'`
	reset := `UPDATE index_feeds SET continue_from = '', backfilled = ` + s.boolean(false) + `, rows_read = 0,
		high_water_us = 0, last_success_us = 0, last_error = '', last_error_us = 0`
	if s.dialect == db.Postgres {
		return []string{`TRUNCATE index_customers, index_contacts, index_locations, index_totals, index_shared, index_unreachable, index_dirty,
			index_refused, index_waiting`, reset, summary}
	}
	statements := []string{
		`DELETE FROM index_contacts`, `DELETE FROM index_customers`, `DELETE FROM index_locations`, `DELETE FROM index_totals`,
		`DELETE FROM index_shared`, `DELETE FROM index_unreachable`, `DELETE FROM index_dirty`,
		`DELETE FROM index_refused`, `DELETE FROM index_waiting`, summary,
	}
	// The triggers take each row out of the full-text tables; the rebuild
	// then drops every segment, so no old trigram or word remains.
	for _, fts := range ftsTables {
		statements = append(statements, `INSERT INTO `+fts.name+` (`+fts.name+`) VALUES ('rebuild')`)
	}
	return append(statements, reset)
}
