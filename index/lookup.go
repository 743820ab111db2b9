package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/contactdesk/contactdesk/client"
)

// lookupChunk bounds the ids or values one query asks for: within both
// databases' limits on parameters.
const lookupChunk = 500

// ContactsByValue finds the contacts holding each value, by the key a
// value is compared by: a phone number's digits, an email in lower case.
// Removed contacts are not found. The map holds only values found.
func (s *Store) ContactsByValue(ctx context.Context, values []string) (map[string][]Contact, error) {
	out := map[string][]Contact{}
	for chunk := range slices.Chunk(values, lookupChunk) {
		contacts, err := s.queryContacts(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts
			WHERE value_key IN (?`+strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY id`), anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("index: contacts by value: %w", err)
		}
		for _, c := range contacts {
			k := valueKey(c.Type, c.Value)
			out[k] = append(out[k], c)
		}
	}
	return out, nil
}

// ContactsByID reads contacts by id; removed ones and ids the index does
// not hold are left out.
func (s *Store) ContactsByID(ctx context.Context, ids []int64) (map[int64]Contact, error) {
	out := map[int64]Contact{}
	for chunk := range slices.Chunk(ids, lookupChunk) {
		contacts, err := s.queryContacts(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts
			WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`), anys(chunk)...)
		if err != nil {
			return nil, fmt.Errorf("index: contacts by id: %w", err)
		}
		for _, c := range contacts {
			out[c.ID] = c
		}
	}
	return out, nil
}

// CustomersByID reads customers by id; ids the index does not hold are
// left out.
func (s *Store) CustomersByID(ctx context.Context, ids []int64) (map[int64]Customer, error) {
	return s.customersByID(ctx, ids)
}

// ValueKey is how the index compares a contact's value: see
// ContactsByValue.
func ValueKey(c Contact) string { return valueKey(c.Type, c.Value) }

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// Reach is how a customer can be reached: its own phone numbers and email
// addresses in the index (not removed; its locations' aside).
type Reach struct {
	Phones, Emails int
}

// ReachOf counts each customer's phone numbers and email addresses, a
// few queries for any number of customers: a list of contacts to remove
// says which one is a customer's last.
func (s *Store) ReachOf(ctx context.Context, customerIDs []int64) (map[int64]Reach, error) {
	out := map[int64]Reach{}
	for chunk := range slices.Chunk(customerIDs, lookupChunk) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT customer_id, kind, COUNT(*) FROM index_contacts WHERE customer_id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`) AND location_id = 0 AND removed = `+s.boolean(false)+` GROUP BY customer_id, kind`), args...)
		if err != nil {
			return nil, fmt.Errorf("index: count reach: %w", err)
		}
		for rows.Next() {
			var id int64
			var kind string
			var n int
			if err := rows.Scan(&id, &kind, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("index: count reach: %w", err)
			}
			r := out[id]
			switch t, _ := client.ParseContactType(kind); {
			case t.IsPhoneNumber():
				r.Phones += n
			case t == client.ContactEmail:
				r.Emails += n
			}
			out[id] = r
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("index: count reach: %w", err)
		}
	}
	return out, nil
}

// LocationsByID reads locations by id, for pages that name them (the
// audit trail).
func (s *Store) LocationsByID(ctx context.Context, ids []int64) (map[int64]Location, error) {
	return s.locationsByID(ctx, ids)
}
