package index

import (
	"context"
	"fmt"
	"slices"
	"strings"
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
