package contacts

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactDelete removes a contact. Done: 303 to the customer page with
// "Contact removed" and an Undo button. Changed in ServiceTitan since the
// confirmation was shown: 409 with the current version, nothing removed.
// Already gone: 303 to the customer page with a note. Faults: the
// confirmation again, saying it was NOT removed.
func (a *Handlers) contactDelete(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	form := c.Request().PostForm
	shown, _ := time.Parse(time.RFC3339Nano, form.Get(fieldModifiedOn))
	o := a.changes.Delete(c.Request().Context(), change.DeleteRequest{
		Actor:      a.changeActor(c),
		CustomerID: ow.CustomerID,
		LocationID: ow.LocationID,
		ContactID:  contactID,
		Shown:      change.Snapshot{ModifiedOn: shown},
		Form:       web.SubmissionKey(c, form.Get(fieldNonce)),
	})
	switch o.Result {
	case change.Saved:
		a.KeepRemoval(c, o.AuditID)
		a.AddFlash(c, web.FlashOK, "Contact removed")
		if o.Confirmed {
			a.AddFlash(c, web.FlashNote, "ServiceTitan's confirmation was lost on the way, so we checked: the contact is gone.")
		}
		return a.Redirect(c, ow.URL())
	case change.NotFound:
		a.AddFlash(c, web.FlashNote, "That contact was already removed from ServiceTitan.")
		return a.Redirect(c, ow.URL())
	}
	name := ow.Name
	if o.Result == change.Conflict {
		alert := &views.Alert{NotSaved: true, Title: "Someone changed this contact since you opened this page",
			Body: "Here is the contact as it is now. Remove it only if that is still right."}
		return a.renderDeleteConfirm(c, http.StatusConflict, ow, name, o.Contact, "", form.Get(fieldNonce), alert)
	}
	current, err := a.st.GetContactOf(c.Request().Context(), ow.Owner, contactID)
	if err != nil {
		// Nothing to show the confirmation with: the error page says what
		// happened to the removal.
		status, alert := a.notSavedAlert(o, fmt.Sprintf("contact with ID %d", contactID), "")
		return web.FailPage(status, alert.Title, "The contact was NOT removed. "+alert.Body, err)
	}
	status, alert := a.notSavedAlert(o, fmt.Sprintf("contact with ID %d", contactID), ow.ContactURL(contactID))
	alert.Retry = false
	return a.renderDeleteConfirm(c, status, ow, name, current, "", form.Get(fieldNonce), alert)
}

// contactDeleteStale answers a removal posted from a session that no longer
// exists: nothing is removed; the confirmation comes back with a fresh
// token.
func (a *Handlers) contactDeleteStale(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	name, contact, err := a.LoadContact(c, ow, contactID)
	if err != nil {
		return err
	}
	alert := &views.Alert{NotSaved: true, Title: "Your session expired, so nothing was removed", Body: "Check the contact below and confirm again."}
	return a.renderDeleteConfirm(c, http.StatusForbidden, ow, name, contact, "", web.NewNonce(), alert)
}
