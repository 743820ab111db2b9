// Package index keeps a local, continuously refreshed copy of the tenant's
// customers and contacts (from ServiceTitan's Data Export feeds and the
// app's own writes) and searches it: a customer is found from any clue (an
// id, four digits of a number, part of an email, name words in any order,
// a street, a memo) without calling ServiceTitan.
//
// It lives in the audit trail's database (SQLite by default, PostgreSQL
// with several instances), in tables of its own, migrated from files
// embedded in the binary. Customers' contact details are held at rest
// there; the index can be deleted and rebuilt from ServiceTitan at will.
package index

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
)

//go:embed migrations
var migrationFiles embed.FS

var migrations = db.Set{Owner: "index", Files: migrationFiles, Dir: "migrations", Table: "index_schema_migrations",
	LockKey: 0x696e646578} // "index"

// Feed names.
const (
	FeedCustomers = "customers"
	FeedContacts  = "contacts"
)

// Customer is a customer as the index holds it.
type Customer struct {
	ID         int64
	Name       string
	Type       string
	Address    client.Address
	Active     bool
	ModifiedOn time.Time
}

// Contact is a contact as the index holds it.
type Contact struct {
	ID int64
	// CustomerID is the customer: the contact's owner, or its location's.
	CustomerID int64
	// LocationID is the service location whose contact it is; 0 for a
	// customer's own.
	LocationID    int64
	Type          client.ContactType
	Value         string
	Memo          string
	PhoneSettings *client.PhoneSettings
	Preferences   *client.Preferences
	CreatedOn     time.Time
	ModifiedOn    time.Time
	// Removed: the feed said the contact is gone (active:false).
	Removed bool
	// Problem is what the hygiene rules found wrong with the value ("":
	// nothing, or not checked yet); checked says they have seen it.
	Problem string
	checked bool
}

// Store is the index in a database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// reads are search's candidate queries (the rows it finds to rank,
	// some 600 for four digits of a phone number), kept prepared. On
	// SQLite their handle is db.DB.Reader: read-only connections that
	// read beside the writing one and map the file into memory, so a
	// row's page costs no pread; elsewhere it is db. Other reads stay on
	// db: a process that only looks values up (a bulk preview) maps
	// nothing.
	reads   *db.Statements
	dialect string
	now     func() time.Time
	checker *Checker
	// history records changes made in ServiceTitan itself (SetHistory).
	history *audit.External
	// passMu is the sync pass's lock on SQLite (see lockPass).
	passMu sync.Mutex
	// prepared are the statements of the writes a save and a feed page
	// make, by their text (see prepare).
	prepared map[string]*sql.Stmt
}

// Open migrates the index's tables on the app's database handle h and
// returns the Store over them.
func Open(ctx context.Context, h *db.DB) (*Store, error) {
	if err := h.Migrate(ctx, migrations); err != nil {
		return nil, err
	}
	s := &Store{db: h.DB, reads: db.NewStatements(h.Reader()), dialect: h.Dialect, now: time.Now}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// prepare prepares the statements every save runs, once:
// SQLite's parse of a statement is a large part of a small write's cost
// (the contact upsert's parse took longer than its write). They are
// prepared before any transaction, since on SQLite a transaction holds
// the one connection; execIn and queryRowIn use them inside one.
func (s *Store) prepare(ctx context.Context) error {
	s.prepared = map[string]*sql.Stmt{}
	queries := []string{
		s.upsertQuery(upsertContactsInsert, upsertContactsColumns, upsertContactsConflict, 1),
		// A feed page's full batches: parsing a statement of hundreds
		// of rows took a fifth of a page's writes.
		s.upsertQuery(upsertContactsInsert, upsertContactsColumns, upsertContactsConflict, upsertBatch),
		s.upsertQuery(upsertCustomersInsert, upsertCustomersColumns, upsertCustomersConflict, upsertBatch),
		s.upsertQuery(upsertLocationsInsert, upsertLocationsColumns, upsertLocationsConflict, upsertBatch),
		s.rebind(contactBeforeQuery),
		s.rebind(checkProblemQuery(s)),
		s.rebind(firstCheckProblemQuery),
	}
	queries = append(queries, s.summarizeQueries()...)
	for _, q := range queries {
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("index: prepare: %w", err)
		}
		s.prepared[q] = st
	}
	return nil
}

// execIn runs q (rebound) in tx, through its prepared statement if any.
func (s *Store) execIn(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st, ok := s.prepared[q]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// queryRowIn reads one row of q (rebound) in tx, through its prepared
// statement if any.
func (s *Store) queryRowIn(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	if st, ok := s.prepared[q]; ok {
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

// rebind turns "?" placeholders into the dialect's.
func (s *Store) rebind(q string) string { return db.Rebind(s.dialect, q) }

// micros and fromMicros store times as the tables hold them.
var micros, fromMicros = db.Micros, db.FromMicros

// customerSearch is what a customer is found by: name and address.
func customerSearch(c Customer) string {
	a := c.Address
	return fold(strings.Join([]string{c.Name, a.Street, a.Unit, a.City, a.State, a.Zip}, " "))
}

// valueKey is how a contact's value is compared: the digits of a number,
// an email in lower case.
func valueKey(t client.ContactType, value string) string {
	if t.IsPhoneNumber() {
		return client.Digits(value)
	}
	return strings.ToLower(strings.TrimSpace(value))
}

// contactSearch is what a contact is found by: its value (a number as its
// digits, so four of them find it) and its memo.
func contactSearch(c Contact) string {
	if c.Removed {
		return ""
	}
	return fold(valueKey(c.Type, c.Value) + " " + c.Memo)
}

// upsertBatch is how many rows one INSERT writes. On SQLite each
// statement in a transaction is a savepoint, at which FTS5 writes the
// rows it holds in memory to disk as a new segment of the trigram index:
// a statement per row made a segment per row, and merging them took most
// of a backfill's time. Batches keep the statements within SQLite's and
// PostgreSQL's limits on parameters; a full batch's statement is prepared
// once (a few hundred kilobytes each), a page's last rows parsed anew.
const upsertBatch = 500

// newest keeps, of rows with the same id, the one applying them in order
// would leave (the last of the newest), in their order: one INSERT cannot
// touch a row twice on PostgreSQL.
func newest[T any](rows []T, id func(T) int64, modified func(T) time.Time) []T {
	at := make(map[int64]int, len(rows))
	dup := false
	for i, r := range rows {
		if j, ok := at[id(r)]; ok {
			dup = true
			if modified(r).Before(modified(rows[j])) {
				continue
			}
		}
		at[id(r)] = i
	}
	if !dup {
		return rows
	}
	out := make([]T, 0, len(at))
	for i, r := range rows {
		if at[id(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// upsertQuery is the rebound statement writing n rows: insert (up to
// VALUES), a tuple of columns placeholders per row, then conflict.
func (s *Store) upsertQuery(insert string, columns int, conflict string, n int) string {
	tuple := "(?" + strings.Repeat(", ?", columns-1) + ")"
	return s.rebind(insert + " VALUES " + tuple + strings.Repeat(", "+tuple, n-1) + " " + conflict)
}

// upsert writes n rows with insert (up to VALUES), a tuple of columns
// placeholders per row, then conflict; row appends row i's values to args.
func (s *Store) upsert(ctx context.Context, tx *sql.Tx, insert string, columns int, conflict string, n int,
	row func(i int, args []any) []any) error {
	for start := 0; start < n; start += upsertBatch {
		end := min(start+upsertBatch, n)
		args := make([]any, 0, (end-start)*columns)
		for i := start; i < end; i++ {
			args = row(i, args)
		}
		if _, err := s.execIn(ctx, tx, s.upsertQuery(insert, columns, conflict, end-start), args...); err != nil {
			return fmt.Errorf("rows %d to %d: %w", start+1, end, err)
		}
	}
	return nil
}

// The upserts of customers and contacts: a row newer than (or as new as)
// the one the index holds replaces it.
const (
	upsertCustomersInsert = `INSERT INTO index_customers
		(id, name, kind, street, unit, city, state, zip, active, modified_us, search)`
	upsertCustomersColumns  = 11
	upsertCustomersConflict = `ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, street = excluded.street,
			unit = excluded.unit, city = excluded.city, state = excluded.state, zip = excluded.zip,
			active = excluded.active, modified_us = excluded.modified_us, search = excluded.search
		WHERE excluded.modified_us >= index_customers.modified_us`
	upsertContactsInsert = `INSERT INTO index_contacts
		(id, customer_id, location_id, kind, value, value_key, memo, do_not_text, preferences, created_us, modified_us, removed, search,
		problem, checked)`
	upsertContactsColumns  = 15
	upsertContactsConflict = `ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, location_id = excluded.location_id, kind = excluded.kind, value = excluded.value,
			value_key = excluded.value_key, memo = excluded.memo, do_not_text = excluded.do_not_text,
			preferences = excluded.preferences, created_us = excluded.created_us, modified_us = excluded.modified_us,
			removed = excluded.removed, search = excluded.search, problem = excluded.problem, checked = excluded.checked
		WHERE excluded.modified_us >= index_contacts.modified_us`
)

// upsertCustomers writes customers newer than what the index holds: a
// repeated or older row never overwrites a newer one.
func (s *Store) upsertCustomers(ctx context.Context, tx *sql.Tx, rows []Customer) error {
	rows = newest(rows, func(c Customer) int64 { return c.ID }, func(c Customer) time.Time { return c.ModifiedOn })
	return s.upsert(ctx, tx, upsertCustomersInsert, upsertCustomersColumns, upsertCustomersConflict, len(rows),
		func(i int, args []any) []any {
			c := rows[i]
			a := c.Address
			return append(args, c.ID, c.Name, c.Type, a.Street, a.Unit, a.City, a.State, a.Zip, c.Active,
				micros(c.ModifiedOn), customerSearch(c))
		})
}

// upsertContacts writes contacts newer than what the index holds; a
// removed one stays as a tombstone, so an older row cannot bring it back.
func (s *Store) upsertContacts(ctx context.Context, tx *sql.Tx, rows []Contact) error {
	rows = newest(rows, func(c Contact) int64 { return c.ID }, func(c Contact) time.Time { return c.ModifiedOn })
	return s.upsert(ctx, tx, upsertContactsInsert, upsertContactsColumns, upsertContactsConflict, len(rows),
		func(i int, args []any) []any {
			c := rows[i]
			var doNotText, prefs any
			if c.PhoneSettings != nil {
				doNotText = c.PhoneSettings.DoNotText
			}
			if c.Preferences != nil {
				b, _ := json.Marshal(c.Preferences)
				prefs = string(b)
			}
			return append(args, c.ID, c.CustomerID, c.LocationID, string(c.Type), c.Value, valueKey(c.Type, c.Value), c.Memo,
				doNotText, prefs, micros(c.CreatedOn), micros(c.ModifiedOn), c.Removed, contactSearch(c),
				c.Problem, c.checked)
		})
}

// Page is one page of a feed, applied with the cursor it leads to.
type Page struct {
	Feed      string
	Customers []Customer
	Locations []Location
	// Contacts are a customer contacts page's, or a location contacts
	// page's (each with its LocationID).
	Contacts []Contact
	// From is the cursor the page was read from, Next the page's
	// continueFrom; HasMore says whether the feed had more after it.
	From    string
	Next    string
	HasMore bool
}

// ErrCursorMoved: the feed's cursor is no longer where the page was read
// from (the index was erased, or another sync applied the page first), so
// the page was not applied.
var ErrCursorMoved = errors.New("index: the feed's cursor moved while the page was read")

// Apply writes a page's rows and moves its feed's cursor in one
// transaction: a crash never skips or half-applies a page. Rows that could
// not be true are refused and counted (see screen); a contact whose
// customer the index does not hold yet waits for it (see setAside). The
// feed's high-water mark, the newest modifiedOn it sent, moves with the
// cursor. Reaching the end of a feed (HasMore false) marks it backfilled
// and is the feed's last successful sync. The cursor moves only from
// p.From: a page read before an erase, or by a second sync, is refused
// with ErrCursorMoved and changes nothing.
func (s *Store) Apply(ctx context.Context, p Page) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	read := len(p.Customers) + len(p.Contacts) + len(p.Locations)
	refused, highWater := s.screen(&p)
	if err := s.countRefused(ctx, tx, p.Feed, refused); err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	loading, err := s.loading(ctx, tx)
	if err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	if loading {
		// A first backfill's contacts are classified by the first check,
		// which reads them all once and writes only the problems it
		// finds: marked unchecked, each would be written twice.
		for i := range p.Contacts {
			p.Contacts[i].checked = true
		}
	}
	switch p.Feed {
	case FeedContacts:
		err = s.setAside(ctx, tx, &p)
	case FeedLocationContacts:
		err = s.placeLocationContacts(ctx, tx, &p)
	}
	if err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	if err := s.noteTouched(ctx, tx, p); err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	switch p.Feed {
	case FeedCustomers:
		err = s.upsertCustomers(ctx, tx, p.Customers)
		if err == nil {
			err = s.bringWaiting(ctx, tx, p.Customers)
		}
	case FeedContacts, FeedLocationContacts:
		err = s.observe(ctx, tx, p.Feed, p.Contacts)
		if err == nil {
			err = s.upsertContacts(ctx, tx, p.Contacts)
		}
	case FeedLocations:
		err = s.upsertLocations(ctx, tx, p.Locations)
		if err == nil {
			err = s.bringWaitingForLocations(ctx, tx, p.Locations)
		}
	default:
		err = fmt.Errorf("no feed %q", p.Feed)
	}
	if err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	ended := ""
	if !p.HasMore {
		ended = ", backfilled = " + s.boolean(true) + ", last_success_us = " + strconv.FormatInt(micros(s.now()), 10)
	}
	hw := micros(highWater)
	moved, err := tx.ExecContext(ctx, s.rebind(`UPDATE index_feeds SET continue_from = ?, rows_read = rows_read + ?,
		high_water_us = CASE WHEN high_water_us < ? THEN ? ELSE high_water_us END, last_error = ''`+ended+`
		WHERE feed = ? AND continue_from = ?`),
		p.Next, read, hw, hw, p.Feed, p.From)
	if err != nil {
		return fmt.Errorf("index: move the %s cursor: %w", p.Feed, err)
	}
	if n, err := moved.RowsAffected(); err != nil || n != 1 {
		return ErrCursorMoved
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: apply a %s page: %w", p.Feed, err)
	}
	return nil
}

func (s *Store) boolean(v bool) string {
	switch {
	case s.dialect == db.Postgres && v:
		return "TRUE"
	case s.dialect == db.Postgres:
		return "FALSE"
	case v:
		return "1"
	}
	return "0"
}

// Feed is where a feed stands.
type Feed struct {
	Name         string
	ContinueFrom string
	Backfilled   bool
	RowsRead     int64
	// HighWater is the newest modifiedOn of a row read from the feed.
	HighWater time.Time
	// LastSuccess is when the feed was last read to its end.
	LastSuccess time.Time
	LastError   string
	LastErrorAt time.Time
}

// Feed reads where a feed stands.
func (s *Store) Feed(ctx context.Context, name string) (Feed, error) {
	f := Feed{Name: name}
	var highWater, success, errorAt int64
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT continue_from, backfilled, rows_read, high_water_us, last_success_us, last_error, last_error_us
		FROM index_feeds WHERE feed = ?`), name).Scan(&f.ContinueFrom, &f.Backfilled, &f.RowsRead, &highWater, &success, &f.LastError, &errorAt)
	if err != nil {
		return f, fmt.Errorf("index: read the %s feed's state: %w", name, err)
	}
	f.HighWater, f.LastSuccess, f.LastErrorAt = fromMicros(highWater), fromMicros(success), fromMicros(errorAt)
	return f, nil
}

// RecordError notes a failed read of a feed (its cursor stays).
func (s *Store) RecordError(ctx context.Context, feed string, cause error) error {
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE index_feeds SET last_error = ?, last_error_us = ? WHERE feed = ?`),
		msg, micros(s.now()), feed)
	return err
}

// RestartMargin is how far before its high-water mark a feed restarts
// after a refused token: rows changed about then may have been placed in
// the feed a little out of order, and reading rows again is harmless (an
// older row never overwrites a newer one).
const RestartMargin = 10 * time.Minute

// Restart points a feed at a date (a bad or expired token): its high-water
// mark, the newest modifiedOn of a row read from the feed itself, less
// RestartMargin; or its start when it has read none. Never the newest
// modifiedOn the index holds: the app's own writes are in it, newer than
// changes made elsewhere that the feed has not sent yet, and a removal the
// app made is stamped with the app's clock, not ServiceTitan's.
func (s *Store) Restart(ctx context.Context, feed string) (string, error) {
	var highWater int64
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT high_water_us FROM index_feeds WHERE feed = ?`), feed).Scan(&highWater)
	if err != nil {
		return "", fmt.Errorf("index: restart the %s feed: %w", feed, err)
	}
	from := ""
	if highWater > 0 {
		from = fromMicros(highWater).Add(-RestartMargin).UTC().Format(time.RFC3339Nano)
	}
	if _, err := s.db.ExecContext(ctx, s.rebind(`UPDATE index_feeds SET continue_from = ? WHERE feed = ?`), from, feed); err != nil {
		return "", fmt.Errorf("index: restart the %s feed: %w", feed, err)
	}
	return from, nil
}

// SetTotal keeps a count ServiceTitan gave (the tenant's customers).
func (s *Store) SetTotal(ctx context.Context, name string, n int) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`INSERT INTO index_totals (name, value, at_us) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, at_us = excluded.at_us`), name, n, micros(s.now()))
	return err
}

// Wrote puts a contact the app just wrote into the index at once (it is a
// change.Cache), as new as ServiceTitan's answer says.
func (s *Store) Wrote(ctx context.Context, o client.Owner, ct client.Contact) error {
	return s.write(ctx, contactOf(o, ct), false)
}

// Read takes in a contact as a change read it from ServiceTitan just
// before writing it (it is a change.ReadCache). Newer than the index's
// copy, it holds changes made in ServiceTitan since the index last saw
// the contact: they are recorded in the History now, before the app's
// write hides them from the feed, and the copy is brought up to date.
// A contact of a customer (or location) the index does not hold yet is
// left to the feed.
func (s *Store) Read(ctx context.Context, o client.Owner, ct client.Contact) error {
	return s.write(ctx, contactOf(o, ct), true)
}

func contactOf(o client.Owner, ct client.Contact) Contact {
	return Contact{ID: ct.ID, CustomerID: o.CustomerID, LocationID: o.LocationID, Type: ct.Type, Value: ct.Value, Memo: ct.Memo,
		PhoneSettings: ct.PhoneSettings, Preferences: ct.Preferences, CreatedOn: ct.CreatedOn, ModifiedOn: ct.ModifiedOn}
}

// Removed takes a contact the app just removed out of search.
func (s *Store) Removed(ctx context.Context, o client.Owner, contactID int64) error {
	return s.write(ctx, Contact{ID: contactID, CustomerID: o.CustomerID, LocationID: o.LocationID, Removed: true, ModifiedOn: s.now()}, false)
}

// contactBeforeQuery reads what a contact written outside of a feed page
// held before.
const contactBeforeQuery = `SELECT value_key, customer_id, problem, removed, modified_us FROM index_contacts WHERE id = ?`

// write applies one contact outside of a feed page: one the app wrote, or
// (read) one it read from ServiceTitan, whose changes since the index's
// copy are recorded (see observe). A failure costs the index a moment of
// staleness (the next sync brings the row), not the write's success: the
// caller logs it.
func (s *Store) write(ctx context.Context, c Contact, read bool) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("index: write contact %d: %w", c.ID, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if c.ModifiedOn.IsZero() {
		c.ModifiedOn = s.now()
	}
	s.check(&c)
	// The value, customer, problem and state it had before: the summary
	// changes only when one of them does (a memo or a preference saved
	// leaves it as it is).
	var before struct {
		key, problem string
		customer     int64
		removed      bool
		modified     int64
	}
	err = s.queryRowIn(ctx, tx, s.rebind(contactBeforeQuery), c.ID).
		Scan(&before.key, &before.customer, &before.problem, &before.removed, &before.modified)
	isNew := errors.Is(err, sql.ErrNoRows)
	if err != nil && !isNew {
		return fmt.Errorf("index: write contact %d: read it: %w", c.ID, err)
	}
	if read {
		if !isNew && micros(c.ModifiedOn) <= before.modified {
			return nil // nothing the index has not seen
		}
		if held, err := s.ownerHeld(ctx, tx, c); err != nil || !held {
			return err
		}
		if err := s.observe(ctx, tx, feedOf(c), []Contact{c}); err != nil {
			return fmt.Errorf("index: write contact %d: its History: %w", c.ID, err)
		}
	}
	if err := s.upsertContacts(ctx, tx, []Contact{c}); err != nil {
		return fmt.Errorf("index: write contact %d: %w", c.ID, err)
	}
	key := valueKey(c.Type, c.Value)
	if !isNew && before.key == key && before.customer == c.CustomerID && before.problem == c.Problem && before.removed == c.Removed {
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("index: write contact %d: commit: %w", c.ID, err)
		}
		return nil
	}
	if s.dialect == db.SQLite {
		// A first backfill loading (see load.go) counts the summary
		// whole after it, and the value index these counts read by is
		// not there yet: count it whole then, not a value at a time by
		// reading every contact. (SQLite's one connection keeps the
		// loading state from changing under this transaction.)
		loading, err := s.loading(ctx, tx)
		if err != nil {
			return fmt.Errorf("index: write contact %d: %w", c.ID, err)
		}
		if loading {
			if err := s.summarizeWhole(ctx, tx); err != nil {
				return fmt.Errorf("index: write contact %d: summaries: %w", c.ID, err)
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("index: write contact %d: commit: %w", c.ID, err)
			}
			return nil
		}
	}
	keys, customers := []string{key}, []int64{c.CustomerID}
	if before.key != key {
		keys = append(keys, before.key)
	}
	if before.customer != 0 && before.customer != c.CustomerID {
		customers = append(customers, before.customer)
	}
	if err := s.summarizeSome(ctx, tx, keys, customers); err != nil {
		return fmt.Errorf("index: write contact %d: summaries: %w", c.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("index: write contact %d: commit: %w", c.ID, err)
	}
	return nil
}

// feedOf is the feed a contact comes in: its customer's, or its
// location's.
func feedOf(c Contact) string {
	if c.LocationID != 0 {
		return FeedLocationContacts
	}
	return FeedContacts
}

// ownerHeld reports whether the index holds a contact's owner (its
// customer or its location): the feed sets aside a contact whose owner it
// does not hold yet.
func (s *Store) ownerHeld(ctx context.Context, tx *sql.Tx, c Contact) (bool, error) {
	owner, id := "index_customers", c.CustomerID
	if c.LocationID != 0 {
		owner, id = "index_locations", c.LocationID
	}
	var held bool
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT EXISTS (SELECT 1 FROM `+owner+` WHERE id = ?)`), id).Scan(&held); err != nil {
		return false, fmt.Errorf("index: write contact %d: its owner: %w", c.ID, err)
	}
	return held, nil
}

// Counts are the rows the index holds.
type Counts struct {
	// Contacts are the customers' own; LocationContacts their
	// locations'.
	Customers, Contacts int64
	Locations           int64
	LocationContacts    int64
	// Total is how many customers ServiceTitan said the tenant has (0:
	// not known yet).
	Total int64
}

// Count reads how many rows the index holds.
func (s *Store) Count(ctx context.Context) (Counts, error) {
	var n Counts
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT
		(SELECT COUNT(*) FROM index_customers),
		(SELECT COUNT(*) FROM index_contacts WHERE removed = `+s.boolean(false)+` AND location_id = 0),
		(SELECT COUNT(*) FROM index_locations),
		(SELECT COUNT(*) FROM index_contacts WHERE removed = `+s.boolean(false)+` AND location_id <> 0),
		COALESCE((SELECT value FROM index_totals WHERE name = 'customers'), 0)`)).Scan(&n.Customers, &n.Contacts, &n.Locations, &n.LocationContacts, &n.Total)
	if err != nil {
		return n, fmt.Errorf("index: count rows: %w", err)
	}
	return n, nil
}

// ErrNotFound: the index holds no such row.
var ErrNotFound = errors.New("index: not found")
