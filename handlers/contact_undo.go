package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
)

// contactUndo re-creates the contact a removal took away, from the audit
// trail (the form carries only the removal's id). Done: 303 to the contact
// ("Contact restored"). Already back (its value is on the customer again):
// 303 to that contact with a note.
func (a *App) contactUndo(c echo.Context) error {
	customerID, err := pathID(c, "id", "customer")
	if err != nil {
		return err
	}
	form := c.Request().PostForm
	removal, _ := strconv.ParseInt(form.Get("removal"), 10, 64)
	o, err := a.changes.Undo(c.Request().Context(), change.UndoRequest{
		Actor:      a.changeActor(c),
		CustomerID: customerID,
		Removal:    removal,
		Form:       submissionKey(c, form.Get(fieldNonce), removal),
	})
	if errors.Is(err, change.ErrNotUndoable) {
		return failPage(http.StatusNotFound, "Nothing to undo", "That removal cannot be undone from here: it is not a removal of this customer's contact that succeeded.", err)
	}
	switch o.Result {
	case change.Saved:
		a.keepWritten(c, customerID, o.Contact.ID)
		a.addFlash(c, flashOK, "Contact restored")
		return a.redirect(c, contactURL(customerID, o.Contact.ID))
	case change.Duplicate:
		a.addFlash(c, flashNote, "The customer already has that contact again; nothing was added.")
		if o.Contact.ID != 0 {
			return a.redirect(c, contactURL(customerID, o.Contact.ID))
		}
		return a.redirect(c, customerURL(customerID))
	}
	status, alert := a.notSavedAlert(o, fmt.Sprintf("customer with ID %d", customerID))
	return failPage(status, alert.Title, "The contact was NOT restored. "+alert.Body, nil)
}
