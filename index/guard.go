package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/change"
)

// A feed row is stored only if it could be true. A row dated in the future
// would win over every real row after it (a removal dated 9999 hid a
// contact for good), a value or memo no form could save is not a contact's,
// and a contact without a type or a value cannot be searched or changed.
// Such rows are refused, never stored, and counted by reason on /index.

// Reasons a feed row is refused.
const (
	// RefusedFuture: dated more than FutureSlack after the app's clock.
	RefusedFuture = "future"
	// RefusedTooLarge: a value, memo or name longer than the edit form
	// (or a customer's page) allows.
	RefusedTooLarge = "too-large"
	// RefusedIncomplete: a contact without a type or a value.
	RefusedIncomplete = "incomplete"
)

// FutureSlack is how far ahead of the app's clock a row may be dated (the
// two clocks are never quite equal); a row dated later is refused.
const FutureSlack = time.Minute

// customerTextMax bounds a customer's name and each address field: far
// longer than any real one, short enough that a page of rows stays small.
const customerTextMax = 1000

// refusal is a row refused, for the counts.
type refusal struct {
	reason string
	id     int64
}

// screen drops the rows of p that must not be stored, returns them, and
// says how far the feed has come: the newest modifiedOn of a row it sent
// that is not dated in the future (zero when none).
func (s *Store) screen(p *Page) (refused []refusal, highWater time.Time) {
	latest := s.now().Add(FutureSlack)
	judge := func(id int64, modified time.Time, why string) bool {
		if modified.After(latest) {
			refused = append(refused, refusal{RefusedFuture, id})
			return false
		}
		highWater = later(highWater, modified)
		if why != "" {
			refused = append(refused, refusal{why, id})
			return false
		}
		return true
	}
	p.Customers = slices.DeleteFunc(p.Customers, func(c Customer) bool {
		return !judge(c.ID, c.ModifiedOn, customerFault(c))
	})
	p.Contacts = slices.DeleteFunc(p.Contacts, func(c Contact) bool {
		return !judge(c.ID, c.ModifiedOn, contactFault(c))
	})
	p.Locations = slices.DeleteFunc(p.Locations, func(l Location) bool {
		return !judge(l.ID, l.ModifiedOn, locationFault(l))
	})
	return refused, highWater
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// contactFault says why a contact row cannot be stored, or "". A removed
// contact needs no type or value: its row only takes it out of search.
func contactFault(c Contact) string {
	switch {
	case utf8.RuneCountInString(c.Memo) > change.MemoMax, utf8.RuneCountInString(c.Value) > change.EmailMax:
		return RefusedTooLarge
	case !c.Removed && (c.Type == "" || strings.TrimSpace(c.Value) == ""):
		return RefusedIncomplete
	}
	return ""
}

// customerFault says why a customer row cannot be stored, or "".
func customerFault(c Customer) string {
	a := c.Address
	for _, text := range []string{c.Name, c.Type, a.Street, a.Unit, a.City, a.State, a.Zip, a.Country} {
		if utf8.RuneCountInString(text) > customerTextMax {
			return RefusedTooLarge
		}
	}
	return ""
}

// countRefused adds a page's refused rows to the counts on /index.
func (s *Store) countRefused(ctx context.Context, tx *sql.Tx, feed string, refused []refusal) error {
	byReason := map[string]refusal{}
	counts := map[string]int{}
	for _, r := range refused {
		byReason[r.reason] = r
		counts[r.reason]++
	}
	for reason, last := range byReason {
		if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO index_refused (feed, reason, refused, last_id, last_us) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (feed, reason) DO UPDATE SET refused = index_refused.refused + excluded.refused,
				last_id = excluded.last_id, last_us = excluded.last_us`), feed, reason, counts[reason], last.id, micros(s.now())); err != nil {
			return fmt.Errorf("count refused rows: %w", err)
		}
	}
	return nil
}

// A contact may come before its customer: the contacts feed is read after
// the customers feed, so a customer added between the two reads has its
// contacts in the second before it is in the first. Such a contact is kept
// aside in index_waiting, not searchable, until a customers page brings
// its customer; a contact of a customer ServiceTitan never sends waits
// for good, counted on /index, and harms nothing.

// setAside moves the contacts of p whose customer the index does not hold
// into index_waiting (a newer row of the same contact replacing an older).
func (s *Store) setAside(ctx context.Context, tx *sql.Tx, p *Page) error {
	ids := make([]int64, 0, len(p.Contacts))
	for _, c := range p.Contacts {
		ids = append(ids, c.CustomerID)
	}
	known, err := s.ownersHeld(ctx, tx, "index_customers", "id", ids)
	if err != nil {
		return fmt.Errorf("find the page's customers: %w", err)
	}
	var waiting []Contact
	p.Contacts = slices.DeleteFunc(p.Contacts, func(c Contact) bool {
		if _, ok := known[c.CustomerID]; ok {
			return false
		}
		waiting = append(waiting, c)
		return true
	})
	return s.keepWaiting(ctx, tx, waiting)
}

// ownersHeld reads which of ids the table (index_customers,
// index_locations) holds, each with its column (its own id, its
// customer's): the owners a feed page's contacts name.
func (s *Store) ownersHeld(ctx context.Context, tx *sql.Tx, table, column string, ids []int64) (map[int64]int64, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	held := map[int64]int64{}
	for chunk := range slices.Chunk(slices.Compact(ids), 500) {
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT id, `+column+` FROM `+table+` WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`), anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, owner int64
			if err := rows.Scan(&id, &owner); err != nil {
				rows.Close()
				return nil, err
			}
			held[id] = owner
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return held, nil
}

// takeWaiting returns, and removes from index_waiting, the contacts kept
// aside for the customers of a page.
func (s *Store) takeWaiting(ctx context.Context, tx *sql.Tx, customers []Customer) ([]Contact, error) {
	ids := make([]int64, len(customers))
	for i, c := range customers {
		ids[i] = c.ID
	}
	return s.takeWaitingBy(ctx, tx, "customer_id", ids)
}

// takeWaitingBy returns, and removes from index_waiting, the contacts
// kept aside whose column (customer_id, location_id) is one of ids.
func (s *Store) takeWaitingBy(ctx context.Context, tx *sql.Tx, column string, ids []int64) ([]Contact, error) {
	var some bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM index_waiting)`).Scan(&some); err != nil || !some {
		return nil, err
	}
	var out []Contact
	for chunk := range slices.Chunk(ids, 500) {
		in := `(?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		rows, err := tx.QueryContext(ctx, s.rebind(`SELECT body FROM index_waiting WHERE `+column+` IN `+in), anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var body string
			var c Contact
			if err := rows.Scan(&body); err != nil {
				rows.Close()
				return nil, err
			}
			if err := json.Unmarshal([]byte(body), &c); err != nil {
				rows.Close()
				return nil, fmt.Errorf("a contact kept aside: %w", err)
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM index_waiting WHERE `+column+` IN `+in), anys(chunk)...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Refusal counts the rows of one feed refused for one reason.
type Refusal struct {
	Feed, Reason string
	Rows         int64
	// LastID is the last row refused (a customer's or a contact's id),
	// Last when.
	LastID int64
	Last   time.Time
}

// refusals reads the refused rows' counts, and how many contacts wait for
// their customer.
func (s *Store) refusals(ctx context.Context) ([]Refusal, int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT feed, reason, refused, last_id, last_us FROM index_refused ORDER BY feed, reason`)
	if err != nil {
		return nil, 0, fmt.Errorf("index: read the refused rows: %w", err)
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		var last int64
		if err := rows.Scan(&r.Feed, &r.Reason, &r.Rows, &r.LastID, &last); err != nil {
			return nil, 0, fmt.Errorf("index: read the refused rows: %w", err)
		}
		r.Last = fromMicros(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("index: read the refused rows: %w", err)
	}
	var waiting int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM index_waiting`).Scan(&waiting); err != nil {
		return nil, 0, fmt.Errorf("index: count the contacts waiting for their customer: %w", err)
	}
	return out, waiting, nil
}

// bringWaiting puts the contacts kept aside for a page's customers into
// the index, now that it holds them.
func (s *Store) bringWaiting(ctx context.Context, tx *sql.Tx, customers []Customer) error {
	waiting, err := s.takeWaiting(ctx, tx, customers)
	if err != nil || len(waiting) == 0 {
		return err
	}
	if err := s.noteTouched(ctx, tx, Page{Feed: FeedContacts, Contacts: waiting}); err != nil {
		return err
	}
	if err := s.observe(ctx, tx, FeedContacts, waiting); err != nil {
		return err
	}
	return s.upsertContacts(ctx, tx, waiting)
}
