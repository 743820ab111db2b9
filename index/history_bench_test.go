package index

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// BenchmarkApplyChanges applies a page of contacts changed in
// ServiceTitan (a memo, a flag or a STOP each) to a backfilled SQLite
// index, as a sync pass does, with the History off (the baseline) and on:
// what recording them costs a page. The figures beside the load report's
// (docs/load-report-history.md, go run ./loadtest -history):
//
//	go test -run '^$' -bench ApplyChanges -count 6 ./index/
func BenchmarkApplyChanges(b *testing.B) {
	for _, rows := range []int{10, 1000} {
		for _, history := range []bool{false, true} {
			b.Run(fmt.Sprintf("rows=%d/history=%s", rows, map[bool]string{false: "off", true: "on"}[history]), func(b *testing.B) {
				benchApplyChanges(b, rows, history)
			})
		}
	}
}

func benchApplyChanges(b *testing.B, rows int, history bool) {
	ctx := context.Background()
	h := dbtest.SQLite(b)
	if _, err := audit.New(ctx, h); err != nil {
		b.Fatal(err)
	}
	s, err := Open(ctx, h)
	if err != nil {
		b.Fatal(err)
	}
	if history {
		x, err := audit.NewExternal(h.Dialect, 1)
		if err != nil {
			b.Fatal(err)
		}
		s.SetHistory(x)
	}
	// 5,000 customers with four contacts each, backfilled.
	const customers = 5000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var cs []Customer
	var contacts []Contact
	for i := range customers {
		id := int64(1_000_000 + i)
		cs = append(cs, Customer{ID: id, Name: fmt.Sprintf("Customer %d", i), Active: true, ModifiedOn: start})
		for k := range 4 {
			c := Contact{ID: id*10 + int64(k), CustomerID: id, Type: client.ContactMobilePhone, Value: fmt.Sprintf("217%07d", i*4+k),
				Memo: "Cell", PhoneSettings: &client.PhoneSettings{}, ModifiedOn: start,
				Preferences: &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true}}
			contacts = append(contacts, c)
		}
	}
	if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: cs, Next: "c1"}); err != nil {
		b.Fatal(err)
	}
	if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k0"}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Check(ctx); err != nil {
		b.Fatal(err)
	}
	at, next := start, 0
	page := make([]Contact, rows)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		for j := range page {
			at = at.Add(time.Millisecond)
			c := contacts[next%len(contacts)]
			next++
			switch next % 3 {
			case 0:
				c.Memo = fmt.Sprintf("Changed %d", next)
			case 1:
				c.Preferences = &client.Preferences{JobRemindersEnabled: !c.Preferences.JobRemindersEnabled, InvoiceStatementNotification: true}
			default:
				c.PhoneSettings = &client.PhoneSettings{DoNotText: !c.PhoneSettings.DoNotText}
			}
			c.ModifiedOn = at
			page[j] = c
			contacts[(next-1)%len(contacts)] = c
		}
		p := Page{Feed: FeedContacts, Contacts: page, From: fmt.Sprintf("k%d", i), Next: fmt.Sprintf("k%d", i+1)}
		b.StartTimer()
		if err := s.Apply(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows)/1e3, "µs/row")
	var entries int
	if err := h.QueryRowContext(ctx, `SELECT COUNT(*) FROM attempts`).Scan(&entries); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(entries)/float64(b.N*rows), "entries/row")
}
