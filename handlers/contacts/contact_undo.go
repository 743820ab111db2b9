package contacts

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// contactUndo re-creates the contact the removal this session just made
// took away, from the audit trail (the form carries only the removal's
// id). Any other removal is refused: an older one, or another person's, is
// brought back with Restore, which shows it first. Done: 303 to the
// contact ("Contact restored"). Already back: 303 with a note.
func (a *Handlers) contactUndo(c echo.Context) error {
	ow, err := a.PageOwner(c)
	if err != nil {
		return err
	}
	form := c.Request().PostForm
	removal, _ := strconv.ParseInt(form.Get("removal"), 10, 64)
	switch {
	case removal <= 0:
		return web.FailPage(http.StatusNotFound, "Nothing to undo", "The form names no removal to undo.", nil)
	case removal != a.Undoable(c):
		return web.FailPageTo(http.StatusForbidden, "Not the removal you just made",
			"Undo brings back only the removal you made last, from this browser; nothing was added. To bring back another removal, restore it from its confirmation page, which shows it first.",
			web.RestoreURL(ow, removal), "Restore it from its confirmation page",
			fmt.Errorf("undo of removal %d refused: this session's last removal is %d", removal, a.Undoable(c)))
	}
	o, err := a.changes.Undo(c.Request().Context(), change.UndoRequest{
		Actor:      a.changeActor(c),
		CustomerID: ow.CustomerID,
		LocationID: ow.LocationID,
		Removal:    removal,
		Form:       web.SubmissionKey(c, form.Get(fieldNonce), removal),
	})
	if errors.Is(err, change.ErrNotUndoable) {
		return web.FailPage(http.StatusNotFound, "Nothing to undo", "That removal cannot be undone from here: it is not a removal of this "+ow.Kind()+"'s contact that succeeded.", err)
	}
	if done := a.undone(c, ow, removal, o); done != nil {
		return done()
	}
	status, alert := a.notSavedAlert(o, ow.Describe(), "")
	return web.FailPage(status, alert.Title, "The contact was NOT restored. "+alert.Body, nil)
}

// undone answers an undo or a restore whose outcome needs no page of its
// own: the contact back (or back already), with a redirect. It returns nil
// for the failures each caller shows its own way.
func (a *Handlers) undone(c echo.Context, ow web.Owner, removal int64, o change.Outcome) func() error {
	switch o.Result {
	case change.Saved:
		return func() error {
			a.Restored(c, ow, o)
			return a.Redirect(c, ow.ContactURL(o.Contact.ID))
		}
	case change.AlreadyRestored:
		return func() error {
			a.AddFlash(c, web.FlashNote, "That removal was restored already, so nothing was added.")
			return a.Redirect(c, web.RestoreURL(ow, removal))
		}
	case change.Duplicate:
		return func() error {
			a.AddFlash(c, web.FlashNote, "The customer already has that contact again; nothing was added.")
			if o.Contact.ID != 0 {
				return a.Redirect(c, ow.ContactURL(o.Contact.ID))
			}
			return a.Redirect(c, ow.URL())
		}
	}
	return nil
}

// Restored says on the next page that a removal was undone (by Undo or
// Restore), and what it could not bring back: a number's texting opt-out,
// preferences ServiceTitan did not take.
func (a *Handlers) Restored(c echo.Context, ow web.Owner, o change.Outcome) {
	a.KeepWritten(c, ow, o.Contact.ID)
	a.AddFlash(c, web.FlashOK, "Contact restored")
	if o.Confirmed {
		a.AddFlash(c, web.FlashNote, "ServiceTitan's confirmation was lost on the way, so we checked: the contact is there.")
	}
	if o.Unfinished != nil {
		e := change.Explain(*o.Unfinished, "contact")
		a.AddFlash(c, web.FlashNote, "Its notification preferences were NOT saved ("+e.Title+"). Edit the contact to set them.")
	}
	if o.TextingOptOutLost {
		a.AddFlash(c, web.FlashOptOut, optOutNotCarried(o))
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
	if p := o.Contact.Preferences; p != nil && !p.JobRemindersEnabled {
		return msg + "If the customer wants no texts at all, ask them to text STOP again."
	}
	return msg + "Turn Job reminders off too if the customer wants no texts at all, or ask them to text STOP again."
}
