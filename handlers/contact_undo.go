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
		a.restored(c, customerID, o)
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

// restored says on the next page that a removal was undone (by Undo or
// Restore), and what it could not bring back: a number's texting opt-out,
// preferences ServiceTitan did not take.
func (a *App) restored(c echo.Context, customerID int64, o change.Outcome) {
	a.keepWritten(c, customerID, o.Contact.ID)
	a.addFlash(c, flashOK, "Contact restored")
	if o.Confirmed {
		a.addFlash(c, flashNote, "ServiceTitan's confirmation was lost on the way, so we checked: the contact is there.")
	}
	if o.Unfinished != nil {
		e := change.Explain(*o.Unfinished, "contact")
		a.addFlash(c, flashNote, "Its notification preferences were NOT saved ("+e.Title+"). Edit the contact to set them.")
	}
	if o.TextingOptOutLost {
		a.addFlash(c, flashOptOut, optOutNotCarried(o))
	}
}

// optOutNotCarried tells staff that a restored number's texting opt-out
// stayed with the removed contact, what the undo did about it, and what
// is left to do.
func optOutNotCarried(o change.Outcome) string {
	msg := "The texting opt-out was NOT carried over: this number had texted STOP, and ServiceTitan keeps that with the removed contact (the app cannot set it), so it may text this one. "
	switch {
	case o.MarketingTurnedOff:
		msg += "Marketing updates were turned off on it for that reason. "
	case o.Unfinished != nil:
		msg += "Turn Marketing updates off on it. "
	default:
		msg += "Marketing updates are off. "
	}
	return msg + "Turn Job reminders off too if the customer wants no texts at all, or ask them to text STOP again."
}
