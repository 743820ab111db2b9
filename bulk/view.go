package bulk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// View is a job as its page shows it, read in one query: the job, its
// rows counted by state, how many rows it finished since a time (its
// pace), and its preview's totals (a draft's page is its preview).
type View struct {
	Job
	Counts    Counts
	DoneSince int
	Totals    Totals
}

// Summary is a job as lists show it: the job and its rows counted by state.
type Summary struct {
	Job
	Counts Counts
}

// rowTallies counts the rows of the jobs ("WHERE job_id ..." is added) by
// state, in one pass; its placeholders are FoundChanged's pattern and the
// pace's start.
const rowTallies = `SELECT job_id,
		SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS n_pending,
		SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END) AS n_running,
		SUM(CASE WHEN state = 'changed' THEN 1 ELSE 0 END) AS n_changed,
		SUM(CASE WHEN state = 'unchanged' THEN 1 ELSE 0 END) AS n_unchanged,
		SUM(CASE WHEN state = 'unchanged' AND message LIKE ? THEN 1 ELSE 0 END) AS n_found,
		SUM(CASE WHEN state = 'skipped' THEN 1 ELSE 0 END) AS n_skipped,
		SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS n_failed,
		SUM(CASE WHEN state = 'cancelled' THEN 1 ELSE 0 END) AS n_cancelled,
		SUM(CASE WHEN done_us >= ? THEN 1 ELSE 0 END) AS n_done_since,
		SUM(CASE WHEN planned = 'change' THEN 1 ELSE 0 END) AS n_plan_change,
		SUM(CASE WHEN planned = 'unchanged' THEN 1 ELSE 0 END) AS n_plan_unchanged,
		SUM(CASE WHEN texted_stop = 1 THEN 1 ELSE 0 END) AS n_texted_stop
	FROM bulk_rows`

const countColumns = `COALESCE(n_pending, 0), COALESCE(n_running, 0), COALESCE(n_changed, 0), COALESCE(n_unchanged, 0),
	COALESCE(n_found, 0), COALESCE(n_skipped, 0), COALESCE(n_failed, 0), COALESCE(n_cancelled, 0), COALESCE(n_done_since, 0),
	COALESCE(n_plan_change, 0), COALESCE(n_plan_unchanged, 0), COALESCE(n_texted_stop, 0)`

// counted reads countColumns after a job's columns.
type counted struct {
	Counts
	doneSince                          int
	planChange, planUnchanged, stopped int
}

func (c *counted) dest() []any {
	return []any{&c.Pending, &c.Running, &c.Changed, &c.Unchanged, &c.Found, &c.Skipped, &c.Failed, &c.Cancelled,
		&c.doneSince, &c.planChange, &c.planUnchanged, &c.stopped}
}

// counts are the rows by state, the unchanged ones found changed after the
// job started apart (as Counts reads them).
func (c *counted) counts() Counts {
	out := c.Counts
	out.Unchanged -= out.Found
	return out
}

// also scans more columns after the ones asked for.
type also struct {
	r    scanner
	more []any
}

func (a also) Scan(dest ...any) error { return a.r.Scan(append(dest, a.more...)...) }

// View reads a job for its page in one query: the job with its rows
// counted, the rows finished since since, and its preview's totals.
func (s *Store) View(ctx context.Context, id int64, since time.Time) (View, error) {
	var c counted
	var v View
	lines := make([]any, 0, 5)
	for _, p := range []*int{&v.Totals.Unmatched, &v.Totals.Invalid, &v.Totals.Duplicate, &v.Totals.Partial, &v.Totals.Shared} {
		lines = append(lines, p)
	}
	q := `SELECT ` + jobColumns + `, ` + countColumns + `,
		COALESCE(n_unmatched, 0), COALESCE(n_invalid, 0), COALESCE(n_duplicate, 0), COALESCE(n_partial, 0), COALESCE(n_shared, 0)
	FROM bulk_jobs
	LEFT JOIN (` + rowTallies + ` WHERE job_id = ? GROUP BY job_id) r ON r.job_id = bulk_jobs.id
	LEFT JOIN (SELECT job_id AS line_job,
			SUM(CASE WHEN status = 'unmatched' THEN 1 ELSE 0 END) AS n_unmatched,
			SUM(CASE WHEN status = 'invalid' THEN 1 ELSE 0 END) AS n_invalid,
			SUM(CASE WHEN status = 'duplicate' THEN 1 ELSE 0 END) AS n_duplicate,
			SUM(CASE WHEN status = 'matched' AND why <> '' THEN 1 ELSE 0 END) AS n_partial,
			SUM(CASE WHEN customers > 1 THEN 1 ELSE 0 END) AS n_shared
		FROM bulk_lines WHERE job_id = ? GROUP BY job_id) l ON l.line_job = bulk_jobs.id
	WHERE bulk_jobs.id = ?`
	row := s.db.QueryRowContext(ctx, s.rebind(q), FoundChanged+"%", micros(since), id, id, id)
	j, err := scanJob(also{row, append(c.dest(), lines...)})
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("bulk: read job %d: %w", id, err)
	}
	v.Job, v.Counts, v.DoneSince = j, c.counts(), c.doneSince
	v.Totals.Change, v.Totals.Unchanged, v.Totals.TextedStop = c.planChange, c.planUnchanged, c.stopped
	return v, nil
}

// Summaries lists confirmed jobs matching f, newest first, each with its
// rows counted by state: one query for the list.
func (s *Store) Summaries(ctx context.Context, f JobFilter) ([]Summary, error) {
	where, args := f.where()
	q := `WITH listed AS (SELECT ` + jobColumns + ` FROM bulk_jobs WHERE ` + where + ` ORDER BY created_us DESC, id DESC LIMIT ?)
	SELECT ` + jobColumns + `, ` + countColumns + ` FROM listed
	LEFT JOIN (` + rowTallies + ` WHERE job_id IN (SELECT id FROM listed) GROUP BY job_id) r ON r.job_id = listed.id
	ORDER BY created_us DESC, id DESC`
	args = append(args, max(f.Limit, 1), FoundChanged+"%", micros(time.Now()))
	rows, err := s.db.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("bulk: list jobs: %w", err)
	}
	defer rows.Close()
	var out []Summary
	for rows.Next() {
		var c counted
		j, err := scanJob(also{rows, c.dest()})
		if err != nil {
			return nil, fmt.Errorf("bulk: list jobs: %w", err)
		}
		out = append(out, Summary{Job: j, Counts: c.counts()})
	}
	return out, rows.Err()
}
