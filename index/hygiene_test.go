package index

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// zeros is a checker that finds one problem: a number of zeros.
func zeros(key string) Checker {
	return Checker{Key: key, Classify: func(t client.ContactType, v string) string {
		if t.IsPhoneNumber() && v == "0000000000" {
			return "placeholder-phone"
		}
		return ""
	}}
}

func problems(t *testing.T, s *Store, problem string) []int64 {
	t.Helper()
	var ids []int64
	if err := s.WithProblem(context.Background(), problem, 0, -1, func(l Listed) error {
		ids = append(ids, l.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ids
}

// Feed pages are written unchecked and Check classifies them; the app's
// own writes are classified as they are written; new rules check every
// row again.
func TestCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.SetChecker(zeros("one"))
		load(t, s)
		applyAt(ctx, s, Page{Feed: FeedContacts, Next: "k2", Contacts: []Contact{
			{ID: 2101, CustomerID: 1004, Type: client.ContactPhone, Value: "0000000000", ModifiedOn: day},
			{ID: 2102, CustomerID: 1003, Type: client.ContactPhone, Value: "0000000000", ModifiedOn: day, Removed: true},
		}})
		if n, _ := s.Unchecked(ctx); n != 9 {
			t.Fatalf("unchecked after the pages = %d, want 9", n)
		}
		if got := problems(t, s, "placeholder-phone"); len(got) != 0 {
			t.Fatalf("problems before a check = %v", got)
		}
		if n, err := s.Check(ctx); err != nil || n != 9 {
			t.Fatalf("Check = %d, %v; want 9", n, err)
		}
		if got := problems(t, s, "placeholder-phone"); fmt.Sprint(got) != "[2101]" {
			t.Fatalf("problems = %v, want [2101] (2102 is removed)", got)
		}
		if n, _ := s.Check(ctx); n != 0 {
			t.Errorf("a second Check checked %d rows again", n)
		}

		// The app writes a placeholder, then fixes another one.
		mustWrite(t, s, client.CustomerOwner(1001), client.Contact{ID: 2103, Type: client.ContactMobilePhone, Value: "0000000000", ModifiedOn: day.Add(1)})
		mustWrite(t, s, client.CustomerOwner(1004), client.Contact{ID: 2101, Type: client.ContactPhone, Value: "3095550199", ModifiedOn: day.Add(1)})
		if got := problems(t, s, "placeholder-phone"); fmt.Sprint(got) != "[2103]" {
			t.Errorf("after the app's writes problems = %v, want [2103]", got)
		}
		if n, _ := s.Unchecked(ctx); n != 0 {
			t.Errorf("the app's writes left %d rows unchecked", n)
		}
		mustRemove(t, s, client.CustomerOwner(1001), 2103)
		if got := problems(t, s, "placeholder-phone"); len(got) != 0 {
			t.Errorf("a removed placeholder is still listed: %v", got)
		}
		counts, err := s.ProblemCounts(ctx)
		if err != nil || len(counts) != 0 {
			t.Errorf("ProblemCounts = %v, %v; want none", counts, err)
		}

		// A feed row changes a value: it is unchecked until the next check.
		applyAt(ctx, s, Page{Feed: FeedContacts, Next: "k3", Contacts: []Contact{
			{ID: 2005, CustomerID: 1004, Type: client.ContactPhone, Value: "0000000000", ModifiedOn: day.Add(2)}}})
		s.Check(ctx)
		if counts, _ := s.ProblemCounts(ctx); counts["placeholder-phone"] != 1 {
			t.Errorf("ProblemCounts after a feed change = %v", counts)
		}

		// New rules: every row is checked again.
		s.SetChecker(Checker{Key: "two", Classify: func(client.ContactType, string) string { return "" }})
		if n, err := s.Check(ctx); err != nil || n != 10 {
			t.Errorf("Check under new rules = %d, %v; want every row (10)", n, err)
		}
		if counts, _ := s.ProblemCounts(ctx); len(counts) != 0 {
			t.Errorf("the old rules' problems stay: %v", counts)
		}
	})
}

func TestSharedAndUnreachable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.SetChecker(zeros("one"))
		var customers []Customer
		var contacts []Contact
		for i := range int64(6) {
			customers = append(customers, Customer{ID: 100 + i, Name: fmt.Sprintf("Customer %d", i), Active: true, ModifiedOn: day})
		}
		customers = append(customers, Customer{ID: 110, Name: "Gone Ltd", Active: false, ModifiedOn: day})
		add := func(id, customer int64, kind client.ContactType, value string, removed bool) {
			contacts = append(contacts, Contact{ID: id, CustomerID: customer, Type: kind, Value: value, ModifiedOn: day, Removed: removed})
		}
		// office@ is on customers 100-104 (twice on 100), front desk's
		// number on 100-103, zeros on everyone: a placeholder, not shared.
		for i := range int64(5) {
			add(200+i, 100+i, client.ContactEmail, "Office@Shop.example", false)
		}
		add(206, 100, client.ContactEmail, "office@shop.example", false)
		for i := range int64(4) {
			add(210+i, 100+i, client.ContactPhone, "2175550100", false)
		}
		add(214, 104, client.ContactPhone, "2175550100", true) // removed: not counted
		for i := range int64(6) {
			add(220+i, 100+i, client.ContactPhone, "0000000000", false)
		}
		// Customer 105 has a placeholder and a fax: unreachable. 110 is
		// inactive: not listed.
		add(230, 105, client.ContactFax, "2175550111", false)
		applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"})
		applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1"})
		if _, err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}

		shared, err := s.SharedValues(ctx, 3, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		want := []SharedValue{{"office@shop.example", 5, 6}, {"2175550100", 4, 4}}
		if !slices.Equal(shared, want) {
			t.Errorf("SharedValues(3) = %v, want %v", shared, want)
		}
		if shared, _ := s.SharedValues(ctx, 4, 0, -1); len(shared) != 1 {
			t.Errorf("SharedValues(4) = %v, want office@ alone (more than 4 customers)", shared)
		}
		var ids []int64
		s.WithValues(ctx, []string{"2175550100"}, func(l Listed) error {
			ids = append(ids, l.ID)
			if l.CustomerName == "" || !l.CustomerActive {
				t.Errorf("listed without its customer: %+v", l)
			}
			return nil
		})
		if fmt.Sprint(ids) != "[210 211 212 213]" {
			t.Errorf("WithValues = %v", ids)
		}

		n, err := s.CountUnreachable(ctx)
		if err != nil || n != 1 {
			t.Errorf("CountUnreachable = %d, %v; want 1", n, err)
		}
		var names []string
		s.Unreachable(ctx, 0, -1, func(c Customer) error { names = append(names, c.Name); return nil })
		if fmt.Sprint(names) != "[Customer 5]" {
			t.Errorf("Unreachable = %v", names)
		}

		// The app's own writes change the summary at once: a shared
		// email removed from customer 104 (who has only a placeholder
		// left, so becomes unreachable), a number given to 105.
		mustRemove(t, s, client.CustomerOwner(104), 204)
		mustWrite(t, s, client.CustomerOwner(105), client.Contact{ID: 231, Type: client.ContactMobilePhone, Value: "2175550112", ModifiedOn: day.Add(1)})
		want = []SharedValue{{"2175550100", 4, 4}, {"office@shop.example", 4, 5}}
		if shared, _ := s.SharedValues(ctx, 3, 0, -1); !slices.Equal(shared, want) {
			t.Errorf("after a removal SharedValues(3) = %v, want %v", shared, want)
		}
		names = nil
		s.Unreachable(ctx, 0, -1, func(c Customer) error { names = append(names, c.Name); return nil })
		if fmt.Sprint(names) != "[Customer 4]" {
			t.Errorf("after the writes Unreachable = %v, want [Customer 4]", names)
		}
		if err := s.Summarize(ctx); err != nil {
			t.Fatal(err)
		}
		if shared, _ := s.SharedValues(ctx, 3, 0, -1); !slices.Equal(shared, want) {
			t.Errorf("a full Summarize disagrees with the writes': %v", shared)
		}
		if n, _ := s.CountUnreachable(ctx); n != 1 {
			t.Errorf("a full Summarize counts %d unreachable", n)
		}

		var page []int64
		s.WithProblem(ctx, "placeholder-phone", 2, 3, func(l Listed) error { page = append(page, l.ID); return nil })
		if fmt.Sprint(page) != "[222 223 224]" {
			t.Errorf("page 2 of 3 = %v", page)
		}
	})
}

// After the backfill, a feed page's changes are counted again for the
// values and customers it touched, the value a contact held before
// included; the result is what a whole Summarize finds.
func TestSummaryFollowsFeedPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.SetChecker(zeros("one"))
		var customers []Customer
		var contacts []Contact
		for i := range int64(5) {
			customers = append(customers, Customer{ID: 100 + i, Name: fmt.Sprintf("Customer %d", i), Active: true, ModifiedOn: day})
			contacts = append(contacts, Contact{ID: 200 + i, CustomerID: 100 + i, Type: client.ContactPhone, Value: "2175550100", ModifiedOn: day})
		}
		customers = append(customers, Customer{ID: 110, Name: "Nobody Reaches", Active: true, ModifiedOn: day})
		applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"})
		applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1"})
		s.Check(ctx)
		if shared, _ := s.SharedValues(ctx, 3, 0, -1); len(shared) != 1 || shared[0].Customers != 5 {
			t.Fatalf("after the backfill: %v", shared)
		}
		// Two contacts move to another number; customer 110 closes.
		applyAt(ctx, s, Page{Feed: FeedContacts, Next: "k2", Contacts: []Contact{
			{ID: 203, CustomerID: 103, Type: client.ContactPhone, Value: "2175550199", ModifiedOn: day.Add(1)},
			{ID: 204, CustomerID: 104, Type: client.ContactPhone, Value: "2175550199", ModifiedOn: day.Add(1)}}})
		applyAt(ctx, s, Page{Feed: FeedCustomers, Next: "c2", Customers: []Customer{
			{ID: 110, Name: "Nobody Reaches", Active: false, ModifiedOn: day.Add(1)}}})
		if _, err := s.Check(ctx); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			shared, _ := s.SharedValues(ctx, 2, 0, -1)
			if len(shared) != 1 || shared[0] != (SharedValue{"2175550100", 3, 3}) {
				t.Errorf("%s: SharedValues(2) = %v, want 2175550100 on 3", when, shared)
			}
			if shared, _ := s.SharedValues(ctx, 1, 0, -1); len(shared) != 2 {
				t.Errorf("%s: SharedValues(1) = %v, want the new number too", when, shared)
			}
			if n, _ := s.CountUnreachable(ctx); n != 0 {
				t.Errorf("%s: %d unreachable, want 0 (110 is inactive)", when, n)
			}
		}
		check("after the pages")
		var dirty int
		s.db.QueryRow(`SELECT COUNT(*) FROM index_dirty`).Scan(&dirty)
		if dirty != 0 {
			t.Errorf("%d touched values left after the check", dirty)
		}
		if err := s.Summarize(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a whole Summarize")
	})
}

// Check classifies each distinct value once, however many contacts hold
// it and however many batches they span, and finds every row's problem.
func TestCheckClassifiesEachValueOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		defer func(n int) { checkBatch = n }(checkBatch)
		checkBatch = 200
		calls := map[string]int{}
		s.SetChecker(Checker{Key: "count", Classify: func(ct client.ContactType, v string) string {
			calls[string(ct)+" "+v]++
			return zeros("").Classify(ct, v)
		}})
		applyAt(ctx, s, Page{Feed: FeedCustomers, Next: "c1", Customers: []Customer{{ID: 1, Name: "Many", Active: true, ModifiedOn: day}}})
		// Two and a half batches: every tenth row the zeros, the rest one
		// of 50 numbers, and the zeros as an email once.
		rows := checkBatch*5/2 + 1
		var contacts []Contact
		for i := range rows {
			c := Contact{ID: int64(1 + i), CustomerID: 1, Type: client.ContactPhone, ModifiedOn: day,
				Value: fmt.Sprintf("21755501%02d", i%50)}
			if i%10 == 0 {
				c.Value = "0000000000"
			}
			contacts = append(contacts, c)
		}
		contacts = append(contacts, Contact{ID: int64(rows + 1), CustomerID: 1, Type: client.ContactEmail, ModifiedOn: day, Value: "0000000000"})
		for page := range slices.Chunk(contacts, 100) {
			if err := applyAt(ctx, s, Page{Feed: FeedContacts, Next: fmt.Sprint("k", page[0].ID), Contacts: page}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.Check(ctx); err != nil || n != len(contacts) {
			t.Fatalf("Check = %d, %v; want %d", n, err, len(contacts))
		}
		// 45 numbers (the rows of the other 5 hold the zeros), the zeros,
		// the email: 47.
		if len(calls) != 47 {
			t.Errorf("%d distinct values classified, want 47", len(calls))
		}
		for v, n := range calls {
			if n != 1 {
				t.Errorf("%s classified %d times, want once", v, n)
			}
		}
		if got := len(problems(t, s, "placeholder-phone")); got != (rows+9)/10 {
			t.Errorf("%d placeholders found, want %d", got, (rows+9)/10)
		}
		if n, _ := s.Unchecked(ctx); n != 0 {
			t.Errorf("%d rows left unchecked", n)
		}
	})
}
