package sandbox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Seed data. Every Server starts with the same 28 customers (ids 10000001 to
// 10000028, 26 active and 2 inactive) and their contacts (ids from 20000001,
// unique across customers), generated from a fixed random seed. Phone
// numbers are ten digits of the form AAA55501NN (fictional 555-01xx
// numbers); emails use example.com, example.org and example.net only.
//
// The memorable records:
//
//   - Customer 10000001 "Ada Lovelace" (Residential, Springfield IL) has
//     exactly three contacts:
//     20000001 MobilePhone "2175550177", memo "Cell", doNotText false,
//     three-flag preferences {jobReminders true, marketing false,
//     invoiceStatement true};
//     20000002 Email "ada@example.com", memo "Personal", no phoneSettings,
//     three-flag preferences {true, true, true};
//     20000003 Phone (landline) "2175550123", memo "Home", doNotText true
//     (texted STOP), three-flag preferences {false, false, false}.
//   - Customer 10000002 "Maria Gonzalez" (Residential, Austin TX) has four:
//     20000004 MobilePhone "5125550142", memo "Cell", five-flag preferences
//     {jobReminders true, marketing false, invoiceStatement true,
//     invoiceNotification true, statementNotification false};
//     20000005 Email "maria.gonzalez@example.net", empty memo, preferences
//     null; 20000006 Phone "5125550108", memo "Work", preferences null;
//     20000007 Fax "5125550196", memo "Home office fax", three-flag
//     preferences.
//   - Customer 10000003 "Harbor View Dental" (Commercial, San Diego CA) has
//     exactly 60 contacts (ids 20000008 to 20000067), for paging.
//   - Customers 10000027 "Olde Town Hardware" and 10000028 "Steven Park"
//     are inactive (hidden by the default active=True filter).
const (
	SeedCustomerID         int64 = 10000001
	SeedMobileContactID    int64 = 20000001
	SeedEmailContactID     int64 = 20000002
	SeedDoNotTextContactID int64 = 20000003
	SeedMobileValue              = "2175550177"
	SeedEmailValue               = "ada@example.com"
	SeedDoNotTextValue           = "2175550123"

	SeedFiveFlagCustomerID        int64 = 10000002
	SeedFiveFlagContactID         int64 = 20000004
	SeedNullPreferencesCustomerID int64 = 10000002
	SeedNullPreferencesContactID  int64 = 20000005

	SeedManyContactsCustomerID int64 = 10000003
	SeedInactiveCustomerID     int64 = 10000027
)

// How many of them the seed makes.
const (
	SeedManyContactsCount   = 60
	SeedCustomerCount       = 28
	SeedActiveCustomerCount = 26
)

// seedNow is the moment the seed data was "taken": no seeded timestamp is
// later, so any real save moves modifiedOn forward.
var seedNow = time.Date(2026, 1, 15, 17, 0, 0, 0, time.UTC)

type seedPlace struct {
	city, state, zip, area string
	lat, lng               float64
}

var seedPlaces = []seedPlace{
	{"Springfield", "IL", "62701", "217", 39.7990, -89.6440},
	{"Austin", "TX", "78745", "512", 30.2072, -97.7950},
	{"San Diego", "CA", "92101", "619", 32.7157, -117.1611},
	{"Columbus", "OH", "43215", "614", 39.9612, -82.9988},
	{"Denver", "CO", "80205", "303", 39.7589, -104.9661},
	{"Raleigh", "NC", "27601", "919", 35.7796, -78.6382},
	{"Portland", "OR", "97214", "503", 45.5152, -122.6420},
	{"Madison", "WI", "53703", "608", 43.0747, -89.3841},
	{"Tampa", "FL", "33606", "813", 27.9378, -82.4697},
	{"Phoenix", "AZ", "85004", "602", 33.4484, -112.0740},
	{"Boise", "ID", "83702", "208", 43.6150, -116.2023},
	{"Nashville", "TN", "37203", "615", 36.1527, -86.7852},
	{"Burlington", "VT", "05401", "802", 44.4759, -73.2121},
	{"Omaha", "NE", "68102", "402", 41.2565, -95.9345},
}

var seedStreets = []string{
	"Maple Ave", "Oak St", "Cedar Ln", "Elm St", "Lakeview Dr", "Washington Blvd",
	"Park Pl", "Hillcrest Rd", "Sunset Blvd", "Willow Way", "Main St", "Ridge Rd",
	"Birch Ct", "Meadow Ln", "Franklin Ave", "Church St", "River Rd", "Highland Ave",
}

type seedCustomerSpec struct {
	name       string
	commercial bool
	active     bool
}

// seedRandomCustomers are customers 10000004 onwards.
var seedRandomCustomers = []seedCustomerSpec{
	{"James Whitaker", false, true},
	{"Priya Raman", false, true},
	{"Oakridge Property Management", true, true},
	{"Robert Chen", false, true},
	{"Linda Okafor", false, true},
	{"Sunrise Bakery & Cafe", true, true},
	{"Michael O'Brien", false, true},
	{"Emily Nguyen", false, true},
	{"Lakeside Veterinary Clinic", true, true},
	{"David Kowalski", false, true},
	{"Sarah Johnson", false, true},
	{"Midtown Fitness Center", true, true},
	{"Thomas Anderson", false, true},
	{"Aisha Thompson", false, true},
	{"Blue Ridge Auto Repair", true, true},
	{"Kevin Murphy", false, true},
	{"Jennifer Martinez", false, true},
	{"St. Mark's Community Church", true, true},
	{"José Ramírez", false, true},
	{"Rachel Goldberg", false, true},
	{"Riverside Self Storage", true, true},
	{"Carlos Gonzalez", false, true},
	{"Patricia Williams", false, true},
	{"Olde Town Hardware", true, false},
	{"Steven Park", false, false},
}

var seedFirstNames = []string{
	"Kelly", "Tom", "Anna", "Luis", "Grace", "Omar", "Hannah", "Raj", "Megan",
	"Chris", "Nina", "Sam", "Olivia", "Marcus", "Lena", "Victor", "Tasha", "Ben",
}

var (
	residentialPhoneMemos = []string{"Home", "Cell", "Work", "Spouse", "Husband's cell", "Wife's cell", "Owner's daughter - %s", "Son - %s", "Landlord", "Neighbor - has key", "After 5pm only"}
	commercialPhoneMemos  = []string{"Front desk", "Main line", "Office manager - %s", "Owner - %s cell", "Billing", "After hours", "Facilities - %s", "Accounts payable", "Dr. %s - cell", "Maintenance supervisor"}
	residentialEmailMemos = []string{"Personal", "Work", "Invoices", "Primary", "Send estimates here", "Spouse - %s"}
	commercialEmailMemos  = []string{"Invoices", "Billing", "Primary", "Send estimates here", "%s (assistant)", "Office manager - %s"}
	faxMemos              = []string{"Fax", "Office fax", "Billing fax", "Home office fax"}
)

// seeder generates the deterministic part of the seed data.
type seeder struct {
	rng         *rand.Rand
	nextContact int64
	usedPhones  map[string]bool
}

func seedCustomers() map[int64]*customerRecord {
	g := &seeder{
		rng:         rand.New(rand.NewPCG(20260115, 0x5eed)),
		nextContact: 20000001,
		usedPhones:  map[string]bool{},
	}
	out := map[int64]*customerRecord{}
	for _, rec := range g.fixedCustomers() {
		out[rec.customer.ID] = rec
	}

	many := g.customer(SeedManyContactsCustomerID, "Harbor View Dental", true, true, seedPlaces[2])
	many.customer.Address = client.Address{Street: "200 Harbor Blvd", Unit: "Suite 110", City: "San Diego", State: "CA", Zip: "92101", Country: "USA"}
	for range SeedManyContactsCount {
		g.addContact(many, g.randomType(true))
	}
	out[many.customer.ID] = many

	id := SeedManyContactsCustomerID + 1
	for _, spec := range seedRandomCustomers {
		place := seedPlaces[g.rng.IntN(len(seedPlaces))]
		rec := g.customer(id, spec.name, spec.commercial, spec.active, place)
		for range 1 + g.rng.IntN(12) {
			g.addContact(rec, g.randomType(spec.commercial))
		}
		out[id] = rec
		id++
	}
	g.addLocations(out)
	return out
}

func stamp(y int, m time.Month, d, h, min, sec, hundredNanos int) time.Time {
	return time.Date(y, m, d, h, min, sec, hundredNanos*100, time.UTC)
}

func ptrBool(b bool) *bool { return &b }

func threeFlags(job, marketing, invoiceStatement bool) *client.Preferences {
	return &client.Preferences{JobRemindersEnabled: job, MarketingUpdatesEnabled: marketing, InvoiceStatementNotification: invoiceStatement}
}

func (g *seeder) fixedCustomers() []*customerRecord {
	ada := &customerRecord{
		customer: client.Customer{
			ID: SeedCustomerID, Active: true, Name: "Ada Lovelace", Type: "Residential",
			Address:   client.Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701", Country: "USA"},
			CreatedOn: stamp(2023, 5, 9, 15, 42, 7, 1234567), ModifiedOn: stamp(2025, 10, 30, 18, 3, 51, 2468101),
		},
		latitude: 39.7817, longitude: -89.6501, createdByID: 31000007,
	}
	g.usedPhones[SeedMobileValue] = true
	g.usedPhones[SeedDoNotTextValue] = true
	ada.contacts = []client.Contact{
		{
			ID: SeedMobileContactID, Type: client.ContactMobilePhone, Value: SeedMobileValue, Memo: "Cell",
			CreatedOn: stamp(2023, 5, 9, 15, 42, 7, 4567891), ModifiedOn: stamp(2025, 11, 2, 9, 30, 0, 7654321),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: SeedMobileValue, DoNotText: false},
			Preferences:   threeFlags(true, false, true),
		},
		{
			ID: SeedEmailContactID, Type: client.ContactEmail, Value: SeedEmailValue, Memo: "Personal",
			CreatedOn: stamp(2023, 5, 9, 15, 43, 12, 5), ModifiedOn: stamp(2024, 2, 14, 11, 0, 0, 1000000),
			Preferences: threeFlags(true, true, true),
		},
		{
			ID: SeedDoNotTextContactID, Type: client.ContactPhone, Value: SeedDoNotTextValue, Memo: "Home",
			CreatedOn: stamp(2023, 5, 9, 15, 44, 1, 9999999), ModifiedOn: stamp(2025, 6, 1, 8, 15, 30, 3030303),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: SeedDoNotTextValue, DoNotText: true},
			Preferences:   threeFlags(false, false, false),
		},
	}

	maria := &customerRecord{
		customer: client.Customer{
			ID: SeedFiveFlagCustomerID, Active: true, Name: "Maria Gonzalez", Type: "Residential",
			Address:   client.Address{Street: "4821 Mesa Verde Dr", City: "Austin", State: "TX", Zip: "78745", Country: "USA"},
			CreatedOn: stamp(2022, 8, 17, 13, 20, 0, 5550001), ModifiedOn: stamp(2025, 12, 3, 16, 45, 12, 1200000),
		},
		latitude: 30.2049, longitude: -97.8003, createdByID: 31000011,
	}
	for _, v := range []string{"5125550142", "5125550108", "5125550196"} {
		g.usedPhones[v] = true
	}
	maria.contacts = []client.Contact{
		{
			ID: SeedFiveFlagContactID, Type: client.ContactMobilePhone, Value: "5125550142", Memo: "Cell",
			CreatedOn: stamp(2022, 8, 17, 13, 21, 4, 1), ModifiedOn: stamp(2025, 12, 3, 16, 45, 12, 1234567),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "5125550142"},
			Preferences: &client.Preferences{
				JobRemindersEnabled: true, MarketingUpdatesEnabled: false, InvoiceStatementNotification: true,
				InvoiceNotification: ptrBool(true), StatementNotification: ptrBool(false),
			},
		},
		{
			ID: SeedNullPreferencesContactID, Type: client.ContactEmail, Value: "maria.gonzalez@example.net",
			CreatedOn: stamp(2022, 8, 17, 13, 22, 40, 0), ModifiedOn: stamp(2023, 1, 5, 10, 10, 10, 1010101),
		},
		{
			ID: 20000006, Type: client.ContactPhone, Value: "5125550108", Memo: "Work",
			CreatedOn: stamp(2022, 9, 1, 9, 0, 0, 0), ModifiedOn: stamp(2024, 7, 19, 14, 2, 33, 8080808),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "5125550108"},
		},
		{
			ID: 20000007, Type: client.ContactFax, Value: "5125550196", Memo: "Home office fax",
			CreatedOn: stamp(2023, 3, 3, 12, 30, 0, 0), ModifiedOn: stamp(2023, 3, 3, 12, 30, 0, 0),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "5125550196"},
			Preferences:   threeFlags(false, false, true),
		},
	}
	g.nextContact = 20000008
	return []*customerRecord{ada, maria}
}

func (g *seeder) customer(id int64, name string, commercial, active bool, place seedPlace) *customerRecord {
	typ := "Residential"
	if commercial {
		typ = "Commercial"
	}
	created := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(g.rng.Int64N(int64(5 * 365 * 24 * time.Hour)))).Truncate(100 * time.Nanosecond)
	modified := created.Add(time.Duration(g.rng.Int64N(int64(seedNow.Sub(created))))).Truncate(100 * time.Nanosecond)
	addr := client.Address{
		Street:  fmt.Sprintf("%d %s", 100+g.rng.IntN(9900), seedStreets[g.rng.IntN(len(seedStreets))]),
		City:    place.city,
		State:   place.state,
		Zip:     place.zip,
		Country: "USA",
	}
	switch n := g.rng.IntN(6); {
	case n == 0 && commercial:
		addr.Unit = fmt.Sprintf("Suite %d", 100+g.rng.IntN(400))
	case n == 0:
		addr.Unit = fmt.Sprintf("Apt %d%c", 1+g.rng.IntN(12), 'A'+rune(g.rng.IntN(4)))
	}
	return &customerRecord{
		customer: client.Customer{
			ID: id, Active: active, Name: name, Type: typ, Address: addr,
			CreatedOn: created, ModifiedOn: modified,
		},
		latitude:    round6(place.lat + (g.rng.Float64()-0.5)*0.1),
		longitude:   round6(place.lng + (g.rng.Float64()-0.5)*0.1),
		createdByID: 31000000 + int64(g.rng.IntN(40)),
	}
}

func round6(f float64) float64 {
	const scale = 1e6
	if f < 0 {
		return -float64(int64(-f*scale+0.5)) / scale
	}
	return float64(int64(f*scale+0.5)) / scale
}

func (g *seeder) randomType(commercial bool) client.ContactType {
	n := g.rng.IntN(100)
	fax := 8
	if commercial {
		fax = 20
	}
	switch {
	case n < fax:
		return client.ContactFax
	case n < fax+30:
		return client.ContactMobilePhone
	case n < fax+55:
		return client.ContactPhone
	}
	return client.ContactEmail
}

// intner is the part of a random source the seed and the generated
// customers share: *rand.Rand for the seed, genRand for generated customers.
type intner interface{ IntN(n int) int }

// pickMemo picks an item of list, filling a %s with a first name.
func pickMemo(r intner, list []string) string {
	s := list[r.IntN(len(list))]
	if strings.Contains(s, "%s") {
		s = fmt.Sprintf(s, seedFirstNames[r.IntN(len(seedFirstNames))])
	}
	return s
}

// phone returns an unused AAA55501NN number, preferably in area.
func (g *seeder) phone(area string) string {
	areas := []string{area}
	if g.rng.IntN(4) == 0 {
		areas[0] = seedPlaces[g.rng.IntN(len(seedPlaces))].area
	}
	for _, p := range seedPlaces {
		areas = append(areas, p.area)
	}
	for _, a := range areas {
		for range 40 {
			v := fmt.Sprintf("%s55501%02d", a, g.rng.IntN(100))
			if !g.usedPhones[v] {
				g.usedPhones[v] = true
				return v
			}
		}
	}
	panic("sandbox: seed ran out of phone numbers")
}

func (g *seeder) email(rec *customerRecord) string {
	var local string
	if rec.customer.Type == "Commercial" {
		roles := []string{"office", "billing", "frontdesk", "manager", "accounts", "info", "service"}
		local = strings.ReplaceAll(emailSlug(rec.customer.Name), ".", "") + "." + roles[g.rng.IntN(len(roles))]
		if g.rng.IntN(2) == 0 {
			local = strings.ToLower(seedFirstNames[g.rng.IntN(len(seedFirstNames))]) + "." + strings.ReplaceAll(emailSlug(rec.customer.Name), ".", "")
		}
	} else {
		local = emailSlug(rec.customer.Name)
		if g.rng.IntN(3) == 0 {
			local = strings.ReplaceAll(local, ".", "") + fmt.Sprint(1960+g.rng.IntN(45))
		}
	}
	value := local + "@" + emailDomains[g.rng.IntN(len(emailDomains))]
	for n := 2; rec.hasEmail(value); n++ {
		value = fmt.Sprintf("%s%d@%s", local, n, emailDomains[g.rng.IntN(len(emailDomains))])
	}
	return value
}

var emailDomains = []string{"example.com", "example.org", "example.net"}

// emailSlug turns a name into the local part of an email address:
// lower-case ASCII letters and digits, words joined by dots ("Zoë
// Åkesson-Nuñez" is zoe.akessonnunez).
func emailSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if folded, ok := asciiFold[r]; ok {
			r = folded
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteRune('.')
		}
	}
	return strings.Trim(strings.ReplaceAll(b.String(), "..", "."), ".")
}

// asciiFold maps the accented letters of the seed's and the generated
// names to the letters people type for them in an email address.
var asciiFold = map[rune]rune{
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'å': 'a', 'ã': 'a', 'ç': 'c', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'ø': 'o', 'õ': 'o',
	'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y', 'ł': 'l', 'ś': 's', 'ź': 'z', 'ż': 'z', 'ć': 'c', 'ń': 'n',
	'ấ': 'a', 'ễ': 'e',
}

func (rec *customerRecord) hasEmail(v string) bool {
	for _, c := range rec.contacts {
		if c.Type == client.ContactEmail && strings.EqualFold(c.Value, v) {
			return true
		}
	}
	return false
}

func (g *seeder) addContact(rec *customerRecord, t client.ContactType) {
	c := client.Contact{ID: g.nextContact, Type: t}
	g.nextContact++
	commercial := rec.customer.Type == "Commercial"
	if t == client.ContactEmail {
		c.Value = g.email(rec)
	} else {
		c.Value = g.phone(seedPlaceOf(rec.customer.Address.City).area)
	}
	fillContact(g.rng, &c, commercial)
	c.CreatedOn = rec.customer.CreatedOn.Add(time.Duration(g.rng.Int64N(int64(seedNow.Sub(rec.customer.CreatedOn)) / 2))).Truncate(100 * time.Nanosecond)
	c.ModifiedOn = c.CreatedOn
	if g.rng.IntN(3) != 0 {
		c.ModifiedOn = c.CreatedOn.Add(time.Duration(g.rng.Int64N(int64(seedNow.Sub(c.CreatedOn))))).Truncate(100 * time.Nanosecond)
	}
	rec.contacts = append(rec.contacts, c)
}

// fillContact gives a contact whose type and value are set a memo that
// fits them (or none), and its settings (fillSettings).
func fillContact(r intner, c *client.Contact, commercial bool) {
	switch {
	case c.Type == client.ContactEmail && commercial:
		c.Memo = pickMemo(r, commercialEmailMemos)
	case c.Type == client.ContactEmail:
		c.Memo = pickMemo(r, residentialEmailMemos)
	case c.Type == client.ContactFax:
		c.Memo = pickMemo(r, faxMemos)
	case commercial:
		c.Memo = pickMemo(r, commercialPhoneMemos)
	default:
		c.Memo = pickMemo(r, residentialPhoneMemos)
	}
	if r.IntN(5) == 0 {
		c.Memo = ""
	}
	fillSettings(r, c)
}

// fillSettings gives a contact whose type and value are set phone settings
// for a number, and preferences: the three seed flags, all five, or null.
func fillSettings(r intner, c *client.Contact) {
	if c.Type.IsPhoneNumber() {
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: c.Value, DoNotText: c.Type != client.ContactFax && r.IntN(6) == 0}
	}
	switch n := r.IntN(10); {
	case n < 5:
		c.Preferences = threeFlags(r.IntN(4) != 0, r.IntN(3) == 0, r.IntN(2) == 0)
	case n < 7:
		p := threeFlags(r.IntN(4) != 0, r.IntN(3) == 0, r.IntN(2) == 0)
		p.InvoiceNotification = ptrBool(r.IntN(2) == 0)
		p.StatementNotification = ptrBool(r.IntN(2) == 0)
		c.Preferences = p
	}
}
