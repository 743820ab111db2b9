package web

import (
	"context"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
)

// LoadContact reads a contact of its owner (named already, by PageOwner),
// as the record page and the edit form show it, and returns the owner's
// name with it.
func (a *Web) LoadContact(c echo.Context, ow Owner, contactID int64) (string, client.Contact, error) {
	name := ow.Name
	contact, err := a.ST.GetContactOf(c.Request().Context(), ow.Owner, contactID)
	if err != nil {
		return "", client.Contact{}, UpstreamError(err, fmt.Sprintf("contact with ID %d for %s", contactID, name))
	}
	return name, contact, nil
}

// customerName is the customer's name as ServiceTitan has it, from a cache
// of a few minutes (the customer page refreshes it) or a read.
func (a *Web) customerName(c echo.Context, customerID int64) (string, error) {
	return a.customerNameCtx(c.Request().Context(), customerID)
}

func (a *Web) customerNameCtx(ctx context.Context, customerID int64) (string, error) {
	if name, ok := a.Names.Get(customerID); ok {
		return name, nil
	}
	customer, err := a.ST.GetCustomer(ctx, customerID)
	if err != nil {
		return "", UpstreamError(err, fmt.Sprintf("customer with ID %d", customerID))
	}
	a.Names.Put(customer.ID, customer.Name)
	return customer.Name, nil
}
