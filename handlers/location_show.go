package handlers

import (
	"cmp"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/views"
)

// locationShow shows a service location, its customer and its contacts,
// as the customer page shows a customer's: the same table, links, Add
// contact and Undo.
func (a *App) locationShow(c echo.Context) error {
	id, err := pathID(c, "id", "location")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ow, err := a.locationOwner(ctx, id)
	if err != nil {
		return err
	}
	loc, err := a.location(ctx, id) // cached by locationOwner
	if err != nil {
		return err
	}
	contacts, err := a.st.ListContactsOf(ctx, ow.Owner)
	if err != nil {
		return upstreamError(err, "contact list for "+ow.Name)
	}
	a.rememberCustomer(c, ow.CustomerID)
	name := cmp.Or(loc.Name, locationName(loc))
	m := views.CustomerPage{
		Layout:  a.layout(c, name+" · "+ow.CustomerName),
		ID:      id,
		Name:    name,
		Address: loc.Address.String(),
		Active:  loc.Active,
		BackURL: customerURL(ow.CustomerID),
		AddURL:  ow.url() + "/contacts/new",
		Undo:    a.undoForm(c, ow),
		Of:      &views.OwnerLink{Name: ow.CustomerName, URL: customerURL(ow.CustomerID)},
	}
	m.Contacts = a.contactRows(c, ow, contacts, m)
	return a.render(c, http.StatusOK, views.Customer(m))
}
