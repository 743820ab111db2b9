package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

// The first backfill of an empty index writes a million contacts. Each
// row written with every index in place costs a B-tree insert at a random
// place per index (the hygiene report's partial indexes) and, on SQLite, a
// full-text insert through a trigger; at a million rows those were most of
// the backfill's time. Nothing reads them while the index first loads:
// search is served from the index only once every feed has been read to
// its end (Ready), and the hygiene rules check the rows only after that.
// So a first backfill drops them, keeping their definitions as the
// migrations made them (index_deferred), and makes them again in one
// transaction once every feed has been read to its end: an index built
// from sorted rows, a full-text table rebuilt from its content table, each
// far cheaper than a row at a time.
//
// Crash-safe both ways: the drop and the definitions kept are one
// transaction, the rebuild and their removal another; a pass killed while
// the index loads finds the definitions still kept, goes on from the
// feeds' cursors and makes them at the end, as a pass not killed would.
// The indexes the app's own reads use while the index loads (a
// customer's contacts, the owners of a page's rows) stay in place, but
// for one on SQLite: a contact's value (index_contacts_value_key). Its
// keys come in no order, so at a million contacts each page of 5000
// touched some 5000 of its pages, each read, written to the log and
// copied into the file again: without it the pages of a first backfill
// took 17.6 s of CPU instead of 44.9 s (281,000 customers, 1.44 million
// contacts). While it loads, a bulk preview's lookup by value (the only
// read that uses it then; the preview says the index is loading) reads
// the table through, about a second a 500 values at a million contacts,
// and a save leaves the hygiene summary to the whole count the first
// check makes (see write).

// deferrable are what a first backfill loads without, on the dialect.
func (s *Store) deferrable() []string {
	hygiene := []string{"index_contacts_unchecked", "index_contacts_problem", "index_contacts_shared", "index_contacts_reach"}
	if s.dialect == db.Postgres {
		return append(hygiene, "index_customers_search", "index_contacts_search", "index_locations_search")
	}
	hygiene = append(hygiene, "index_contacts_value_key")
	for _, fts := range ftsTables {
		for _, trigger := range []string{"_ai", "_ad", "_au"} {
			hygiene = append(hygiene, fts.triggers+trigger)
		}
	}
	return hygiene
}

// ftsTable is one of SQLite's full-text tables: its content is a table's
// search column, kept by three triggers (triggers+_ai, _ad and _au).
type ftsTable struct{ name, triggers string }

// ftsTables are SQLite's full-text tables: each table's trigrams (table_fts)
// and words (table_words).
var ftsTables = []ftsTable{
	{"index_customers_fts", "index_customers"}, {"index_contacts_fts", "index_contacts"}, {"index_locations_fts", "index_locations"},
	{"index_customers_words", "index_customers_words"}, {"index_contacts_words", "index_contacts_words"},
	{"index_locations_words", "index_locations_words"},
}

// loading reports whether the index is loading its first backfill: it
// holds definitions it has not made again yet.
func (s *Store) loading(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (bool, error) {
	var loading bool
	if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM index_deferred)`).Scan(&loading); err != nil {
		return false, fmt.Errorf("index: is it loading: %w", err)
	}
	return loading, nil
}

// beginLoading drops what a first backfill loads without, keeping each
// definition, when the index is empty and no feed has begun: a backfill
// about to start, the first or after an erase. Otherwise it does nothing.
func (s *Store) beginLoading(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: begin loading: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var begun bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM index_deferred)
		OR EXISTS (SELECT 1 FROM index_feeds WHERE backfilled = `+s.boolean(true)+` OR continue_from <> '')
		OR EXISTS (SELECT 1 FROM index_customers) OR EXISTS (SELECT 1 FROM index_contacts)
		OR EXISTS (SELECT 1 FROM index_locations) OR EXISTS (SELECT 1 FROM index_waiting)`).Scan(&begun)
	if err != nil {
		return fmt.Errorf("index: begin loading: %w", err)
	}
	if begun {
		return nil
	}
	// Its rows are written as checked and classified by one pass over
	// them all after it (see firstCheck).
	if _, err := tx.ExecContext(ctx, `INSERT INTO index_settings (name, value) VALUES ('`+firstCheckSetting+`', '0')
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`); err != nil {
		return fmt.Errorf("index: begin loading: %w", err)
	}
	for _, name := range s.deferrable() {
		kind, definition, err := s.definition(ctx, tx, name)
		if errors.Is(err, sql.ErrNoRows) {
			continue // not made by this schema
		}
		if err != nil {
			return fmt.Errorf("index: begin loading: the definition of %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO index_deferred (name, definition) VALUES (?, ?)`), name, definition); err != nil {
			return fmt.Errorf("index: begin loading: keep %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `DROP `+kind+` `+name); err != nil {
			return fmt.Errorf("index: begin loading: drop %s: %w", name, err)
		}
	}
	return tx.Commit()
}

// definition reads how the schema made an index (or, on SQLite, a
// trigger): its kind and its CREATE statement.
func (s *Store) definition(ctx context.Context, tx *sql.Tx, name string) (kind, definition string, err error) {
	if s.dialect == db.Postgres {
		err = tx.QueryRowContext(ctx, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`, name).
			Scan(&definition)
		return "INDEX", definition, err
	}
	err = tx.QueryRowContext(ctx, `SELECT upper(type), sql FROM sqlite_master WHERE name = ? AND type IN ('index', 'trigger')`, name).
		Scan(&kind, &definition)
	return kind, definition, err
}

// finishLoading makes again what the first backfill loaded without, once
// every feed has been read to its end, and rebuilds SQLite's full-text
// tables from their content, in one transaction; it does nothing when the
// index is not loading or a feed has not ended yet. It runs to its end
// even when ctx is done (a pass out of time): its work is needed as a
// whole, and a process that stops meanwhile rolls it back.
func (s *Store) finishLoading(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: finish loading: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var ready bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM index_deferred)
		AND NOT EXISTS (SELECT 1 FROM index_feeds WHERE backfilled = `+s.boolean(false)+`)`).Scan(&ready)
	if err != nil || !ready {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, definition FROM index_deferred ORDER BY name`)
	if err != nil {
		return fmt.Errorf("index: finish loading: %w", err)
	}
	var definitions []string
	for rows.Next() {
		var name, definition string
		if err := rows.Scan(&name, &definition); err != nil {
			rows.Close()
			return fmt.Errorf("index: finish loading: %w", err)
		}
		definitions = append(definitions, definition)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("index: finish loading: %w", err)
	}
	for _, definition := range definitions {
		if _, err := tx.ExecContext(ctx, definition); err != nil {
			return fmt.Errorf("index: finish loading: %s: %w", definition, err)
		}
	}
	if s.dialect == db.SQLite {
		for _, t := range ftsTables {
			fts := t.name
			if _, err := tx.ExecContext(ctx, `INSERT INTO `+fts+` (`+fts+`) VALUES ('rebuild')`); err != nil {
				return fmt.Errorf("index: finish loading: rebuild %s: %w", fts, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO index_settings (name, value) VALUES (?, '')
				ON CONFLICT (name) DO NOTHING`, optimizeSetting+fts); err != nil {
				return fmt.Errorf("index: finish loading: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM index_deferred`); err != nil {
		return fmt.Errorf("index: finish loading: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: finish loading: %w", err)
	}
	return nil
}

// A full-text table rebuilt from a million rows is left in a dozen or so
// segments (FTS5 writes one each time its memory fills), and a query
// walks each segment's list of a term: at a million contacts, merging
// them into one ('optimize') took a third to a half off an id's, an
// email's or a street's search and a fifth off a name's. It takes
// seconds a table (some 6 s for the contacts' at a load of 5 on 2 CPUs)
// and holds the write lock meanwhile, so it is not part of the rebuild's
// transaction, which already takes most of a pass: each table rebuilt
// is marked (index_settings optimizeSetting+table, in the rebuild's
// transaction) and optimized in a transaction of its own by
// optimizeSearch, after the rebuild or in the pass after it, the mark
// removed with it. A pass killed meanwhile leaves the marks, and the
// next pass optimizes what is left. Later passes add small segments,
// which FTS5's automerge (4 segments of a level merged into one, its
// default) keeps few.
const optimizeSetting = "optimize "

// optimizeTime is the time optimizeSearch wants left before the pass's
// deadline to begin a table: a table begun with less is likely cut off
// (its work rolled back) and is left to the next pass, at once. A
// variable for the tests.
var optimizeTime = 30 * time.Second

// errOptimizeLater: a full-text table is left to optimize in the next
// pass, for want of time in this one.
var errOptimizeLater = errors.New("index: the full-text tables are left to optimize in the next pass")

// optimizeSearch merges each full-text table a rebuild marked into one
// segment, each in a transaction of its own, and removes its mark. It
// returns errOptimizeLater when the pass's time is too short for the
// next one.
func (s *Store) optimizeSearch(ctx context.Context) error {
	if s.dialect != db.SQLite {
		return nil
	}
	for _, t := range ftsTables {
		fts := t.name
		var marked bool
		err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM index_settings WHERE name = ?)`, optimizeSetting+fts).Scan(&marked)
		if err != nil {
			return fmt.Errorf("index: optimize %s: %w", fts, err)
		}
		if !marked {
			continue
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < optimizeTime {
			return errOptimizeLater
		}
		if err := s.optimize(ctx, fts); err != nil {
			return err
		}
	}
	return nil
}

// optimize merges one full-text table into one segment and removes its
// mark, in one transaction.
func (s *Store) optimize(ctx context.Context, fts string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: optimize %s: %w", fts, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if _, err := tx.ExecContext(ctx, `INSERT INTO `+fts+` (`+fts+`) VALUES ('optimize')`); err != nil {
		return fmt.Errorf("index: optimize %s: %w", fts, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM index_settings WHERE name = ?`, optimizeSetting+fts); err != nil {
		return fmt.Errorf("index: optimize %s: %w", fts, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: optimize %s: %w", fts, err)
	}
	return nil
}
