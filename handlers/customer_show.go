package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
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
	a.names.Put(customer.ID, customer.Name)
	m := views.CustomerPage{
		Layout:  a.layout(c, customer.Name),
		ID:      customer.ID,
		Name:    customer.Name,
		Address: customer.Address.String(),
		Active:  customer.Active,
		BackURL: "/",
		AddURL:  customerURL(customer.ID) + "/contacts/new",
		Undo:    a.undoForm(c, customer.ID),
	}
	matched := matchedContact(c, contacts)
	for i, ct := range contacts {
		row := a.contactRow(customer.ID, ct)
		row.Matched = ct.ID == matched
		// The next step's focus: the contact the search matched, else the
		// first; after a removal the Undo has it instead.
		row.First = i == 0 && matched == 0 && m.Flash == "" && m.Notice == "" && m.Undo == nil
		m.Contacts = append(m.Contacts, row)
	}
	return a.render(c, http.StatusOK, views.Customer(m))
}

// matchedContact is the contact a search matched (?contact=, set by the
// search), when it is one of this customer's; 0 otherwise. Anything else
// in the parameter is ignored: the page is the same without it.
func matchedContact(c echo.Context, contacts []client.Contact) int64 {
	id, err := strconv.ParseInt(c.QueryParam("contact"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	for _, ct := range contacts {
		if ct.ID == id {
			return id
		}
	}
	return 0
}

// undoForm offers to undo the removal just made from this customer, read
// from the audit trail; nil when there is none.
func (a *App) undoForm(c echo.Context, customerID int64) *views.UndoForm {
	id, ok := a.takeRemoval(c)
	if !ok {
		return nil
	}
	e, err := audit.Get(c.Request().Context(), a.audit, id)
	if err != nil || e.CustomerID != customerID || e.Action != audit.ActionDelete {
		return nil
	}
	var typ client.ContactType
	var value string
	for _, ch := range e.Changes {
		switch ch.Field {
		case client.FieldType:
			typ, _ = client.ParseContactType(ch.Before)
		case client.FieldValue:
			value = ch.Before
		}
	}
	token, _ := c.Get(csrfContextKey).(string)
	return &views.UndoForm{
		Action: customerURL(customerID) + "/contacts/undo", CSRFField: csrfField, CSRFToken: token,
		Removal: id, Nonce: newNonce(), What: typ.Label() + " " + a.displayValue(typ, value),
	}
}
