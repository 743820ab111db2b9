package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// contactEdit shows the edit form, prefilled from the current record.
func (a *App) contactEdit(c echo.Context) error {
	customerID, contactID, err := contactIDs(c)
	if err != nil {
		return err
	}
	name, contact, err := a.loadContact(c, customerID, contactID)
	if err != nil {
		return err
	}
	form := formFromContact(name, contact)
	form.Value = a.displayValue(contact.Type, contact.Value) // staff read and type "(217) 555-0177"
	return a.renderForm(c, http.StatusOK, form, customerID, contactID, fieldErrors{}, nil)
}

// renderForm is the one render path of the edit form, for GET and for
// every outcome of a POST.
func (a *App) renderForm(c echo.Context, status int, form contactForm, customerID, contactID int64, errs fieldErrors, alert *views.Alert) error {
	m := withErrors(form.view(customerID, contactID), errs)
	m.Layout = a.layout(c, "Edit contact · "+form.CustomerName)
	m.CSRFToken, _ = c.Get(csrfContextKey).(string)
	m.Alert = alert
	return a.render(c, status, views.EditContact(m))
}

// loadContact reads a contact and its customer's name, as the record page
// and the edit form show them.
func (a *App) loadContact(c echo.Context, customerID, contactID int64) (string, client.Contact, error) {
	name, err := a.customerName(c, customerID)
	if err != nil {
		return "", client.Contact{}, err
	}
	contact, err := a.st.GetContact(c.Request().Context(), customerID, contactID)
	if err != nil {
		return "", client.Contact{}, upstreamError(err, fmt.Sprintf("contact with ID %d for %s", contactID, name))
	}
	return name, contact, nil
}

// customerName is the customer's name: from this person's recently opened
// customers when it is there (staff reach a contact from its customer's
// page), else from ServiceTitan. It saves an upstream call on most pages.
func (a *App) customerName(c echo.Context, customerID int64) (string, error) {
	if name, ok := a.recentName(c, customerID); ok {
		return name, nil
	}
	customer, err := a.st.GetCustomer(c.Request().Context(), customerID)
	if err != nil {
		return "", upstreamError(err, fmt.Sprintf("customer with ID %d", customerID))
	}
	return customer.Name, nil
}
