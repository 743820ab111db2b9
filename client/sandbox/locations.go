package sandbox

import (
	"iter"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"github.com/contactdesk/contactdesk/client"
)

// Service locations: every customer has one or more, the addresses where
// work is done, and each has contacts of its own with the customer
// contacts' contract. The sandbox serves them as ServiceTitan does:
//
//   - GET /locations (Locations_GetList): paged, filtered by customerId,
//     ids, name, street, city, zip (parts, any case) and active (True, the
//     default, Any or False); a bad parameter is a 400 naming it.
//   - GET /locations/{id} (Locations_Get): 404 "Location not found".
//   - GET, POST /locations/{id}/contacts and PATCH, DELETE
//     /locations/{id}/contacts/{contactId}: as a customer's contacts, with
//     the same validation and 400s, a 404 "Location not found" for an
//     unknown location, and a 409 when another contact of the same
//     location holds the value (a customer's contact may hold it).
//   - GET /export/locations and /export/locations/contacts: the export
//     feeds (export.go), rows carrying locationId and active.
//
// Location ids and location contact ids are in ranges of their own, above
// every customer and customer contact id (see [SeedLocationID]), so no id
// names two things.

// Operation names of the location routes, as in ServiceTitan's reference.
const (
	OpListLocations          = "Locations_GetList"
	OpGetLocation            = "Locations_Get"
	OpListLocationContacts   = "Locations_GetContactList"
	OpUpdateLocationContact  = "Locations_UpdateContact"
	OpCreateLocationContact  = "Locations_CreateContact"
	OpDeleteLocationContact  = "Locations_DeleteContact"
	OpExportLocations        = "Export_Locations"
	OpExportLocationContacts = "Export_LocationContacts"
)

// A LocationRecord is a service location with its contacts, for [Record].
// Its Location's CustomerID is the record's customer's, whatever is given.
type LocationRecord struct {
	Location client.Location
	Contacts []client.Contact
}

// locationRecord is a stored location with its contacts, sorted by id.
type locationRecord struct {
	location    client.Location
	latitude    float64
	longitude   float64
	createdByID int64
	mergedToID  int64 // the location it was merged into, or 0
	contacts    []client.Contact
}

// handleLocations adds the location routes to the server's mux.
func (s *Server) handleLocations() {
	const base = "/crm/v2/tenant/{tenant}/locations"
	s.mux.HandleFunc("GET "+base, s.route(OpListLocations, true, s.handleListLocations))
	s.mux.HandleFunc("GET "+base+"/{id}", s.route(OpGetLocation, true, s.handleGetLocation))
	s.mux.HandleFunc("GET "+base+"/{id}/contacts", s.route(OpListLocationContacts, true, locationOwned.of(s.handleListContacts)))
	s.mux.HandleFunc("PATCH "+base+"/{id}/contacts/{contactId}", s.route(OpUpdateLocationContact, true, locationOwned.of(s.handleUpdateContact)))
	s.mux.HandleFunc("POST "+base+"/{id}/contacts", s.route(OpCreateLocationContact, true, locationOwned.of(s.handleCreateContact)))
	s.mux.HandleFunc("DELETE "+base+"/{id}/contacts/{contactId}", s.route(OpDeleteLocationContact, true, locationOwned.of(s.handleDeleteContact)))
	const export = "/crm/v2/tenant/{tenant}/export/locations"
	s.mux.HandleFunc("GET "+export, s.route(OpExportLocations, true, s.handleExport(locationsFeed)))
	s.mux.HandleFunc("GET "+export+"/contacts", s.route(OpExportLocationContacts, true, s.handleExport(locationContactsFeed)))
}

// locationBody is a location as Locations_Get and the locations feed show
// it.
type locationBody struct {
	ID           int64       `json:"id"`
	CustomerID   int64       `json:"customerId"`
	Active       bool        `json:"active"`
	Name         string      `json:"name"`
	Address      addressBody `json:"address"`
	CustomFields []any       `json:"customFields"`
	CreatedOn    string      `json:"createdOn"`
	CreatedByID  int64       `json:"createdById"`
	ModifiedOn   string      `json:"modifiedOn"`
	MergedToID   *int64      `json:"mergedToId"`
	ZoneID       *int64      `json:"zoneId"`
	TaxZoneID    *int64      `json:"taxZoneId"`
	TagTypeIDs   []int64     `json:"tagTypeIds"`
	ExternalData []any       `json:"externalData"`
}

func toLocationBody(loc *locationRecord) locationBody {
	l := loc.location
	b := locationBody{
		ID: l.ID, CustomerID: l.CustomerID, Active: l.Active, Name: l.Name,
		Address:      toAddressBody(l.Address, loc.latitude, loc.longitude),
		CustomFields: []any{}, TagTypeIDs: []int64{}, ExternalData: []any{},
		CreatedOn:   l.CreatedOn.UTC().Format(customerTimeLayout),
		CreatedByID: loc.createdByID,
		ModifiedOn:  l.ModifiedOn.UTC().Format(customerTimeLayout),
	}
	if loc.mergedToID != 0 {
		b.MergedToID = &loc.mergedToID
	}
	return b
}

func (s *Server) handleGetLocation(w http.ResponseWriter, r *http.Request) {
	serveOne(s, w, r, TitleLocationNotFound, func(id int64) (locationBody, bool) {
		_, loc, found := s.locationLocked(id)
		if !found {
			return locationBody{}, false
		}
		return toLocationBody(loc), true
	})
}

func (s *Server) handleListLocations(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r)
	errs := map[string][]string{}
	p := parsePaging(q, errs, s.pageSizeCap())
	ids := parseIDs(q, errs)
	active := parseActive(q, errs)
	var customerID *int64
	if v, ok := q.get("customerId"); ok {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			addErr(errs, "customerId", notValid(v))
		}
		customerID = &id
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	name, _ := q.get("name")
	street, _ := q.get("street")
	city, _ := q.get("city")
	zip, _ := q.get("zip")

	s.mu.Lock()
	page := newPageCollector[locationBody](p)
	for loc := range s.locationsLocked(customerID, ids) {
		l := loc.location
		switch {
		case !active(l.Active):
			continue
		case customerID != nil && l.CustomerID != *customerID, ids != nil && !ids[l.ID]:
			continue
		case !containsFold(l.Name, name), !containsFold(l.Address.Street, street), !containsFold(l.Address.City, city), !containsFold(l.Address.Zip, zip):
			continue
		}
		if !page.add(func() locationBody { return toLocationBody(loc) }) {
			break
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, page.body())
}

// locationsLocked yields in id order the locations a list may hold: those
// with the given ids, else those of customerID, else every one.
func (s *Server) locationsLocked(customerID *int64, ids map[int64]bool) iter.Seq[*locationRecord] {
	return func(yield func(*locationRecord) bool) {
		switch {
		case ids != nil:
			for _, id := range slices.Sorted(maps.Keys(ids)) {
				if _, loc, ok := s.locationLocked(id); ok && !yield(loc) {
					return
				}
			}
		case customerID != nil:
			if rec, ok := s.recordLocked(*customerID); ok {
				for _, loc := range rec.locations {
					if !yield(loc) {
						return
					}
				}
			}
		default:
			for rec := range s.allCustomersLocked(false, true) {
				for _, loc := range rec.locations {
					if !yield(loc) {
						return
					}
				}
			}
		}
	}
}

// locationLocked finds a location, stored or generated, and its customer.
// A change to a generated one is lost unless [changedLocked] stores its
// customer.
func (s *Server) locationLocked(id int64) (*customerRecord, *locationRecord, bool) {
	customerID, ok := s.locationCustomers[id]
	if !ok {
		i, ok := s.gen.locationCustomer(id)
		if !ok {
			return nil, nil, false
		}
		customerID = s.gen.customerID(i)
	}
	rec, ok := s.recordLocked(customerID)
	if !ok {
		return nil, nil, false
	}
	i, found := slices.BinarySearchFunc(rec.locations, id, func(l *locationRecord, id int64) int { return cmpInt64(l.location.ID, id) })
	if !found {
		return nil, nil, false
	}
	return rec, rec.locations[i], true
}

// Locations returns a customer's locations, active or not, sorted by id
// (nil for an unknown customer).
func (s *Server) Locations(customerID int64) []client.Location {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recordLocked(customerID)
	if !ok {
		return nil
	}
	out := make([]client.Location, len(rec.locations))
	for i, loc := range rec.locations {
		out[i] = loc.location
	}
	return out
}

// Location returns one location.
func (s *Server) Location(id int64) (client.Location, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, loc, ok := s.locationLocked(id)
	if !ok {
		return client.Location{}, false
	}
	return loc.location, true
}

// LocationContacts returns a location's contacts sorted by id (nil for an
// unknown location). The results are copies.
func (s *Server) LocationContacts(locationID int64) []client.Contact {
	return s.ownedContacts(locationOwned, locationID)
}

// LocationContact returns one contact of a location (a copy).
func (s *Server) LocationContact(locationID, contactID int64) (client.Contact, bool) {
	return s.ownedContact(locationOwned, locationID, contactID)
}

// SetLocationContact stores c as the location's contact with id c.ID, as
// [Server.SetContact] does for a customer's; the location contacts feed
// shows the change after every earlier one. It reports false, storing
// nothing, when the location does not exist.
func (s *Server) SetLocationContact(locationID int64, c client.Contact) bool {
	return s.setContact(locationOwned, locationID, c)
}
