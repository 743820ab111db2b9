package sandbox

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Seed locations. Every seed customer has a location at its address, named
// as the customer (40 locations in all, ids from 100000001 in customer
// order; their contacts have ids from 300000001), made after the customers
// from a random source of their own:
//
//   - Ada Lovelace's home, location 100000001, has two contacts of its own:
//     300000001 MobilePhone "2175550164", memo "Neighbor - Charles Babbage,
//     has a key", and 300000002 Phone "2175550185", memo "Gate call box -
//     code 1815#", preferences null.
//   - Maria Gonzalez has a rental too, location 100000003, with its
//     tenant's phone and email.
//   - Customer 10000006 "Oakridge Property Management" (Burlington VT) has
//     10 locations: its office; seven properties, each with a site
//     manager's mobile, a gate phone, a tenant's email and sometimes an
//     after-hours line; an inactive one it sold; and an inactive duplicate
//     (100000016) merged into Maple Court Apartments (100000008).
//   - Customer 10000009 "Sunrise Bakery & Cafe" has three shops, each with
//     its manager's mobile and the counter's phone.
//   - Every other commercial customer's location has a front desk or gate
//     phone, some an after-hours line; one home in four has a neighbor, a
//     caretaker or a call box.
//
// The inactive customers' locations are inactive. Phone numbers are of the
// seed's AAA55501NN form, and no two seed contacts share one.
const (
	SeedLocationID            int64 = 100000001
	SeedLocationContactID     int64 = 300000001
	SeedLocationContactValue        = "2175550164"
	SeedLocationGateContactID int64 = 300000002
	SeedLocationGateValue           = "2175550185"

	SeedRentalLocationID int64 = 100000003

	SeedManyLocationsCustomerID int64 = 10000006
	SeedManyLocationsCount            = 10
	SeedMergedLocationID        int64 = 100000016
	SeedMergedIntoLocationID    int64 = 100000008

	SeedLocationCount = 40
)

// seedChainCustomerID is Sunrise Bakery & Cafe, with three shops.
const seedChainCustomerID int64 = 10000009

// oakridgeProperties are the properties Oakridge Property Management
// looks after, in its city.
var oakridgeProperties = []struct{ name, street, unit string }{
	{"Maple Court Apartments", "140 Maple St", ""},
	{"Oakridge Commons", "55 Ridge Rd", ""},
	{"Willow Creek Townhomes", "2100 Willow Way", ""},
	{"Lakeview Lofts", "12 Lakeview Dr", ""},
	{"Church Street Storefronts", "88 Church St", "Suite 2"},
	{"Hillcrest Duplex", "417 Hillcrest Rd", ""},
	{"Riverside Senior Apartments", "300 River Rd", ""},
}

// locationSeeder makes the seed locations with the seed's seeder, whose
// phone numbers it shares.
type locationSeeder struct {
	*seeder
	nextLocation        int64
	nextLocationContact int64
}

// addLocations gives every seed customer its locations.
func (g *seeder) addLocations(customers map[int64]*customerRecord) {
	// A source of their own: the customers and contacts made before are
	// as they were before locations existed.
	g.rng = rand.New(rand.NewPCG(20260115, 0x10ca7105))
	g.usedPhones[SeedLocationContactValue] = true
	g.usedPhones[SeedLocationGateValue] = true
	ls := &locationSeeder{seeder: g, nextLocation: SeedLocationID, nextLocationContact: SeedLocationContactID}
	for _, id := range slices.Sorted(maps.Keys(customers)) {
		rec := customers[id]
		home := ls.location(rec, rec.customer.Name, rec.customer.Address)
		switch {
		case id == SeedCustomerID:
			ls.ada(home)
		case id == SeedFiveFlagCustomerID:
			rental := ls.location(rec, "Rental - 1907 Bluebonnet Ln",
				client.Address{Street: "1907 Bluebonnet Ln", City: "Austin", State: "TX", Zip: "78704", Country: "USA"})
			for _, role := range rentalSiteRoles {
				ls.contact(rental, role.typ, pickMemo(g.rng, role.memos))
			}
		case id == SeedManyLocationsCustomerID:
			ls.propertyManager(rec, home)
		case id == seedChainCustomerID:
			a := rec.customer.Address
			ls.shop(home)
			ls.shop(ls.location(rec, rec.customer.Name+" - Capitol Square", client.Address{Street: "25 W Main St", City: a.City, State: a.State, Zip: a.Zip, Country: "USA"}))
			ls.shop(ls.location(rec, rec.customer.Name+" - Airport kiosk", client.Address{Street: "4000 International Ln", City: a.City, State: a.State, Zip: "53704", Country: "USA"}))
		case rec.customer.Type == "Commercial":
			front := commercialSiteRoles[1]
			ls.contact(home, front.typ, pickMemo(g.rng, front.memos))
			if g.rng.IntN(2) == 0 {
				ls.contact(home, client.ContactPhone, pickMemo(g.rng, commercialSiteRoles[3].memos))
			}
		case g.rng.IntN(4) == 0:
			role := homeSiteRoles[g.rng.IntN(len(homeSiteRoles))]
			ls.contact(home, role.typ, pickMemo(g.rng, role.memos))
		}
	}
}

// location adds a location to rec: its first is made with the customer.
func (ls *locationSeeder) location(rec *customerRecord, name string, addr client.Address) *locationRecord {
	area := seedPlaceOf(addr.City)
	loc := &locationRecord{
		location: client.Location{
			ID: ls.nextLocation, CustomerID: rec.customer.ID, Active: rec.customer.Active, Name: name, Address: addr,
			CreatedOn: rec.customer.CreatedOn,
		},
		latitude: rec.latitude, longitude: rec.longitude, createdByID: rec.createdByID,
	}
	ls.nextLocation++
	l := &loc.location
	if len(rec.locations) > 0 {
		l.CreatedOn = ls.between(rec.customer.CreatedOn, seedNow)
		loc.latitude, loc.longitude = round6(area.lat+(ls.rng.Float64()-0.5)*0.1), round6(area.lng+(ls.rng.Float64()-0.5)*0.1)
		loc.createdByID = 31000000 + int64(ls.rng.IntN(40))
	}
	l.ModifiedOn = ls.between(l.CreatedOn, seedNow)
	rec.locations = append(rec.locations, loc)
	return loc
}

// between is a time in [from, to) at ServiceTitan's resolution.
func (ls *locationSeeder) between(from, to time.Time) time.Time {
	return from.Add(time.Duration(ls.rng.Int64N(int64(to.Sub(from))))).Truncate(100 * time.Nanosecond)
}

// contact adds a contact of type t with memo to loc: a number of the
// seed's form in its area, or a tenant's email.
func (ls *locationSeeder) contact(loc *locationRecord, t client.ContactType, memo string) {
	c := client.Contact{ID: ls.nextLocationContact, Type: t, Memo: memo}
	ls.nextLocationContact++
	if t.IsPhoneNumber() {
		c.Value = ls.phone(seedPlaceOf(loc.location.Address.City).area)
	} else {
		c.Value = uniqueValue(loc.contacts, func() string {
			name := seedFirstNames[ls.rng.IntN(len(seedFirstNames))] + " " + lastNames[ls.rng.IntN(len(lastNames))]
			return emailSlug(name) + "@" + emailDomains[ls.rng.IntN(len(emailDomains))]
		})
	}
	fillSettings(ls.rng, &c)
	c.CreatedOn = ls.between(loc.location.CreatedOn, seedNow)
	c.ModifiedOn = c.CreatedOn
	if ls.rng.IntN(3) != 0 {
		c.ModifiedOn = ls.between(c.CreatedOn, seedNow)
	}
	loc.contacts = append(loc.contacts, c)
}

// ada gives Ada Lovelace's home its two contacts.
func (ls *locationSeeder) ada(home *locationRecord) {
	home.location.ModifiedOn = stamp(2025, 9, 14, 16, 20, 11, 3141593)
	home.contacts = []client.Contact{
		{
			ID: SeedLocationContactID, Type: client.ContactMobilePhone, Value: SeedLocationContactValue,
			Memo:      "Neighbor - Charles Babbage, has a key",
			CreatedOn: stamp(2024, 3, 2, 10, 5, 0, 0), ModifiedOn: stamp(2025, 9, 14, 16, 20, 11, 3141593),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: SeedLocationContactValue},
			Preferences:   threeFlags(true, false, false),
		},
		{
			ID: SeedLocationGateContactID, Type: client.ContactPhone, Value: SeedLocationGateValue,
			Memo:      "Gate call box - code 1815#",
			CreatedOn: stamp(2024, 3, 2, 10, 6, 30, 0), ModifiedOn: stamp(2024, 3, 2, 10, 6, 30, 0),
			PhoneSettings: &client.PhoneSettings{PhoneNumber: SeedLocationGateValue},
		},
	}
	ls.nextLocationContact = SeedLocationGateContactID + 1
}

// propertyManager gives Oakridge Property Management its office line, its
// properties with their contacts, one it sold, and a duplicate merged into
// its first property.
func (ls *locationSeeder) propertyManager(rec *customerRecord, office *locationRecord) {
	ls.contact(office, client.ContactPhone, "Leasing office - main line")
	a := rec.customer.Address
	at := func(street, unit string) client.Address {
		return client.Address{Street: street, Unit: unit, City: a.City, State: a.State, Zip: a.Zip, Country: "USA"}
	}
	var first *locationRecord
	for _, p := range oakridgeProperties {
		loc := ls.location(rec, p.name, at(p.street, p.unit))
		if first == nil {
			first = loc
		}
		manager := pickMemo(ls.rng, []string{"Site manager - %s (cell)", "Property manager - %s", "Superintendent - %s, lives on site"})
		ls.contact(loc, client.ContactMobilePhone, manager)
		ls.contact(loc, client.ContactPhone, fmt.Sprintf("Gate phone - call box, code %d#", 1000+ls.rng.IntN(9000)))
		ls.contact(loc, client.ContactEmail, fmt.Sprintf("Tenant - %s, unit %d%c",
			seedFirstNames[ls.rng.IntN(len(seedFirstNames))], 1+ls.rng.IntN(4), 'A'+rune(ls.rng.IntN(4))))
		if ls.rng.IntN(4) == 0 {
			ls.contact(loc, client.ContactPhone, "After-hours maintenance line")
		}
	}
	sold := ls.location(rec, "Elm Street Fourplex", at("61 Elm St", ""))
	sold.location.Active = false
	ls.contact(sold, client.ContactMobilePhone, "Former site manager - building sold 2024")
	merged := ls.location(rec, "Maple Ct Apts", at("140 Maple Street", ""))
	merged.location.Active = false
	merged.mergedToID = first.location.ID
}

// shop gives one of Sunrise Bakery's shops its manager and its counter.
func (ls *locationSeeder) shop(loc *locationRecord) {
	ls.contact(loc, client.ContactMobilePhone, pickMemo(ls.rng, []string{"Store manager - %s", "Shift lead - %s (cell)"}))
	ls.contact(loc, client.ContactPhone, "Front counter")
}

// seedPlaceOf is the seed place of a city (Springfield for another).
func seedPlaceOf(city string) seedPlace {
	for _, p := range seedPlaces {
		if p.city == city {
			return p
		}
	}
	return seedPlaces[0]
}
