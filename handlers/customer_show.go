package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/views"
)

// customerShow shows a customer and all of their contacts, and remembers
// the customer among this person's recently opened ones.
func (a *App) customerShow(c echo.Context) error {
	id, err := pathID(c, "id", "customer")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	customer, err := a.st.GetCustomer(ctx, id)
	if err != nil {
		return upstreamError(err, fmt.Sprintf("customer with ID %d", id))
	}
	contacts, err := a.st.ListContacts(ctx, id)
	if err != nil {
		return upstreamError(err, fmt.Sprintf("contact list for %s", customer.Name))
	}

	a.rememberCustomer(c, customer.ID)
	a.names.put(customer.ID, customer.Name)
	m := views.CustomerPage{
		Layout:  a.layout(c, customer.Name),
		ID:      customer.ID,
		Name:    customer.Name,
		Address: customer.Address.String(),
		Active:  customer.Active,
		BackURL: "/",
	}
	for _, ct := range contacts {
		m.Contacts = append(m.Contacts, a.contactRow(customer.ID, ct))
	}
	return a.render(c, http.StatusOK, views.Customer(m))
}
