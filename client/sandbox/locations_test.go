package sandbox

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

func (h *harness) locationContactPath(locationID, contactID int64) string {
	return fmt.Sprintf("/locations/%d/contacts/%d", locationID, contactID)
}

func (h *harness) locationContact(locationID, contactID int64) client.Contact {
	h.t.Helper()
	c, ok := h.s.LocationContact(locationID, contactID)
	if !ok {
		h.t.Fatalf("location contact %d/%d not found", locationID, contactID)
	}
	return c
}

// listLocations asks GET /locations?query and returns the page.
func (h *harness) listLocations(query string) pageBody[locationBody] {
	h.t.Helper()
	resp, body := h.call(http.MethodGet, "/locations?"+query, "")
	wantStatus(h.t, resp, body, http.StatusOK)
	var p pageBody[locationBody]
	mustUnmarshal(h.t, body, &p)
	return p
}

func locationIDs(locs []locationBody) []int64 {
	ids := make([]int64, len(locs))
	for i, l := range locs {
		ids[i] = l.ID
	}
	return ids
}

// Adding locations changed none of the customers and contacts the seed
// and the generator made before (the digest is of what they made then).
func TestLocationsLeaveCustomersAsTheyWere(t *testing.T) {
	s := New(WithGeneratedCustomers(3000))
	h := sha256.New()
	for _, c := range s.Customers() {
		b, _ := json.Marshal(c)
		h.Write(b)
		b, _ = json.Marshal(s.Contacts(c.ID))
		h.Write(b)
	}
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != "7112303c21fb409d1704052541783b1c0e6abb4b939ea7f44e7fc10391a59a2d" {
		t.Errorf("the seed or generated customers changed: digest %s", got)
	}
}

func TestSeedLocations(t *testing.T) {
	a, b := New(), New()
	phonePattern := regexp.MustCompile(`^\d{3}55501\d{2}$`)
	customerIDs, contactIDs := map[int64]bool{}, map[int64]bool{}
	phones := map[string]int64{} // every seed number, customers' and locations', once
	for _, cu := range a.Customers() {
		customerIDs[cu.ID] = true
		for _, c := range a.Contacts(cu.ID) {
			contactIDs[c.ID] = true
			if c.Type.IsPhoneNumber() {
				phones[c.Value] = c.ID
			}
		}
	}
	locationIDs, locationContactIDs := map[int64]bool{}, map[int64]bool{}
	for _, cu := range a.Customers() {
		locs := a.Locations(cu.ID)
		if !reflect.DeepEqual(locs, b.Locations(cu.ID)) {
			t.Errorf("locations of %d differ between servers", cu.ID)
		}
		if len(locs) == 0 {
			t.Errorf("customer %d has no location", cu.ID)
			continue
		}
		if home := locs[0]; home.Name != cu.Name || home.Address != cu.Address || !home.CreatedOn.Equal(cu.CreatedOn) {
			t.Errorf("customer %d's first location %+v is not its home", cu.ID, home)
		}
		for _, l := range locs {
			if locationIDs[l.ID] || l.ID < SeedLocationID || customerIDs[l.ID] || contactIDs[l.ID] || l.CustomerID != cu.ID {
				t.Errorf("location %+v: id repeated, out of its range or another record's", l)
			}
			locationIDs[l.ID] = true
			if !cu.Active && l.Active {
				t.Errorf("location %d of inactive customer %d is active", l.ID, cu.ID)
			}
			if l.ModifiedOn.Before(l.CreatedOn) || l.ModifiedOn.After(seedNow) || l.CreatedOn.Before(cu.CreatedOn) || l.ModifiedOn.Nanosecond()%100 != 0 {
				t.Errorf("location %d times %v %v", l.ID, l.CreatedOn, l.ModifiedOn)
			}
			if got, ok := a.Location(l.ID); !ok || got != l {
				t.Errorf("Location(%d) = %+v, %v", l.ID, got, ok)
			}
			cs := a.LocationContacts(l.ID)
			if !reflect.DeepEqual(cs, b.LocationContacts(l.ID)) {
				t.Errorf("contacts of location %d differ between servers", l.ID)
			}
			for i, c := range cs {
				if locationContactIDs[c.ID] || c.ID < SeedLocationContactID || contactIDs[c.ID] || locationIDs[c.ID] {
					t.Errorf("location contact %d: id repeated, out of its range or another record's", c.ID)
				}
				locationContactIDs[c.ID] = true
				if msg := validateValue(c.Type, c.Value); msg != "" || c.Memo == "" {
					t.Errorf("location contact %s: %s", jsonOf(c), msg)
				}
				if c.Type.IsPhoneNumber() {
					if other, dup := phones[c.Value]; dup || !phonePattern.MatchString(c.Value) || c.PhoneSettings == nil || c.PhoneSettings.PhoneNumber != c.Value {
						t.Errorf("location contact %s: number not of the seed's form, or contact %d's", jsonOf(c), other)
					}
					phones[c.Value] = c.ID
				}
				if c.ModifiedOn.Before(c.CreatedOn) || c.CreatedOn.Before(l.CreatedOn) || c.ModifiedOn.After(seedNow) {
					t.Errorf("location contact %d times %v %v", c.ID, c.CreatedOn, c.ModifiedOn)
				}
				for _, o := range cs[i+1:] {
					if sameValue(c.Type, c.Value, o.Type, o.Value) {
						t.Errorf("location %d: contacts %d and %d duplicate %q", l.ID, c.ID, o.ID, c.Value)
					}
				}
			}
		}
	}
	if len(locationIDs) != SeedLocationCount {
		t.Errorf("%d locations, want %d", len(locationIDs), SeedLocationCount)
	}

	t.Run("ok, Ada's home has contacts of its own", func(t *testing.T) {
		l, ok := a.Location(SeedLocationID)
		cs := a.LocationContacts(SeedLocationID)
		if !ok || l.CustomerID != SeedCustomerID || len(cs) != 2 {
			t.Fatalf("location %+v, contacts %s", l, jsonOf(cs))
		}
		if c := cs[0]; c.ID != SeedLocationContactID || c.Type != client.ContactMobilePhone || c.Value != SeedLocationContactValue || !strings.Contains(c.Memo, "has a key") {
			t.Errorf("first contact %s", jsonOf(c))
		}
		if c := cs[1]; c.ID != SeedLocationGateContactID || c.Type != client.ContactPhone || c.Value != SeedLocationGateValue || c.Preferences != nil {
			t.Errorf("second contact %s", jsonOf(c))
		}
	})
	t.Run("ok, the property manager's sites each have a manager, a gate phone and a tenant", func(t *testing.T) {
		locs := a.Locations(SeedManyLocationsCustomerID)
		if len(locs) != SeedManyLocationsCount || len(locs) < 5 || len(locs) > 12 {
			t.Fatalf("%d locations", len(locs))
		}
		sites := 0
		for _, l := range locs[1:] {
			cs := a.LocationContacts(l.ID)
			if !l.Active {
				continue
			}
			sites++
			var manager, gate, tenant bool
			for _, c := range cs {
				manager = manager || c.Type == client.ContactMobilePhone && strings.Contains(c.Memo, "manager") || strings.Contains(c.Memo, "Superintendent")
				gate = gate || c.Type == client.ContactPhone && strings.HasPrefix(c.Memo, "Gate phone")
				tenant = tenant || c.Type == client.ContactEmail && strings.HasPrefix(c.Memo, "Tenant - ")
			}
			if !manager || !gate || !tenant {
				t.Errorf("%s: %s", l.Name, jsonOf(cs))
			}
		}
		if sites != 7 {
			t.Errorf("%d active sites", sites)
		}
		merged, _ := a.Location(SeedMergedLocationID)
		a.mu.Lock()
		_, rec, _ := a.locationLocked(SeedMergedLocationID)
		a.mu.Unlock()
		if merged.Active || rec.mergedToID != SeedMergedIntoLocationID || merged.CustomerID != SeedManyLocationsCustomerID {
			t.Errorf("merged location %+v into %d", merged, rec.mergedToID)
		}
	})
	t.Run("ok, Maria's rental has its tenant", func(t *testing.T) {
		cs := a.LocationContacts(SeedRentalLocationID)
		if l, _ := a.Location(SeedRentalLocationID); l.CustomerID != SeedFiveFlagCustomerID || len(cs) != 2 || !strings.HasPrefix(cs[0].Memo, "Tenant") {
			t.Errorf("rental %+v: %s", l, jsonOf(cs))
		}
	})
}

func TestGetLocation(t *testing.T) {
	h := newHarness(t)
	resp, body := h.call(http.MethodGet, fmt.Sprintf("/locations/%d", SeedLocationID), "")
	wantStatus(t, resp, body, http.StatusOK)
	var raw map[string]json.RawMessage
	mustUnmarshal(t, body, &raw)
	for _, k := range []string{"id", "customerId", "active", "name", "address", "customFields", "createdOn", "createdById", "modifiedOn", "mergedToId", "tagTypeIds", "externalData"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("location lacks %q: %s", k, body)
		}
	}
	if string(raw["mergedToId"]) != "null" || string(raw["createdOn"]) != `"2023-05-09T15:42:07.1234567Z"` {
		t.Errorf("mergedToId %s, createdOn %s", raw["mergedToId"], raw["createdOn"])
	}
	var got client.Location
	mustUnmarshal(t, body, &got)
	if want, _ := h.s.Location(SeedLocationID); got != want {
		t.Errorf("decoded %+v\nstored  %+v", got, want)
	}

	resp, body = h.call(http.MethodGet, fmt.Sprintf("/locations/%d", SeedMergedLocationID), "")
	wantStatus(t, resp, body, http.StatusOK)
	var merged locationBody
	mustUnmarshal(t, body, &merged)
	if merged.MergedToID == nil || *merged.MergedToID != SeedMergedIntoLocationID || merged.Active {
		t.Errorf("merged location %s", body)
	}

	for _, tt := range []struct {
		name, path string
		status     int
		title      string
	}{
		{"nok, unknown location", "/locations/100999999", 404, TitleLocationNotFound},
		{"nok, a customer's id is no location's", fmt.Sprintf("/locations/%d", SeedCustomerID), 404, TitleLocationNotFound},
		{"nok, malformed id", "/locations/abc", 400, TitleValidation},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodGet, tt.path, "")
			wantProblem(t, resp, body, tt.status, tt.title)
		})
	}
}

func TestListLocations(t *testing.T) {
	h := newHarness(t)
	oakridge := h.s.Locations(SeedManyLocationsCustomerID)
	var activeOakridge []int64
	for _, l := range oakridge {
		if l.Active {
			activeOakridge = append(activeOakridge, l.ID)
		}
	}
	for _, tt := range []struct {
		name, query string
		want        []int64
	}{
		{"ok, a customer's active locations", fmt.Sprintf("customerId=%d", SeedManyLocationsCustomerID), activeOakridge},
		{"ok, all of them", fmt.Sprintf("customerId=%d&active=Any", SeedManyLocationsCustomerID), locIDs(oakridge)},
		{"ok, inactive ones", fmt.Sprintf("customerId=%d&active=false", SeedManyLocationsCustomerID), []int64{oakridge[8].ID, oakridge[9].ID}},
		{"ok, by ids, in id order", fmt.Sprintf("ids=%d,%d,100999999", SeedRentalLocationID, SeedLocationID), []int64{SeedLocationID, SeedRentalLocationID}},
		{"ok, by name, any case", "name=MAPLE", []int64{oakridge[1].ID}},
		{"ok, by name, inactive too", "name=maple&active=any", []int64{oakridge[1].ID, SeedMergedLocationID}},
		{"ok, by street", "street=bluebonnet", []int64{SeedRentalLocationID}},
		{"ok, by street and city", "street=Analytical&city=springfield&zip=62701", []int64{SeedLocationID}},
		{"ok, a customer and a name", fmt.Sprintf("customerId=%d&name=lofts", SeedManyLocationsCustomerID), []int64{oakridge[4].ID}},
		{"ok, a customer and ids not its own", fmt.Sprintf("customerId=%d&ids=%d", SeedManyLocationsCustomerID, SeedLocationID), []int64{}},
		{"ok, an unknown customer has none", "customerId=10999999", []int64{}},
		{"ok, customer 0 has none", "customerId=0&active=any", []int64{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := h.listLocations(tt.query)
			if got := locationIDs(p.Data); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("ok, paging over every location with a total", func(t *testing.T) {
		p := h.listLocations("active=any&pageSize=15&page=2&includeTotal=true")
		if p.TotalCount == nil || *p.TotalCount != SeedLocationCount || len(p.Data) != 15 || !p.HasMore || p.Data[0].ID != SeedLocationID+15 {
			t.Errorf("total %v, %d rows, hasMore %v, first %v", p.TotalCount, len(p.Data), p.HasMore, locationIDs(p.Data))
		}
		last := h.listLocations("active=any&pageSize=15&page=3")
		if len(last.Data) != SeedLocationCount-30 || last.HasMore {
			t.Errorf("last page: %d rows, hasMore %v", len(last.Data), last.HasMore)
		}
	})
	for _, tt := range []struct{ name, query, key string }{
		{"nok, customerId not a number", "customerId=ada", "customerId"},
		{"nok, ids not numbers", "ids=1,x", "ids"},
		{"nok, active not a choice", "active=maybe", "active"},
		{"nok, page zero", "customerId=10000001&page=0", "page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodGet, "/locations?"+tt.query, "")
			p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
			if len(p.Errors[tt.key]) == 0 {
				t.Errorf("errors %v, want %q", p.Errors, tt.key)
			}
		})
	}
}

func locIDs(locs []client.Location) []int64 {
	ids := make([]int64, len(locs))
	for i, l := range locs {
		ids[i] = l.ID
	}
	return ids
}

func TestLocationContacts(t *testing.T) {
	t.Run("ok, listed and paged as a customer's", func(t *testing.T) {
		h := newHarness(t)
		resp, body := h.call(http.MethodGet, fmt.Sprintf("/locations/%d/contacts?pageSize=1", SeedLocationID), "")
		wantStatus(t, resp, body, http.StatusOK)
		var p pageBody[map[string]json.RawMessage]
		mustUnmarshal(t, body, &p)
		if len(p.Data) != 1 || !p.HasMore || string(p.Data[0]["modifiedOn"]) != `"2025-09-14T16:20:11.3141593"` {
			t.Fatalf("page %s", body)
		}
		if _, ok := p.Data[0]["customerId"]; ok {
			t.Error("a location's contact carries a customerId")
		}
		var all client.Page[client.Contact]
		resp, body = h.call(http.MethodGet, fmt.Sprintf("/locations/%d/contacts", SeedLocationID), "")
		wantStatus(t, resp, body, http.StatusOK)
		mustUnmarshal(t, body, &all)
		if !reflect.DeepEqual(all.Data, h.s.LocationContacts(SeedLocationID)) {
			t.Errorf("decoded %s\nstored %s", jsonOf(all.Data), jsonOf(h.s.LocationContacts(SeedLocationID)))
		}
		resp, body = h.call(http.MethodGet, "/locations/100999999/contacts", "")
		wantProblem(t, resp, body, http.StatusNotFound, TitleLocationNotFound)
	})

	t.Run("ok, a PATCH changes what it sends and moves modifiedOn", func(t *testing.T) {
		clk := newFakeClock()
		h := newHarness(t, func(s *Settings) { s.Clock = clk.Now })
		before := h.locationContact(SeedLocationID, SeedLocationContactID)
		resp, body := h.call(http.MethodPatch, h.locationContactPath(SeedLocationID, SeedLocationContactID),
			`{"memo":"Neighbor - Charles, key under the mat","preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":false,"invoiceStatementNotification":false}}`)
		wantStatus(t, resp, body, http.StatusOK)
		after := h.locationContact(SeedLocationID, SeedLocationContactID)
		if after.Memo != "Neighbor - Charles, key under the mat" || after.Value != before.Value || after.Preferences.JobRemindersEnabled ||
			!after.ModifiedOn.Equal(clk.Now()) || !after.CreatedOn.Equal(before.CreatedOn) {
			t.Errorf("before %s\nafter %s", jsonOf(before), jsonOf(after))
		}
		resp, body = h.call(http.MethodPatch, h.locationContactPath(SeedLocationID, SeedLocationContactID), `{"memo":"again"}`)
		wantStatus(t, resp, body, http.StatusOK)
		if again := h.locationContact(SeedLocationID, SeedLocationContactID); !again.ModifiedOn.After(after.ModifiedOn) {
			t.Errorf("modifiedOn %v, then %v", after.ModifiedOn, again.ModifiedOn)
		}
		if got := h.contact(SeedCustomerID, SeedMobileContactID); got.Memo != "Cell" {
			t.Errorf("the customer's own contact changed: %s", jsonOf(got))
		}
	})

	t.Run("nok, PATCH refusals", func(t *testing.T) {
		h := newHarness(t)
		for _, tt := range []struct {
			name, path, body string
			status           int
			title            string
			key              string
		}{
			{"nok, a value not of its type", h.locationContactPath(SeedLocationID, SeedLocationGateContactID), `{"value":"555-0185"}`, 400, TitleValidation, KeyValue},
			{"nok, an unknown type", h.locationContactPath(SeedLocationID, SeedLocationGateContactID), `{"type":"Pager"}`, 400, TitleValidation, KeyType},
			{"nok, no body", h.locationContactPath(SeedLocationID, SeedLocationGateContactID), ``, 400, TitleValidation, KeyBody},
			{"nok, unknown location", h.locationContactPath(100999999, SeedLocationContactID), `{"memo":"x"}`, 404, TitleLocationNotFound, ""},
			{"nok, unknown contact", h.locationContactPath(SeedLocationID, 300999999), `{"memo":"x"}`, 404, TitleContactNotFound, ""},
			{"nok, another location's contact", h.locationContactPath(SeedRentalLocationID, SeedLocationContactID), `{"memo":"x"}`, 404, TitleContactNotFound, ""},
			{"nok, a customer's contact is no location's", h.locationContactPath(SeedLocationID, SeedMobileContactID), `{"memo":"x"}`, 404, TitleContactNotFound, ""},
			{"nok, a location's contact is no customer's", fmt.Sprintf("/customers/%d/contacts/%d", SeedCustomerID, SeedLocationContactID), `{"memo":"x"}`, 404, TitleContactNotFound, ""},
			{"nok, the value of another contact of the location", h.locationContactPath(SeedLocationID, SeedLocationGateContactID), `{"value":"` + SeedLocationContactValue + `"}`, 409, TitleLocationDuplicate, KeyValue},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := h.call(http.MethodPatch, tt.path, tt.body)
				p := wantProblem(t, resp, body, tt.status, tt.title)
				if _, ok := p.Errors[tt.key]; tt.key != "" && !ok {
					t.Errorf("errors %v, want %q", p.Errors, tt.key)
				}
				if tt.status == http.StatusConflict && p.Data["existingContactId"] != float64(SeedLocationContactID) {
					t.Errorf("data %v", p.Data)
				}
			})
		}
		if got := h.locationContact(SeedLocationID, SeedLocationGateContactID); got.Value != SeedLocationGateValue {
			t.Errorf("a refused PATCH changed the contact: %s", jsonOf(got))
		}
		// Only the location's own contacts count: the customer's mobile
		// may be the location's too.
		resp, body := h.call(http.MethodPatch, h.locationContactPath(SeedLocationID, SeedLocationGateContactID), `{"type":"MobilePhone","value":"`+SeedMobileValue+`"}`)
		wantStatus(t, resp, body, http.StatusOK)
	})

	t.Run("ok, create and delete", func(t *testing.T) {
		h := newHarness(t)
		path := fmt.Sprintf("/locations/%d/contacts", SeedRentalLocationID)
		resp, body := h.call(http.MethodPost, path, `{"type":"Email","value":"new.tenant@example.com","memo":"Tenant - Kelly, moved in March"}`)
		wantStatus(t, resp, body, http.StatusOK)
		var created contactBody
		mustUnmarshal(t, body, &created)
		if created.ID <= SeedLocationContactID || created.ID <= h.s.gen.lastLocationContactID() || created.Preferences == nil || created.PhoneSettings != nil {
			t.Errorf("created %s", body)
		}
		if got := h.locationContact(SeedRentalLocationID, created.ID); got.Value != "new.tenant@example.com" {
			t.Errorf("stored %s", jsonOf(got))
		}
		resp, body = h.call(http.MethodPost, path, `{"type":"Email","value":"NEW.tenant@example.com"}`)
		p := wantProblem(t, resp, body, http.StatusConflict, TitleLocationDuplicate)
		if p.Data["existingContactId"] != float64(created.ID) {
			t.Errorf("data %v", p.Data)
		}
		resp, body = h.call(http.MethodPost, path, `{"type":"Phone"}`)
		if p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation); len(p.Errors[KeyValue]) == 0 {
			t.Errorf("errors %v", p.Errors)
		}
		resp, body = h.call(http.MethodPost, "/locations/100999999/contacts", `{"type":"Phone","value":"2175550100"}`)
		wantProblem(t, resp, body, http.StatusNotFound, TitleLocationNotFound)

		// A customer contact created next gets a customer contact's id.
		resp, body = h.create(SeedCustomerID, `{"type":"Fax","value":"2175550111"}`)
		wantStatus(t, resp, body, http.StatusOK)
		var customers contactBody
		mustUnmarshal(t, body, &customers)
		if customers.ID >= SeedLocationID {
			t.Errorf("a customer's new contact has id %d, in the locations' ranges", customers.ID)
		}

		resp, body = h.call(http.MethodDelete, h.locationContactPath(SeedRentalLocationID, created.ID), "")
		wantStatus(t, resp, body, http.StatusOK)
		if len(body) != 0 {
			t.Errorf("DELETE answered %s", body)
		}
		if _, ok := h.s.LocationContact(SeedRentalLocationID, created.ID); ok {
			t.Error("still there")
		}
		resp, body = h.call(http.MethodDelete, h.locationContactPath(SeedRentalLocationID, created.ID), "")
		wantProblem(t, resp, body, http.StatusNotFound, TitleContactNotFound)
		resp, body = h.call(http.MethodDelete, h.locationContactPath(100999999, created.ID), "")
		wantProblem(t, resp, body, http.StatusNotFound, TitleLocationNotFound)
		// The next one never takes a removed contact's id.
		resp, body = h.call(http.MethodPost, path, `{"type":"Phone","value":"5125550100"}`)
		wantStatus(t, resp, body, http.StatusOK)
		var next contactBody
		mustUnmarshal(t, body, &next)
		if next.ID <= created.ID {
			t.Errorf("next id %d after %d", next.ID, created.ID)
		}
	})
}

// The new operations are counted, faulted and intercepted by name, as
// the customer ones.
func TestLocationOperationsFaultsAndCounters(t *testing.T) {
	h := newHarness(t)
	h.s.ResetCounters()
	h.s.InjectFault(Fault{Operation: OpGetLocation, Times: 1, Status: http.StatusServiceUnavailable})
	h.s.InjectFault(Fault{Operation: OpUpdateLocationContact, Times: 1, AfterApply: true, Status: http.StatusGatewayTimeout})
	h.s.Intercept(OpListLocations, func(w http.ResponseWriter, r *http.Request, apply func()) {
		writeText(w, http.StatusTeapot, "mine")
	})
	resp, body := h.call(http.MethodGet, fmt.Sprintf("/locations/%d", SeedLocationID), "")
	wantStatus(t, resp, body, http.StatusServiceUnavailable)
	resp, body = h.call(http.MethodGet, fmt.Sprintf("/locations/%d", SeedLocationID), "")
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = h.call(http.MethodGet, "/locations?customerId=10000001", "")
	wantStatus(t, resp, body, http.StatusTeapot)
	resp, body = h.call(http.MethodPatch, h.locationContactPath(SeedLocationID, SeedLocationContactID), `{"memo":"Lost answer"}`)
	wantStatus(t, resp, body, http.StatusGatewayTimeout)
	if got := h.locationContact(SeedLocationID, SeedLocationContactID); got.Memo != "Lost answer" {
		t.Errorf("the faulted PATCH was not applied: %s", jsonOf(got))
	}
	if h.s.LastBody(OpUpdateLocationContact) != `{"memo":"Lost answer"}` {
		t.Errorf("last body %q", h.s.LastBody(OpUpdateLocationContact))
	}
	for op, n := range map[string]int{OpGetLocation: 2, OpListLocations: 1, OpUpdateLocationContact: 1, OpUpdateContact: 0, OpGetCustomer: 0} {
		if got := h.s.Requests(op); got != n {
			t.Errorf("Requests(%s) = %d, want %d", op, got, n)
		}
	}
}

func TestWithSeedLocations(t *testing.T) {
	at := time.Date(2026, 3, 4, 15, 4, 5, 0, time.UTC)
	h := newHarness(t, func(s *Settings) {
		s.Seed = []Record{{
			Customer: client.Customer{ID: 5, Active: true, Name: "Ada"},
			Locations: []LocationRecord{
				{Location: client.Location{ID: 12, Active: true, Name: "Lake house"}},
				{Location: client.Location{ID: 11, CustomerID: 99, Active: true, Name: "Home"},
					Contacts: []client.Contact{{ID: 8, Type: client.ContactEmail, Value: "b@example.com", ModifiedOn: at}, {ID: 3, Type: client.ContactPhone, Value: "2175550100", ModifiedOn: at}}},
			},
		}}
	}, WithGeneratedCustomers(2))
	locs := h.s.Locations(5)
	if len(locs) != 2 || locs[0].ID != 11 || locs[0].CustomerID != 5 || locs[1].Name != "Lake house" {
		t.Fatalf("locations %+v", locs)
	}
	if cs := h.s.LocationContacts(11); len(cs) != 2 || cs[0].ID != 3 {
		t.Errorf("contacts %s", jsonOf(cs))
	}
	// Generated locations keep to their own range, above any customer's or
	// contact's id.
	gen := h.s.Locations(6)
	if len(gen) == 0 || gen[0].ID != SeedLocationID {
		t.Errorf("generated locations %+v", gen)
	}
	for name, bad := range map[string][]Record{
		"nok, a location twice": {{Customer: client.Customer{ID: 5}, Locations: []LocationRecord{{Location: client.Location{ID: 1}}}},
			{Customer: client.Customer{ID: 6}, Locations: []LocationRecord{{Location: client.Location{ID: 1}}}}},
		"nok, a location's contact twice": {{Customer: client.Customer{ID: 5}, Locations: []LocationRecord{{Location: client.Location{ID: 1},
			Contacts: []client.Contact{{ID: 2}, {ID: 2}}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			New(func(s *Settings) { s.Seed = bad })
		})
	}
}
