package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// A customer has one or more service locations, the addresses where work
// is done, and each location has contacts of its own: the tenant of a
// rental, a store's manager, a warehouse's gate phone. ServiceTitan gives
// them the same contract as a customer's contacts, so the location contact
// operations below share their implementation (contacts.go), and their
// requests, answers and errors are the customer contacts' ones.

// Location is a customer's service location (the fields this app uses).
type Location struct {
	ID         int64     `json:"id"`
	CustomerID int64     `json:"customerId"`
	Active     bool      `json:"active"`
	Name       string    `json:"name"`
	Address    Address   `json:"address"`
	CreatedOn  time.Time `json:"createdOn"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

// UnmarshalJSON accepts ServiceTitan's zone-less timestamps.
func (l *Location) UnmarshalJSON(b []byte) error {
	return decodeWire(b, l, locationWire.location)
}

// locationWire is to Location what contactWire is to Contact.
type locationWire struct {
	plainLocation
	CreatedOn  apiTime `json:"createdOn"`
	ModifiedOn apiTime `json:"modifiedOn"`
}

// plainLocation is Location without its methods.
type plainLocation Location

func (w locationWire) location() Location {
	l := Location(w.plainLocation)
	l.CreatedOn, l.ModifiedOn = time.Time(w.CreatedOn), time.Time(w.ModifiedOn)
	return l
}

// LocationQuery filters ListLocations. Zero fields are not sent; at least
// one of CustomerID, IDs, Name and Street must be set.
type LocationQuery struct {
	CustomerID int64
	IDs        []int64
	Name       string // part of the location's name
	Street     string // part of its street
	// IncludeInactive lists inactive locations too (active=Any); by
	// default ServiceTitan lists active ones only.
	IncludeInactive bool
}

// errNoLocationFilter refuses a ListLocations that would list the tenant.
var errNoLocationFilter = errors.New("client: ListLocations needs a customer, ids, a name or a street: the export feed is for every location")

// GetLocation reads one location.
func (c *Client) GetLocation(ctx context.Context, id int64) (Location, error) {
	var out locationWire
	err := c.do(ctx, OpGetLocation, http.MethodGet, fmt.Sprintf("/locations/%d", id), nil, nil, &out)
	return out.location(), err
}

// ListLocations returns every location matching q, following hasMore: a
// customer's locations, or those with the given ids, name or street. It is
// for a page a person looks at (more than 100 pages of 100 fail, as a list
// that does not end would); a copy of every location comes from the export
// feed (ExportLocations).
func (c *Client) ListLocations(ctx context.Context, q LocationQuery) ([]Location, error) {
	v := url.Values{}
	if q.CustomerID != 0 {
		v.Set("customerId", strconv.FormatInt(q.CustomerID, 10))
	}
	if len(q.IDs) > 0 {
		v.Set("ids", joinIDs(q.IDs))
	}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if q.Street != "" {
		v.Set("street", q.Street)
	}
	if len(v) == 0 {
		return nil, errNoLocationFilter
	}
	if q.IncludeInactive {
		v.Set("active", "Any")
	}
	return listAll(ctx, c, OpGetLocations, "/locations", v, locationWire.location)
}

// ListLocationContacts returns all of a location's contacts, following
// hasMore, as ListContacts does for a customer.
func (c *Client) ListLocationContacts(ctx context.Context, locationID int64) ([]Contact, error) {
	return c.listContacts(ctx, locationContacts(locationID))
}

// GetLocationContact finds one contact of a location by reading the
// location's list (there is no endpoint for one contact), as GetContact.
func (c *Client) GetLocationContact(ctx context.Context, locationID, contactID int64) (Contact, error) {
	return c.getContact(ctx, locationContacts(locationID), contactID)
}

// CreateLocationContact adds a contact to a location, as CreateContact
// adds one to a customer: never resent once it may have arrived (a lost
// answer matches ErrOutcomeUnknown), and a duplicate value within the
// location is a 409 (ErrConflict).
func (c *Client) CreateLocationContact(ctx context.Context, locationID int64, req CreateContactRequest) (Contact, error) {
	return c.createContact(ctx, locationContacts(locationID), req)
}

// UpdateLocationContact PATCHes a location's contact with the request of
// Customers_UpdateContact: only the fields set in req are sent, and
// preferences, when sent, carry every flag as loaded. Retries and a lost
// answer are as for UpdateContact.
func (c *Client) UpdateLocationContact(ctx context.Context, locationID, contactID int64, req UpdateContactRequest) (Contact, error) {
	return c.updateContact(ctx, locationContacts(locationID), contactID, req)
}

// DeleteLocationContact removes a location's contact, as DeleteContact.
func (c *Client) DeleteLocationContact(ctx context.Context, locationID, contactID int64) error {
	return c.deleteContact(ctx, locationContacts(locationID), contactID)
}
