package contacts

import (
	"cmp"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// locationShow shows a service location, its customer and its contacts,
// as the customer page shows a customer's: the same table, links, Add
// contact and Undo.
func (a *Handlers) locationShow(c echo.Context) error {
	id, err := web.PathID(c, "id", "location")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	ow, err := a.LocationOwner(ctx, id)
	if err != nil {
		return err
	}
	loc, err := a.Location(ctx, id) // cached by locationOwner
	if err != nil {
		return err
	}
	contacts, err := a.st.ListContactsOf(ctx, ow.Owner)
	if err != nil {
		return web.UpstreamError(err, "contact list for "+ow.Name)
	}
	a.RememberCustomer(c, ow.CustomerID)
	name := cmp.Or(loc.Name, web.LocationName(loc))
	m := views.CustomerPage{
		Layout:  a.Layout(c, name+" · "+ow.CustomerName),
		ID:      id,
		Name:    name,
		Address: loc.Address.String(),
		Active:  loc.Active,
		BackURL: web.CustomerURL(ow.CustomerID),
		AddURL:  ow.URL() + "/contacts/new",
		Undo:    a.undoForm(c, ow),
		Of:      &views.OwnerLink{Name: ow.CustomerName, URL: web.CustomerURL(ow.CustomerID)},
	}
	m.Contacts = a.contactRows(c, ow, contacts, m)
	return a.Render(c, http.StatusOK, views.Customer(m))
}
