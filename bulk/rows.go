package bulk

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"time"
)

// LineStatus is what became of a line of the list.
type LineStatus string

// The statuses of a line.
const (
	LineMatched   LineStatus = "matched"
	LineUnmatched LineStatus = "unmatched"
	LineInvalid   LineStatus = "invalid"
	// LineDuplicate: every contact it matched was matched by an earlier
	// line; the job changes each contact once.
	LineDuplicate LineStatus = "duplicate"
)

// Line is a line of the list as matched.
type Line struct {
	Line       int
	Text       string
	Value      string // the phone number (10 digits) or email looked for
	CustomerID int64  // as given
	ContactID  int64  // as given
	Status     LineStatus
	Why        string
	// Matches counts the contacts it matched, Customers the customers
	// they belong to (more than one: a shared number or address).
	Matches, Customers int
}

// Plan is what the preview expects for a contact, from the index.
type Plan string

// The plans.
const (
	PlanChange    Plan = "change"
	PlanUnchanged Plan = "unchanged"
)

// Target is a contact a job works on: one row of the job.
type Target struct {
	Job          int64
	Seq          int
	Line         int
	CustomerID   int64
	ContactID    int64
	CustomerName string
	// LocationID is the service location whose contact it is (0: the
	// customer's own), LocationName its name as the preview showed it.
	LocationID   int64
	LocationName string
	Type         string
	Value        string
	// TextedStop: the number had texted STOP when the preview matched it
	// (a removal takes the opt-out with it).
	TextedStop bool
	// Planned, Before and After are the preview's, from the index: the
	// job reads the contact again before changing it.
	Planned Plan
	Before  string
	After   string
	State   RowState
	Tries   int
	AuditID int64
	Message string
	Done    time.Time
}

const targetColumns = `job_id, seq, line, customer_id, contact_id, customer_name, kind, value, planned, before_text, after_text,
	state, tries, audit_id, message, done_us, texted_stop, location_id, location_name`

func scanTarget(r scanner) (Target, error) {
	var t Target
	var planned, state string
	var done, textedStop int64
	err := r.Scan(&t.Job, &t.Seq, &t.Line, &t.CustomerID, &t.ContactID, &t.CustomerName, &t.Type, &t.Value, &planned,
		&t.Before, &t.After, &state, &t.Tries, &t.AuditID, &t.Message, &done, &textedStop, &t.LocationID, &t.LocationName)
	t.Planned, t.State, t.Done, t.TextedStop = Plan(planned), RowState(state), fromMicros(done), textedStop == 1
	return t, err
}

func (s *Store) targets(ctx context.Context, q string, args ...any) ([]Target, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("bulk: read rows: %w", err)
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("bulk: read rows: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Targets lists a job's rows in order, offset and limit paging them; with
// planned set, only the rows the preview expected so.
func (s *Store) Targets(ctx context.Context, job int64, planned Plan, offset, limit int) ([]Target, error) {
	where, args := "job_id = ?", []any{job}
	if planned != "" {
		where, args = where+" AND planned = ?", append(args, string(planned))
	}
	return s.targets(ctx, `SELECT `+targetColumns+` FROM bulk_rows WHERE `+where+` ORDER BY seq LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
}

// Failures lists a job's latest failed rows, newest first.
func (s *Store) Failures(ctx context.Context, job int64, limit int) ([]Target, error) {
	return s.targets(ctx, `SELECT `+targetColumns+` FROM bulk_rows WHERE job_id = ? AND state = ? ORDER BY done_us DESC, seq DESC LIMIT ?`,
		job, string(RowFailed), limit)
}

// Pending lists the next rows to work, in order.
func (s *Store) Pending(ctx context.Context, job int64, limit int) ([]Target, error) {
	return s.targets(ctx, `SELECT `+targetColumns+` FROM bulk_rows WHERE job_id = ? AND state = ? ORDER BY seq LIMIT ?`,
		job, string(RowPending), limit)
}

// Stuck lists the rows a worker started and never finished: it stopped
// (a crash, a kill) in the middle of them.
func (s *Store) Stuck(ctx context.Context, job int64) ([]Target, error) {
	return s.targets(ctx, `SELECT `+targetColumns+` FROM bulk_rows WHERE job_id = ? AND state = ? ORDER BY seq`,
		job, string(RowRunning))
}

// Claim marks a pending row as being worked; it reports false when the
// row was not pending (another worker has it, or the job was cancelled).
func (s *Store) Claim(ctx context.Context, job int64, seq int) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE bulk_rows SET state = ?, tries = tries + 1 WHERE job_id = ? AND seq = ? AND state = ?`),
		string(RowRunning), job, seq, string(RowPending))
	if err != nil {
		return false, fmt.Errorf("bulk: claim row %d of job %d: %w", seq, job, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Finish records how a row being worked ended.
func (s *Store) Finish(ctx context.Context, job int64, seq int, state RowState, auditID int64, message string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE bulk_rows SET state = ?, audit_id = ?, message = ?, done_us = ?
		WHERE job_id = ? AND seq = ? AND state = ?`),
		string(state), auditID, message, micros(s.now()), job, seq, string(RowRunning))
	if err != nil {
		return fmt.Errorf("bulk: finish row %d of job %d: %w", seq, job, err)
	}
	return nil
}

// Retry puts a row being worked back to pending: nothing was changed, and
// it is tried again later.
func (s *Store) Retry(ctx context.Context, job int64, seq int, message string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE bulk_rows SET state = ?, message = ? WHERE job_id = ? AND seq = ? AND state = ?`),
		string(RowPending), message, job, seq, string(RowRunning))
	if err != nil {
		return fmt.Errorf("bulk: retry row %d of job %d: %w", seq, job, err)
	}
	return nil
}

// Finished marks a running job done when it has no row left to work, and
// reports whether it did.
func (s *Store) Finished(ctx context.Context, job int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.rebind(`UPDATE bulk_jobs SET state = ?, finished_us = ?
		WHERE id = ? AND state = ? AND NOT EXISTS (SELECT 1 FROM bulk_rows WHERE job_id = ? AND state IN (?, ?))`),
		string(Done), micros(s.now()), job, string(Running), job, string(RowPending), string(RowRunning))
	if err != nil {
		return false, fmt.Errorf("bulk: finish job %d: %w", job, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Totals are a preview's figures.
type Totals struct {
	// Change and Unchanged count contacts, by what the index shows.
	Change, Unchanged int
	// Unmatched, Invalid and Duplicate count lines; Partial counts lines
	// that matched contacts some of which cannot take the change.
	Unmatched, Invalid, Duplicate, Partial int
	// Shared counts lines whose value several customers hold.
	Shared int
	// TextedStop counts contacts whose number texted STOP.
	TextedStop int
}

// PreviewTotals counts a job's preview.
func (s *Store) PreviewTotals(ctx context.Context, job int64) (Totals, error) {
	var t Totals
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT
		(SELECT COUNT(*) FROM bulk_rows WHERE job_id = ? AND planned = 'change'),
		(SELECT COUNT(*) FROM bulk_rows WHERE job_id = ? AND planned = 'unchanged'),
		(SELECT COUNT(*) FROM bulk_lines WHERE job_id = ? AND status = 'unmatched'),
		(SELECT COUNT(*) FROM bulk_lines WHERE job_id = ? AND status = 'invalid'),
		(SELECT COUNT(*) FROM bulk_lines WHERE job_id = ? AND status = 'duplicate'),
		(SELECT COUNT(*) FROM bulk_lines WHERE job_id = ? AND status = 'matched' AND why <> ''),
		(SELECT COUNT(*) FROM bulk_lines WHERE job_id = ? AND customers > 1),
		(SELECT COUNT(*) FROM bulk_rows WHERE job_id = ? AND texted_stop = 1)`), job, job, job, job, job, job, job, job).
		Scan(&t.Change, &t.Unchanged, &t.Unmatched, &t.Invalid, &t.Duplicate, &t.Partial, &t.Shared, &t.TextedStop)
	if err != nil {
		return t, fmt.Errorf("bulk: count job %d's preview: %w", job, err)
	}
	return t, nil
}

// LinesToCheck lists, in order and paged, the lines of a job that have
// something to say: those that name no contact (unmatched, invalid,
// duplicate) and those some of whose contacts were left out.
func (s *Store) LinesToCheck(ctx context.Context, job int64, offset, limit int) ([]Line, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT line, text, value, customer_id, contact_id, status, why, matches, customers
		FROM bulk_lines WHERE job_id = ? AND (status <> 'matched' OR why <> '') ORDER BY line LIMIT ? OFFSET ?`), job, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("bulk: read lines: %w", err)
	}
	defer rows.Close()
	var out []Line
	for rows.Next() {
		var l Line
		var status string
		if err := rows.Scan(&l.Line, &l.Text, &l.Value, &l.CustomerID, &l.ContactID, &status, &l.Why, &l.Matches, &l.Customers); err != nil {
			return nil, fmt.Errorf("bulk: read lines: %w", err)
		}
		l.Status = LineStatus(status)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Result is one line of a job's result: a line of the list with a contact
// it matched (or none: unmatched, invalid, duplicate lines).
type Result struct {
	Line   Line
	Target *Target
}

// resultPage is how many lines EachResult reads at a time.
const resultPage = 1000

// EachResult calls fn with every line of a job and each contact it
// matched, in line order. It reads a page at a time and calls fn between
// reads, so the database is free while fn writes (to a slow client).
func (s *Store) EachResult(ctx context.Context, job int64, fn func(Result) error) error {
	after := -1
	for {
		rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT l.line, l.text, l.value, l.customer_id, l.contact_id, l.status, l.why, l.matches, l.customers,
				r.seq, r.customer_id, r.contact_id, r.customer_name, r.kind, r.value, r.planned, r.before_text, r.after_text, r.state, r.tries, r.audit_id, r.message, r.done_us,
				r.location_id, r.location_name
			FROM (SELECT * FROM bulk_lines WHERE job_id = ? AND line > ? ORDER BY line LIMIT ?) l
			LEFT JOIN bulk_rows r ON r.job_id = ? AND r.line = l.line
			ORDER BY l.line, r.seq`), job, after, resultPage, job)
		if err != nil {
			return fmt.Errorf("bulk: read the result of job %d: %w", job, err)
		}
		var page []Result
		lines := 0
		for rows.Next() {
			var res Result
			var status string
			var seq, tries sql.NullInt64
			var customer, contact, audit, done, location sql.NullInt64
			var name, kind, value, planned, before, afterText, state, message, locationName sql.NullString
			if err := rows.Scan(&res.Line.Line, &res.Line.Text, &res.Line.Value, &res.Line.CustomerID, &res.Line.ContactID, &status,
				&res.Line.Why, &res.Line.Matches, &res.Line.Customers,
				&seq, &customer, &contact, &name, &kind, &value, &planned, &before, &afterText, &state, &tries, &audit, &message, &done,
				&location, &locationName); err != nil {
				rows.Close()
				return fmt.Errorf("bulk: read the result of job %d: %w", job, err)
			}
			res.Line.Status = LineStatus(status)
			if seq.Valid {
				res.Target = &Target{Job: job, Seq: int(seq.Int64), Line: res.Line.Line, CustomerID: customer.Int64, ContactID: contact.Int64,
					CustomerName: name.String, Type: kind.String, Value: value.String, Planned: Plan(planned.String), Before: before.String,
					After: afterText.String, State: RowState(state.String), Tries: int(tries.Int64), AuditID: audit.Int64,
					Message: message.String, Done: fromMicros(done.Int64), LocationID: location.Int64, LocationName: locationName.String}
			}
			if len(page) == 0 || page[len(page)-1].Line.Line != res.Line.Line {
				lines++
			}
			page = append(page, res)
		}
		// Close does not report an error that ended the loop: Err does,
		// and without it a result would end short as if complete.
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("bulk: read the result of job %d: %w", job, err)
		}
		for _, res := range page {
			if err := fn(res); err != nil {
				return err
			}
		}
		if lines < resultPage {
			return nil
		}
		after = page[len(page)-1].Line.Line
	}
}
