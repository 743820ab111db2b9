package contacts

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactEdit shows the edit form, prefilled from the current record.
func (a *Handlers) contactEdit(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	_, contact, err := a.LoadContact(c, ow, contactID)
	if err != nil {
		return err
	}
	form := FormFromContact(contact)
	form.Value = a.DisplayValue(contact.Type, contact.Value) // staff read and type "(217) 555-0177"
	form.focusMemo = true
	return a.renderForm(c, http.StatusOK, form, ow, contactID, change.FieldErrors{}, nil)
}

// renderForm is the one render path of the edit form, for GET and for
// every outcome of a POST.
func (a *Handlers) renderForm(c echo.Context, status int, form Form, ow web.Owner, contactID int64, errs change.FieldErrors, alert *views.Alert) error {
	name := ow.Name
	m := withErrors(form.View(ow, contactID, name), errs)
	m.Layout = a.Layout(c, "Edit contact · "+name)
	m.CSRFToken, _ = c.Get(web.CSRFContextKey).(string)
	m.Alert = alert
	return a.Render(c, status, views.EditContact(m))
}
