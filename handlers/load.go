package handlers

import (
	"context"
	"fmt"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
)

// loadContact reads a contact and its customer's name, as the record page
// and the edit form show them, side by side.
func (a *App) loadContact(c echo.Context, customerID, contactID int64) (string, client.Contact, error) {
	var name string
	var nameErr error
	var wg sync.WaitGroup
	ctx := c.Request().Context()
	wg.Go(func() { name, nameErr = a.customerNameCtx(ctx, customerID) })
	contact, err := a.st.GetContact(ctx, customerID, contactID)
	wg.Wait()
	if nameErr != nil {
		return "", client.Contact{}, nameErr
	}
	if err != nil {
		return "", client.Contact{}, upstreamError(err, fmt.Sprintf("contact with ID %d for %s", contactID, name))
	}
	return name, contact, nil
}

// customerName is the customer's name as ServiceTitan has it, from a cache
// of a few minutes (the customer page refreshes it) or a read.
func (a *App) customerName(c echo.Context, customerID int64) (string, error) {
	return a.customerNameCtx(c.Request().Context(), customerID)
}

func (a *App) customerNameCtx(ctx context.Context, customerID int64) (string, error) {
	if name, ok := a.names.Get(customerID); ok {
		return name, nil
	}
	customer, err := a.st.GetCustomer(ctx, customerID)
	if err != nil {
		return "", upstreamError(err, fmt.Sprintf("customer with ID %d", customerID))
	}
	a.names.Put(customer.ID, customer.Name)
	return customer.Name, nil
}
