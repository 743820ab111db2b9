package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// forEachBackend runs test on a fresh SQLite index and on a fresh
// PostgreSQL schema.
func forEachBackend(t *testing.T, test func(t *testing.T, s *Store)) {
	for _, backend := range []string{db.SQLite, db.Postgres} {
		t.Run(backend, func(t *testing.T) {
			conn := dbtest.SQLite
			if backend == db.Postgres {
				conn = dbtest.Postgres
			}
			s, err := Open(context.Background(), conn(t))
			if err != nil {
				t.Fatal(err)
			}
			test(t, s)
		})
	}
}

var day = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// tenant is a small tenant for search tests.
func tenant() (customers []Customer, contacts []Contact) {
	customers = []Customer{
		{ID: 1001, Name: "Ada Lovelace", Address: client.Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701"}, Active: true, ModifiedOn: day},
		{ID: 1002, Name: "Zoë Åkesson-Nuñez", Address: client.Address{Street: "7 Fjord Lane", City: "Duluth", State: "MN", Zip: "55802"}, Active: true, ModifiedOn: day},
		{ID: 1003, Name: "Grace Hopper", Address: client.Address{Street: "1 Navy Yard", City: "Arlington", State: "VA", Zip: "22202"}, Active: false, ModifiedOn: day},
		{ID: 1004, Name: "Lovelace Bakery", Address: client.Address{Street: "3 Main St", City: "Peoria", State: "IL", Zip: "61602"}, Active: true, ModifiedOn: day},
	}
	contacts = []Contact{
		{ID: 2001, CustomerID: 1001, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell", ModifiedOn: day,
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177"}},
		{ID: 2002, CustomerID: 1001, Type: client.ContactEmail, Value: "ada@example.com", Memo: "Personal", ModifiedOn: day},
		{ID: 2003, CustomerID: 1002, Type: client.ContactEmail, Value: "zoe@fjord.example", Memo: "Ask for the gate code", ModifiedOn: day},
		{ID: 2004, CustomerID: 1003, Type: client.ContactPhone, Value: "7035551234", ModifiedOn: day},
		{ID: 2005, CustomerID: 1004, Type: client.ContactPhone, Value: "3095550177", Memo: "Front desk", ModifiedOn: day},
	}
	return customers, contacts
}

func load(t *testing.T, s *Store) {
	t.Helper()
	customers, contacts := tenant()
	ctx := context.Background()
	if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1"}); err != nil {
		t.Fatal(err)
	}
	if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1"}); err != nil {
		t.Fatal(err)
	}
	locations, siteContacts := sites()
	if err := applyAt(ctx, s, Page{Feed: FeedLocations, Locations: locations, Next: "l1"}); err != nil {
		t.Fatal(err)
	}
	if err := applyAt(ctx, s, Page{Feed: FeedLocationContacts, Contacts: siteContacts, Next: "m1"}); err != nil {
		t.Fatal(err)
	}
}

// sites are the small tenant's service locations and their contacts (as
// the feed sends them: with their location, not their customer).
func sites() (locations []Location, contacts []Contact) {
	locations = []Location{
		{ID: 5001, CustomerID: 1001, Name: "Ada Lovelace", Address: client.Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701"}, Active: true, ModifiedOn: day},
		{ID: 5002, CustomerID: 1004, Name: "Bakery Warehouse", Address: client.Address{Street: "88 Quarry Rd", City: "Peoria", State: "IL", Zip: "61604"}, Active: true, ModifiedOn: day},
	}
	contacts = []Contact{
		{ID: 6001, LocationID: 5001, Type: client.ContactMobilePhone, Value: "2175550164", Memo: "Neighbor - Charles Babbage", ModifiedOn: day},
		{ID: 6002, LocationID: 5002, Type: client.ContactPhone, Value: "3095550142", Memo: "Gate call box", ModifiedOn: day},
	}
	return locations, contacts
}

func TestSearch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		tests := []struct {
			q     string
			want  []int64 // customer ids, in order
			field string  // of the first result
		}{
			{"ada@example.com", []int64{1001}, "value"},
			{"ada@", []int64{1001}, "value"},
			{"@fjord.example", []int64{1002}, "value"},
			{"0177", []int64{1001, 1004}, "value"},
			{"(217) 555-0177", []int64{1001}, "value"},
			{"+1 217 555 0177", []int64{1001}, "value"},
			{"5550177", []int64{1001, 1004}, "value"},
			{"zoe akes", []int64{1002}, "name"},
			{"ÅKESSON zoë", []int64{1002}, "name"},
			{"nunez", []int64{1002}, "name"},
			{"lovelace", []int64{1001, 1004}, "name"},
			{"analytical", []int64{1001}, "address"},
			{"Duluth", []int64{1002}, "address"},
			{"62701", []int64{1001}, "address"},
			{"gate code", []int64{1002}, "memo"},
			{"1001", []int64{1001}, "id"},
			{"2003", []int64{1002}, "id"},
			{"hopper", []int64{1003}, "name"}, // inactive, but found
			{"quarry", []int64{1004}, "address"},
			{"warehouse", []int64{1004}, "name"},
			{"babbage", []int64{1001}, "memo"},
			{"0142", []int64{1004}, "value"},
			{"5002", []int64{1004}, "id"},
			{"6001", []int64{1001}, "id"},
			{"zzyzx", nil, ""},
			{"akesson zz", nil, ""}, // every word must match
			// A slip in a name: a letter dropped, two swapped, one changed.
			{"lovlace", []int64{1001, 1004}, "near"},
			{"ada lovlace", []int64{1001}, "near"},
			{"hoper", []int64{1003}, "near"},
			{"grcae hopper", []int64{1003}, "near"},
			{"akessen", []int64{1002}, "near"},
			{"lovelaec bakery", []int64{1004}, "near"},
			{"lvlace", nil, ""}, // two slips in seven letters: too far
			{"ado", nil, ""},    // short words are not guessed at
		}
		for _, tt := range tests {
			res, err := s.Search(context.Background(), ParseQuery(tt.q), 1, 20)
			if err != nil {
				t.Fatalf("%q: %v", tt.q, err)
			}
			var got []int64
			for _, r := range res.Results {
				got = append(got, r.Customer.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("%q found %v, want %v", tt.q, got, tt.want)
				continue
			}
			if len(got) > 0 && res.Results[0].Field != tt.field {
				t.Errorf("%q: first result matched on %q, want %q", tt.q, res.Results[0].Field, tt.field)
			}
		}
	})
}

// Exact matches (an id, a whole number, a whole email) come before the
// rest, whatever the names.
func TestExactMatchesRankFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		more := Contact{ID: 2006, CustomerID: 1003, Type: client.ContactMobilePhone, Value: "2175550170", ModifiedOn: day.Add(time.Hour)}
		exact := Contact{ID: 2007, CustomerID: 1004, Type: client.ContactMobilePhone, Value: "3095550170", ModifiedOn: day.Add(time.Hour)}
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: []Contact{more, exact}, Next: "k2"}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Search(ctx, ParseQuery("309-555-0170"), 1, 20)
		if err != nil || len(res.Results) != 1 || res.Results[0].Rank != RankExact {
			t.Fatalf("results %+v, %v", res.Results, err)
		}
		res, _ = s.Search(ctx, ParseQuery("0170"), 1, 20)
		if len(res.Results) != 2 || res.Results[0].Customer.ID != 1004 { // active before inactive Grace Hopper
			t.Errorf("0170: %+v", res.Results)
		}
	})
}

// Rows may repeat and come out of order (includeRecentChanges): an older
// row never overwrites a newer one, and a removed contact stays removed.
func TestApplyKeepsTheNewest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		newer := Contact{ID: 2002, CustomerID: 1001, Type: client.ContactEmail, Value: "ada.new@example.com", ModifiedOn: day.Add(time.Hour)}
		older := Contact{ID: 2002, CustomerID: 1001, Type: client.ContactEmail, Value: "ada.old@example.com", ModifiedOn: day.Add(-time.Hour)}
		for _, c := range []Contact{newer, older} {
			if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: []Contact{c}, Next: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		if res, _ := s.Search(ctx, ParseQuery("ada.new@example.com"), 1, 20); len(res.Results) != 1 {
			t.Error("the newer row was overwritten by an older one")
		}
		gone := Contact{ID: 2001, CustomerID: 1001, Removed: true, ModifiedOn: day.Add(2 * time.Hour)}
		again := Contact{ID: 2001, CustomerID: 1001, Type: client.ContactMobilePhone, Value: "2175550177", ModifiedOn: day}
		for _, c := range []Contact{gone, again} {
			if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: []Contact{c}, Next: "k"}); err != nil {
				t.Fatal(err)
			}
		}
		if res, _ := s.Search(ctx, ParseQuery("2175550177"), 1, 20); len(res.Results) != 0 {
			t.Errorf("a removed contact came back: %+v", res.Results)
		}
		n, _ := s.Count(ctx)
		if n.Customers != 4 || n.Contacts != 4 {
			t.Errorf("counts %+v", n)
		}
	})
}

func TestFeedCursorAndRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		f, err := s.Feed(ctx, FeedContacts)
		if err != nil || f.ContinueFrom != "" || f.Backfilled {
			t.Fatalf("fresh feed %+v, %v", f, err)
		}
		load(t, s)
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Next: "k9", HasMore: false}); err != nil {
			t.Fatal(err)
		}
		f, _ = s.Feed(ctx, FeedContacts)
		if f.ContinueFrom != "k9" || !f.Backfilled || f.RowsRead != 5 || f.LastSuccess.IsZero() {
			t.Errorf("feed %+v", f)
		}
		s.RecordError(ctx, FeedContacts, fmt.Errorf("malformed page"))
		f, _ = s.Feed(ctx, FeedContacts)
		if f.ContinueFrom != "k9" || !strings.Contains(f.LastError, "malformed") {
			t.Errorf("after an error: %+v", f)
		}
		from, err := s.Restart(ctx, FeedContacts)
		if err != nil || from != day.Add(-RestartMargin).Format(time.RFC3339Nano) {
			t.Errorf("restart from %q, %v; want the newest modifiedOn read from the feed, less the margin", from, err)
		}
	})
}

// The app's own writes reach the index at once.
func TestOwnWritesAreIndexedAtOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		mustWrite(t, s, client.CustomerOwner(1002), client.Contact{ID: 2010, Type: client.ContactEmail, Value: "zoe.work@fjord.example", ModifiedOn: time.Now()})
		if res, _ := s.Search(ctx, ParseQuery("zoe.work@"), 1, 20); len(res.Results) != 1 || res.Results[0].Customer.ID != 1002 {
			t.Errorf("a written contact is not found: %+v", res.Results)
		}
		mustRemove(t, s, client.CustomerOwner(1002), 2003)
		if res, _ := s.Search(ctx, ParseQuery("zoe@fjord.example"), 1, 20); len(res.Results) != 0 {
			t.Errorf("a removed contact is still found: %+v", res.Results)
		}
	})
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë Åkesson-Nuñez":  "zoe akesson-nunez",
		"  Ørsted   & Søn ":  "orsted son",
		"Straße 5":           "strasse 5",
		"ADA@Example.COM":    "ada@example.com",
		"(217) 555-0177":     "217 555-0177",
		"Łódź, Gdańsk":       "lodz gdansk",
		"O'Brien \x00\tNull": "o brien null",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// fold's way for ASCII text gives what its way for any text gives: every
// character alone and beside others, and random runs of them.
func TestFoldASCIIAgrees(t *testing.T) {
	var cases []string
	for c := range 128 {
		cases = append(cases, string(rune(c)), "a"+string(rune(c))+"B", string(rune(c))+" x "+string(rune(c)))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(128))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := foldASCII(s), foldText(s); got != want {
			t.Errorf("foldASCII(%q) = %q, foldText gives %q", s, got, want)
		}
	}
}

// A page is written a batch of rows per statement; rows repeated within a
// page (includeRecentChanges) leave the newest, as applying them one by
// one would, on either backend.
func TestApplyAPageInBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		n := 2*upsertBatch + 3
		var page []Contact
		for i := range n {
			page = append(page, Contact{ID: int64(5000 + i), CustomerID: 1001, Type: client.ContactEmail,
				Value: fmt.Sprintf("row%d@example.com", i), ModifiedOn: day})
		}
		page = append(page,
			Contact{ID: 5000, CustomerID: 1001, Type: client.ContactEmail, Value: "older@example.com", ModifiedOn: day.Add(-time.Hour)},
			Contact{ID: 5001, CustomerID: 1001, Type: client.ContactEmail, Value: "newer@example.com", ModifiedOn: day.Add(time.Hour)},
			Contact{ID: 5002, CustomerID: 1001, Type: client.ContactEmail, Value: "same-time@example.com", ModifiedOn: day},
			Contact{ID: 5003, CustomerID: 1001, Removed: true, ModifiedOn: day.Add(time.Hour)},
		)
		customers, _ := tenant()
		if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: append(customers, customers[0]), Next: "c1"}); err != nil {
			t.Fatal(err)
		}
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: page, Next: "k1"}); err != nil {
			t.Fatal(err)
		}
		if c, err := s.Count(ctx); err != nil || c.Customers != 4 || c.Contacts != int64(n-1) {
			t.Errorf("count %+v, %v; want 4 customers, %d contacts", c, err, n-1)
		}
		for id, want := range map[int64]string{5000: "row0@example.com", 5001: "newer@example.com", 5002: "same-time@example.com",
			int64(5000 + n - 1): fmt.Sprintf("row%d@example.com", n-1)} {
			if c, err := s.contact(ctx, id); err != nil || c.Value != want {
				t.Errorf("contact %d: %q, %v; want %q", id, c.Value, err, want)
			}
		}
		if _, err := s.contact(ctx, 5003); err != ErrNotFound {
			t.Errorf("contact 5003 removed later in the page: %v", err)
		}
		if res, _ := s.Search(ctx, ParseQuery(fmt.Sprintf("row%d@example.com", upsertBatch+upsertBatch/2)), 1, 20); len(res.Results) != 1 {
			t.Errorf("a row of the second batch is not found: %+v", res.Results)
		}
	})
}

// An email is looked for by the part before its @ and checked whole: an
// address is found even when more than maxCandidates others share the
// part before its @.
func TestSearchAnEmailAmongManyWithItsName(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		var page []Contact
		for i := range maxCandidates + 100 {
			page = append(page, Contact{ID: int64(10000 + i), CustomerID: 1003, Type: client.ContactEmail,
				Value: fmt.Sprintf("ada@host%d.example", i), ModifiedOn: day})
		}
		page = append(page, Contact{ID: 90000, CustomerID: 1004, Type: client.ContactEmail, Value: "ada@lovelace-bakery.example", ModifiedOn: day})
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: page, Next: "k2"}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Search(ctx, ParseQuery("Ada@Lovelace-Bakery.example"), 1, 20)
		if err != nil || len(res.Results) != 1 || res.Results[0].Customer.ID != 1004 || res.Results[0].Rank != RankExact {
			t.Errorf("results %+v, %v", res.Results, err)
		}
		if res, _ := s.Search(ctx, ParseQuery("@host1099.example"), 1, 20); len(res.Results) != 1 || res.Results[0].Contact.ID != 11099 {
			t.Errorf("a domain: %+v", res.Results)
		}
	})
}

// Ready says what Status.Ready says, without the counts.
func TestReady(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		agree := func(when string, want bool) {
			t.Helper()
			ready, err := s.Ready(ctx, time.Minute)
			st, serr := s.Status(ctx, time.Minute)
			if err != nil || serr != nil || ready != want || st.Ready != want {
				t.Errorf("%s: Ready %v (%v), Status.Ready %v (%v); want %v", when, ready, err, st.Ready, serr, want)
			}
		}
		agree("a fresh index", false)
		customers, contacts := tenant()
		if err := applyAt(ctx, s, Page{Feed: FeedCustomers, Customers: customers, Next: "c1", HasMore: true}); err != nil {
			t.Fatal(err)
		}
		if err := applyAt(ctx, s, Page{Feed: FeedContacts, Contacts: contacts, Next: "k1", HasMore: true}); err != nil {
			t.Fatal(err)
		}
		agree("pages read, the feeds not to their end", false)
		load(t, s) // their last pages
		agree("both feeds read to their end", true)
		later := time.Now().Add(2 * time.Minute)
		s.now = func() time.Time { return later }
		agree("the last read too long ago", false)
	})
}

// applyAt applies p as the sync does: read from the feed's cursor.
func applyAt(ctx context.Context, s *Store, p Page) error {
	f, err := s.Feed(ctx, p.Feed)
	if err != nil {
		return err
	}
	p.From = f.ContinueFrom
	return s.Apply(ctx, p)
}

// A location is found by its name or address, a location's contact by
// anything; the result says which location matched. A location's
// contact is not one of the customer's own, and waits for its location
// when the feed sends it first.
func TestLocationsAreSearched(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store) {
		load(t, s)
		ctx := context.Background()
		for _, tt := range []struct {
			q        string
			location int64
			contact  int64
		}{
			{"88 quarry", 5002, 0},
			{"gate call", 5002, 6002},
			{"(309) 555-0142", 5002, 6002},
			{"charles babbage", 5001, 6001},
			{"5002", 5002, 0},
		} {
			res, err := s.Search(ctx, ParseQuery(tt.q), 1, 20)
			if err != nil || len(res.Results) != 1 {
				t.Fatalf("%q: %+v, %v", tt.q, res.Results, err)
			}
			r := res.Results[0]
			if r.Location == nil || r.Location.ID != tt.location {
				t.Errorf("%q: location %+v, want %d", tt.q, r.Location, tt.location)
			}
			if got := int64(0); r.Contact != nil {
				got = r.Contact.ID
				if got != tt.contact || r.Contact.LocationID != tt.location || r.Contact.CustomerID != r.Customer.ID {
					t.Errorf("%q: contact %+v, want %d", tt.q, r.Contact, tt.contact)
				}
			} else if tt.contact != 0 {
				t.Errorf("%q: no contact, want %d", tt.q, tt.contact)
			}
		}
		// The customer's own contacts are its own.
		own, _ := s.Contacts(ctx, 1001)
		site, _ := s.LocationContacts(ctx, 5001)
		if len(own) != 2 || len(site) != 1 || site[0].ID != 6001 || site[0].CustomerID != 1001 {
			t.Errorf("own %+v, site %+v", own, site)
		}
		if ls, _ := s.Locations(ctx, 1004); len(ls) != 1 || ls[0].ID != 5002 {
			t.Errorf("locations of 1004: %+v", ls)
		}
		n, _ := s.Count(ctx)
		if n.Contacts != 5 || n.Locations != 2 || n.LocationContacts != 2 {
			t.Errorf("counts %+v", n)
		}

		// A contact of a location the index does not hold yet waits for it.
		early := Contact{ID: 6003, LocationID: 5003, Type: client.ContactEmail, Value: "tenant@unit3.example", ModifiedOn: day}
		if err := applyAt(ctx, s, Page{Feed: FeedLocationContacts, Contacts: []Contact{early}, Next: "m2"}); err != nil {
			t.Fatal(err)
		}
		if res, _ := s.Search(ctx, ParseQuery("tenant@unit3.example"), 1, 20); len(res.Results) != 0 {
			t.Errorf("a contact of an unknown location was searchable: %+v", res.Results)
		}
		if st, _ := s.Status(ctx, time.Hour); st.Waiting != 1 {
			t.Errorf("waiting %d, want 1", st.Waiting)
		}
		unit := Location{ID: 5003, CustomerID: 1002, Name: "Unit 3", Address: client.Address{Street: "9 Fjord Lane"}, Active: true, ModifiedOn: day}
		if err := applyAt(ctx, s, Page{Feed: FeedLocations, Locations: []Location{unit}, Next: "l2"}); err != nil {
			t.Fatal(err)
		}
		res, _ := s.Search(ctx, ParseQuery("tenant@unit3.example"), 1, 20)
		if len(res.Results) != 1 || res.Results[0].Customer.ID != 1002 || res.Results[0].Location == nil || res.Results[0].Location.ID != 5003 {
			t.Errorf("the contact once its location came: %+v", res.Results)
		}

		// The app's own writes of a location's contact reach search at once.
		mustWrite(t, s, client.LocationOwner(1004, 5002), client.Contact{ID: 6004, Type: client.ContactEmail, Value: "dock@bakery.example", ModifiedOn: day.Add(time.Hour)})
		res, _ = s.Search(ctx, ParseQuery("dock@bakery.example"), 1, 20)
		if len(res.Results) != 1 || res.Results[0].Location == nil || res.Results[0].Location.ID != 5002 {
			t.Errorf("a location contact the app wrote: %+v", res.Results)
		}
		mustRemove(t, s, client.LocationOwner(1004, 5002), 6004)
		if res, _ := s.Search(ctx, ParseQuery("dock@bakery.example"), 1, 20); len(res.Results) != 0 {
			t.Errorf("a location contact the app removed: %+v", res.Results)
		}
	})
}

// mustWrite tells s about a contact the app wrote, as change.Service does.
func mustWrite(t *testing.T, s *Store, o client.Owner, ct client.Contact) {
	t.Helper()
	if err := s.Wrote(context.Background(), o, ct); err != nil {
		t.Fatal(err)
	}
}

// mustRemove tells s about a contact the app removed.
func mustRemove(t *testing.T, s *Store, o client.Owner, contactID int64) {
	t.Helper()
	if err := s.Removed(context.Background(), o, contactID); err != nil {
		t.Fatal(err)
	}
}
