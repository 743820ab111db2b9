package hygiene

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/index"
)

var day = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// tenant holds each kind of problem, and values that look like one but
// are not.
func tenant() ([]index.Customer, []index.Contact) {
	var customers []index.Customer
	for id := int64(1); id <= 10; id++ {
		customers = append(customers, index.Customer{ID: id, Name: fmt.Sprintf("Customer %02d", id), Active: id != 10, ModifiedOn: day})
	}
	var contacts []index.Contact
	next := int64(100)
	add := func(customer int64, t client.ContactType, value string) {
		next++
		contacts = append(contacts, index.Contact{ID: next, CustomerID: customer, Type: t, Value: value, ModifiedOn: day})
	}
	add(1, client.ContactPhone, "0000000000")                // 101 placeholder
	add(2, client.ContactMobilePhone, "1234567890")          // 102 placeholder
	add(3, client.ContactPhone, "9876543210")                // 103 placeholder
	add(4, client.ContactPhone, "7735551234")                // 104 real: contains 1234
	add(5, client.ContactEmail, "noemail@gmail.com")         // 105 placeholder
	add(6, client.ContactEmail, "do-not-reply@shop.example") // 106 placeholder
	add(6, client.ContactEmail, "nonemacher@example.com")    // 107 real
	add(7, client.ContactEmail, "nobody@example.com")        // 108 the operator's placeholder
	add(7, client.ContactPhone, "217555017")                 // 109 invalid: 9 digits
	add(8, client.ContactEmail, "ada.example.com")           // 110 invalid
	for c := int64(1); c <= 4; c++ {
		add(c, client.ContactEmail, "office@shop.example") // 111-114 shared by 4 customers
	}
	for c := int64(1); c <= 3; c++ {
		add(c, client.ContactPhone, "2175550100") // 115-117 shared by 3: not more than 3
	}
	add(9, client.ContactPhone, "5555555555") // 118: customer 9 has only a placeholder
	// Customer 10 is inactive and has nothing: not listed.
	return customers, contacts
}

func forEachBackend(t *testing.T, test func(t *testing.T, r Reporter)) {
	for _, backend := range []string{db.SQLite, db.Postgres} {
		t.Run(backend, func(t *testing.T) {
			conn := dbtest.SQLite
			if backend == db.Postgres {
				conn = dbtest.Postgres
			}
			ctx := context.Background()
			store, err := index.Open(ctx, conn(t))
			if err != nil {
				t.Fatal(err)
			}
			own, _ := ParsePlaceholders("nobody", "US")
			rules := Rules{Region: "US", SharedMin: 3, Placeholders: own}
			store.SetChecker(rules.Checker())
			customers, contacts := tenant()
			apply(t, store, index.Page{Feed: index.FeedCustomers, Customers: customers, Next: "c1"})
			apply(t, store, index.Page{Feed: index.FeedContacts, Contacts: contacts, Next: "k1"})
			if _, err := store.Check(ctx); err != nil {
				t.Fatal(err)
			}
			test(t, Reporter{Index: store, Rules: rules})
		})
	}
}

func apply(t *testing.T, s *index.Store, p index.Page) {
	t.Helper()
	f, err := s.Feed(context.Background(), p.Feed)
	if err != nil {
		t.Fatal(err)
	}
	p.From = f.ContinueFrom
	if err := s.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func ids(rows []Row) []int64 {
	var out []int64
	for _, r := range rows {
		if r.ContactID != 0 {
			out = append(out, r.ContactID)
		} else {
			out = append(out, r.CustomerID)
		}
	}
	return out
}

func TestReport(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r Reporter) {
		all := map[Section]int{}
		for _, s := range Sections {
			all[s] = 1
		}
		rep, err := r.Read(context.Background(), all)
		if err != nil {
			t.Fatal(err)
		}
		wantCounts := map[Section]int{PlaceholderPhone: 4, PlaceholderEmail: 3, Invalid: 2, Shared: 4, Unreachable: 2}
		if fmt.Sprint(rep.Counts.Sections) != fmt.Sprint(wantCounts) {
			t.Errorf("counts = %v, want %v", rep.Counts.Sections, wantCounts)
		}
		if rep.Counts.SharedValues != 1 || rep.Counts.Unchecked != 0 {
			t.Errorf("shared values %d, unchecked %d; want 1, 0", rep.Counts.SharedValues, rep.Counts.Unchecked)
		}
		want := map[Section][]int64{
			// By value: 0000000000, 1234567890, 5555555555, 9876543210.
			PlaceholderPhone: {101, 102, 118, 103},
			PlaceholderEmail: {106, 108, 105},
			Invalid:          {109, 110},
			Shared:           {111, 112, 113, 114},
			Unreachable:      {5, 9}, // 5 has only a placeholder email
		}
		for _, l := range rep.Lists {
			if got := ids(l.Rows); !slices.Equal(got, want[l.Section]) {
				t.Errorf("%s lists %v, want %v", l.Section, got, want[l.Section])
			}
			if l.More {
				t.Errorf("%s says it has more", l.Section)
			}
			for _, row := range l.Rows {
				if row.Section != l.Section || row.Why == "" || row.CustomerName == "" {
					t.Errorf("%s row %+v: want its section, a reason and the customer's name", l.Section, row)
				}
			}
		}
		if len(rep.Lists) != len(Sections) {
			t.Errorf("%d lists, want %d", len(rep.Lists), len(Sections))
		}
	})
}

// Each section's rows filter, on both databases (#29, item 5): a number
// as people write it, and a value's part in the shared section.
func TestReportFiltered(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r Reporter) {
		for _, tt := range []struct {
			s      Section
			filter string
			want   []int64
		}{
			{PlaceholderPhone, "555-555-5555", []int64{118}},
			{PlaceholderPhone, "zzyzx", nil},
			{Shared, "zzyzx", nil},
			{Unreachable, "zzyzx", nil},
		} {
			rep, err := r.ReadFiltered(context.Background(), map[Section]int{tt.s: 1}, map[Section]string{tt.s: tt.filter})
			if err != nil {
				t.Fatalf("%s %q: %v", tt.s, tt.filter, err)
			}
			if got := ids(rep.Lists[0].Rows); !slices.Equal(got, tt.want) {
				t.Errorf("%s %q lists %v, want %v", tt.s, tt.filter, got, tt.want)
			}
		}
	})
}

func TestReportPagesAndExports(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r Reporter) {
		ctx := context.Background()
		// 60 more placeholder emails: three pages of 25.
		var contacts []index.Contact
		for i := range int64(60) {
			contacts = append(contacts, index.Contact{ID: 1000 + i, CustomerID: 1, Type: client.ContactEmail,
				Value: fmt.Sprintf("none@host%02d.example", i), ModifiedOn: day})
		}
		apply(t, r.Index, index.Page{Feed: index.FeedContacts, Contacts: contacts, From: "k1", Next: "k2"})
		if rep, _ := r.Read(ctx, nil); rep.Counts.Unchecked != 60 {
			t.Errorf("unchecked = %d, want the 60 new rows", rep.Counts.Unchecked)
		}
		r.Index.Check(ctx)
		rep, err := r.Read(ctx, map[Section]int{PlaceholderEmail: 3})
		if err != nil {
			t.Fatal(err)
		}
		l := rep.Lists[0]
		if rep.Counts.Sections[PlaceholderEmail] != 63 || l.Page != 3 || len(l.Rows) != 13 || l.More {
			t.Errorf("page 3: count %d, page %d, %d rows, more %v; want 63, 3, 13, false",
				rep.Counts.Sections[PlaceholderEmail], l.Page, len(l.Rows), l.More)
		}
		if rep, _ := r.Read(ctx, map[Section]int{PlaceholderEmail: 2}); !rep.Lists[0].More {
			t.Errorf("page 2 of 3 says it is the last")
		}
		n := 0
		if err := r.Each(ctx, PlaceholderEmail, func(Row) error { n++; return nil }); err != nil || n != 63 {
			t.Errorf("Each = %d rows, %v; want 63", n, err)
		}
		var shared []int64
		r.Each(ctx, Shared, func(row Row) error { shared = append(shared, row.ContactID); return nil })
		if fmt.Sprint(shared) != "[111 112 113 114]" {
			t.Errorf("Each(shared) = %v", shared)
		}
	})
}

func TestSharedMin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r Reporter) {
		r.Rules.SharedMin = 2
		rep, err := r.Read(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Counts.SharedValues != 2 || rep.Counts.Sections[Shared] != 7 {
			t.Errorf("with HYGIENE_SHARED_MIN=2: %d values, %d contacts; want 2, 7", rep.Counts.SharedValues, rep.Counts.Sections[Shared])
		}
	})
}

// A value on more customers than a page lists shows its first
// PageValueRows contacts; the export has them all.
func TestSharedValueOnManyCustomers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, r Reporter) {
		ctx := context.Background()
		var customers []index.Customer
		var contacts []index.Contact
		for i := range int64(60) {
			customers = append(customers, index.Customer{ID: 500 + i, Name: fmt.Sprintf("Branch %02d", i), Active: true, ModifiedOn: day})
			contacts = append(contacts, index.Contact{ID: 5000 + i, CustomerID: 500 + i, Type: client.ContactEmail,
				Value: "frontdesk@chain.example", ModifiedOn: day})
		}
		apply(t, r.Index, index.Page{Feed: index.FeedCustomers, Customers: customers, From: "c1", Next: "c2"})
		apply(t, r.Index, index.Page{Feed: index.FeedContacts, Contacts: contacts, From: "k1", Next: "k2"})
		if _, err := r.Index.Check(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := r.Read(ctx, map[Section]int{Shared: 1})
		if err != nil {
			t.Fatal(err)
		}
		byValue := map[string]int{}
		for _, row := range rep.Lists[0].Rows {
			byValue[row.Shared]++
			if row.Shared == "frontdesk@chain.example" && (row.SharedBy != 60 || row.SharedContacts != 60) {
				t.Errorf("row says %d customers, %d contacts; want 60, 60", row.SharedBy, row.SharedContacts)
			}
		}
		if byValue["frontdesk@chain.example"] != PageValueRows || byValue["office@shop.example"] != 4 {
			t.Errorf("page rows by value = %v", byValue)
		}
		if rep.Counts.Sections[Shared] != 64 || rep.Counts.SharedValues != 2 {
			t.Errorf("counts: %d contacts, %d values; want 64, 2", rep.Counts.Sections[Shared], rep.Counts.SharedValues)
		}
		n := 0
		r.Each(ctx, Shared, func(Row) error { n++; return nil })
		if n != 64 {
			t.Errorf("Each(shared) = %d rows, want 64", n)
		}
	})
}
