package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/contactdesk/contactdesk/client"
)

func TestGeneratedCustomers(t *testing.T) {
	const n = 3000
	a, b := New(WithGeneratedCustomers(n)), New(WithGeneratedCustomers(n))
	customers := a.Customers()
	if len(customers) != SeedCustomerCount+n || !reflect.DeepEqual(customers, b.Customers()) {
		t.Fatalf("%d customers, or they differ between servers", len(customers))
	}
	if !reflect.DeepEqual(customers[:SeedCustomerCount], New().Customers()) {
		t.Error("the seed customers changed")
	}
	first := customers[SeedCustomerCount]
	if first.ID != SeedCustomerID+SeedCustomerCount || first.Name != GeneratedFirstCustomerName {
		t.Errorf("first generated customer %+v", first)
	}

	zip, state := regexp.MustCompile(`^\d{5}$`), regexp.MustCompile(`^[A-Z]{2}$`)
	var commercial, inactive, accented, hyphenated, contacts, invalid int
	perCount := map[int]int{}
	types := map[client.ContactType]int{}
	placeholders := map[string]int{}
	customersOf := map[string]map[int64]bool{} // email -> customers
	ids := map[int64]bool{}
	for _, cu := range customers[SeedCustomerCount:] {
		if cu.Type == "Commercial" {
			commercial++
		}
		if !cu.Active {
			inactive++
		}
		if strings.ContainsFunc(cu.Name, func(r rune) bool { return r > unicode.MaxASCII }) {
			accented++
		}
		if strings.Contains(cu.Name, "-") {
			hyphenated++
		}
		ad := cu.Address
		if ad.Street == "" || ad.City == "" || !state.MatchString(ad.State) || !zip.MatchString(ad.Zip) || ad.Country != "USA" {
			t.Errorf("customer %d address %+v", cu.ID, ad)
		}
		cs := a.Contacts(cu.ID)
		if !reflect.DeepEqual(cs, b.Contacts(cu.ID)) {
			t.Errorf("contacts of %d differ between servers", cu.ID)
		}
		perCount[len(cs)]++
		contacts += len(cs)
		for i, c := range cs {
			if ids[c.ID] || c.ID <= 20000000+SeedManyContactsCount {
				t.Errorf("contact id %d repeated or among the seed's", c.ID)
			}
			ids[c.ID] = true
			types[c.Type]++
			if slices.Contains(PlaceholderPhones, c.Value) || slices.Contains(PlaceholderEmails, c.Value) {
				placeholders[c.Value]++
			} else if validateValue(c.Type, c.Value) != "" {
				invalid++
			}
			if c.Type == client.ContactEmail {
				if customersOf[c.Value] == nil {
					customersOf[c.Value] = map[int64]bool{}
				}
				customersOf[c.Value][cu.ID] = true
			}
			if (c.PhoneSettings != nil) != c.Type.IsPhoneNumber() {
				t.Errorf("contact %s", jsonOf(c))
			}
			if c.ModifiedOn.Before(c.CreatedOn) || c.CreatedOn.Before(cu.CreatedOn) || c.ModifiedOn.After(seedNow) || c.ModifiedOn.Nanosecond()%100 != 0 {
				t.Errorf("contact %d times %v %v (customer created %v)", c.ID, c.CreatedOn, c.ModifiedOn, cu.CreatedOn)
			}
			for _, o := range cs[i+1:] {
				if sameValue(c.Type, c.Value, o.Type, o.Value) {
					t.Errorf("customer %d: contacts %d and %d duplicate %q", cu.ID, c.ID, o.ID, c.Value)
				}
			}
		}
	}
	t.Logf("%d customers: %d commercial, %d inactive, %d accented, %d hyphenated; %d contacts %v, %v; placeholders %v; %d invalid",
		n, commercial, inactive, accented, hyphenated, contacts, perCount, types, placeholders, invalid)
	if perCount[0] != 0 || len(perCount) != 4 || contacts < 3*n {
		t.Errorf("contacts per customer %v", perCount)
	}
	for _, ct := range client.ContactTypes() {
		if types[ct] == 0 {
			t.Errorf("no %s contact", ct)
		}
	}
	if commercial < n/10 || commercial > n/3 || inactive == 0 || inactive > n/10 || accented < n/10 || hyphenated < n/20 {
		t.Error("customers do not look like a real tenant's")
	}
	for _, v := range append(slices.Clone(PlaceholderPhones), PlaceholderEmails...) {
		if placeholders[v] == 0 {
			t.Errorf("no placeholder %q", v)
		}
	}
	if invalid == 0 {
		t.Error("no invalid values")
	}
	shared := 0
	for v, cus := range customersOf {
		if len(cus) == 5 && !slices.Contains(PlaceholderEmails, v) {
			shared++
		}
	}
	if shared == 0 {
		t.Error("no email shared by five customers")
	}
}

// The API sees generated customers as it sees seed ones, and stores a
// generated customer once one of its contacts changes.
func TestGeneratedCustomersThroughTheAPI(t *testing.T) {
	h := newHarness(t, WithGeneratedCustomers(2000))
	id := SeedCustomerID + SeedCustomerCount + 1500
	cu, ok := h.s.Customer(id)
	if !ok {
		t.Fatalf("customer %d not found", id)
	}
	cs := h.s.Contacts(id)
	phone := ""
	for _, c := range cs {
		if c.Type.IsPhoneNumber() && !slices.Contains(PlaceholderPhones, c.Value) && validateValue(c.Type, c.Value) == "" {
			phone = c.Value
		}
	}

	t.Run("ok, get and list", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, fmt.Sprintf("/customers/%d", id), "")
		wantStatus(t, resp, body, 200)
		resp, body = h.call(http.MethodGet, fmt.Sprintf("/customers/%d/contacts", id), "")
		wantStatus(t, resp, body, 200)
		var page pageBody[contactBody]
		mustUnmarshal(t, body, &page)
		if len(page.Data) != len(cs) {
			t.Errorf("%d contacts listed, %d stored", len(page.Data), len(cs))
		}
		resp, body = h.call(http.MethodGet, "/customers/99999999", "")
		wantProblem(t, resp, body, http.StatusNotFound, TitleCustomerNotFound)
	})
	t.Run("ok, search by name, phone and ids", func(t *testing.T) {
		for _, q := range []string{
			"name=" + url.QueryEscape("åkesson-nuñez"),
			"active=any&name=" + url.QueryEscape(cu.Name),
			"active=any&phone=" + phone,
			fmt.Sprintf("active=any&ids=%d,%d", id, SeedCustomerID),
		} {
			resp, body := h.call(http.MethodGet, "/customers?"+q, "")
			wantStatus(t, resp, body, 200)
			var page pageBody[customerBody]
			mustUnmarshal(t, body, &page)
			found := false
			for _, c := range page.Data {
				found = found || c.ID == id || (strings.HasPrefix(q, "name=") && c.Name == GeneratedFirstCustomerName)
			}
			if !found {
				t.Errorf("%s: %s", q, body)
			}
		}
	})
	t.Run("ok, pages of all customers with a total", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers?active=any&pageSize=100&page=3&includeTotal=true", "")
		wantStatus(t, resp, body, 200)
		var page pageBody[customerBody]
		mustUnmarshal(t, body, &page)
		if page.TotalCount == nil || *page.TotalCount != SeedCustomerCount+2000 || len(page.Data) != 100 || !page.HasMore ||
			page.Data[0].ID != SeedCustomerID+200 {
			t.Errorf("total %v, %d rows, hasMore %v, first %d", page.TotalCount, len(page.Data), page.HasMore, page.Data[0].ID)
		}
	})
	t.Run("ok, a change is kept, Reset forgets it", func(t *testing.T) {
		resp, body := h.patch(id, cs[0].ID, `{"memo":"Gate code 4411"}`)
		wantStatus(t, resp, body, 200)
		if got := h.contact(id, cs[0].ID); got.Memo != "Gate code 4411" {
			t.Errorf("memo = %q", got.Memo)
		}
		resp, body = h.call(http.MethodDelete, fmt.Sprintf("/customers/%d/contacts/%d", id, cs[1%len(cs)].ID), "")
		wantStatus(t, resp, body, 200)
		resp, body = h.create(id, `{"type":"Email","value":"new.address@example.com"}`)
		wantStatus(t, resp, body, 200)
		var created contactBody
		mustUnmarshal(t, body, &created)
		if created.ID <= h.s.gen.lastContactID() {
			t.Errorf("new contact id %d is a generated one's", created.ID)
		}
		if len(h.s.Contacts(id)) != len(cs) || !h.s.SetContact(id, client.Contact{ID: created.ID + 1, Type: client.ContactFax, Value: "3035550100"}) {
			t.Errorf("contacts %v", h.s.Contacts(id))
		}
		h.s.Reset()
		if !reflect.DeepEqual(h.s.Contacts(id), cs) {
			t.Error("Reset did not restore the generated customer")
		}
	})
}

// A tenant of 250,000 generated customers (some 900,000 contacts, 340,000
// locations and 380,000 location contacts) costs the sandbox next to no
// memory: they are made when read.
func TestGeneratedCustomersMemory(t *testing.T) {
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	s := New(WithGeneratedCustomers(250_000))
	// Reading customers, contacts and a feed page stores nothing.
	for i := 0; i < 1000; i++ {
		s.Contacts(s.gen.customerID(i * 250))
		for _, l := range s.Locations(s.gen.customerID(i * 250)) {
			s.LocationContacts(l.ID)
		}
	}
	s.mu.Lock()
	for _, f := range []feed{contactsFeed, locationsFeed, locationContactsFeed} {
		s.exportPageLocked(f, feedStart, false)
	}
	s.mu.Unlock()
	grown := int64(heap()) - int64(before)
	runtime.KeepAlive(s)
	t.Logf("heap grew %d KiB", grown>>10)
	if grown > 1<<20 {
		t.Errorf("heap grew %d KiB with 250,000 generated customers", grown>>10)
	}
}
