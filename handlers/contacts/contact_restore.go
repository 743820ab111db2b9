package contacts

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactRestore restores what a removal took away, confirmed on its page:
// the same write as Undo (change.Undo: a create from the audit trail,
// recorded as undoing the removal), for any removal of this customer's,
// not only the one just made. Done: 303 to the contact ("Contact
// restored"); restored already: 303 to the confirmation, which says by
// whom; faults: the confirmation again, saying it was NOT restored.
func (a *Handlers) contactRestore(c echo.Context) error {
	ow, removal, err := a.removalOf(c)
	if err != nil {
		return err
	}
	nonce := c.Request().PostForm.Get(fieldNonce)
	o, err := a.changes.Undo(c.Request().Context(), change.UndoRequest{
		Actor:      a.changeActor(c),
		CustomerID: ow.CustomerID,
		LocationID: ow.LocationID,
		Removal:    removal.ID,
		Form:       web.SubmissionKey(c, nonce, removal.ID),
	})
	if errors.Is(err, change.ErrNotUndoable) {
		return web.FailPage(http.StatusNotFound, "Nothing to restore", "That removal cannot be restored: it is not a removal of this "+ow.Kind()+"'s contact that succeeded.", err)
	}
	if done := a.undone(c, ow, removal.ID, o); done != nil {
		return done()
	}
	status, alert := a.notSavedAlert(o, ow.Describe(), ow.URL())
	return a.renderRestore(c, status, ow, removal, nonce, alert)
}

// contactRestoreStale answers a Restore posted from a session that no
// longer exists: nothing is restored; the confirmation comes back with a
// fresh token.
func (a *Handlers) contactRestoreStale(c echo.Context) error {
	ow, removal, err := a.removalOf(c)
	if err != nil {
		return err
	}
	alert := &views.Alert{NotSaved: true, Title: "Your session expired, so nothing was restored", Body: "Check the contact below and confirm again."}
	return a.renderRestore(c, http.StatusForbidden, ow, removal, web.NewNonce(), alert)
}
