package index

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
)

// The whole story of a contact. ServiceTitan's own audit trail leaves out
// phone numbers, emails and their preferences, and names the integration,
// not a person, for every change made through the API; so the History is
// the only place a contact's story is told. The export feeds bring every
// change, wherever it was made: the index compares each row with its own
// copy of the contact (the "before") and records, in the audit trail, what
// changed that no write of this app explains, in the transaction that
// writes the row, so a crash neither loses nor doubles an entry.
//
// The app's own writes meet their row: a save puts ServiceTitan's answer
// in the index at once (Wrote), so the row that comes later is what the
// index holds and shows no change; and should that write have failed, the
// app's attempt in the trail (saved, or its outcome not known yet) that
// asked for the values the row holds explains them. A colleague's change
// on top of the app's shows as one of its own. A save's read of the
// contact before it writes (Read) is a look at ServiceTitan too: a change
// made there since the index last saw the contact is recorded then, before
// the app's write hides it.
//
// Nothing is recorded before the contacts feed has been read to its end
// once (a first backfill has no "before"), nor while the index is rebuilt
// after an erase. An entry is keyed by its contact, ServiceTitan's
// modifiedOn and what it did, and stored once: the feed repeats rows, and
// every instance's pass or save may see the same change.

// explainSlack is how much earlier than the index's copy of a contact an
// attempt of the app may have begun and still explain a row: the app's
// clock and ServiceTitan's are never quite equal.
const explainSlack = 5 * time.Minute

// SetHistory makes the index record changes made in ServiceTitan itself
// in the audit trail beside it, through x (nil: it records none, as
// before the trail's tables exist, in tests of the index alone).
func (s *Store) SetHistory(x *audit.External) { s.history = x }

// Plain words for a number's texting status changing in ServiceTitan: only
// the customer changes it, by texting STOP or START.
const (
	TextedStop  = "Texted STOP: ServiceTitan stopped texting this number."
	TextedStart = "Texting allowed again: the customer texted START."
)

// observe records what rows of feed (a customer's contacts' or a
// location's), about to be written, change that no write of the app
// explains. rows may hold several of one contact (in any order): each is
// compared with the one before it.
func (s *Store) observe(ctx context.Context, tx *sql.Tx, feed string, rows []Contact) error {
	if s.history == nil || len(rows) == 0 {
		return nil
	}
	var backfilled bool
	if err := tx.QueryRowContext(ctx, s.rebind(`SELECT backfilled FROM index_feeds WHERE feed = ?`), feed).Scan(&backfilled); err != nil {
		return fmt.Errorf("the %s feed's state: %w", feed, err)
	}
	if !backfilled {
		return nil // no "before" yet
	}
	ids := make([]int64, len(rows))
	for i, c := range rows {
		ids[i] = c.ID
	}
	slices.Sort(ids)
	held, err := s.copies(ctx, tx, slices.Compact(ids))
	if err != nil {
		return err
	}
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b Contact) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(micros(a.ModifiedOn), micros(b.ModifiedOn)))
	})
	var seen []found
	for _, row := range rows {
		before, known := held[row.ID]
		if known && micros(row.ModifiedOn) < micros(before.ModifiedOn) {
			continue // older than the copy: never written
		}
		if f, ok := externalChange(before, known, row); ok {
			seen = append(seen, f)
		}
		held[row.ID] = row
	}
	if len(seen) == 0 {
		return nil
	}
	entries, err := s.unexplained(ctx, tx, seen)
	if err != nil {
		return err
	}
	if _, err := s.history.Record(ctx, tx, entries); err != nil {
		return err
	}
	return nil
}

// copies reads the index's copies of contacts, removed ones included.
func (s *Store) copies(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]Contact, error) {
	out := make(map[int64]Contact, len(ids))
	for chunk := range slices.Chunk(ids, lookupChunk) {
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts
			WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`), anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("the index's copies of contacts: %w", err)
		}
		for rows.Next() {
			c, err := scanContact(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("the index's copies of contacts: %w", err)
			}
			out[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("the index's copies of contacts: %w", err)
		}
	}
	return out, nil
}

// found is a change seen in a row: the entry it would be, and the copy
// the index held before it (zero when none).
type found struct {
	entry  audit.Entry
	before Contact
	row    Contact
}

// since is how early an attempt of the app may have begun and still
// explain f: after the copy the row changes (for an add, after the
// contact was made), less explainSlack.
func (f found) since() time.Time {
	from := f.before.ModifiedOn
	if f.entry.Action == audit.ActionCreate {
		from = f.row.CreatedOn
		if from.IsZero() || from.After(f.row.ModifiedOn) {
			from = f.row.ModifiedOn
		}
	}
	return from.Add(-explainSlack)
}

// externalChange is the entry of what row changes of before (known: the
// index held it): an add, a removal or an edit of its fields. ok is false
// when the row changes nothing a person would see.
func externalChange(before Contact, known bool, row Contact) (found, bool) {
	e := audit.Entry{Source: audit.SourceServiceTitan, Time: row.ModifiedOn, CustomerID: row.CustomerID, LocationID: row.LocationID,
		ContactID: row.ID}
	switch {
	case (!known || before.Removed) && row.Removed:
		return found{}, false // gone before the index knew it
	case !known || before.Removed:
		e.Action, e.Changes = audit.ActionCreate, addedFields(row)
	case row.Removed:
		e.Action, e.Changes = audit.ActionDelete, change.RemovedFields(before.client())
	default:
		e.Action, e.Changes = audit.ActionUpdate, editedFields(before, row)
		for _, ch := range e.Changes {
			if ch.Field == client.FieldDoNotText {
				e.Messages = []string{map[bool]string{true: TextedStop, false: TextedStart}[ch.After == "true"]}
			}
		}
		if len(e.Changes) == 0 {
			return found{}, false
		}
	}
	return found{entry: e, before: before, row: row}, true
}

// addedFields are a new contact's fields, as the trail records an add.
func addedFields(c Contact) []audit.Change {
	out := []audit.Change{{Field: client.FieldType, After: string(c.Type)}, {Field: client.FieldValue, After: c.Value}}
	if c.Memo != "" {
		out = append(out, audit.Change{Field: client.FieldMemo, After: c.Memo})
	}
	if c.PhoneSettings != nil {
		out = append(out, audit.Change{Field: client.FieldDoNotText, After: strconv.FormatBool(c.PhoneSettings.DoNotText)})
	}
	if p := c.Preferences; p != nil {
		for _, flag := range client.Carried(*p) {
			out = append(out, audit.Change{Field: flag.Path(), After: strconv.FormatBool(flag.Get(*p))})
		}
	}
	return out
}

// editedFields are the fields row changes of before: type, value, memo,
// the texting status and each preference flag. A status or flag one of
// them does not carry is not a change anyone made (a contact that is
// not a number has no texting status; a record may carry no
// preferences).
func editedFields(before, row Contact) []audit.Change {
	var out []audit.Change
	if before.Type != row.Type {
		out = append(out, audit.Change{Field: client.FieldType, Before: string(before.Type), After: string(row.Type)})
	}
	if before.Value != row.Value {
		out = append(out, audit.Change{Field: client.FieldValue, Before: before.Value, After: row.Value})
	}
	if before.Memo != row.Memo {
		out = append(out, audit.Change{Field: client.FieldMemo, Before: before.Memo, After: row.Memo})
	}
	if b, r := before.PhoneSettings, row.PhoneSettings; b != nil && r != nil && b.DoNotText != r.DoNotText {
		out = append(out, audit.Change{Field: client.FieldDoNotText, Before: strconv.FormatBool(b.DoNotText), After: strconv.FormatBool(r.DoNotText)})
	}
	if b, r := before.Preferences, row.Preferences; b != nil && r != nil {
		for _, flag := range client.Carried(*r) {
			if !flag.In(*b) {
				continue
			}
			if old, now := flag.Get(*b), flag.Get(*r); old != now {
				out = append(out, audit.Change{Field: flag.Path(), Before: strconv.FormatBool(old), After: strconv.FormatBool(now)})
			}
		}
	}
	return out
}

// unexplained keeps of found what no attempt of the app explains: an add
// that the app's create of the contact made, a removal the app's, the
// fields of an edit that an attempt of the app set to the row's values.
func (s *Store) unexplained(ctx context.Context, tx *sql.Tx, changes []found) ([]audit.Entry, error) {
	var contacts, customers []int64
	since := time.Time{}
	for _, f := range changes {
		contacts = append(contacts, f.row.ID)
		if f.entry.Action == audit.ActionCreate {
			customers = append(customers, f.row.CustomerID)
		}
		if from := f.since(); since.IsZero() || from.Before(since) {
			since = from
		}
	}
	attempts, err := s.history.AppAttempts(ctx, tx, contacts, customers, since)
	if err != nil {
		return nil, err
	}
	var out []audit.Entry
	for _, f := range changes {
		if e, ok := explain(f, attempts); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// explain is f's entry less what attempts explain; ok is false when they
// explain it all.
func explain(f found, attempts []audit.Entry) (audit.Entry, bool) {
	from := f.since()
	var mine []audit.Entry
	for _, a := range attempts {
		if a.Time.Before(from) {
			continue
		}
		switch {
		case a.ContactID == f.row.ID:
		case a.ContactID == 0 && a.Action == audit.ActionCreate && a.CustomerID == f.row.CustomerID && a.LocationID == f.row.LocationID &&
			asked(a, client.FieldValue, f.row):
		default:
			continue
		}
		mine = append(mine, a)
	}
	e := f.entry
	switch e.Action {
	case audit.ActionCreate, audit.ActionDelete:
		for _, a := range mine {
			if a.Action == e.Action {
				return e, false
			}
		}
		return e, true
	}
	e.Changes = slices.DeleteFunc(slices.Clone(e.Changes), func(ch audit.Change) bool {
		for _, a := range mine {
			if a.Action != audit.ActionDelete && asked(a, ch.Field, f.row) {
				return true
			}
		}
		return false
	})
	if len(e.Changes) == 0 {
		return e, false
	}
	if !slices.ContainsFunc(e.Changes, func(ch audit.Change) bool { return ch.Field == client.FieldDoNotText }) {
		e.Messages = nil
	}
	return e, true
}

// asked reports whether attempt a asked for field to hold what row holds.
func asked(a audit.Entry, field string, row Contact) bool {
	i := slices.IndexFunc(a.Changes, func(ch audit.Change) bool { return ch.Field == field })
	return i >= 0 && change.Holds(row.client(), a.Changes[i])
}

// client is the contact as ServiceTitan's API shows it.
func (c Contact) client() client.Contact {
	return client.Contact{ID: c.ID, Type: c.Type, Value: c.Value, Memo: c.Memo, CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn,
		PhoneSettings: c.PhoneSettings, Preferences: c.Preferences}
}
