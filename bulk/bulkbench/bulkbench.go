// Package bulkbench holds what the bulk benchmarks (bulk/bench_test.go)
// and the load tool's measurement of bulk jobs (go run ./loadtest -bulk)
// share, so that both measure the same things: an opt-out list drawn
// from the tenant index, and the calls to ServiceTitan each row of a job
// makes, by how the row ended.
package bulkbench

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// OptOut is what an opt-out list asks: marketing updates off.
var OptOut = bulk.Action{Kind: bulk.SetPreferences, Set: map[string]bool{"marketingUpdatesEnabled": false}}

// Region is the phone region lists are read with (the app's default).
const Region = "US"

// Index is what drawing a list needs of the tenant index; *index.Store
// has it.
type Index interface {
	Contacts(ctx context.Context, customerID int64) ([]index.Contact, error)
	ContactsByValue(ctx context.Context, values []string) (map[string][]index.Contact, error)
}

// Mix counts a list's lines by what they were drawn as.
type Mix struct {
	// On: the value of a contact whose marketing updates are on (the job
	// changes it); Off: of one whose are already off (the job reads it
	// and leaves it). Phones and Emails split On and Off by kind.
	On, Off        int
	Phones, Emails int
	// Unknown: a valid phone number or address no contact holds.
	Unknown int
	// Duplicate: an earlier line's value again, written another way.
	Duplicate int
	// Invalid: neither a phone number nor an email address.
	Invalid int
	// Placeholder: an address thousands of contacts hold
	// (noemail@gmail.com), which the preview refuses.
	Placeholder int
}

// Lines counts the list's lines (its header left out).
func (m Mix) Lines() int { return m.On + m.Off + m.Unknown + m.Duplicate + m.Invalid + m.Placeholder }

// Shares of a list's lines, in percent; the rest are invalid lines and
// placeholders.
const (
	shareOn        = 80
	shareOff       = 10
	shareUnknown   = 6
	shareDuplicate = 2
	placeholders   = 2
)

// invalidLines are what people paste into a list that names nobody.
var invalidLines = []string{"n/a", "call office", "jsmith@", "555-0123", "kelly@@example.com", "unsubscribe", "(312) 555-01", "see notes"}

// placeholderLines are addresses staff typed to get past a required field
// (sandbox.PlaceholderEmails): thousands of contacts hold each.
var placeholderLines = []string{"noemail@gmail.com", "none@none.com"}

// Draw makes an opt-out list of n lines, as CSV with the header "value"
// and one phone number or email address a line, from the contacts the
// index holds for customers first to last-1 (ids missing there are
// skipped); the same arguments give the same list. Of its lines, about
// 80% name a contact (a mobile or landline number, or an email; never a
// placeholder or an invalid value) whose marketing updates are on, 10%
// one whose are off, 6% a valid number or address nobody holds, 2% repeat
// an earlier line written another way, 2 are placeholder addresses and
// the rest invalid. Numbers are written as people write them ("(217)
// 555-0177", "+1 217 555 0177", …), some addresses with capitals.
func Draw(ctx context.Context, idx Index, first, last int64, n int, seed uint64) ([]byte, Mix, error) {
	if n < 20 {
		return nil, Mix{}, fmt.Errorf("bulkbench: a list of %d lines is too short to hold the mix; want 20 or more", n)
	}
	rnd := rand.New(rand.NewPCG(seed, 0xb01c))
	var m Mix
	m.On, m.Off = n*shareOn/100, n*shareOff/100
	m.Unknown, m.Duplicate = n*shareUnknown/100, n*shareDuplicate/100
	m.Placeholder = placeholders
	m.Invalid = n - m.On - m.Off - m.Unknown - m.Duplicate - m.Placeholder

	type drawn struct {
		value string // the key the index compares by: digits, lower case
		phone bool
	}
	var on, off []drawn
	seen := map[string]bool{}
	var areas []string
	for tries := 0; len(on) < m.On || len(off) < m.Off; tries++ {
		if tries > 50*n {
			return nil, m, fmt.Errorf("bulkbench: found %d contacts with marketing on and %d off in customers %d to %d; want %d and %d",
				len(on), len(off), first, last-1, m.On, m.Off)
		}
		contacts, err := idx.Contacts(ctx, first+rnd.Int64N(last-first))
		if err != nil {
			return nil, m, err
		}
		rnd.Shuffle(len(contacts), func(i, j int) { contacts[i], contacts[j] = contacts[j], contacts[i] })
		for _, c := range contacts {
			d, ok := usable(c)
			if !ok || seen[d] || c.Preferences == nil {
				continue
			}
			phone := c.Type.IsPhoneNumber()
			switch {
			case c.Preferences.MarketingUpdatesEnabled && len(on) < m.On:
				on = append(on, drawn{d, phone})
			case !c.Preferences.MarketingUpdatesEnabled && len(off) < m.Off:
				off = append(off, drawn{d, phone})
			default:
				continue
			}
			seen[d] = true
			if phone {
				areas = append(areas, d[:3])
			}
			break // one contact of a customer
		}
	}
	for _, d := range append(on[:len(on):len(on)], off...) {
		if d.phone {
			m.Phones++
		} else {
			m.Emails++
		}
	}

	// Unknown values: numbers in the tenant's area codes and addresses
	// nobody holds, checked against the index.
	var unknown []string
	for len(unknown) < m.Unknown {
		var candidates []string
		for range m.Unknown - len(unknown) {
			var v string
			if rnd.IntN(3) < 2 && len(areas) > 0 {
				v = fmt.Sprintf("%s%03d%04d", areas[rnd.IntN(len(areas))], 200+rnd.IntN(800), rnd.IntN(10000))
				if national, problem := change.NormalisePhone(v, Region); problem != "" || national != v {
					continue
				}
			} else {
				v = fmt.Sprintf("former.customer.%d@example.net", rnd.IntN(1_000_000_000))
			}
			if !seen[v] {
				seen[v] = true
				candidates = append(candidates, v)
			}
		}
		held, err := idx.ContactsByValue(ctx, candidates)
		if err != nil {
			return nil, m, err
		}
		for _, v := range candidates {
			if len(held[v]) == 0 && len(unknown) < m.Unknown {
				unknown = append(unknown, v)
			}
		}
	}

	var lines []string
	for _, d := range on {
		lines = append(lines, written(d.value, rnd))
	}
	for _, d := range off {
		lines = append(lines, written(d.value, rnd))
	}
	for _, v := range unknown {
		lines = append(lines, written(v, rnd))
	}
	for i := range m.Invalid {
		lines = append(lines, invalidLines[i%len(invalidLines)])
	}
	for i := range m.Placeholder {
		lines = append(lines, placeholderLines[i%len(placeholderLines)])
	}
	rnd.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	// Repeats: an earlier named contact's value again, later in the list.
	for range m.Duplicate {
		var d drawn
		if k := rnd.IntN(len(on) + len(off)); k < len(on) {
			d = on[k]
		} else {
			d = off[k-len(on)]
		}
		at := len(lines)/2 + rnd.IntN(len(lines)/2+1)
		lines = append(lines[:at], append([]string{written(d.value, rnd)}, lines[at:]...)...)
	}

	var b bytes.Buffer
	b.WriteString("value\n")
	for _, l := range lines {
		if strings.ContainsAny(l, ",\"") {
			l = `"` + strings.ReplaceAll(l, `"`, `""`) + `"`
		}
		b.WriteString(l + "\n")
	}
	return b.Bytes(), m, nil
}

// usable is the key of a contact's value when a list could name it: a
// mobile or landline number that reads as a valid one, or a valid email
// address, neither a placeholder.
func usable(c index.Contact) (string, bool) {
	if c.Removed {
		return "", false
	}
	key := index.ValueKey(c)
	switch c.Type {
	case client.ContactMobilePhone, client.ContactPhone:
		national, problem := change.NormalisePhone(key, Region)
		return key, problem == "" && national == key && !placeholder(key)
	case client.ContactEmail:
		return key, change.IsEmailAddress(key) && !placeholder(key)
	}
	return "", false
}

// placeholder reports values staff type to get past a required field
// (the sandbox's, and their likes).
func placeholder(key string) bool {
	switch key {
	case "1234567890", "0000000000", "5555555555", "9876543210",
		"noemail@gmail.com", "none@none.com", "test@test.com", "noemail@noemail.com":
		return true
	}
	return false
}

// written is a value as a person or an export writes it.
func written(v string, rnd *rand.Rand) string {
	if !strings.Contains(v, "@") {
		a, b, c := v[:3], v[3:6], v[6:]
		switch rnd.IntN(6) {
		case 0:
			return fmt.Sprintf("(%s) %s-%s", a, b, c)
		case 1:
			return fmt.Sprintf("%s-%s-%s", a, b, c)
		case 2:
			return fmt.Sprintf("+1 %s %s %s", a, b, c)
		case 3:
			return fmt.Sprintf("%s.%s.%s", a, b, c)
		case 4:
			return fmt.Sprintf("1-%s-%s-%s", a, b, c)
		}
		return v
	}
	if rnd.IntN(5) == 0 {
		local, domain, _ := strings.Cut(v, "@")
		return capitalise(local) + "@" + capitalise(domain)
	}
	return v
}

// capitalise writes each dot-separated part with a capital.
func capitalise(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

// Tally is the rows that ended one way, and the calls they made.
type Tally struct {
	Contacts, Calls int64
}

// PerContact is the calls a row made, on average.
func (t Tally) PerContact() float64 {
	if t.Contacts == 0 {
		return 0
	}
	return float64(t.Calls) / float64(t.Contacts)
}

// Counted is a bulk.Changes that counts, for each row it works, the calls
// to ServiceTitan made for that row, by how the row ended (the change
// service's result). The change service must talk to ServiceTitan through
// CountCalls: each call is counted against the row whose context it
// carries, so rows worked at once (a Runner works several) are told apart.
type Counted struct {
	bulk.Changes

	mu sync.Mutex
	by map[change.Result]Tally
}

// rowCalls is the context key under which Counted keeps a row's count.
type rowCalls struct{}

// CountCalls wraps st so that each call made for a row worked through a
// Counted is counted for that row (a call made for anything else is not).
func CountCalls(st change.ServiceTitan) change.ServiceTitan { return countingST{st} }

type countingST struct{ st change.ServiceTitan }

func tick(ctx context.Context) {
	if n, ok := ctx.Value(rowCalls{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

func (c countingST) ListContactsOf(ctx context.Context, o client.Owner) ([]client.Contact, error) {
	tick(ctx)
	return c.st.ListContactsOf(ctx, o)
}

func (c countingST) GetContactOf(ctx context.Context, o client.Owner, contactID int64) (client.Contact, error) {
	tick(ctx)
	return c.st.GetContactOf(ctx, o, contactID)
}

func (c countingST) UpdateContactOf(ctx context.Context, o client.Owner, contactID int64, req client.UpdateContactRequest) (client.Contact, error) {
	tick(ctx)
	return c.st.UpdateContactOf(ctx, o, contactID, req)
}

func (c countingST) CreateContactOf(ctx context.Context, o client.Owner, req client.CreateContactRequest) (client.Contact, error) {
	tick(ctx)
	return c.st.CreateContactOf(ctx, o, req)
}

func (c countingST) DeleteContactOf(ctx context.Context, o client.Owner, contactID int64) error {
	tick(ctx)
	return c.st.DeleteContactOf(ctx, o, contactID)
}

// SetPreferences counts the calls one row makes.
func (c *Counted) SetPreferences(ctx context.Context, r change.PreferencesRequest) change.Outcome {
	n := new(atomic.Int64)
	o := c.Changes.SetPreferences(context.WithValue(ctx, rowCalls{}, n), r)
	c.add(o.Result, n.Load())
	return o
}

// Delete counts the calls one row makes.
func (c *Counted) Delete(ctx context.Context, r change.DeleteRequest) change.Outcome {
	n := new(atomic.Int64)
	o := c.Changes.Delete(context.WithValue(ctx, rowCalls{}, n), r)
	c.add(o.Result, n.Load())
	return o
}

func (c *Counted) add(r change.Result, calls int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[change.Result]Tally{}
	}
	t := c.by[r]
	t.Contacts++
	t.Calls += calls
	c.by[r] = t
}

// Tallies are the rows counted so far by result, and their calls.
func (c *Counted) Tallies() map[change.Result]Tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[change.Result]Tally, len(c.by))
	for r, t := range c.by {
		out[r] = t
	}
	return out
}

// Reset forgets the rows counted so far.
func (c *Counted) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.by = nil
}
