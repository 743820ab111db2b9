package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// owner is whose contacts a contact page is about: a customer's own
// (/customers/{id}/contacts/…) or those of one of its service locations
// (/locations/{id}/contacts/…). ServiceTitan treats both alike, and so do
// the pages: one handler serves each action for both, with the owner's
// URLs and words.
type owner struct {
	client.Owner
	// Name is what the pages call the owner: the customer's name, or the
	// location's with its customer's ("Maple Court Apartments · Oakridge
	// Property Management").
	Name string
	// CustomerName is the customer's name (the owner's, or the
	// location's customer's).
	CustomerName string
}

// url is the owner's page.
func (o owner) url() string {
	if o.IsLocation() {
		return locationURL(o.LocationID)
	}
	return customerURL(o.CustomerID)
}

// contactURL is one of the owner's contacts' page.
func (o owner) contactURL(contactID int64) string {
	return fmt.Sprintf("%s/contacts/%d", o.url(), contactID)
}

// kind is "customer" or "location", as messages say it.
func (o owner) kind() string {
	if o.IsLocation() {
		return "location"
	}
	return "customer"
}

// describe names the owner as ServiceTitan's errors are explained:
// "customer with ID 5", "location with ID 100000001".
func (o owner) describe() string {
	if o.IsLocation() {
		return fmt.Sprintf("location with ID %d", o.LocationID)
	}
	return fmt.Sprintf("customer with ID %d", o.CustomerID)
}

func locationURL(id int64) string { return fmt.Sprintf("/locations/%d", id) }

// isLocationPath reports whether the request's route is a location's.
func isLocationPath(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/locations/") }

// pageOwner reads the owner of a contact URL (its :id) and names it: a
// location is read from ServiceTitan (or a cache of a few minutes) for its
// customer, since its contacts' URLs do not carry it.
func (a *App) pageOwner(c echo.Context) (owner, error) {
	what := a.ownerKind(c)
	id, err := pathID(c, "id", what)
	if err != nil {
		return owner{}, err
	}
	if what == "location" {
		return a.locationOwner(c.Request().Context(), id)
	}
	name, err := a.customerName(c, id)
	if err != nil {
		return owner{}, err
	}
	return owner{Owner: client.CustomerOwner(id), Name: name, CustomerName: name}, nil
}

// ownerAndContact reads a contact URL's owner and contact id.
// Both ids are checked before anything is read.
func (a *App) ownerAndContact(c echo.Context) (owner, int64, error) {
	if _, err := pathID(c, "id", a.ownerKind(c)); err != nil {
		return owner{}, 0, err
	}
	contactID, err := pathID(c, "contactId", "contact")
	if err != nil {
		return owner{}, 0, err
	}
	o, err := a.pageOwner(c)
	return o, contactID, err
}

// ownerKind is what a contact URL's :id names: "customer" or "location".
func (a *App) ownerKind(c echo.Context) string {
	if isLocationPath(c) {
		return "location"
	}
	return "customer"
}

// locationOwner is a location as the owner of its contacts.
func (a *App) locationOwner(ctx context.Context, id int64) (owner, error) {
	loc, err := a.location(ctx, id)
	if err != nil {
		return owner{}, err
	}
	customer, err := a.customerNameCtx(ctx, loc.CustomerID)
	if err != nil {
		return owner{}, err
	}
	return owner{Owner: client.LocationOwner(loc.CustomerID, id), Name: locationName(loc) + " · " + customer, CustomerName: customer}, nil
}

// location reads a location from a cache of a few minutes or ServiceTitan.
func (a *App) location(ctx context.Context, id int64) (client.Location, error) {
	if loc, ok := a.locations.Get(id); ok {
		return loc, nil
	}
	loc, err := a.st.GetLocation(ctx, id)
	if err != nil {
		return client.Location{}, upstreamError(err, fmt.Sprintf("location with ID %d", id))
	}
	a.locations.Put(id, loc)
	return loc, nil
}

// locationName is a location as pages name it: its name, and its street
// when the name is not it ("Maple Court Apartments, 140 Maple St").
func locationName(loc client.Location) string {
	return index.LocationName(index.Location{ID: loc.ID, Name: loc.Name, Address: loc.Address}, loc.ID)
}

// auditURLOf is the audit trail of the owner's contacts' changes.
func auditURLOf(ow owner) string {
	if ow.IsLocation() {
		return fmt.Sprintf("/audit?location=%d", ow.LocationID)
	}
	return fmt.Sprintf("/audit?customer=%d", ow.CustomerID)
}

// ownerOfEntry is the owner of an audited attempt's contact.
func ownerOfEntry(customerID, locationID int64) owner {
	return owner{Owner: client.Owner{CustomerID: customerID, LocationID: locationID}}
}
