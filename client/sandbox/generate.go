package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Generated customers ([WithGeneratedCustomers]) make a tenant as large as
// a real one for demos and benchmarks without holding it: customer number
// i (0 to n-1) and its contacts are a pure function of i and n, made afresh
// whenever they are read. Only what changes is stored: a generated customer
// whose contacts are changed, added or removed is kept from then on like a
// seed customer, and a removed contact leaves a tombstone for the export
// feed.
//
// Customer i has id firstID+i, where firstID is one more than the highest
// seed customer id (10000029 with the default seed); its contacts have ids
// firstContact+4i to firstContact+4i+3 (those it has: 1 to 4), where
// firstContact is one more than the highest seed contact id. Customers
// were created one after another between generatedFrom and generatedUntil,
// and were last modified soon after: customer i's modifiedOn, then each of
// its contacts' in id order, lie in the i-th of n equal slots of that
// span. So by (modifiedOn, id) the generated rows come in the order of
// their ids, which lets the export feeds start anywhere without sorting.
//
// The data look like a tenant that has been used for years: names with
// accents, apostrophes and hyphens ("Zoë Åkesson-Nuñez"), residential and
// commercial customers, US addresses, about 3% inactive; mostly four
// contacts each (mobile, landline, email, fax), among them placeholders
// staff typed to get past a required field ("1234567890",
// "noemail@gmail.com"), a few values that are not valid numbers or
// addresses, and email addresses shared by five customers (a property
// manager's, a family's). Phone numbers are random ten-digit US numbers:
// unlike the seed's 555-01xx ones, some may be real. Emails are at
// example.com, example.org and example.net, but for the placeholders.
//
// Each generated customer has service locations too, made from its number
// in the same way (generate_locations.go): one at its address, a few
// residential customers a rental as well, and commercial ones one to
// twelve sites, each with contacts of its own.

// GeneratedFirstCustomerName is the name of the first generated customer
// (id one more than the highest seed customer id), the accented,
// hyphenated name that search tests look for.
const GeneratedFirstCustomerName = "Zoë Åkesson-Nuñez"

// MaxGeneratedCustomers caps [WithGeneratedCustomers].
const MaxGeneratedCustomers = 10_000_000

// contactsPerGenerated is how many contact ids each generated customer
// has room for.
const contactsPerGenerated = 4

var (
	generatedFrom  = time.Date(2016, 1, 4, 14, 0, 0, 0, time.UTC)
	generatedUntil = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
)

// Placeholders staff type when a field insists on a value.
var (
	PlaceholderPhones = []string{"1234567890", "0000000000", "5555555555", "9876543210"}
	PlaceholderEmails = []string{"noemail@gmail.com", "none@none.com", "test@test.com", "noemail@noemail.com"}
)

// WithGeneratedCustomers adds n generated customers (at most
// [MaxGeneratedCustomers]) after the seed ones, with 1 to 4 contacts each
// (about 3.6 on average). They cost no memory until changed: see
// generate.go. The same n always gives the same customers. n <= 0 adds
// none.
func WithGeneratedCustomers(n int) Option {
	return func(s *Settings) { s.GeneratedCustomers = n }
}

// generator makes the generated customers.
type generator struct {
	n            int
	firstID      int64 // customer id of customer 0
	firstContact int64 // id of customer 0's first contact
	// firstLocation and firstLocationContact are the ids of customer 0's
	// first location and of that location's first contact.
	firstLocation        int64
	firstLocationContact int64
	slot                 time.Duration
}

// newGenerator places n generated customers after the seed data.
func newGenerator(n int, seed map[int64]*customerRecord) generator {
	g := generator{n: n}
	for id, rec := range seed {
		g.firstID = max(g.firstID, id)
		for _, c := range rec.contacts {
			g.firstContact = max(g.firstContact, c.ID)
		}
	}
	g.firstID++
	g.firstContact++
	g.firstLocation, g.firstLocationContact = firstLocationIDs(seed)
	if n > 0 {
		g.slot = (generatedUntil.Sub(generatedFrom) / time.Duration(n)).Truncate(100 * time.Nanosecond)
	}
	return g
}

// index is the number of the generated customer with id, if there is one.
func (g generator) index(id int64) (int, bool) {
	i := id - g.firstID
	if i < 0 || i >= int64(g.n) {
		return 0, false
	}
	return int(i), true
}

func (g generator) customerID(i int) int64 { return g.firstID + int64(i) }

// lastContactID is the highest id a generated contact can have.
func (g generator) lastContactID() int64 {
	return g.firstContact + int64(g.n)*contactsPerGenerated - 1
}

// slotStart is when customer i was created; its rows' modifiedOn are
// before slotStart(i+1).
func (g generator) slotStart(i int) time.Time {
	return generatedFrom.Add(time.Duration(i) * g.slot)
}

// slotOf is the customer whose slot holds t, clamped to 0..n-1.
func (g generator) slotOf(t time.Time) int {
	if g.n == 0 || !t.After(generatedFrom) {
		return 0
	}
	return int(min(int64(t.Sub(generatedFrom)/g.slot), int64(g.n-1)))
}

// latest is a time after every generated row's modifiedOn.
func (g generator) latest() time.Time { return g.slotStart(g.n) }

// record makes customer i with its contacts and its locations.
func (g generator) record(i int) *customerRecord {
	rec, r, place := g.customer(i)
	g.addContacts(rec, i, &r, place)
	g.addLocations(rec, i, place)
	return rec
}

// customer makes customer i without its contacts, and returns the random
// source and the place its contacts are made from.
func (g generator) customer(i int) (*customerRecord, genRand, seedPlace) {
	r := genRand(uint64(i)*0x9e3779b97f4a7c15 ^ 0x5eed_2026_0115)
	commercial := r.IntN(100) < 18
	place := generatedPlaces[r.IntN(len(generatedPlaces))]
	typ, name := "Residential", r.personName()
	if commercial {
		typ, name = "Commercial", r.businessName()
	}
	if i == 0 {
		typ, name, commercial = "Residential", GeneratedFirstCustomerName, false
	}
	created := g.slotStart(i)
	rec := &customerRecord{
		customer: client.Customer{
			ID: g.customerID(i), Active: r.IntN(100) >= 3, Name: name, Type: typ,
			Address:   r.address(place, commercial),
			CreatedOn: created, ModifiedOn: created.Add(r.within(g.slot / 5)),
		},
		latitude:    round6(place.lat + (r.float()-0.5)*0.1),
		longitude:   round6(place.lng + (r.float()-0.5)*0.1),
		createdByID: 31000000 + int64(r.IntN(40)),
	}
	return rec, r, place
}

func (g generator) addContacts(rec *customerRecord, i int, r *genRand, place seedPlace) {
	commercial := rec.customer.Type == "Commercial"
	created := rec.customer.CreatedOn
	count := 4
	switch n := r.IntN(100); {
	case n < 4:
		count = 1
	case n < 12:
		count = 2
	case n < 28:
		count = 3
	}
	for j := range count {
		c := client.Contact{ID: g.firstContact + int64(i)*contactsPerGenerated + int64(j), Type: r.contactType(commercial, rec)}
		if j == 0 && (i/5)%40 == 3 {
			// Five customers in a row share one address: a property
			// manager's, or a family's with a house each.
			manager := strings.ReplaceAll(emailSlug(businessPlaces[(i/5)%len(businessPlaces)]), ".", "")
			c.Type, c.Value = client.ContactEmail, fmt.Sprintf("billing.%d@%s-pm.example.com", i/5, manager)
		} else {
			c.Value = r.contactValue(c.Type, rec, place)
		}
		fillContact(r, &c, commercial)
		// In their slot after the customer's, in id order.
		from := created.Add(g.slot * time.Duration(j+1) / 5)
		c.ModifiedOn = from.Add(r.within(g.slot / 5))
		c.CreatedOn = created.Add(r.within(c.ModifiedOn.Sub(created)))
		if r.IntN(3) == 0 {
			c.CreatedOn = c.ModifiedOn
		}
		rec.contacts = append(rec.contacts, c)
	}
}

// genRand is a splitmix64 random source: a customer's is seeded with its
// number, so any customer is made without making the others.
type genRand uint64

func (r *genRand) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// IntN returns a number in [0, n).
func (r *genRand) IntN(n int) int { return int(r.next() % uint64(n)) }

func (r *genRand) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// within returns a duration in [0, d) at ServiceTitan's 100 ns resolution.
func (r *genRand) within(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(r.next() % uint64(d)).Truncate(100 * time.Nanosecond)
}

func (r *genRand) pick(list []string) string { return list[r.IntN(len(list))] }

// name picks a name from common, or one time in ten from accented.
func (r *genRand) name(common, accented []string) string {
	if r.IntN(10) == 0 {
		return r.pick(accented)
	}
	return r.pick(common)
}

func (r *genRand) personName() string {
	last := r.name(lastNames, accentedLastNames)
	if r.IntN(100) < 12 {
		if other := r.name(lastNames, accentedLastNames); other != last && !strings.ContainsAny(last+other, " -'") {
			last += "-" + other
		}
	}
	first := r.name(firstNames, accentedFirstNames)
	switch n := r.IntN(100); {
	case n < 4:
		return first + " & " + r.name(firstNames, accentedFirstNames) + " " + last
	case n < 6:
		return first + " " + last + " Jr."
	case n < 9:
		return last + ", " + first // typed surname first
	}
	return first + " " + last
}

func (r *genRand) businessName() string {
	var name string
	if r.IntN(2) == 0 {
		name = r.name(lastNames, accentedLastNames) + " " + r.pick(trades)
	} else {
		name = r.pick(businessPlaces) + " " + r.pick(trades)
	}
	return name + r.pick([]string{"", "", "", " LLC", " Inc.", " & Sons", " Co."})
}

func (r *genRand) address(place seedPlace, commercial bool) client.Address {
	a := client.Address{
		Street:  fmt.Sprintf("%d %s", 1+r.IntN(9999), r.pick(generatedStreets)),
		City:    place.city,
		State:   place.state,
		Zip:     fmt.Sprintf("%05d", (atoi(place.zip)+r.IntN(30))%100000),
		Country: "USA",
	}
	switch n := r.IntN(8); {
	case n == 0 && commercial:
		a.Unit = fmt.Sprintf("Suite %d", 100+r.IntN(400))
	case n == 0:
		a.Unit = fmt.Sprintf("Apt %d%c", 1+r.IntN(20), 'A'+rune(r.IntN(4)))
	}
	return a
}

func atoi(digits string) int {
	n := 0
	for _, d := range digits {
		n = n*10 + int(d-'0')
	}
	return n
}

// contactType picks the type of rec's next contact: mostly numbers, and
// no more than two emails.
func (r *genRand) contactType(commercial bool, rec *customerRecord) client.ContactType {
	n := r.IntN(100)
	fax, mobile, phone := 4, 44, 24
	if commercial {
		fax, mobile, phone = 15, 25, 35
	}
	emails := 0
	for _, c := range rec.contacts {
		if c.Type == client.ContactEmail {
			emails++
		}
	}
	if emails == 2 {
		n %= fax + mobile + phone
	}
	switch {
	case n < fax:
		return client.ContactFax
	case n < fax+mobile:
		return client.ContactMobilePhone
	case n < fax+mobile+phone:
		return client.ContactPhone
	}
	return client.ContactEmail
}

// contactValue makes a value of type t that no other contact of rec has.
// Generated values are written one way (digits, lower case), so
// comparing them as strings is sameValue, only faster.
func (r *genRand) contactValue(t client.ContactType, rec *customerRecord, place seedPlace) string {
	return uniqueValue(rec.contacts, func() string { return r.phoneOrEmail(t, rec, place) })
}

// uniqueValue is the first value next makes that none of contacts holds.
func uniqueValue(contacts []client.Contact, next func() string) string {
	for {
		v := next()
		taken := false
		for _, c := range contacts {
			taken = taken || c.Value == v
		}
		if !taken {
			return v
		}
	}
}

func (r *genRand) phoneOrEmail(t client.ContactType, rec *customerRecord, place seedPlace) string {
	n := r.IntN(100)
	if t.IsPhoneNumber() {
		switch {
		case n < 3:
			return r.pick(PlaceholderPhones)
		case n < 4:
			return r.pick(invalidPhones)
		}
		area := place.area
		if r.IntN(5) == 0 {
			area = r.pick(generatedAreaCodes)
		}
		exchange := 200 + r.IntN(800)
		if exchange%100 == 11 { // N11 codes are service numbers
			exchange++
		}
		return area + strconv.Itoa(exchange*10000+r.IntN(10000))
	}
	switch {
	case n < 4:
		return r.pick(PlaceholderEmails)
	case n < 5:
		return r.pick(invalidEmails)
	}
	local := emailSlug(rec.customer.Name)
	if rec.customer.Type == "Commercial" {
		local = r.pick([]string{"office", "billing", "info", "service", "accounts"}) + "@" + strings.ReplaceAll(local, ".", "")
		return local + "." + r.pick(emailDomains)
	}
	if r.IntN(3) == 0 {
		local = strings.ReplaceAll(local, ".", "") + fmt.Sprint(1950+r.IntN(55))
	}
	return local + "@" + r.pick(emailDomains)
}

var (
	invalidPhones = []string{"5550123", "217555012", "(312) 555-01", "000", "call office"}
	invalidEmails = []string{"jsmith@", "maria.gonzalez@gmail", "n/a", "kelly@@example.com"}
)

var accentedFirstNames = []string{
	"Zoë", "José", "Chloé", "Renée", "Søren", "Björn", "Léa", "Mónica", "Inés", "François", "Noémie", "Siobhán",
	"Łukasz", "Åsa", "Jürgen", "André", "Raúl", "Anaïs", "Héctor", "Sofía", "Tuấn",
}

var firstNames = []string{
	"Dolores", "Ana", "Mary", "James", "Patricia",
	"Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan",
	"Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony",
	"Betty", "Mark", "Sandra", "Priya", "Wei", "Mei", "Hiroshi", "Aarav", "Fatima", "Olamide", "Kwame", "Aoife",
	"Liam", "Olivia", "Noah", "Emma", "Mateo", "Diego", "Camila", "Jean-Luc", "Mary-Kate",
}

var accentedLastNames = []string{
	"Åkesson", "Nuñez", "Müller", "García", "Ramírez", "Peña", "Gómez", "Brontë", "Schröder",
	"Jiménez", "Øvergaard", "Håkansson", "Lefèvre", "Wójcik", "Nguyễn",
}

var lastNames = []string{
	"O'Connor", "Dubois", "Kowalski", "Nguyen", "Smith", "Johnson",
	"Williams", "Brown", "Jones", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
	"Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
	"Harris", "Sanchez", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott",
	"Chen", "Patel", "Kim", "Okafor", "Van der Berg", "MacDonald", "D'Angelo", "St. James", "Fitzgerald", "Nakamura",
}

var trades = []string{
	"Plumbing & Heating", "Dental Group", "Family Dentistry", "Auto Repair", "Property Management", "Law Office",
	"Bakery", "Veterinary Clinic", "Hardware", "Fitness Center", "Self Storage", "Landscaping", "Roofing",
	"Café", "Realty", "HVAC", "Daycare", "Community Church", "Pharmacy", "Salon & Spa", "Apartments", "Diner",
}

var businessPlaces = []string{
	"Blue Ridge", "Sunrise", "Lakeside", "Oak Hollow", "Riverside", "Summit", "Golden State", "Prairie",
	"Harbor View", "Evergreen", "Pine Valley", "Cedar Creek", "Mesa Verde", "Northside", "Old Mill", "Cañon City",
}

var generatedStreets = append(seedStreets[:len(seedStreets):len(seedStreets)],
	"Camino del Río", "Peachtree St NE", "Martin Luther King Jr Blvd", "County Rd 12", "Avenida Cañada",
	"Old Post Rd", "Lincoln Ave", "Jefferson St", "Spring Garden St", "Pleasant Valley Dr", "Broadway",
	"1st Ave", "2nd St", "3rd St", "Lake Shore Dr", "Industrial Pkwy", "Commerce Dr", "Mill Creek Rd",
)

var generatedPlaces = append(seedPlaces[:len(seedPlaces):len(seedPlaces)], []seedPlace{
	{"Chicago", "IL", "60614", "312", 41.9214, -87.6513},
	{"Houston", "TX", "77006", "713", 29.7411, -95.3906},
	{"Los Angeles", "CA", "90026", "213", 34.0766, -118.2646},
	{"Seattle", "WA", "98103", "206", 47.6718, -122.3414},
	{"Atlanta", "GA", "30308", "404", 33.7710, -84.3827},
	{"Miami", "FL", "33133", "305", 25.7320, -80.2437},
	{"Minneapolis", "MN", "55408", "612", 44.9480, -93.2913},
	{"St. Louis", "MO", "63110", "314", 38.6270, -90.2660},
	{"Kansas City", "MO", "64111", "816", 39.0575, -94.5930},
	{"Salt Lake City", "UT", "84102", "801", 40.7560, -111.8640},
	{"Albuquerque", "NM", "87102", "505", 35.0844, -106.6504},
	{"Las Vegas", "NV", "89104", "702", 36.1700, -115.1200},
	{"Charlotte", "NC", "28203", "704", 35.2080, -80.8590},
	{"Pittsburgh", "PA", "15213", "412", 40.4440, -79.9530},
	{"Baltimore", "MD", "21218", "410", 39.3290, -76.6060},
	{"Richmond", "VA", "23220", "804", 37.5490, -77.4600},
	{"Louisville", "KY", "40204", "502", 38.2370, -85.7240},
	{"New Orleans", "LA", "70115", "504", 29.9230, -90.0930},
	{"Oklahoma City", "OK", "73103", "405", 35.4900, -97.5190},
	{"Sacramento", "CA", "95816", "916", 38.5730, -121.4700},
	{"Santa Fe", "NM", "87501", "505", 35.6870, -105.9380},
	{"Española", "NM", "87532", "505", 35.9911, -106.0806},
	{"Cañon City", "CO", "81212", "719", 38.4410, -105.2420},
	{"Coeur d'Alene", "ID", "83814", "208", 47.6777, -116.7805},
	{"Winston-Salem", "NC", "27101", "336", 36.0999, -80.2442},
	{"Wilkes-Barre", "PA", "18701", "570", 41.2459, -75.8813},
}...)

var generatedAreaCodes = func() []string {
	out := make([]string, len(generatedPlaces))
	for i, p := range generatedPlaces {
		out[i] = p.area
	}
	return out
}()
