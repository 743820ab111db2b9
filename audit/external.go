package audit

import (
	"context"
	"database/sql"
	"encoding/json"
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
//
// Entries are written a batch at a time, a statement for the attempts
// and one for their fields: a backlog of thousands of changes costs a
// few statements, not a few per change.
func (x *External) Record(ctx context.Context, q Queryer, entries []Entry) (int, error) {
	recorded := 0
	for start := 0; start < len(entries); start += recordBatch {
		n, err := x.record(ctx, q, entries[start:min(start+recordBatch, len(entries))])
		recorded += n
		if err != nil {
			return recorded, fmt.Errorf("audit: record changes made in ServiceTitan: %w", err)
		}
	}
	return recorded, nil
}

// recordBatch is how many entries one statement writes: 11 parameters
// each, within both dialects' limits, and their fields (5 each) too.
const recordBatch = 500

// externalKey is what makes an entry of a change made in ServiceTitan
// unique: its contact, time and action.
type externalKey struct {
	contact, micros int64
	action          Action
}

func keyOf(contactID int64, t time.Time, action Action) externalKey {
	return externalKey{contactID, normTime(t).UnixMicro(), action}
}

func (x *External) record(ctx context.Context, q Queryer, batch []Entry) (int, error) {
	now := x.d.encodeTime(normTime(time.Now()))
	args := make([]any, 0, 11*len(batch))
	byKey := make(map[externalKey]int, len(batch))
	for i, e := range batch {
		if !e.Action.Valid() {
			return 0, fmt.Errorf("invalid action %q", e.Action)
		}
		k := keyOf(e.ContactID, e.Time, e.Action)
		if _, dup := byKey[k]; dup {
			continue // the same change twice in one batch: once
		}
		byKey[k] = i
		msgs := "[]"
		if len(e.Messages) > 0 {
			texts := make([]string, len(e.Messages))
			for j, m := range e.Messages {
				texts[j] = Text(m)
			}
			b, err := json.Marshal(texts)
			if err != nil {
				return 0, err
			}
			msgs = string(b)
		}
		location := sql.NullInt64{Int64: e.LocationID, Valid: e.LocationID != 0}
		args = append(args, x.d.encodeTime(normTime(e.Time)), ExternalActor, x.tenant, e.CustomerID, location, e.ContactID,
			string(e.Action), string(OutcomeSaved), msgs, now, string(SourceServiceTitan))
	}
	// Nobody is named: no actor email.
	const tuple = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')"
	rows, err := q.QueryContext(ctx, x.d.rebind(`INSERT INTO attempts
		(started_at, actor_name, tenant_id, customer_id, location_id, contact_id, action, outcome, messages, completed_at, source,
		 actor_email, actor_email_lower)
		VALUES `+strings.TrimSuffix(strings.Repeat(tuple+", ", len(byKey)), ", ")+`
		ON CONFLICT DO NOTHING
		RETURNING id, contact_id, started_at, action`), args...)
	if err != nil {
		return 0, err
	}
	type made struct {
		id    int64
		entry int
	}
	var inserted []made
	for rows.Next() {
		var id, contact int64
		var at dbTime
		var action string
		if err := rows.Scan(&id, &contact, &at, &action); err != nil {
			rows.Close()
			return 0, err
		}
		i, ok := byKey[keyOf(contact, at.t, Action(action))]
		if !ok {
			rows.Close()
			return 0, fmt.Errorf("entry %d (contact %d) is not one of the batch", id, contact)
		}
		inserted = append(inserted, made{id, i})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var fields []any
	for _, m := range inserted {
		for pos, c := range batch[m.entry].Changes {
			if c.Field == "" {
				return 0, fmt.Errorf("change %d of contact %d has no field", pos, batch[m.entry].ContactID)
			}
			fields = append(fields, m.id, pos, c.Field, Text(c.Before), Text(c.After))
		}
	}
	// At most recordBatch entries of a handful of fields: chunks keep
	// each statement within the parameter limits.
	for start := 0; start < len(fields); start += 5 * 2000 {
		chunk := fields[start:min(start+5*2000, len(fields))]
		if _, err := q.ExecContext(ctx, x.d.rebind(`INSERT INTO changes (attempt_id, position, field, before_value, after_value) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)/5), ", ")), chunk...); err != nil {
			return 0, err
		}
	}
	return len(inserted), nil
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
			entries, err := scanEntries(rows, 0)
			if err != nil {
				return nil, fmt.Errorf("audit: the app's attempts on contacts: %w", err)
			}
			out = append(out, entries...)
		}
	}
	return out, nil
}
