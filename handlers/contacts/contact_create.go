package contacts

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactCreate adds a contact. Added: 303 to its record ("Contact
// added"). Invalid: 422, messages next to their fields. A value the
// customer already holds: 409, the message next to the value and a link to
// that contact. Unknown customer: 404. ServiceTitan down, slow or busy: the
// form again, "NOT saved", input kept. A repeated post gets the first
// post's outcome: one contact per form.
func (a *Handlers) contactCreate(c echo.Context) error {
	ow, err := a.PageOwner(c)
	if err != nil {
		return err
	}
	form := parseAddForm(c)
	o := a.changes.Create(c.Request().Context(), change.CreateRequest{
		Actor:      a.changeActor(c),
		CustomerID: ow.CustomerID,
		LocationID: ow.LocationID,
		Asked:      form.Fields,
		Form:       web.SubmissionKey(c, form.Nonce),
	})
	switch o.Result {
	case change.Saved:
		a.KeepWritten(c, ow, o.Contact.ID)
		a.AddFlash(c, web.FlashOK, "Contact added")
		if o.Confirmed {
			a.AddFlash(c, web.FlashNote, "ServiceTitan's confirmation was lost on the way, so we checked: the contact is there.")
		}
		if o.Unfinished != nil {
			e := change.Explain(*o.Unfinished, "contact")
			a.AddFlash(c, web.FlashNote, "Its notification preferences were NOT saved ("+e.Title+"). Edit the contact to set them.")
		}
		return a.Redirect(c, ow.ContactURL(o.Contact.ID))
	case change.Invalid:
		return a.renderAddForm(c, http.StatusUnprocessableEntity, form, ow, o.Errors, traceAlert(o.Problem.TraceID), "")
	case change.Duplicate:
		existing := ""
		if o.Contact.ID != 0 {
			existing = ow.ContactURL(o.Contact.ID)
		}
		errs := o.Errors
		if len(errs.ByField["value"]) == 0 {
			errs.Add("value", "This "+ow.Kind()+" already has this value as a contact.")
		}
		return a.renderAddForm(c, http.StatusConflict, form, ow, errs, traceAlert(o.Problem.TraceID), existing)
	case change.NotFound:
		return web.FailPage(http.StatusNotFound, "Not found", fmt.Sprintf("ServiceTitan has no %s. It may have been deleted or merged into another record.", ow.Describe()), nil)
	}
	status, alert := a.notSavedAlert(o, ow.Kind(), ow.URL())
	return a.renderAddForm(c, status, form, ow, change.FieldErrors{}, alert, "")
}

// contactCreateStale answers an add form posted from a session that no
// longer exists: nothing is sent; the input comes back with a fresh token.
func (a *Handlers) contactCreateStale(c echo.Context) error {
	ow, err := a.PageOwner(c)
	if err != nil {
		return err
	}
	return a.renderAddForm(c, http.StatusForbidden, parseAddForm(c), ow, change.FieldErrors{}, staleAlert(), "")
}

// staleAlert says a form came from a session that no longer exists.
func staleAlert() *views.Alert {
	return &views.Alert{
		Title: "Your session expired, so nothing was saved", NotSaved: true, Retry: true,
		Body: "Check the form below (it still holds what you typed) and save again.",
	}
}
