package index

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Service locations: the addresses where a customer's work is done, each
// with contacts of its own. The index holds them from two more feeds,
// export/locations and export/locations/contacts. A location's contact is
// an index_contacts row like a customer's, with its location (LocationID)
// and the location's customer (CustomerID), so search, the hygiene rules
// and bulk lists read both kinds with the same queries.

// Feed names of the locations' feeds.
const (
	FeedLocations        = "locations"
	FeedLocationContacts = "location-contacts"
)

// FeedNames lists every feed in the order a pass reads them: a contact's
// owner comes before it (a customer, a location) as far as the feeds
// allow.
var FeedNames = []string{FeedCustomers, FeedContacts, FeedLocations, FeedLocationContacts}

// Location is a service location as the index holds it.
type Location struct {
	ID         int64
	CustomerID int64
	Name       string
	Address    client.Address
	Active     bool
	ModifiedOn time.Time
}

// locationSearch is what a location is found by: its name and address.
func locationSearch(l Location) string {
	a := l.Address
	return fold(strings.Join([]string{l.Name, a.Street, a.Unit, a.City, a.State, a.Zip}, " "))
}

// locationFault says why a location row cannot be stored, or "".
func locationFault(l Location) string {
	return customerFault(Customer{Name: l.Name, Address: l.Address})
}

// The upsert of locations: a row newer than (or as new as) the one the
// index holds replaces it.
const (
	upsertLocationsInsert = `INSERT INTO index_locations
		(id, customer_id, name, street, unit, city, state, zip, active, modified_us, search)`
	upsertLocationsColumns  = 11
	upsertLocationsConflict = `ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, name = excluded.name, street = excluded.street,
			unit = excluded.unit, city = excluded.city, state = excluded.state, zip = excluded.zip,
			active = excluded.active, modified_us = excluded.modified_us, search = excluded.search
		WHERE excluded.modified_us >= index_locations.modified_us`
)

// upsertLocations writes locations newer than what the index holds.
func (s *Store) upsertLocations(ctx context.Context, tx *sql.Tx, rows []Location) error {
	rows = newest(rows, func(l Location) int64 { return l.ID }, func(l Location) time.Time { return l.ModifiedOn })
	return s.upsert(ctx, tx, upsertLocationsInsert, upsertLocationsColumns, upsertLocationsConflict, len(rows),
		func(i int, args []any) []any {
			l := rows[i]
			a := l.Address
			return append(args, l.ID, l.CustomerID, l.Name, a.Street, a.Unit, a.City, a.State, a.Zip, l.Active,
				micros(l.ModifiedOn), locationSearch(l))
		})
}

// placeLocationContacts gives each location contact of p its location's
// customer, and moves those whose location the index does not hold yet
// into index_waiting, as setAside does for a customer's contacts: the
// locations feed is read after the location contacts' owners' customers,
// but a location added between two reads comes in the next pass.
func (s *Store) placeLocationContacts(ctx context.Context, tx *sql.Tx, p *Page) error {
	ids := make([]int64, 0, len(p.Contacts))
	for _, c := range p.Contacts {
		ids = append(ids, c.LocationID)
	}
	customerOf, err := s.ownersHeld(ctx, tx, "index_locations", "customer_id", ids)
	if err != nil {
		return fmt.Errorf("find the page's locations: %w", err)
	}
	var waiting []Contact
	kept := p.Contacts[:0]
	for _, c := range p.Contacts {
		customer, ok := customerOf[c.LocationID]
		if !ok {
			waiting = append(waiting, c)
			continue
		}
		c.CustomerID = customer
		kept = append(kept, c)
	}
	p.Contacts = kept
	return s.keepWaiting(ctx, tx, waiting)
}

// keepWaiting puts contacts into index_waiting, a newer row of the same
// contact replacing an older.
func (s *Store) keepWaiting(ctx context.Context, tx *sql.Tx, waiting []Contact) error {
	waiting = newest(waiting, func(c Contact) int64 { return c.ID }, func(c Contact) time.Time { return c.ModifiedOn })
	now := micros(s.now())
	return s.upsert(ctx, tx, `INSERT INTO index_waiting (id, customer_id, location_id, body, modified_us, since_us)`, 6,
		`ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, location_id = excluded.location_id,
			body = excluded.body, modified_us = excluded.modified_us
		WHERE excluded.modified_us >= index_waiting.modified_us`, len(waiting),
		func(i int, args []any) []any {
			c := waiting[i]
			body, _ := json.Marshal(c)
			return append(args, c.ID, c.CustomerID, c.LocationID, string(body), micros(c.ModifiedOn), now)
		})
}

// bringWaitingForLocations puts the contacts kept aside for a page's
// locations into the index, with their customer, now that it holds them.
func (s *Store) bringWaitingForLocations(ctx context.Context, tx *sql.Tx, locations []Location) error {
	customerOf := make(map[int64]int64, len(locations))
	ids := make([]int64, len(locations))
	for i, l := range locations {
		ids[i], customerOf[l.ID] = l.ID, l.CustomerID
	}
	waiting, err := s.takeWaitingBy(ctx, tx, "location_id", ids)
	if err != nil || len(waiting) == 0 {
		return err
	}
	for i := range waiting {
		waiting[i].CustomerID = customerOf[waiting[i].LocationID]
	}
	if err := s.noteTouched(ctx, tx, Page{Feed: FeedLocationContacts, Contacts: waiting}); err != nil {
		return err
	}
	if err := s.observe(ctx, tx, FeedLocationContacts, waiting); err != nil {
		return err
	}
	return s.upsertContacts(ctx, tx, waiting)
}

// LocationName is a service location as previews, results and the
// hygiene report name it: its name, and its street when the name is not
// it; "Location {id}" when the index does not hold it.
func LocationName(l Location, id int64) string {
	street := strings.TrimSpace(l.Address.Street + " " + l.Address.Unit)
	switch {
	case l.ID == 0:
		return fmt.Sprintf("Location %d", id)
	case l.Name == "":
		return street
	case street == "" || strings.Contains(l.Name, street):
		return l.Name
	}
	return l.Name + ", " + street
}

const locationColumns = `id, customer_id, name, street, unit, city, state, zip, active, modified_us`

func scanLocation(r scanner) (Location, error) {
	var l Location
	var modified int64
	err := r.Scan(&l.ID, &l.CustomerID, &l.Name, &l.Address.Street, &l.Address.Unit, &l.Address.City, &l.Address.State, &l.Address.Zip,
		&l.Active, &modified)
	l.ModifiedOn = fromMicros(modified)
	return l, err
}

func (s *Store) queryLocations(ctx context.Context, q string, args ...any) ([]Location, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("index: read locations: %w", err)
	}
	defer rows.Close()
	var out []Location
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, fmt.Errorf("index: read locations: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Location reads one location from the index.
func (s *Store) Location(ctx context.Context, id int64) (Location, error) {
	l, err := scanLocation(s.db.QueryRowContext(ctx, s.rebind(`SELECT `+locationColumns+` FROM index_locations WHERE id = ?`), id))
	if err == sql.ErrNoRows {
		return l, ErrNotFound
	}
	return l, err
}

// Locations reads a customer's locations from the index, active ones
// first, then by id.
func (s *Store) Locations(ctx context.Context, customerID int64) ([]Location, error) {
	return s.queryLocations(ctx, s.rebind(`SELECT `+locationColumns+` FROM index_locations WHERE customer_id = ?
		ORDER BY active DESC, id`), customerID)
}

// LocationContacts reads a location's contacts from the index, in id
// order.
func (s *Store) LocationContacts(ctx context.Context, locationID int64) ([]Contact, error) {
	return s.queryContacts(ctx, s.rebind(`SELECT `+contactColumns+` FROM index_contacts WHERE location_id = ? ORDER BY id`), locationID)
}

// matchedLocation is a location a query found, with what judging and
// ranking it need: its name and search text, and its customer's name and
// active flag.
type matchedLocation struct {
	id, customerID int64
	name, search   string
	customerName   string
	customerActive bool
}

// locationsMatching reads the locations whose name or address holds every
// term, where the caller checks that each begins a word of it (see
// wordsMatching), each with its customer (customers the index does not
// hold are left out): active ones first, then in id order.
func (s *Store) locationsMatching(ctx context.Context, terms []string) ([]matchedLocation, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	ids, args := s.wordsMatching("index_locations", terms, nil)
	rows, err := s.searchQuery(ctx, s.rebind(`SELECT l.id, l.customer_id, l.name, l.search, cu.name, cu.active
		FROM index_locations l JOIN index_customers cu ON cu.id = l.customer_id
		WHERE l.id IN (`+ids+`) ORDER BY l.active DESC, l.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("index: search locations: %w", err)
	}
	defer rows.Close()
	var out []matchedLocation
	for rows.Next() {
		var m matchedLocation
		if err := rows.Scan(&m.id, &m.customerID, &m.name, &m.search, &m.customerName, &m.customerActive); err != nil {
			return nil, fmt.Errorf("index: search locations: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index: search locations: %w", err)
	}
	return out, nil
}

// locationsByID reads locations by id.
func (s *Store) locationsByID(ctx context.Context, ids []int64) (map[int64]Location, error) {
	out := map[int64]Location{}
	for chunk := range slices.Chunk(ids, 500) {
		ls, err := s.queryLocations(ctx, s.rebind(`SELECT `+locationColumns+` FROM index_locations WHERE id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`)`), anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			out[l.ID] = l
		}
	}
	return out, nil
}
