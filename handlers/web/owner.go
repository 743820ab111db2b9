package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/index"
)

// Owner is whose contacts a contact page is about: a customer's own
// (/customers/{id}/contacts/…) or those of one of its service locations
// (/locations/{id}/contacts/…). ServiceTitan treats both alike, and so do
// the pages: one handler serves each action for both, with the owner's
// URLs and words.
type Owner struct {
	client.Owner
	// Name is what the pages call the owner: the customer's name, or the
	// location's with its customer's ("Maple Court Apartments · Oakridge
	// Property Management").
	Name string
	// CustomerName is the customer's name (the owner's, or the
	// location's customer's).
	CustomerName string
}

// URL is the owner's page.
func (o Owner) URL() string {
	if o.IsLocation() {
		return LocationURL(o.LocationID)
	}
	return CustomerURL(o.CustomerID)
}

// ContactURL is one of the owner's contacts' page.
func (o Owner) ContactURL(contactID int64) string {
	return fmt.Sprintf("%s/contacts/%d", o.URL(), contactID)
}

// Kind is "customer" or "location", as messages say it.
func (o Owner) Kind() string {
	if o.IsLocation() {
		return "location"
	}
	return "customer"
}

// Describe names the owner as ServiceTitan's errors are explained:
// "customer with ID 5", "location with ID 100000001".
func (o Owner) Describe() string {
	if o.IsLocation() {
		return fmt.Sprintf("location with ID %d", o.LocationID)
	}
	return fmt.Sprintf("customer with ID %d", o.CustomerID)
}

func LocationURL(id int64) string { return fmt.Sprintf("/locations/%d", id) }

// isLocationPath reports whether the request's route is a location's.
func isLocationPath(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/locations/") }

// PageOwner reads the owner of a contact URL (its :id) and names it: a
// location is read from ServiceTitan (or a cache of a few minutes) for its
// customer, since its contacts' URLs do not carry it.
func (a *Web) PageOwner(c echo.Context) (Owner, error) {
	what := a.ownerKind(c)
	id, err := PathID(c, "id", what)
	if err != nil {
		return Owner{}, err
	}
	if what == "location" {
		return a.LocationOwner(c.Request().Context(), id)
	}
	name, err := a.customerName(c, id)
	if err != nil {
		return Owner{}, err
	}
	return Owner{Owner: client.CustomerOwner(id), Name: name, CustomerName: name}, nil
}

// OwnerAndContact reads a contact URL's owner and contact id.
// Both ids are checked before anything is read.
func (a *Web) OwnerAndContact(c echo.Context) (Owner, int64, error) {
	if _, err := PathID(c, "id", a.ownerKind(c)); err != nil {
		return Owner{}, 0, err
	}
	contactID, err := PathID(c, "contactId", "contact")
	if err != nil {
		return Owner{}, 0, err
	}
	o, err := a.PageOwner(c)
	return o, contactID, err
}

// ownerKind is what a contact URL's :id names: "customer" or "location".
func (a *Web) ownerKind(c echo.Context) string {
	if isLocationPath(c) {
		return "location"
	}
	return "customer"
}

// LocationOwner is a location as the owner of its contacts.
func (a *Web) LocationOwner(ctx context.Context, id int64) (Owner, error) {
	loc, err := a.Location(ctx, id)
	if err != nil {
		return Owner{}, err
	}
	customer, err := a.customerNameCtx(ctx, loc.CustomerID)
	if err != nil {
		return Owner{}, err
	}
	return Owner{Owner: client.LocationOwner(loc.CustomerID, id), Name: LocationName(loc) + " · " + customer, CustomerName: customer}, nil
}

// Location reads a location from a cache of a few minutes or ServiceTitan.
func (a *Web) Location(ctx context.Context, id int64) (client.Location, error) {
	if loc, ok := a.Locations.Get(id); ok {
		return loc, nil
	}
	loc, err := a.ST.GetLocation(ctx, id)
	if err != nil {
		return client.Location{}, UpstreamError(err, fmt.Sprintf("location with ID %d", id))
	}
	a.Locations.Put(id, loc)
	return loc, nil
}

// LocationName is a location as pages name it: its name, and its street
// when the name is not it ("Maple Court Apartments, 140 Maple St").
func LocationName(loc client.Location) string {
	return index.LocationName(index.Location{ID: loc.ID, Name: loc.Name, Address: loc.Address}, loc.ID)
}

// AuditURLOf is the audit trail of the owner's contacts' changes.
func AuditURLOf(ow Owner) string {
	if ow.IsLocation() {
		return fmt.Sprintf("/audit?location=%d", ow.LocationID)
	}
	return fmt.Sprintf("/audit?customer=%d", ow.CustomerID)
}

// OwnerOfEntry is the owner of an audited attempt's contact.
func OwnerOfEntry(customerID, locationID int64) Owner {
	return Owner{Owner: client.Owner{CustomerID: customerID, LocationID: locationID}}
}

func BulkURL(id int64) string { return "/bulk/" + strconv.FormatInt(id, 10) }

// RestoreTail is a removal's Restore, after its owner's path
// (/customers/:id, /locations/:id): GET asks, POST restores.
const RestoreTail = "/removals/:removal/restore"

func RestoreURL(ow Owner, removal int64) string {
	return fmt.Sprintf("%s/removals/%d/restore", ow.URL(), removal)
}
