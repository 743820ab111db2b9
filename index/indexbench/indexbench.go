// Package indexbench holds what the index's benchmarks (index/bench_test.go)
// and the load tool's measurement of the index (go run ./loadtest -index)
// share, so that both measure the same things: the decode-only baseline
// of a backfill, the search queries drawn from a tenant, and percentiles.
package indexbench

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// Rows counts the rows read from each feed.
type Rows struct {
	Customers, Contacts int64
	// Locations and LocationContacts are the service locations' two
	// feeds'.
	Locations, LocationContacts int64
}

// Total is the four feeds' rows.
func (r Rows) Total() int64 { return r.Customers + r.Contacts + r.Locations + r.LocationContacts }

// DecodeFeeds reads what a backfill reads (the customer count, then the
// four feeds from their start to their end, a page at a time, in the
// order a sync pass reads them) through feeds, decoding every row and
// keeping none: the baseline of a backfill, the cost of the feeds without
// the index. It reads the same feeds as the backfill, so that the two
// rates compare the same rows.
func DecodeFeeds(ctx context.Context, feeds index.Feeds) (Rows, error) {
	var rows Rows
	if _, err := feeds.CountCustomers(ctx); err != nil {
		return rows, err
	}
	for _, read := range []func(from string) (string, bool, error){
		func(from string) (string, bool, error) {
			return feeds.ExportCustomers(ctx, from, func(client.ExportCustomer) error { rows.Customers++; return nil })
		},
		func(from string) (string, bool, error) {
			return feeds.ExportContacts(ctx, from, func(client.ExportContact) error { rows.Contacts++; return nil })
		},
		func(from string) (string, bool, error) {
			return feeds.ExportLocations(ctx, from, func(client.ExportLocation) error { rows.Locations++; return nil })
		},
		func(from string) (string, bool, error) {
			return feeds.ExportLocationContacts(ctx, from, func(client.ExportLocationContact) error { rows.LocationContacts++; return nil })
		},
	} {
		from := ""
		for {
			next, more, err := read(from)
			if err != nil {
				return rows, err
			}
			if !more {
				break
			}
			from = next
		}
	}
	return rows, nil
}

// Queries are search queries of each kind, drawn from a tenant.
type Queries struct {
	// IDs are customer ids: Store.Customer's and an exact search's.
	IDs []int64
	// Emails are whole email addresses of contacts.
	Emails []string
	// Digits are four digits of a contact's phone number, from its
	// exchange and line number ("0177" of 217-555-0177).
	Digits []string
	// Names are a residential customer's first and last name, as
	// written ("Maria Garcia").
	Names []string
}

// Tenant is what queries are drawn from: the customer with id, and its
// contacts (a sandbox's Customer and Contacts).
type Tenant struct {
	Customer func(id int64) (client.Customer, bool)
	Contacts func(customerID int64) []client.Contact
}

// Draw picks n queries of each kind from customers with ids firstID to
// lastID, at random with seed (the same seed, the same queries):
// placeholder values ("noemail@gmail.com", "0000000000") and invalid ones
// are left out, as nobody searches for them.
func Draw(t Tenant, firstID, lastID int64, n int, seed uint64) Queries {
	r := rand.New(rand.NewPCG(seed, seed^0x1dec5))
	var q Queries
	for tries := 0; tries < 100*n && (len(q.IDs) < n || len(q.Emails) < n || len(q.Digits) < n || len(q.Names) < n); tries++ {
		c, ok := t.Customer(firstID + r.Int64N(lastID-firstID+1))
		if !ok {
			continue
		}
		if len(q.IDs) < n {
			q.IDs = append(q.IDs, c.ID)
		}
		if f := strings.Fields(c.Name); len(q.Names) < n && c.Type == "Residential" && len(f) == 2 && !strings.HasSuffix(f[0], ",") {
			q.Names = append(q.Names, c.Name)
		}
		for _, ct := range t.Contacts(c.ID) {
			switch d := client.Digits(ct.Value); {
			case ct.Type == client.ContactEmail && len(q.Emails) < n && strings.Contains(ct.Value, "@example."):
				q.Emails = append(q.Emails, ct.Value)
			case ct.Type.IsPhoneNumber() && len(q.Digits) < n && len(d) == 10 && !placeholder(d):
				at := 3 + r.IntN(4)
				q.Digits = append(q.Digits, d[at:at+4])
			}
		}
	}
	return q
}

// placeholder: a number of one digit repeated, or the digits in a row
// staff type to get past a required field.
func placeholder(digits string) bool {
	return strings.Count(digits, digits[:1]) == len(digits) || digits == "1234567890" || digits == "9876543210"
}

// ID is a customer id as typed in the search box.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Underscored is the start of an email's local part with `_` between its
// characters, and the first letter of its domain: "danielakesson@example.org"
// is "d_a_n_i@e". Taken as a LIKE pattern, `_` is a wildcard and such a
// query could not use the trigram index (1.27 s over 890,000 contacts);
// search takes it as typed.
func Underscored(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	chars := strings.Split(local, "")
	return strings.Join(chars[:min(4, len(chars))], "_") + "@" + domain[:min(1, len(domain))]
}

// Percentile is the p-th percentile (0 to 100) of durations (nearest
// rank); it sorts them.
func Percentile(durations []time.Duration, p float64) time.Duration {
	if len(durations) == 0 {
		return 0
	}
	slices.Sort(durations)
	i := int(math.Ceil(p/100*float64(len(durations)))) - 1
	return durations[min(max(i, 0), len(durations)-1)]
}
