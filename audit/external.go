package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ExternalActor is who an entry of a change made in ServiceTitan names:
// nobody. ServiceTitan's feeds do not say who made a change, and the
// History never names a person for a change they did not make.
const ExternalActor = "Changed in ServiceTitan, not through contactdesk"

// Queryer is a transaction the caller owns (a *sql.Tx): what External
// reads and writes in it commits, or rolls back, with the caller's work.
type Queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// External keeps the changes made in ServiceTitan itself, not through the
// app, in the audit trail: the tenant index finds them when it applies
// the export feeds and records them in the transaction that applies the
// rows, so a crash neither loses nor doubles one. They share the trail's
// tables, pages, filters, CSV and retention with the app's own attempts.
type External struct {
	d      *dialect
	tenant int64
}

// NewExternal returns the External of a trail in a database of dialect
// (db.SQLite or db.Postgres) whose entries are of tenantID.
func NewExternal(dialect string, tenantID int64) (*External, error) {
	d, err := dialectNamed(dialect)
	if err != nil {
		return nil, err
	}
	return &External{d: d, tenant: tenantID}, nil
}

// Record stores entries of changes made in ServiceTitan, in q, and says
// how many were new. Each entry's Time is ServiceTitan's modifiedOn of the
// change; its source is SourceServiceTitan, its outcome saved, its actor
// ExternalActor (whatever e says of them). An entry of the same contact,
// time and action as one stored already is not stored again: the feed
// repeats rows, and several instances may see the same change.
func (x *External) Record(ctx context.Context, q Queryer, entries []Entry) (int, error) {
	insert := x.d.rebind(`INSERT INTO attempts
		(started_at, actor_email, actor_email_lower, actor_name, tenant_id, customer_id, contact_id,
		 action, outcome, messages, completed_at, source)
		VALUES (?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING
		RETURNING id`)
	now := x.d.encodeTime(normTime(time.Now()))
	recorded := 0
	for _, e := range entries {
		action := e.Action
		if !action.Valid() {
			return recorded, fmt.Errorf("audit: record a change made in ServiceTitan: invalid action %q", e.Action)
		}
		msgs := "[]"
		if len(e.Messages) > 0 {
			texts := make([]string, len(e.Messages))
			for i, m := range e.Messages {
				texts[i] = Text(m)
			}
			b, err := json.Marshal(texts)
			if err != nil {
				return recorded, fmt.Errorf("audit: record a change made in ServiceTitan: %w", err)
			}
			msgs = string(b)
		}
		var id int64
		err := q.QueryRowContext(ctx, insert, x.d.encodeTime(normTime(e.Time)), ExternalActor, x.tenant, e.CustomerID, e.ContactID,
			string(action), string(OutcomeSaved), msgs, now, string(SourceServiceTitan)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // recorded already
		}
		if err != nil {
			return recorded, fmt.Errorf("audit: record a change made in ServiceTitan: %w", err)
		}
		if err := x.insertChanges(ctx, q, id, e.Changes); err != nil {
			return recorded, fmt.Errorf("audit: record a change made in ServiceTitan: %w", err)
		}
		recorded++
	}
	return recorded, nil
}

func (x *External) insertChanges(ctx context.Context, q Queryer, id int64, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	args := make([]any, 0, 5*len(changes))
	for i, c := range changes {
		if c.Field == "" {
			return fmt.Errorf("change %d has no field", i)
		}
		args = append(args, id, i, c.Field, Text(c.Before), Text(c.After))
	}
	_, err := q.ExecContext(ctx, x.d.rebind(`INSERT INTO changes (attempt_id, position, field, before_value, after_value) VALUES (?, ?, ?, ?, ?)`+
		strings.Repeat(", (?, ?, ?, ?, ?)", len(changes)-1)), args...)
	return err
}

// AppAttempts returns the app's own attempts that may have
// made changes the feeds now show: on the contacts, or creates on the
// customers whose contact is not known yet (its id is learned from
// ServiceTitan's answer), begun at or after since, that saved or whose
// outcome is not known yet.
func (x *External) AppAttempts(ctx context.Context, q Queryer, contacts, customers []int64, since time.Time) ([]Entry, error) {
	if len(contacts) == 0 && len(customers) == 0 {
		return nil, nil
	}
	var out []Entry
	// A contact's attempts and a customer's creates without a contact,
	// in chunks that keep within the dialects' parameter limits.
	for _, part := range []struct {
		ids  []int64
		cond string
	}{
		{contacts, "contact_id IN "},
		{customers, "contact_id = 0 AND action = 'create' AND customer_id IN "},
	} {
		for start := 0; start < len(part.ids); start += 500 {
			chunk := part.ids[start:min(start+500, len(part.ids))]
			args := make([]any, 0, len(chunk)+2)
			for _, id := range chunk {
				args = append(args, id)
			}
			args = append(args, x.d.encodeTime(normTime(since)))
			where := " WHERE " + part.cond + "(?" + strings.Repeat(", ?", len(chunk)-1) + ")" +
				" AND started_at >= ? AND source = 'app' AND outcome IN ('saved', 'unknown')"
			rows, err := q.QueryContext(ctx, x.d.rebind(entriesQuery(where, newestFirst+" LIMIT "+x.d.noLimit)), args...)
			if err != nil {
				return nil, fmt.Errorf("audit: the app's attempts on contacts: %w", err)
			}
			entries, err := scanEntries(rows)
			if err != nil {
				return nil, fmt.Errorf("audit: the app's attempts on contacts: %w", err)
			}
			out = append(out, entries...)
		}
	}
	return out, nil
}
