package audit

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

// dialect is what differs between the SQL backends.
type dialect struct {
	// name is the backend, also the migrations directory: "sqlite", "postgres".
	name string
	// numbered placeholders ($1, $2, ...) instead of "?".
	numbered bool
	// encodeTime turns a time into the value stored for it.
	encodeTime func(time.Time) any
	// noLimit is the LIMIT that means "all rows".
	noLimit string
	// listTx are the options of List's transaction (one snapshot for the
	// count, the entries and their changes).
	listTx *sql.TxOptions
}

// rebind turns the "?" placeholders of q into the dialect's.
func (d *dialect) rebind(q string) string { return db.Rebind(d.name, q) }

// storedTime is the precision kept: PostgreSQL's timestamptz has microseconds.
const storedTime = time.Microsecond

// normTime is t as stored: UTC, microsecond precision, no monotonic reading.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(storedTime)
}

// sqlStore is the Store of both backends.
type sqlStore struct {
	db *sql.DB
	d  *dialect

	// stmts are the writer's prepared statements (db), reads the
	// readers' (db.Reader: on SQLite, connections that read beside the
	// one that writes, so that a page's History does not wait for a write
	// in the background).
	stmts, reads *db.Statements

	// eachPage is how many attempts Each reads at a time
	// (defaultEachPage; fewer in tests).
	eachPage int
}

// stmt is the writer's statement for query (see db.Statements.Get).
func (s *sqlStore) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	return s.stmts.Get(ctx, query)
}

var _ Store = (*sqlStore)(nil)

// newSQLStore migrates db and returns the Store over it; reads is where
// it reads outside a transaction (db.Reader).
func newSQLStore(ctx context.Context, writer, reads *sql.DB, d *dialect) (*sqlStore, error) {
	if err := migrate(ctx, writer, d); err != nil {
		return nil, err
	}
	return &sqlStore{db: writer, d: d, stmts: db.NewStatements(writer), reads: db.NewStatements(reads), eachPage: defaultEachPage}, nil
}

const attemptColumns = `id, started_at, actor_email, actor_name, tenant_id, customer_id, contact_id,
	action, undoes_attempt_id, bulk_job, location_id, outcome, messages, trace_id, request_id, completed_at, source`

// Begin implements Store.
func (s *sqlStore) Begin(ctx context.Context, e Entry) (int64, error) {
	if strings.TrimSpace(e.ActorEmail) == "" {
		return 0, errors.New("audit: begin: the actor's email is empty")
	}
	for i, c := range e.Changes {
		if c.Field == "" {
			return 0, fmt.Errorf("audit: begin: change %d has no field", i)
		}
	}
	action := cmp.Or(e.Action, ActionUpdate)
	if !action.Valid() {
		return 0, fmt.Errorf("audit: begin: invalid action %q", e.Action)
	}
	if e.Undoes < 0 {
		return 0, fmt.Errorf("audit: begin: it undoes attempt %d, not an attempt id", e.Undoes)
	}
	if e.Undoes != 0 && action != ActionCreate {
		return 0, fmt.Errorf("audit: begin: a %q attempt undoes attempt %d: only a create undoes (a removal)", action, e.Undoes)
	}
	if e.Job < 0 {
		return 0, fmt.Errorf("audit: begin: made by job %d, not a job id", e.Job)
	}
	if e.LocationID < 0 {
		return 0, fmt.Errorf("audit: begin: location %d, not a location id", e.LocationID)
	}
	location := sql.NullInt64{Int64: e.LocationID, Valid: e.LocationID != 0}
	undoes := sql.NullInt64{Int64: e.Undoes, Valid: e.Undoes != 0}
	job := sql.NullInt64{Int64: e.Job, Valid: e.Job != 0}
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	t = normTime(t)

	insertAttempt := s.d.rebind(`INSERT INTO attempts
		(started_at, actor_email, actor_email_lower, actor_name, tenant_id, customer_id, contact_id,
		 action, undoes_attempt_id, bulk_job, location_id, outcome, messages, trace_id, request_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)
		RETURNING id`)
	var q strings.Builder
	if len(e.Changes) > 0 {
		q.WriteString("INSERT INTO changes (attempt_id, position, field, before_value, after_value) VALUES ")
		for i := range e.Changes {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
		}
	}
	insertAttemptStmt, err := s.stmt(ctx, insertAttempt)
	if err != nil {
		return 0, fmt.Errorf("audit: begin: insert attempt: %w", err)
	}
	var insertChangesStmt *sql.Stmt
	if len(e.Changes) > 0 {
		if insertChangesStmt, err = s.stmt(ctx, s.d.rebind(q.String())); err != nil {
			return 0, fmt.Errorf("audit: begin: insert changes: %w", err)
		}
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("audit: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	var id int64
	err = tx.StmtContext(ctx, insertAttemptStmt).QueryRowContext(ctx,
		s.d.encodeTime(t), e.ActorEmail, strings.ToLower(e.ActorEmail), e.ActorName,
		e.TenantID, e.CustomerID, e.ContactID, string(action), undoes, job, location, string(OutcomeUnknown), e.TraceID, e.RequestID,
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("audit: begin: insert attempt: %w", err)
	}
	if len(e.Changes) > 0 {
		args := make([]any, 0, 5*len(e.Changes))
		for i, c := range e.Changes {
			args = append(args, id, i, c.Field, c.Before, c.After)
		}
		if _, err := tx.StmtContext(ctx, insertChangesStmt).ExecContext(ctx, args...); err != nil {
			return 0, fmt.Errorf("audit: begin: insert changes: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("audit: begin: commit: %w", err)
	}
	return id, nil
}

// Complete implements Store.
func (s *sqlStore) Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error {
	if err := checkOutcome(id, outcome); err != nil {
		return err
	}
	if messages == nil {
		messages = []string{}
	}
	msgs, err := json.Marshal(messages)
	if err != nil {
		return fmt.Errorf("audit: complete attempt %d: %w", id, err)
	}
	update, err := s.stmt(ctx, s.d.rebind(`UPDATE attempts
		SET outcome = ?, messages = ?, trace_id = COALESCE(NULLIF(?, ''), trace_id), completed_at = ?
		WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("audit: complete attempt %d: %w", id, err)
	}
	res, err := update.ExecContext(ctx, string(outcome), string(msgs), traceID, s.d.encodeTime(normTime(time.Now())), id)
	if err != nil {
		return fmt.Errorf("audit: complete attempt %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("audit: complete attempt %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("audit: complete attempt %d: %w", id, ErrNotFound)
	}
	return nil
}

// checkOutcome refuses what Complete cannot record: an invalid outcome, or
// OutcomeUnknown (which only Begin writes).
func checkOutcome(id int64, outcome Outcome) error {
	if !outcome.Valid() || outcome == OutcomeUnknown {
		return fmt.Errorf("audit: complete attempt %d: invalid outcome %q", id, outcome)
	}
	return nil
}

// where returns the WHERE clause (with "?" placeholders) and arguments of f.
func (s *sqlStore) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	if f.ID != 0 {
		conds = append(conds, "id = ?")
		args = append(args, f.ID)
	}
	if f.Actor != "" {
		conds = append(conds, "actor_email_lower = ?")
		args = append(args, strings.ToLower(f.Actor))
	}
	if f.ActorLike != "" {
		like := db.ContainsPattern(strings.ToLower(f.ActorLike))
		conds = append(conds, `(actor_email_lower LIKE ? ESCAPE '\' OR LOWER(actor_name) LIKE ? ESCAPE '\')`)
		args = append(args, like, like)
	}
	if f.CustomerID != 0 {
		conds = append(conds, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	if len(f.CustomerIDs) > 0 {
		conds = append(conds, "customer_id IN (?"+strings.Repeat(", ?", len(f.CustomerIDs)-1)+")")
		for _, id := range f.CustomerIDs {
			args = append(args, id)
		}
	}
	if f.ContactID != 0 {
		conds = append(conds, "contact_id = ?")
		args = append(args, f.ContactID)
	}
	if f.LocationID != 0 {
		conds = append(conds, "location_id = ?")
		args = append(args, f.LocationID)
	}
	if f.Outcome != "" {
		conds = append(conds, "outcome = ?")
		args = append(args, string(f.Outcome))
	}
	if f.Action != "" {
		conds = append(conds, "action = ?")
		args = append(args, string(f.Action))
	}
	if f.Source != "" {
		conds = append(conds, "source = ?")
		args = append(args, string(f.Source))
	}
	if f.Job != 0 {
		conds = append(conds, "bulk_job = ?")
		args = append(args, f.Job)
	}
	if len(f.Undoes) > 0 {
		conds = append(conds, "undoes_attempt_id IN (?"+strings.Repeat(", ?", len(f.Undoes)-1)+")")
		for _, id := range f.Undoes {
			args = append(args, id)
		}
	}
	if !f.From.IsZero() {
		conds = append(conds, "started_at >= ?")
		args = append(args, s.d.encodeTime(normTime(f.From)))
	}
	if !f.To.IsZero() {
		conds = append(conds, "started_at < ?")
		args = append(args, s.d.encodeTime(normTime(f.To)))
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// entriesQuery is the query of a page of entries and their changes: one
// row per change (or one for an attempt without changes), attempts in the
// order page gives them, their changes in order. where filters the
// attempts; page orders them newest first and bounds them.
func entriesQuery(where, page string) string {
	return `SELECT a.id, a.started_at, a.actor_email, a.actor_name, a.tenant_id, a.customer_id,
			a.contact_id, a.action, a.undoes_attempt_id, a.bulk_job, a.location_id, a.outcome, a.messages, a.trace_id, a.request_id, a.completed_at,
			a.source, c.field, c.before_value, c.after_value
		FROM (SELECT ` + attemptColumns + ` FROM attempts` + where + page + `) a
		LEFT JOIN changes c ON c.attempt_id = a.id
		ORDER BY a.started_at DESC, a.id DESC, c.position`
}

// newestFirst is the order of List and Each; ties in time go to the later
// attempt.
const newestFirst = " ORDER BY started_at DESC, id DESC"

// SetContact implements Store.
func (s *sqlStore) SetContact(ctx context.Context, id, contactID int64) error {
	update, err := s.stmt(ctx, s.d.rebind(`UPDATE attempts SET contact_id = ? WHERE id = ?`))
	if err != nil {
		return fmt.Errorf("audit: set the contact of attempt %d: %w", id, err)
	}
	res, err := update.ExecContext(ctx, contactID, id)
	if err != nil {
		return fmt.Errorf("audit: set the contact of attempt %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("audit: set the contact of attempt %d: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("audit: set the contact of attempt %d: %w", id, ErrNotFound)
	}
	return nil
}

// List implements Store.
//
// The page and its changes come from one statement, so they are one
// snapshot without a transaction; only the total, when asked for, needs
// one around the count and the page. Both go to the readers
// (db.Reader): they see every attempt and outcome committed before them.
func (s *sqlStore) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	where, args := s.where(f)
	page := newestFirst + " LIMIT " + s.d.noLimit
	pageArgs := append([]any(nil), args...)
	if f.Limit > 0 {
		page = newestFirst + " LIMIT ?"
		pageArgs = append(pageArgs, f.Limit)
	}
	if f.Offset > 0 {
		page += " OFFSET ?"
		pageArgs = append(pageArgs, f.Offset)
	}
	pageStmt, err := s.reads.Get(ctx, s.d.rebind(entriesQuery(where, page)))
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	if f.SkipTotal {
		entries, err := readEntries(ctx, pageStmt, pageArgs, f.Limit)
		if err != nil {
			return nil, 0, fmt.Errorf("audit: list: %w", err)
		}
		return entries, -1, nil
	}
	countStmt, err := s.reads.Get(ctx, s.d.rebind("SELECT COUNT(*) FROM attempts"+where))
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: count: %w", err)
	}
	tx, err := s.reads.Handle().BeginTx(ctx, s.d.listTx)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var total int
	if err := tx.StmtContext(ctx, countStmt).QueryRowContext(ctx, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: list: count: %w", err)
	}
	entries, err := readEntries(ctx, tx.StmtContext(ctx, pageStmt), pageArgs, f.Limit)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	return entries, total, nil
}

// defaultEachPage is how many attempts Each reads at a time: enough that
// the queries cost little per entry, few enough that a page (each attempt
// with a handful of changes) is small.
const defaultEachPage = 500

// Each implements Store.
//
// It pages by keyset, not by OFFSET: each page starts strictly after the
// last entry of the one before in (started_at, id) order, so a page costs
// the same however deep the walk, and entries begun or pruned meanwhile
// neither shift nor repeat the rest. A page is read whole and its
// statement closed before fn runs: SQLite's one connection is free again
// while fn works.
func (s *sqlStore) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	where, args := s.where(f)
	after := " WHERE (started_at, id) < (?, ?)"
	if where != "" {
		after = where + " AND (started_at, id) < (?, ?)"
	}
	first := s.d.rebind(entriesQuery(where, newestFirst+" LIMIT ?"))
	next := s.d.rebind(entriesQuery(after, newestFirst+" LIMIT ?"))
	query, pageArgs := first, append(args[:len(args):len(args)], s.eachPage)
	for {
		st, err := s.reads.Get(ctx, query)
		if err != nil {
			return fmt.Errorf("audit: each: %w", err)
		}
		entries, err := readEntries(ctx, st, pageArgs, 0)
		if err != nil {
			return fmt.Errorf("audit: each: %w", err)
		}
		for _, e := range entries {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(entries) < s.eachPage {
			return nil
		}
		last := entries[len(entries)-1]
		query, pageArgs = next, append(args[:len(args):len(args)], s.d.encodeTime(last.Time), last.ID, s.eachPage)
	}
}

// readEntries runs a query made by entriesQuery and gathers its rows into
// entries.
func readEntries(ctx context.Context, page *sql.Stmt, args []any, limit int) ([]Entry, error) {
	rows, err := page.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows, limit)
}

// sizedListMax is the largest limit for which scanEntries makes room for
// all entries at once (a record page's History asks for 20).
const sizedListMax = 100

// scanEntries gathers the rows of a query made by entriesQuery into
// entries, and closes them. limit, when known (0: not), is how many
// entries the query may return at most: grown from nothing by appending,
// the slice of a 20-entry History was allocated and copied six times (an
// Entry is about 300 bytes), the largest allocation of a save's record
// page (docs/profile-save.md).
func scanEntries(rows *sql.Rows, limit int) ([]Entry, error) {
	defer rows.Close()
	var entries []Entry
	if limit > 0 && limit <= sizedListMax {
		entries = make([]Entry, 0, limit)
	}
	// One set of scan targets for all rows: fresh ones per row would each
	// be an allocation.
	var (
		e                             Entry
		action, outcome, msgs, source string
		undoes, job, location         sql.NullInt64
		started, completed            dbTime
		field, before, after          sql.NullString
	)
	dest := []any{&e.ID, &started, &e.ActorEmail, &e.ActorName, &e.TenantID, &e.CustomerID,
		&e.ContactID, &action, &undoes, &job, &location, &outcome, &msgs, &e.TraceID, &e.RequestID, &completed, &source, &field, &before, &after}
	for rows.Next() {
		e = Entry{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if n := len(entries); n == 0 || entries[n-1].ID != e.ID {
			e.Time, e.CompletedAt, e.Outcome = started.t, completed.t, Outcome(outcome)
			e.Action, e.Undoes, e.Job, e.LocationID = Action(action), undoes.Int64, job.Int64, location.Int64
			e.Source = Source(source)
			if msgs != "[]" {
				if err := json.Unmarshal([]byte(msgs), &e.Messages); err != nil {
					return nil, fmt.Errorf("messages of attempt %d: %w", e.ID, err)
				}
				if len(e.Messages) == 0 {
					e.Messages = nil
				}
			}
			entries = append(entries, e)
		}
		if field.Valid {
			last := &entries[len(entries)-1]
			last.Changes = append(last.Changes, Change{Field: field.String, Before: before.String, After: after.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return entries, nil
}

// Prune implements Store.
func (s *sqlStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	// Changes go with their attempt (ON DELETE CASCADE).
	del, err := s.stmt(ctx, s.d.rebind("DELETE FROM attempts WHERE started_at < ?"))
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	res, err := del.ExecContext(ctx, s.d.encodeTime(normTime(before)))
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("audit: prune: %w", err)
	}
	return n, nil
}

// Ping implements Store.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("audit: ping: %w", err)
	}
	return nil
}

// Close implements Store.
func (s *sqlStore) Close() error {
	s.stmts.Close()
	s.reads.Close()
	return nil
}

// dbTime scans a stored time, NULL as the zero time: a time.Time from
// PostgreSQL, or SQLite's text.
type dbTime struct{ t time.Time }

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.t = time.Time{}
	case time.Time:
		d.t = x.UTC()
	case string:
		return d.parse(x)
	case []byte:
		return d.parse(string(x))
	default:
		return fmt.Errorf("audit: cannot read a time from %T", v)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("audit: stored time %q: %w", s, err)
	}
	d.t = t.UTC()
	return nil
}
