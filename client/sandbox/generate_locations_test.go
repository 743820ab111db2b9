package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contactdesk/contactdesk/client"
)

func TestGeneratedLocations(t *testing.T) {
	const n = 3000
	a, b := New(WithGeneratedCustomers(n)), New(WithGeneratedCustomers(n))
	taken := map[int64]bool{} // customer and customer contact ids
	for _, cu := range a.Customers() {
		taken[cu.ID] = true
		for _, c := range a.Contacts(cu.ID) {
			taken[c.ID] = true
		}
	}
	perCommercial, perResidential := map[int]int{}, map[int]int{}
	var homesWithContacts, inactiveSites, placeholders, locationCount, contactCount int
	roles := map[string]int{}
	ids := map[int64]bool{}
	for i, cu := range a.Customers()[SeedCustomerCount:] {
		locs := a.Locations(cu.ID)
		if !reflect.DeepEqual(locs, b.Locations(cu.ID)) {
			t.Fatalf("locations of %d differ between servers", cu.ID)
		}
		if cu.Type == "Commercial" {
			perCommercial[len(locs)]++
		} else {
			perResidential[len(locs)]++
		}
		if len(locs) == 0 || locs[0].Name != cu.Name || locs[0].Address != cu.Address {
			t.Errorf("customer %d: locations %+v", cu.ID, locs)
			continue
		}
		start, end := a.gen.slotStart(i), a.gen.slotStart(i+1)
		var lastLocation, lastContact client.Contact // their places in the feeds so far
		for j, l := range locs {
			locationCount++
			if l.ID != a.gen.firstLocation+int64(i*locationsPerGenerated+j) || ids[l.ID] || taken[l.ID] || l.CustomerID != cu.ID {
				t.Errorf("customer %d's location %d has id %d", cu.ID, j, l.ID)
			}
			ids[l.ID] = true
			if got, ok := a.Location(l.ID); !ok || got != l {
				t.Errorf("Location(%d) = %+v, %v", l.ID, got, ok)
			}
			if l.Active && !cu.Active {
				t.Errorf("location %d of an inactive customer is active", l.ID)
			} else if !l.Active && cu.Active {
				inactiveSites++
			}
			if l.CreatedOn.Before(start) || l.ModifiedOn.Before(l.CreatedOn) || !l.ModifiedOn.Before(end) || !l.ModifiedOn.After(lastLocation.ModifiedOn) || l.ModifiedOn.Nanosecond()%100 != 0 {
				t.Errorf("location %d times %v %v, customer %d's slot %v to %v", l.ID, l.CreatedOn, l.ModifiedOn, cu.ID, start, end)
			}
			if l.Address.Street == "" || l.Address.City == "" || l.Name == "" {
				t.Errorf("location %+v", l)
			}
			lastLocation.ModifiedOn = l.ModifiedOn
			cs := a.LocationContacts(l.ID)
			if j == 0 && cu.Type != "Commercial" && len(cs) > 0 {
				homesWithContacts++
			}
			if len(cs) > contactsPerGeneratedLocation || cu.Type == "Commercial" && len(cs) == 0 {
				t.Errorf("location %d has %d contacts", l.ID, len(cs))
			}
			for k, c := range cs {
				contactCount++
				if c.ID != a.gen.firstLocationContact+int64((i*locationsPerGenerated+j)*contactsPerGeneratedLocation+k) || ids[c.ID] || taken[c.ID] {
					t.Errorf("location %d's contact %d has id %d", l.ID, k, c.ID)
				}
				ids[c.ID] = true
				if c.CreatedOn.Before(l.CreatedOn) || c.ModifiedOn.Before(c.CreatedOn) || !c.ModifiedOn.Before(end) || !c.ModifiedOn.After(lastContact.ModifiedOn) {
					t.Errorf("location contact %d times %v %v", c.ID, c.CreatedOn, c.ModifiedOn)
				}
				lastContact.ModifiedOn = c.ModifiedOn
				if (c.PhoneSettings != nil) != c.Type.IsPhoneNumber() {
					t.Errorf("location contact %s", jsonOf(c))
				}
				if slices.Contains(PlaceholderPhones, c.Value) || slices.Contains(PlaceholderEmails, c.Value) {
					placeholders++
				}
				role, _, _ := strings.Cut(c.Memo, " - ")
				roles[role]++
				for _, o := range cs[k+1:] {
					if sameValue(c.Type, c.Value, o.Type, o.Value) {
						t.Errorf("location %d: contacts %d and %d duplicate %q", l.ID, c.ID, o.ID, c.Value)
					}
				}
			}
		}
		if j := len(locs); j < locationsPerGenerated {
			if _, ok := a.Location(a.gen.firstLocation + int64(i*locationsPerGenerated+j)); ok {
				t.Errorf("customer %d: a location past its last", cu.ID)
			}
		}
	}
	t.Logf("%d customers: %d locations, %d contacts; commercial %v, residential %v; %d homes with contacts, %d inactive sites, %d placeholders; roles %v",
		n, locationCount, contactCount, perCommercial, perResidential, homesWithContacts, inactiveSites, placeholders, roles)
	several := 0
	for k, v := range perCommercial {
		if k >= 5 {
			several += v
		}
		if k > locationsPerGenerated {
			t.Errorf("%d customers with %d locations", v, k)
		}
	}
	if several == 0 || perCommercial[1] == 0 || perResidential[2] == 0 || len(perResidential) != 2 || homesWithContacts == 0 || inactiveSites == 0 || placeholders == 0 {
		t.Error("locations do not look like a real tenant's")
	}
	for _, role := range []string{"Tenant", "Site manager", "Gate phone", "Neighbor"} {
		if roles[role] == 0 {
			t.Errorf("no %q contact", role)
		}
	}
	if locationCount < n || locationCount > 2*n {
		t.Errorf("%d locations for %d customers", locationCount, n)
	}
}

// The API sees generated locations as it sees seed ones, and stores a
// generated customer once one of its locations' contacts changes.
func TestGeneratedLocationsThroughTheAPI(t *testing.T) {
	h := newHarness(t, WithGeneratedCustomers(2000))
	var site client.Location
	for i := 1500; site.ID == 0; i++ {
		for _, l := range h.s.Locations(h.s.gen.customerID(i)) {
			if len(h.s.LocationContacts(l.ID)) >= 2 && site.ID == 0 {
				site = l
			}
		}
	}
	cs := h.s.LocationContacts(site.ID)

	t.Run("ok, get, list and search", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, fmt.Sprintf("/locations/%d", site.ID), "")
		wantStatus(t, resp, body, http.StatusOK)
		var got client.Location
		mustUnmarshal(t, body, &got)
		if got != site {
			t.Errorf("got %+v, want %+v", got, site)
		}
		byCustomer := h.listLocations(fmt.Sprintf("active=any&customerId=%d", site.CustomerID))
		if !slices.Equal(locationIDs(byCustomer.Data), locIDs(h.s.Locations(site.CustomerID))) {
			t.Errorf("by customer: %v", locationIDs(byCustomer.Data))
		}
		byStreet := h.listLocations("active=any&pageSize=500&street=" + url.QueryEscape(site.Address.Street))
		if !slices.Contains(locationIDs(byStreet.Data), site.ID) {
			t.Errorf("by street %q: %v", site.Address.Street, locationIDs(byStreet.Data))
		}
		resp, body = h.call(http.MethodGet, fmt.Sprintf("/locations/%d/contacts", site.ID), "")
		wantStatus(t, resp, body, http.StatusOK)
		var page pageBody[contactBody]
		mustUnmarshal(t, body, &page)
		if len(page.Data) != len(cs) {
			t.Errorf("%d contacts listed, %d stored", len(page.Data), len(cs))
		}
	})
	t.Run("ok, a change is kept, Reset forgets it", func(t *testing.T) {
		resp, body := h.call(http.MethodPatch, h.locationContactPath(site.ID, cs[0].ID), `{"memo":"Gate code 4411"}`)
		wantStatus(t, resp, body, http.StatusOK)
		if got := h.locationContact(site.ID, cs[0].ID); got.Memo != "Gate code 4411" {
			t.Errorf("memo = %q", got.Memo)
		}
		resp, body = h.call(http.MethodDelete, h.locationContactPath(site.ID, cs[1].ID), "")
		wantStatus(t, resp, body, http.StatusOK)
		resp, body = h.call(http.MethodPost, fmt.Sprintf("/locations/%d/contacts", site.ID), `{"type":"Email","value":"new.site@example.com"}`)
		wantStatus(t, resp, body, http.StatusOK)
		var created contactBody
		mustUnmarshal(t, body, &created)
		if created.ID <= h.s.gen.lastLocationContactID() {
			t.Errorf("new contact id %d is a generated one's", created.ID)
		}
		if got := h.s.LocationContacts(site.ID); len(got) != len(cs) {
			t.Errorf("contacts %s", jsonOf(got))
		}
		h.s.Reset()
		if !reflect.DeepEqual(h.s.LocationContacts(site.ID), cs) {
			t.Error("Reset did not restore the generated location")
		}
	})
}
