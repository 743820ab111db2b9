package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// Paging through 41 matches 20 at a time gives pages of 20, 20 and 1:
// together every match once, the last one included.
func TestSearchPagesKeepTheLastResult(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var customers []Customer
		for i := range 41 {
			customers = append(customers, Customer{ID: int64(5001 + i), Name: fmt.Sprintf("Pagewell %02d", i),
				Address: client.Address{Street: "1 Main St", City: "Springfield"}, Active: true, ModifiedOn: day})
		}
		if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"}); err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for page, want := range []int{20, 20, 1} {
			res, err := s.Search(ctx, ParseQuery("pagewell"), page+1, 20)
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != 41 || len(res.Results) != want || res.More != (page < 2) {
				t.Fatalf("page %d: %d results of %d, more %v; want %d of 41, more %v", page+1, len(res.Results), res.Total, res.More, want, page < 2)
			}
			for _, r := range res.Results {
				if seen[r.Customer.ID] {
					t.Errorf("customer %d on two pages", r.Customer.ID)
				}
				seen[r.Customer.ID] = true
			}
		}
		if len(seen) != 41 {
			t.Errorf("the pages hold %d customers together, want 41", len(seen))
		}
		if res, _ := s.Search(ctx, ParseQuery("pagewell"), 4, 20); len(res.Results) != 0 || res.More {
			t.Errorf("page 4: %d results, more %v; want none", len(res.Results), res.More)
		}
	})
}

// Search ranks candidates first and reads only its page's whole: a
// candidate whose customer, contact or location is gone by then (a
// sync in between) is left out, the others keep their order and what
// matched.
func TestSearchReadsOnlyItsPageWhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		page := []*candidate{
			{customerID: 1004, rank: RankOther, field: "address", locationID: 5002},
			{customerID: 9999, rank: RankOther, field: "name"}, // customer gone
			{customerID: 1001, rank: RankOther, field: "value", contactID: 6001, locationID: 5001},
			{customerID: 1002, rank: RankOther, field: "value", contactID: 2999}, // contact gone
			{customerID: 1003, rank: RankOther, field: "name", locationID: 5999}, // location gone
			{customerID: 1002, rank: RankName, field: "name"},
		}
		got, err := s.readResults(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			customer, contact, location int64
			field                       string
		}
		var rows []row
		for _, r := range got {
			x := row{customer: r.Customer.ID, field: r.Field}
			if r.Contact != nil {
				x.contact = r.Contact.ID
			}
			if r.Location != nil {
				x.location = r.Location.ID
			}
			rows = append(rows, x)
		}
		want := []row{{1004, 0, 5002, "address"}, {1001, 6001, 5001, "value"}, {1002, 0, 0, "name"}}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("results %v, want %v", rows, want)
		}
		if got, err := s.readResults(ctx, nil); err != nil || got != nil {
			t.Errorf("no page: %v, %v", got, err)
		}
	})
}
