package index

import (
	"context"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

// The bulk preview finds contacts by value and by id, in batches, never a
// removed one.
func TestLookups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		byValue, err := s.ContactsByValue(ctx, []string{"2175550177", "ada@example.com", "zoe@fjord.example", "nobody@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if len(byValue) != 3 || byValue["2175550177"][0].ID != 2001 || byValue["ada@example.com"][0].CustomerID != 1001 {
			t.Errorf("by value: %+v", byValue)
		}
		mustRemove(t, s, client.CustomerOwner(1001), 2001)
		byValue, _ = s.ContactsByValue(ctx, []string{"2175550177"})
		if len(byValue) != 0 {
			t.Errorf("a removed contact was found by its value: %+v", byValue)
		}
		many := make([]int64, 0, 1200)
		for i := range 1200 {
			many = append(many, int64(i+1))
		}
		many = append(many, 2002, 2001)
		byID, err := s.ContactsByID(ctx, many)
		if err != nil || len(byID) != 1 || byID[2002].Value != "ada@example.com" {
			t.Errorf("by id: %+v, %v", byID, err)
		}
		customers, err := s.CustomersByID(ctx, []int64{1001, 1002, 99})
		if err != nil || len(customers) != 2 || customers[1002].Name != "Zoë Åkesson-Nuñez" {
			t.Errorf("customers by id: %+v, %v", customers, err)
		}
	})
}
