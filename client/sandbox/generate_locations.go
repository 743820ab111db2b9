package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Generated customers' locations are made like the customers (generate.go):
// from the customer's number, whenever read, with a random source of their
// own, so the customers and their contacts are what they were before
// locations existed.
//
// A residential customer has one location at its address (its home: the
// customer's name), and one in sixteen a second, a rental or a parent's
// house; most homes have no contacts of their own, some a neighbor with a
// key or a gate call box, and a rental has its tenant's phone and often
// an email. A commercial customer has one to twelve sites (nearly half one,
// one in ten seven or more: chains and property managers), the first at its
// address, the others in its city or elsewhere, one in twenty of those
// inactive; a site has one to four contacts: a site manager's mobile, a
// gate or front desk phone, a tenant's or the site's email, an after-hours
// line. Values, placeholders among them, are unique within a location.
//
// Customer i has room for locationsPerGenerated location ids,
// firstLocation+12i onwards, and its location j for
// contactsPerGeneratedLocation contact ids, firstLocationContact+4(12i+j)
// onwards. Their modifiedOn lie in customer i's slot, location j's and
// its contacts' in the j-th twelfth of it, in id order, so each location
// feed has the generated rows in the order of their ids, as the customer
// feeds do.
const (
	locationsPerGenerated        = 12
	contactsPerGeneratedLocation = 4
)

// firstLocationIDs are the ids of the first generated location and
// location contact: after the seed's, and never below [SeedLocationID]
// and [SeedLocationContactID], whatever the seed, so that they are never
// a customer's or a customer contact's.
func firstLocationIDs(seed map[int64]*customerRecord) (location, contact int64) {
	location, contact = SeedLocationID, SeedLocationContactID
	for _, rec := range seed {
		for _, loc := range rec.locations {
			location = max(location, loc.location.ID+1)
			for _, c := range loc.contacts {
				contact = max(contact, c.ID+1)
			}
		}
	}
	return location, contact
}

// locationCustomer is the number of the generated customer whose location
// the id would be, if any.
func (g generator) locationCustomer(id int64) (int, bool) {
	k := id - g.firstLocation
	if k < 0 || k >= int64(g.n)*locationsPerGenerated {
		return 0, false
	}
	return int(k / locationsPerGenerated), true
}

// lastLocationContactID is the highest id a generated location contact can
// have.
func (g generator) lastLocationContactID() int64 {
	return g.firstLocationContact + int64(g.n)*locationsPerGenerated*contactsPerGeneratedLocation - 1
}

// addLocations gives rec, generated customer i of place, its locations
// with their contacts.
func (g generator) addLocations(rec *customerRecord, i int, place seedPlace) {
	r := genRand(uint64(i)*0x9e3779b97f4a7c15 ^ 0x10ca_7105_2026_0604)
	commercial := rec.customer.Type == "Commercial"
	start := rec.customer.CreatedOn
	sub := (g.slot / (locationsPerGenerated * contactsPerGeneratedLocation)).Truncate(100 * time.Nanosecond)
	for j := range r.locationCount(commercial) {
		loc := &locationRecord{
			location: client.Location{
				ID: g.firstLocation + int64(i*locationsPerGenerated+j), CustomerID: rec.customer.ID, Active: rec.customer.Active,
				Name: rec.customer.Name, Address: rec.customer.Address, CreatedOn: start,
			},
			latitude: rec.latitude, longitude: rec.longitude, createdByID: rec.createdByID,
		}
		l := &loc.location
		// Location j and its contacts are in the j-th twelfth of the slot.
		from := start.Add(sub * time.Duration(j*contactsPerGeneratedLocation))
		if j > 0 {
			site := place
			if commercial && r.IntN(4) == 0 {
				site = generatedPlaces[r.IntN(len(generatedPlaces))]
			}
			l.Address = r.address(site, commercial)
			l.Name = r.siteName(rec, j, l.Address)
			l.Active = l.Active && r.IntN(20) != 0
			l.CreatedOn = start.Add(r.within(from.Sub(start)))
			loc.latitude, loc.longitude = round6(site.lat+(r.float()-0.5)*0.1), round6(site.lng+(r.float()-0.5)*0.1)
			loc.createdByID = 31000000 + int64(r.IntN(40))
		}
		l.ModifiedOn = from.Add(r.within(sub * contactsPerGeneratedLocation))
		roles := siteRolesOf(commercial, j)
		for k := range r.siteContactCount(commercial, j) {
			role := roles[k]
			c := client.Contact{ID: g.firstLocationContact + int64((i*locationsPerGenerated+j)*contactsPerGeneratedLocation+k), Type: role.typ}
			c.Memo = pickMemo(&r, role.memos)
			c.Value = uniqueValue(loc.contacts, func() string { return r.siteValue(c.Type, c.Memo, rec, j, place) })
			if r.IntN(8) == 0 {
				c.Memo = ""
			}
			fillSettings(&r, &c)
			c.ModifiedOn = from.Add(sub*time.Duration(k) + r.within(sub))
			c.CreatedOn = l.CreatedOn.Add(r.within(c.ModifiedOn.Sub(l.CreatedOn)))
			loc.contacts = append(loc.contacts, c)
		}
		rec.locations = append(rec.locations, loc)
	}
}

// locationCount is how many locations a customer has.
func (r *genRand) locationCount(commercial bool) int {
	n := r.IntN(100)
	switch {
	case !commercial && n < 6:
		return 2
	case !commercial, n < 45:
		return 1
	case n < 75:
		return 2 + r.IntN(2)
	case n < 90:
		return 4 + r.IntN(3)
	}
	return 7 + r.IntN(6)
}

// siteContactCount is how many contacts location j has (at most as many
// as siteRolesOf gives it roles).
func (r *genRand) siteContactCount(commercial bool, j int) int {
	n := r.IntN(100)
	switch {
	case commercial && n < 20:
		return 1
	case commercial && n < 55:
		return 2
	case commercial && n < 85:
		return 3
	case commercial:
		return 4
	case j == 0 && n < 75:
		return 0
	case j == 0 && n < 95:
		return 1
	case j == 0:
		return 2
	case n < 60:
		return 1
	}
	return 2
}

// siteName names location j > 0 of rec at a.
func (r *genRand) siteName(rec *customerRecord, j int, a client.Address) string {
	if rec.customer.Type != "Commercial" {
		return r.pick([]string{"Rental - ", "Rental - ", "Duplex - ", "Mother's house - ", "Lake house - "}) + a.Street
	}
	name := rec.customer.Name
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%s #%d", name, 100+7*j+r.IntN(7))
	case 1:
		return name + " - " + a.City
	case 2:
		return fmt.Sprintf("%s - Building %c", name, 'A'+rune(j))
	}
	return name + " - " + a.Street
}

// siteValue makes a value of type t for a contact of location j of rec
// whose memo is memo: a number as the customer's are, a tenant's own email,
// or the site's.
func (r *genRand) siteValue(t client.ContactType, memo string, rec *customerRecord, j int, place seedPlace) string {
	switch {
	case t.IsPhoneNumber():
		return r.phoneOrEmail(t, rec, place)
	case r.IntN(100) < 3:
		return r.pick(PlaceholderEmails)
	case strings.HasPrefix(memo, "Tenant"):
		return emailSlug(r.name(firstNames, accentedFirstNames)+" "+r.name(lastNames, accentedLastNames)) + "@" + r.pick(emailDomains)
	}
	site := strings.ReplaceAll(emailSlug(rec.customer.Name), ".", "")
	return fmt.Sprintf("%s%d@%s.%s", r.pick([]string{"site", "store", "manager", "frontdesk"}), j+1, site, r.pick(emailDomains))
}

// siteRole is whom a location's contact reaches, with the memos staff
// write for it (a %s is a first name).
type siteRole struct {
	typ   client.ContactType
	memos []string
}

var (
	// commercialSiteRoles are a business site's contacts, in the order a
	// site has them.
	commercialSiteRoles = []siteRole{
		{client.ContactMobilePhone, []string{"Site manager - %s (cell)", "Store manager - %s", "Property manager - %s", "Superintendent - %s", "Maintenance lead - %s"}},
		{client.ContactPhone, []string{"Gate phone - call box", "Gate call box - code 4411#", "Front desk", "Security desk - ask for %s", "Loading dock", "Leasing office"}},
		{client.ContactEmail, []string{"Site inbox", "Send invoices for this site here", "Facilities - %s", "Store manager - %s", "Tenant - %s, unit 2B"}},
		{client.ContactPhone, []string{"After-hours emergency line", "Night manager - %s", "On-call maintenance"}},
	}
	// rentalSiteRoles are a rental's: its tenant.
	rentalSiteRoles = []siteRole{
		{client.ContactMobilePhone, []string{"Tenant - %s", "Tenant - %s (call before 6pm)", "Tenant's cell"}},
		{client.ContactEmail, []string{"Tenant - %s", "Tenant email", "Tenant - %s, send confirmations here"}},
	}
	// homeSiteRoles are a home's own contacts.
	homeSiteRoles = []siteRole{
		{client.ContactMobilePhone, []string{"Neighbor - %s, has a key", "Caretaker - %s", "House sitter - %s"}},
		{client.ContactPhone, []string{"Gate call box - code 2580#", "Building intercom", "Doorman desk"}},
	}
)

// siteRolesOf are the roles of location j's contacts.
func siteRolesOf(commercial bool, j int) []siteRole {
	switch {
	case commercial:
		return commercialSiteRoles
	case j == 0:
		return homeSiteRoles
	}
	return rentalSiteRoles
}
