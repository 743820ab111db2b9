package bulk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// Index is what matching needs of the tenant index; *index.Store has it.
type Index interface {
	ContactsByValue(ctx context.Context, values []string) (map[string][]index.Contact, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]index.Contact, error)
	CustomersByID(ctx context.Context, ids []int64) (map[int64]index.Customer, error)
	LocationsByID(ctx context.Context, ids []int64) (map[int64]index.Location, error)
}

// MaxPerValue bounds the contacts one line may match: a value held by more
// is a placeholder ("0000000000", "noemail@gmail.com") rather than a
// person's, and changing them all is not what an opt-out list means.
const MaxPerValue = 100

// Preview is a list matched against the index: what a job would do, line
// by line and contact by contact, before anything is written.
type Preview struct {
	FileName string
	Action   Action
	// Lines are every line of the list, in order.
	Lines []Line
	// Rows are the contacts matched, each once, in the order of the lines
	// that matched them first.
	Rows []Target
	// IndexLoading: the index had not read the whole tenant yet, so lines
	// may have matched nothing, or fewer contacts, than they will.
	IndexLoading bool
	// locations are the service locations of the chunk being matched.
	locations map[int64]index.Location
}

// Totals counts the preview as the page shows it.
func (p Preview) Totals() Totals {
	var t Totals
	for _, r := range p.Rows {
		if r.Planned == PlanChange {
			t.Change++
		} else {
			t.Unchanged++
		}
		if r.TextedStop {
			t.TextedStop++
		}
	}
	for _, l := range p.Lines {
		switch l.Status {
		case LineUnmatched:
			t.Unmatched++
		case LineInvalid:
			t.Invalid++
		case LineDuplicate:
			t.Duplicate++
		case LineMatched:
			if l.Why != "" {
				t.Partial++
			}
		}
		if l.Customers > 1 {
			t.Shared++
		}
	}
	return t
}

// ErrNoFlags: a preferences action that sets nothing.
var ErrNoFlags = errors.New("bulk: choose at least one preference to set")

// Match reads which contacts each line of list names, from the index (no
// call to ServiceTitan): by contact id, or by phone number or email (every
// contact holding it, on every customer: an opt-out is about the number or
// the address), within one customer when the line names one. For each
// contact it says, from the index, whether the action would change it.
func Match(ctx context.Context, idx Index, list List, action Action, fileName string) (Preview, error) {
	if action.Kind == SetPreferences && len(action.Set) == 0 {
		return Preview{}, ErrNoFlags
	}
	p := Preview{FileName: fileName, Action: action, Lines: make([]Line, 0, len(list.Rows)+len(list.Invalid))}
	seen := map[int64]int{} // contact id -> the line that matched it first
	// A chunk of lines at a time: only its contacts and their customers
	// are held, not the whole list's (a list of 10,000 lines names tens
	// of thousands of contacts, and the preview's memory would follow).
	for chunk := range slices.Chunk(list.Rows, matchChunk) {
		byValue, byID, customers, err := lookup(ctx, idx, chunk)
		if err != nil {
			return p, err
		}
		if p.locations, err = idx.LocationsByID(ctx, locationsOf(byValue, byID)); err != nil {
			return p, err
		}
		for _, r := range chunk {
			p.Lines = append(p.Lines, p.match(r, byValue, byID, customers, seen))
		}
	}
	for _, bad := range list.Invalid {
		p.Lines = append(p.Lines, Line{Line: bad.Line, Text: bad.Text, Status: LineInvalid, Why: bad.Why})
	}
	slices.SortStableFunc(p.Lines, func(a, b Line) int { return cmp.Compare(a.Line, b.Line) })
	return p, nil
}

// matchChunk is how many lines Match reads from the index at a time.
const matchChunk = 500

// lookup reads from the index the contacts rows name, by value and by id,
// and the customers they belong to.
func lookup(ctx context.Context, idx Index, rows []Row) (map[string][]index.Contact, map[int64]index.Contact, map[int64]index.Customer, error) {
	var values []string
	var ids []int64
	for _, r := range rows {
		if r.ContactID != 0 {
			ids = append(ids, r.ContactID)
		} else {
			values = append(values, r.Value())
		}
	}
	byValue, err := idx.ContactsByValue(ctx, dedupe(values))
	if err != nil {
		return nil, nil, nil, err
	}
	byID, err := idx.ContactsByID(ctx, dedupe(ids))
	if err != nil {
		return nil, nil, nil, err
	}
	var customerIDs []int64
	for _, cs := range byValue {
		for _, c := range cs {
			customerIDs = append(customerIDs, c.CustomerID)
		}
	}
	for _, c := range byID {
		customerIDs = append(customerIDs, c.CustomerID)
	}
	customers, err := idx.CustomersByID(ctx, dedupe(customerIDs))
	if err != nil {
		return nil, nil, nil, err
	}
	return byValue, byID, customers, nil
}

// locationsOf are the service locations of the location contacts among
// those found.
func locationsOf(byValue map[string][]index.Contact, byID map[int64]index.Contact) []int64 {
	var ids []int64
	for _, cs := range byValue {
		for _, c := range cs {
			if c.LocationID != 0 {
				ids = append(ids, c.LocationID)
			}
		}
	}
	for _, c := range byID {
		if c.LocationID != 0 {
			ids = append(ids, c.LocationID)
		}
	}
	return dedupe(ids)
}

// match matches one line, adding the contacts it names first to p.Rows
// (seen holds the contacts matched so far, and the line that did).
func (p *Preview) match(r Row, byValue map[string][]index.Contact, byID map[int64]index.Contact, customers map[int64]index.Customer,
	seen map[int64]int) Line {
	line := Line{Line: r.Line, Text: r.Text, Value: r.Value(), CustomerID: r.CustomerID, ContactID: r.ContactID}
	matched, why := matches(r, byValue, byID)
	line.Matches, line.Customers = len(matched), countCustomers(matched)
	switch {
	case why != "":
		line.Status, line.Why = LineUnmatched, why
	case len(matched) > MaxPerValue:
		line.Status = LineInvalid
		line.Why = fmt.Sprintf("%d contacts hold this value, more than %d: it looks like a placeholder, not a person's; name the customer id to change one", len(matched), MaxPerValue)
	default:
		added, firstDup := 0, 0
		var refused []string
		for _, c := range matched {
			if first, dup := seen[c.ID]; dup {
				firstDup = cmp.Or(firstDup, first)
				continue
			}
			t, problem := plan(c, customers[c.CustomerID], p.Action)
			if c.LocationID != 0 {
				t.LocationID, t.LocationName = c.LocationID, index.LocationName(p.locations[c.LocationID], c.LocationID)
			}
			if problem != "" {
				refused = append(refused, problem)
				continue
			}
			seen[c.ID] = r.Line
			t.Seq, t.Line = len(p.Rows)+1, r.Line
			p.Rows = append(p.Rows, t)
			added++
		}
		switch {
		case added > 0 && len(refused) > 0:
			// Said on the line, so no contact drops out of sight.
			line.Status = LineMatched
			line.Why = fmt.Sprintf("%d of the %d contacts it matched left out: %s", len(refused), len(matched), refused[0])
		case added > 0:
			line.Status = LineMatched
		case len(refused) > 0:
			line.Status, line.Why = LineInvalid, refused[0]
		default:
			line.Status, line.Why = LineDuplicate, fmt.Sprintf("the same %s as line %d", plural(len(matched), "contact", "contacts"), firstDup)
		}
	}
	return line
}

// matches are the contacts a line names, or why it names none.
func matches(r Row, byValue map[string][]index.Contact, byID map[int64]index.Contact) ([]index.Contact, string) {
	if r.ContactID != 0 {
		c, ok := byID[r.ContactID]
		switch {
		case !ok:
			return nil, fmt.Sprintf("no contact with ID %d", r.ContactID)
		case r.CustomerID != 0 && c.CustomerID != r.CustomerID:
			return nil, fmt.Sprintf("contact %d belongs to customer %d, not %d", r.ContactID, c.CustomerID, r.CustomerID)
		case r.Value() != "" && index.ValueKey(c) != r.Value():
			return nil, fmt.Sprintf("contact %d holds another value", r.ContactID)
		}
		return []index.Contact{c}, ""
	}
	var out []index.Contact
	for _, c := range byValue[r.Value()] {
		if r.CustomerID == 0 || c.CustomerID == r.CustomerID {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		if r.CustomerID != 0 && len(byValue[r.Value()]) > 0 {
			return nil, fmt.Sprintf("customer %d has no contact with this value", r.CustomerID)
		}
		return nil, "no contact holds this value"
	}
	return out, ""
}

// plan is what the action would do to c, as the index holds it, or why it
// cannot.
func plan(c index.Contact, customer index.Customer, action Action) (Target, string) {
	t := Target{CustomerID: c.CustomerID, ContactID: c.ID, CustomerName: customer.Name, Type: string(c.Type), Value: c.Value,
		TextedStop: c.PhoneSettings != nil && c.PhoneSettings.DoNotText, State: RowPending}
	if t.CustomerName == "" {
		t.CustomerName = fmt.Sprintf("Customer %d", c.CustomerID)
	}
	switch action.Kind {
	case Remove:
		t.Planned, t.Before, t.After = PlanChange, describeContact(c), "removed"
	default:
		after, changed, err := change.WithFlags(c.Preferences, action.Set)
		if err != nil {
			return t, strings.TrimPrefix(err.Error(), change.ErrFlagNotHeld.Error()+": ")
		}
		t.Planned = PlanUnchanged
		if changed {
			t.Planned = PlanChange
		}
		t.Before, t.After = describeFlags(c.Preferences, action.Set), describeFlags(&after, action.Set)
	}
	return t, ""
}

// describeFlags says how p holds the flags asked about ("Marketing
// updates off, Job reminders on"), as the record carries them.
func describeFlags(p *client.Preferences, asked map[string]bool) string {
	if p == nil {
		return "preferences not set yet"
	}
	var parts []string
	for _, f := range client.Flags { // client.Carried, without a slice per contact
		if f.In(*p) && relevant(f, asked, p.HasSplitInvoiceFlags()) {
			parts = append(parts, f.Label+" "+strings.ToLower(client.OnOff(f.Get(*p))))
		}
	}
	return strings.Join(parts, ", ")
}

// relevant reports whether flag f of a record shows the effect of asked.
func relevant(f client.Flag, asked map[string]bool, split bool) bool {
	if _, ok := asked[f.Name]; ok {
		return !(f.Name == "invoiceStatementNotification" && split)
	}
	_, combined := asked["invoiceStatementNotification"]
	_, invoices := asked["invoiceNotification"]
	_, statements := asked["statementNotification"]
	switch {
	case f.Split && split:
		return combined
	case f.Name == "invoiceStatementNotification" && !split:
		return invoices || statements
	}
	return false
}

func describeContact(c index.Contact) string {
	if c.Memo == "" {
		return c.Type.Label()
	}
	return c.Type.Label() + " · " + c.Memo
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func countCustomers(cs []index.Contact) int {
	seen := map[int64]bool{}
	for _, c := range cs {
		seen[c.CustomerID] = true
	}
	return len(seen)
}

func dedupe[T cmp.Ordered](xs []T) []T {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
