package hygiene

import (
	"context"
	"fmt"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// Reporter reads the hygiene report from the tenant index; it never calls
// ServiceTitan.
type Reporter struct {
	Index *index.Store
	Rules Rules
}

// Counts are each section's total: contacts, and customers for
// Unreachable.
type Counts struct {
	Sections map[Section]int
	// SharedValues is how many values the Shared contacts hold.
	SharedValues int
	// Unchecked is how many contacts the rules have not seen yet (a
	// backfill, new rules): the counts leave them out.
	Unchecked int
}

// Row is one line of a section: a contact, or a customer for Unreachable.
type Row struct {
	Section        Section
	CustomerID     int64
	CustomerName   string
	CustomerActive bool
	ContactID      int64
	// LocationID is the service location a location's contact is of (0:
	// the customer's own), LocationName how pages name it.
	LocationID   int64
	LocationName string
	Type         client.ContactType
	Value        string
	Memo         string
	// Why says what is wrong, in words staff read.
	Why string
	// Shared is the value a Shared row holds (digits, or an email in
	// lower case), SharedBy how many customers hold it, and
	// SharedContacts how many contacts (a page lists PageValueRows).
	Shared         string
	SharedBy       int
	SharedContacts int
}

// List is one page of a section.
type List struct {
	Section Section
	Page    int
	Rows    []Row
	More    bool
}

// Report is the counts and a page of each section asked for.
type Report struct {
	Counts Counts
	Lists  []List
}

// Page sizes: rows for most sections, values for Shared (each with all
// its contacts).
const (
	PageRows   = 25
	PageValues = 10
	// PageValueRows bounds the contacts a page lists for one shared
	// value (a value on thousands of customers would fill the page);
	// the CSV lists them all.
	PageValueRows = 50
)

// ReadFiltered reads the counts and page pages[s] (from 1) of each
// section s in pages, with the rows of a section s limited to those
// holding filters[s] (a number's digits, a word of a name, an address or
// a memo; an email or part of one).
func (r Reporter) ReadFiltered(ctx context.Context, pages map[Section]int, filters map[Section]string) (Report, error) {
	var rep Report
	counts, err := r.Index.ProblemCounts(ctx)
	if err != nil {
		return rep, err
	}
	rep.Counts.Sections = map[Section]int{}
	for _, s := range []Section{PlaceholderPhone, PlaceholderEmail, Invalid} {
		rep.Counts.Sections[s] = counts[string(s)]
	}
	if rep.Counts.SharedValues, rep.Counts.Sections[Shared], err = r.Index.SharedTotals(ctx, r.SharedMin()); err != nil {
		return rep, err
	}
	if rep.Counts.Sections[Unreachable], err = r.Index.CountUnreachable(ctx); err != nil {
		return rep, err
	}
	if rep.Counts.Unchecked, err = r.Index.Unchecked(ctx); err != nil {
		return rep, err
	}
	for _, s := range Sections {
		page, ok := pages[s]
		if !ok {
			continue
		}
		page = max(page, 1)
		l := List{Section: s, Page: page}
		filter := index.FilterTerm(filters[s])
		switch s {
		case Shared:
			var values []index.SharedValue
			values, err = r.Index.SharedValuesMatching(ctx, r.SharedMin(), filter, (page-1)*PageValues, PageValues+1)
			if err != nil {
				return rep, err
			}
			if len(values) > PageValues {
				values, l.More = values[:PageValues], true
			}
			err = r.sharedRows(ctx, values, PageValueRows, func(row Row) error { l.Rows = append(l.Rows, row); return nil })
		default:
			err = r.each(ctx, s, filter, (page-1)*PageRows, PageRows+1, func(row Row) error { l.Rows = append(l.Rows, row); return nil })
			if len(l.Rows) > PageRows {
				l.Rows, l.More = l.Rows[:PageRows], true
			}
		}
		if err != nil {
			return rep, err
		}
		rep.Lists = append(rep.Lists, l)
	}
	return rep, nil
}

// SharedMin is how many customers a value may have before the report
// lists it (HYGIENE_SHARED_MIN; 3 when unset).
func (r Reporter) SharedMin() int {
	if r.Rules.SharedMin <= 0 {
		return 3
	}
	return r.Rules.SharedMin
}

// Each calls each for every row of a section, in the page's order.
func (r Reporter) Each(ctx context.Context, s Section, each func(Row) error) error {
	if s != Shared {
		return r.each(ctx, s, "", 0, -1, each)
	}
	// A page of values at a time: a tenant can share tens of thousands.
	for offset := 0; ; offset += 500 {
		values, err := r.Index.SharedValues(ctx, r.SharedMin(), offset, 500)
		if err != nil || len(values) == 0 {
			return err
		}
		if err := r.sharedRows(ctx, values, -1, each); err != nil {
			return err
		}
	}
}

// each reads limit rows of a section other than Shared from offset (a
// negative limit: all of them), those holding filter ("": all).
func (r Reporter) each(ctx context.Context, s Section, filter string, offset, limit int, each func(Row) error) error {
	if s == Unreachable {
		return r.Index.UnreachableMatching(ctx, filter, offset, limit, func(c index.Customer) error {
			return each(Row{Section: s, CustomerID: c.ID, CustomerName: c.Name, CustomerActive: c.Active,
				Why: "no phone number or email"})
		})
	}
	return r.Index.WithProblemMatching(ctx, string(s), filter, offset, limit, func(l index.Listed) error {
		return each(r.row(s, l))
	})
}

// sharedRows reads the contacts holding values, value by value, at most
// perValue of each (a negative perValue: all of them).
func (r Reporter) sharedRows(ctx context.Context, values []index.SharedValue, perValue int, each func(Row) error) error {
	keys := make([]string, len(values))
	by := make(map[string]index.SharedValue, len(values))
	for i, v := range values {
		keys[i], by[v.Key] = v.Key, v
	}
	// WithValues orders by value; the section orders by how shared.
	rows := make(map[string][]Row, len(values))
	err := r.Index.WithValues(ctx, keys, func(l index.Listed) error {
		row := r.row(Shared, l)
		v := by[index.ValueKey(l.Contact)]
		row.Shared, row.SharedBy, row.SharedContacts = v.Key, v.Customers, v.Contacts
		row.Why = fmt.Sprintf("held by %d customers", row.SharedBy)
		if perValue < 0 || len(rows[row.Shared]) < perValue {
			rows[row.Shared] = append(rows[row.Shared], row)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		for _, row := range rows[k] {
			if err := each(row); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r Reporter) row(s Section, l index.Listed) Row {
	row := Row{Section: s, CustomerID: l.CustomerID, CustomerName: l.CustomerName, CustomerActive: l.CustomerActive,
		ContactID: l.ID, LocationID: l.LocationID, Type: l.Type, Value: l.Value, Memo: l.Memo}
	if l.LocationID != 0 {
		row.LocationName = index.LocationName(l.Location, l.LocationID)
	}
	if s != Shared {
		row.Why = r.Rules.Explain(s, l.Type, l.Value)
	}
	return row
}

// Reach counts each customer's phone numbers and email addresses in the
// index: a list of contacts to remove says which is a customer's last.
func (r Reporter) Reach(ctx context.Context, customerIDs []int64) (map[int64]index.Reach, error) {
	return r.Index.ReachOf(ctx, customerIDs)
}
