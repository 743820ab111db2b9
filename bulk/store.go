package bulk

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

//go:embed migrations
var migrationFiles embed.FS

var migrations = db.Set{Owner: "bulk", Files: migrationFiles, Dir: "migrations", Table: "bulk_schema_migrations",
	LockKey: 0x62756c6b} // "bulk"

// State is where a job stands.
type State string

// The states of a job.
const (
	// Draft: a preview; nothing runs until its owner confirms it.
	Draft State = "draft"
	// Running: its rows are being worked (or wait for a worker).
	Running State = "running"
	// Paused: stopped between rows until someone resumes it.
	Paused State = "paused"
	// Cancelled: stopped for good; the rows not done are cancelled.
	Cancelled State = "cancelled"
	// Done: every row was worked.
	Done State = "done"
)

// Kind is what a job does to each contact.
type Kind string

// The kinds of job.
const (
	// SetPreferences sets the flags asked, nothing else.
	SetPreferences Kind = "preferences"
	// Remove removes the contacts.
	Remove Kind = "remove"
)

// Action is what a job does: its kind, and for SetPreferences the flags to
// set (client.Flags names) and their values.
type Action struct {
	Kind Kind
	Set  map[string]bool
}

// Person is who owns a job.
type Person struct {
	Email string
	Name  string
}

// Job is a bulk job.
type Job struct {
	ID       int64
	Owner    Person
	Created  time.Time
	FileName string
	Action   Action
	State    State
	// Lines is the number of lines in the list, Contacts the number of
	// contacts matched (the job's rows).
	Lines, Contacts int
	Started         time.Time
	Finished        time.Time
	// StateBy is who last paused, resumed or cancelled it.
	StateBy string
	// Problem says why a running job waits (ServiceTitan unavailable, the
	// audit trail unreachable); empty while it goes well.
	Problem string
	// IndexLoading: it was previewed while the index was still loading.
	IndexLoading bool
}

// RowState is where a contact of a job stands.
type RowState string

// The states of a row. Pending and Running are "remaining"; the others
// are final.
const (
	RowPending   RowState = "pending"
	RowRunning   RowState = "running"
	RowChanged   RowState = "changed"
	RowUnchanged RowState = "unchanged"
	// RowSkipped: the contact was gone.
	RowSkipped RowState = "skipped"
	RowFailed  RowState = "failed"
	// RowCancelled: the job was cancelled before the row was worked.
	RowCancelled RowState = "cancelled"
)

// Counts are a job's rows by state.
type Counts struct {
	Pending, Running, Changed, Unchanged, Skipped, Failed, Cancelled int
	// Found are the rows found already as asked that had changed after
	// the job started (see FoundChanged), apart from Unchanged.
	Found int
}

// Remaining counts the rows not worked yet.
func (c Counts) Remaining() int { return c.Pending + c.Running }

// Done counts the rows worked (or cancelled).
func (c Counts) Done() int {
	return c.Changed + c.Unchanged + c.Found + c.Skipped + c.Failed + c.Cancelled
}

// Total counts every row.
func (c Counts) Total() int { return c.Remaining() + c.Done() }

// ErrNotFound: no such job.
var ErrNotFound = errors.New("bulk: no such job")

// Store keeps jobs in the app's database (beside the audit trail).
type Store struct {
	db      *sql.DB
	dialect string
	now     func() time.Time
}

// Open migrates the bulk tables on the app's database handle h and
// returns the Store over them.
func Open(ctx context.Context, h *db.DB) (*Store, error) {
	if err := h.Migrate(ctx, migrations); err != nil {
		return nil, err
	}
	return &Store{db: h.DB, dialect: h.Dialect, now: time.Now}, nil
}

func (s *Store) rebind(q string) string { return db.Rebind(s.dialect, q) }

// micros and fromMicros store times as the tables hold them.
var micros, fromMicros = db.Micros, db.FromMicros

// insertBatch bounds the rows one INSERT writes (within both databases'
// limits on parameters).
const insertBatch = 500

// SaveDraft stores a preview (a matched list) as a draft job owned by owner, in one
// transaction, and returns its id.
func (s *Store) SaveDraft(ctx context.Context, d Preview, owner Person) (int64, error) {
	flags, err := json.Marshal(d.Action.Set)
	if err != nil {
		return 0, fmt.Errorf("bulk: save the draft: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("bulk: save the draft: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var id int64
	err = tx.QueryRowContext(ctx, s.rebind(`INSERT INTO bulk_jobs (owner_email, owner_name, created_us, file_name, action, flags, state, lines, contacts, index_loading)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		owner.Email, owner.Name, micros(s.now()), d.FileName, string(d.Action.Kind), string(flags), string(Draft), len(d.Lines), len(d.Rows),
		d.IndexLoading).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("bulk: save the draft: %w", err)
	}
	for chunk := range slices.Chunk(d.Lines, insertBatch) {
		args := make([]any, 0, 10*len(chunk))
		for _, l := range chunk {
			args = append(args, id, l.Line, l.Text, l.Value, l.CustomerID, l.ContactID, string(l.Status), l.Why, l.Matches, l.Customers)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO bulk_lines
			(job_id, line, text, value, customer_id, contact_id, status, why, matches, customers) VALUES `+values(10, len(chunk))), args...); err != nil {
			return 0, fmt.Errorf("bulk: save the draft's lines: %w", err)
		}
	}
	for chunk := range slices.Chunk(d.Rows, insertBatch) {
		args := make([]any, 0, 15*len(chunk))
		for _, r := range chunk {
			textedStop := 0
			if r.TextedStop {
				textedStop = 1
			}
			args = append(args, id, r.Seq, r.Line, r.CustomerID, r.ContactID, r.CustomerName, r.Type, r.Value,
				string(r.Planned), r.Before, r.After, string(RowPending), textedStop, r.LocationID, r.LocationName)
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO bulk_rows
			(job_id, seq, line, customer_id, contact_id, customer_name, kind, value, planned, before_text, after_text, state, texted_stop,
			 location_id, location_name)
			VALUES `+values(15, len(chunk))), args...); err != nil {
			return 0, fmt.Errorf("bulk: save the draft's rows: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("bulk: save the draft: %w", err)
	}
	return id, nil
}

// values is "(?, ?), (?, ?)" for rows of n columns.
func values(n, rows int) string {
	one := "(?" + strings.Repeat(", ?", n-1) + ")"
	return one + strings.Repeat(", "+one, rows-1)
}

const jobColumns = `id, owner_email, owner_name, created_us, file_name, action, flags, state, lines, contacts,
	started_us, finished_us, state_by, problem, index_loading`

type scanner interface{ Scan(...any) error }

func scanJob(r scanner) (Job, error) {
	var j Job
	var created, started, finished int64
	var kind, flags, state string
	if err := r.Scan(&j.ID, &j.Owner.Email, &j.Owner.Name, &created, &j.FileName, &kind, &flags, &state, &j.Lines, &j.Contacts,
		&started, &finished, &j.StateBy, &j.Problem, &j.IndexLoading); err != nil {
		return j, err
	}
	j.Created, j.Started, j.Finished = fromMicros(created), fromMicros(started), fromMicros(finished)
	j.Action.Kind, j.State = Kind(kind), State(state)
	if err := json.Unmarshal([]byte(flags), &j.Action.Set); err != nil {
		return j, fmt.Errorf("bulk: job %d's flags: %w", j.ID, err)
	}
	return j, nil
}

// Job reads a job.
func (s *Store) Job(ctx context.Context, id int64) (Job, error) {
	j, err := scanJob(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+jobColumns+` FROM bulk_jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, ErrNotFound
	}
	if err != nil {
		return j, fmt.Errorf("bulk: read job %d: %w", id, err)
	}
	return j, nil
}

// JobFilter selects confirmed jobs for Jobs; zero fields do not filter.
type JobFilter struct {
	ID int64
	// Owner matches the owner's email, ignoring case; OwnerLike a part of
	// the owner's email or name.
	Owner, OwnerLike string
	// From and To select jobs created in [From, To).
	From, To time.Time
	Limit    int
}

// Jobs lists confirmed jobs (not drafts) matching f, newest first.
func (s *Store) Jobs(ctx context.Context, f JobFilter) ([]Job, error) {
	where, args := f.where()
	return s.jobs(ctx, `SELECT `+jobColumns+` FROM bulk_jobs WHERE `+where+` ORDER BY created_us DESC, id DESC LIMIT ?`,
		append(args, max(f.Limit, 1))...)
}

// where selects the confirmed jobs (not drafts) f matches.
func (f JobFilter) where() (string, []any) {
	where, args := "state <> ?", []any{string(Draft)}
	if f.ID != 0 {
		where, args = where+" AND id = ?", append(args, f.ID)
	}
	if f.Owner != "" {
		where, args = where+" AND LOWER(owner_email) = ?", append(args, strings.ToLower(f.Owner))
	}
	if f.OwnerLike != "" {
		like := db.ContainsPattern(strings.ToLower(f.OwnerLike))
		where, args = where+` AND (LOWER(owner_email) LIKE ? ESCAPE '\' OR LOWER(owner_name) LIKE ? ESCAPE '\')`, append(args, like, like)
	}
	if !f.From.IsZero() {
		where, args = where+" AND created_us >= ?", append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		where, args = where+" AND created_us < ?", append(args, micros(f.To))
	}
	return where, args
}

// jobs runs a query of whole jobs.
func (s *Store) jobs(ctx context.Context, q string, args ...any) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("bulk: list jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("bulk: list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// Counts counts a job's rows by state (the unchanged ones found changed
// after the job started apart).
func (s *Store) Counts(ctx context.Context, id int64) (Counts, error) {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT state, state = 'unchanged' AND message LIKE ?, COUNT(*) FROM bulk_rows
		WHERE job_id = ? GROUP BY 1, 2`), FoundChanged+"%", id)
	if err != nil {
		return Counts{}, fmt.Errorf("bulk: count job %d's rows: %w", id, err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var state string
		var found bool
		var n int
		if err := rows.Scan(&state, &found, &n); err != nil {
			return c, fmt.Errorf("bulk: count job %d's rows: %w", id, err)
		}
		if found {
			c.Found += n
			continue
		}
		switch RowState(state) {
		case RowPending:
			c.Pending = n
		case RowRunning:
			c.Running = n
		case RowChanged:
			c.Changed = n
		case RowUnchanged:
			c.Unchanged = n
		case RowSkipped:
			c.Skipped = n
		case RowFailed:
			c.Failed = n
		case RowCancelled:
			c.Cancelled = n
		}
	}
	return c, rows.Err()
}

// DoneSince counts the rows a job finished at or after t (its pace).
func (s *Store) DoneSince(ctx context.Context, id int64, t time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.rebind(`SELECT COUNT(*) FROM bulk_rows WHERE job_id = ? AND done_us >= ?`), id, micros(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("bulk: job %d's pace: %w", id, err)
	}
	return n, nil
}

// Confirm starts a draft: only its owner may, and only once (a second
// post of the same confirmation finds it started and reports false).
// started runs in the same transaction once the job is started (it queues
// the job's run), so the job runs if and only if it was started.
func (s *Store) Confirm(ctx context.Context, id int64, owner string, started func(*sql.Tx) error) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("bulk: confirm job %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	res, err := tx.ExecContext(ctx, s.rebind(`UPDATE bulk_jobs SET state = ?, started_us = ?, state_by = ?
		WHERE id = ? AND state = ? AND owner_email = ?`),
		string(Running), micros(s.now()), owner, id, string(Draft), owner)
	if err != nil {
		return false, fmt.Errorf("bulk: confirm job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if err := started(tx); err != nil {
		return false, fmt.Errorf("bulk: confirm job %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("bulk: confirm job %d: %w", id, err)
	}
	return true, nil
}

// EndRun ends a run of job that found it not running (done, paused,
// cancelled): in one transaction it reads the job's state and, unless the
// job runs again (resumed meanwhile, whose Move queued no second run while
// this one was running), calls end (which completes the run). It reports
// whether the run ended.
func (s *Store) EndRun(ctx context.Context, job int64, end func(*sql.Tx) error) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("bulk: end a run of job %d: %w", job, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	q := `SELECT state FROM bulk_jobs WHERE id = ?`
	if s.dialect == db.Postgres {
		// A resume (Move) waits for this transaction, or this one for it.
		// On SQLite every write transaction begins IMMEDIATE: one at a time.
		q += ` FOR UPDATE`
	}
	var state string
	if err := tx.QueryRowContext(ctx, s.rebind(q), job).Scan(&state); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("bulk: end a run of job %d: %w", job, err)
	}
	if State(state) == Running {
		return false, nil
	}
	if err := end(tx); err != nil {
		return false, fmt.Errorf("bulk: end a run of job %d: %w", job, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("bulk: end a run of job %d: %w", job, err)
	}
	return true, nil
}

// Move changes a job's state from one of from to to, as by says (pause,
// resume, cancel); it reports false when the job was in none of from.
// Cancelling marks the rows not started as cancelled; a row being worked
// finishes first. moved, when not nil, runs in the same transaction once
// the job has moved (a resume queues the job's run there).
func (s *Store) Move(ctx context.Context, id int64, from []State, to State, by string, moved func(*sql.Tx) error) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("bulk: job %d: %w", id, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	args := []any{string(to), by, id}
	for _, f := range from {
		args = append(args, string(f))
	}
	finished := ""
	if to == Cancelled || to == Done {
		finished = ", finished_us = " + fmt.Sprint(micros(s.now()))
	}
	res, err := tx.ExecContext(ctx, s.rebind(`UPDATE bulk_jobs SET state = ?, state_by = ?`+finished+`
		WHERE id = ? AND state IN (?`+strings.Repeat(", ?", len(from)-1)+`)`), args...)
	if err != nil {
		return false, fmt.Errorf("bulk: job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if to == Cancelled {
		if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE bulk_rows SET state = ?, done_us = ? WHERE job_id = ? AND state = ?`),
			string(RowCancelled), micros(s.now()), id, string(RowPending)); err != nil {
			return false, fmt.Errorf("bulk: cancel job %d's rows: %w", id, err)
		}
	}
	if moved != nil {
		if err := moved(tx); err != nil {
			return false, fmt.Errorf("bulk: job %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("bulk: job %d: %w", id, err)
	}
	return true, nil
}

// SetProblem records why a running job waits ("" once it goes on).
func (s *Store) SetProblem(ctx context.Context, id int64, problem string) error {
	_, err := s.db.ExecContext(ctx, s.rebind(`UPDATE bulk_jobs SET problem = ? WHERE id = ?`), problem, id)
	return err
}

// DeleteDrafts deletes the drafts created before t (previews nobody
// confirmed), with their lines and rows; it returns how many.
func (s *Store) DeleteDrafts(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	old := `SELECT id FROM bulk_jobs WHERE state = ? AND created_us < ?`
	for _, table := range []string{"bulk_rows", "bulk_lines"} {
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM `+table+` WHERE job_id IN (`+old+`)`), string(Draft), micros(before)); err != nil {
			return 0, fmt.Errorf("bulk: delete old drafts: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM bulk_jobs WHERE state = ? AND created_us < ?`), string(Draft), micros(before))
	if err != nil {
		return 0, fmt.Errorf("bulk: delete old drafts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}
