package index

import (
	"context"
	"fmt"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// `_`, `%` and `\` in a query are the characters typed, never LIKE's
// wildcards: `a_b_c@` as a wildcard matched every aXbYc@ address, the
// trigram index could not narrow it (a full scan, 1.27 s over 890,000
// contacts), and the candidates it stopped at could leave the one address
// asked for out.
func TestSearchWildcardsAreLiteral(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		customers := []Customer{{ID: 1, Name: "Many Addresses", Active: true, ModifiedOn: day},
			{ID: 2, Name: "Underscore Person", Active: true, ModifiedOn: day},
			{ID: 3, Name: "Percent Person", Active: true, ModifiedOn: day}}
		var contacts []Contact
		const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
		id := int64(3000)
		// More look-alikes than a query's candidates, before the real one.
		for i := range maxCandidates + 100 {
			a, b := alnum[i%len(alnum)], alnum[i/len(alnum)%len(alnum)]
			contacts = append(contacts,
				Contact{ID: id + 1, CustomerID: 1, Type: client.ContactEmail, Value: fmt.Sprintf("q%cz%cw@example.com", a, b), ModifiedOn: day},
				Contact{ID: id + 2, CustomerID: 1, Type: client.ContactEmail, Value: fmt.Sprintf("%c@x%cy.example", a, b), ModifiedOn: day})
			id += 2
		}
		contacts = append(contacts,
			Contact{ID: id + 1, CustomerID: 2, Type: client.ContactEmail, Value: "q_z_w@example.com", ModifiedOn: day},
			Contact{ID: id + 2, CustomerID: 2, Type: client.ContactEmail, Value: "_@x_y.example", ModifiedOn: day},
			Contact{ID: id + 3, CustomerID: 3, Type: client.ContactEmail, Value: `pc%t\back@example.com`, Memo: "ask for 100%", ModifiedOn: day})
		if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"}); err != nil {
			t.Fatal(err)
		}
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			q    string
			want int64
		}{
			{"q_z_w@example.com", 2},
			{"q_z_w@", 2},
			{"z_w@example", 2},
			{"_@x_y.example", 2},
			{"_@x_y", 2},
			{`pc%t\back@example.com`, 3},
			{`t\back@`, 3},
		} {
			res, err := s.Search(ctx, ParseQuery(tt.q), 1, 10)
			if err != nil {
				t.Fatalf("%q: %v", tt.q, err)
			}
			if len(res.Results) != 1 || res.Results[0].Customer.ID != tt.want {
				var got []int64
				for _, r := range res.Results {
					got = append(got, r.Customer.ID)
				}
				t.Errorf("%q found %v, want [%d]", tt.q, got, tt.want)
			}
		}
		// The look-alikes are still found by what they hold.
		if res, err := s.Search(ctx, ParseQuery("a@x0y.example"), 1, 10); err != nil || len(res.Results) != 1 || res.Results[0].Customer.ID != 1 {
			t.Errorf("a@x0y.example: %+v, %v", res, err)
		}
	})
}

// A page far past the results is empty, whatever its number.
func TestSearchPageFarPastTheEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		for _, page := range []int{2, 922337203685477582, int(^uint(0) >> 1)} {
			res, err := s.Search(context.Background(), ParseQuery("lovelace"), page, 20)
			if err != nil || len(res.Results) != 0 || res.More || res.Total != 2 {
				t.Errorf("page %d: %+v, %v", page, res, err)
			}
		}
	})
}
