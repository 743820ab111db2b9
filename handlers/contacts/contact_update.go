package contacts

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/views"
)

// contactUpdate saves the edit form through the change service. Saved: 303
// to the record. Invalid: 422 with the messages next to their fields.
// Changed by someone else meanwhile: 409 with both versions. Any failure:
// the form again with the person's input and a plain statement of whether
// anything was saved. A repeated post of the same form gets the first
// post's outcome.
func (a *Handlers) contactUpdate(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	form := ParseForm(c.Request().PostForm)

	outcome := a.changes.Update(c.Request().Context(), change.UpdateRequest{
		Actor:      a.changeActor(c),
		CustomerID: ow.CustomerID,
		LocationID: ow.LocationID,
		ContactID:  contactID,
		Opened:     form.Opened,
		Asked:      form.Fields,
		Form:       web.SubmissionKey(c, form.Nonce),
	})
	return a.showUpdate(c, form, ow, contactID, outcome)
}

// contactUpdateStale answers a save posted from a session that no longer
// exists (it expired, or the app restarted): nothing is sent, and the
// person's input comes back with a fresh token.
func (a *Handlers) contactUpdateStale(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	form := ParseForm(c.Request().PostForm)
	return a.renderForm(c, http.StatusForbidden, form, ow, contactID, change.FieldErrors{}, &views.Alert{
		Title: "Your session expired, so nothing was saved", NotSaved: true, Retry: true,
		Body: "Check the form below (it still holds what you typed) and save again.",
	})
}

// showUpdate maps the outcome of a save to its page.
func (a *Handlers) showUpdate(c echo.Context, form Form, ow web.Owner, contactID int64, o change.Outcome) error {
	what := fmt.Sprintf("contact with ID %d", contactID)
	switch o.Result {
	case change.Saved:
		a.KeepWritten(c, ow, contactID)
		a.AddFlash(c, web.FlashOK, "Contact updated")
		if o.Confirmed {
			a.AddFlash(c, web.FlashNote, "ServiceTitan's confirmation was lost on the way, so we checked: your change is there.")
		}
		return a.Redirect(c, ow.ContactURL(contactID))
	case change.NoChange:
		if o.Contact.ID != 0 && form.Opened.ChangedIn(o.Contact) {
			a.AddFlash(c, web.FlashNote, "The contact already holds what you asked: it was changed to the same values since you opened the form. Nothing was sent.")
		} else {
			a.AddFlash(c, web.FlashNote, "No changes to save.")
		}
		return a.Redirect(c, ow.ContactURL(contactID))
	case change.Invalid:
		return a.renderForm(c, http.StatusUnprocessableEntity, form, ow, contactID, o.Errors, traceAlert(o.Problem.TraceID))
	case change.Conflict:
		return a.renderConflict(c, form, o.Value, o.Contact, ow, contactID)
	}

	status, alert := a.notSavedAlert(o, what, ow.ContactURL(contactID))
	var errs change.FieldErrors
	switch o.Result {
	case change.Duplicate:
		errs, alert.Retry = o.Errors, false
	case change.NotFound:
		alert.Body += " Your input is still below so you can copy it."
		alert.Retry = false
	}
	return a.renderForm(c, status, form, ow, contactID, errs, alert)
}

// notSavedAlert words an outcome in which nothing, or nothing known, was
// saved: the page's status and the alert above the form. When whether it
// was saved is unknown, the alert links checkURL (the contact, or the
// customer a contact was added to), to be opened in a new tab.
func (a *Handlers) notSavedAlert(o change.Outcome, what, checkURL string) (int, *views.Alert) {
	e := change.Explain(o.Problem, what)
	alert := &views.Alert{Title: e.Title, Body: e.Body, NotSaved: true, TraceID: e.TraceID, Retry: true}
	status := e.Status
	switch o.Result {
	case change.Unrecorded:
		status = http.StatusServiceUnavailable
		alert.Title = "The change could not be recorded, so it was not sent"
		alert.Body = "Every change is written to the audit trail first, and that failed just now. Tell your administrator; try again in a minute."
	case change.Unknown:
		status = http.StatusGatewayTimeout
		alert.NotSaved, alert.Retry = false, false
		alert.Title = "We could not confirm whether your change was saved"
		alert.Body = "ServiceTitan's answer was lost and checking the contact failed too. Open the contact in a new tab to see whether your change is there before trying again."
		alert.CheckURL = checkURL
	case change.Abandoned:
		// The first post of this form was cut off by its app server's
		// death, not by ServiceTitan.
		status = http.StatusServiceUnavailable
		alert.NotSaved, alert.Retry, alert.TraceID = false, false, ""
		alert.Title = "Outcome unknown — check the contact"
		alert.Body = "This form was sent before, and the app server that was saving it stopped before it could tell how it ended. " +
			"Open the contact in a new tab to see whether your change is there before saving again; what you typed is still below."
		alert.CheckURL = checkURL
	case change.NotSaved:
		if o.Confirmed {
			// The answer was lost (504), or ServiceTitan failed in a way
			// that might have saved it anyway; a read showed it did not.
			if o.Problem.Status == 0 {
				status, alert.Title = http.StatusGatewayTimeout, "ServiceTitan did not answer in time"
			}
			alert.Body = "We checked the contact afterwards and your change is not there. Your input is still below; try again."
		}
	}
	return status, alert
}

// traceAlert is the alert that only gives ServiceTitan's reference, or nil.
func traceAlert(traceID string) *views.Alert {
	if traceID == "" {
		return nil
	}
	return &views.Alert{TraceID: traceID}
}

// renderConflict shows, for each field that changed on either side, the
// value when the form was opened, the value now and the person's own, and
// rebases the form on the current record so "Save mine anyway" is a fresh
// save against it.
func (a *Handlers) renderConflict(c echo.Context, form Form, value string, current client.Contact, ow web.Owner, contactID int64) error {
	rebased := Form{Fields: change.Rebase(form.Fields, form.Opened, value, current), Nonce: form.Nonce, Opened: change.SnapshotOf(current)}
	rebased.Value = a.keepTyped(form, value, rebased)
	name := ow.Name
	m := withErrors(rebased.View(ow, contactID, name), change.FieldErrors{})
	m.Layout = a.Layout(c, "Edit contact · "+name)
	m.CSRFToken, _ = c.Get(web.CSRFContextKey).(string)
	m.Conflict = &views.Conflict{Rows: a.conflictRows(form.Opened, current, form.Fields), DiscardURL: ow.ContactURL(contactID) + "/edit"}
	m.Conflict.By, m.Conflict.At = a.conflictAuthor(c, contactID, current.ModifiedOn)
	return a.Render(c, http.StatusConflict, views.EditContact(m))
}

// conflictAuthor names the colleague whose save through this app made the
// contact what it is now: the audit trail's saved attempt on it that was
// under way when ServiceTitan stamped its modifiedOn. A change made
// elsewhere (ServiceTitan's own screens) names nobody.
func (a *Handlers) conflictAuthor(c echo.Context, contactID int64, modifiedOn time.Time) (string, views.Time) {
	if modifiedOn.IsZero() {
		return "", views.Time{}
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	// Only saves made through the app name a person: one made in
	// ServiceTitan, recorded as such, names nobody.
	entries, _, err := a.audit.List(ctx, audit.Filter{ContactID: contactID, Outcome: audit.OutcomeSaved, Source: audit.SourceApp,
		Limit: 5, SkipTotal: true})
	if err != nil {
		return "", views.Time{}
	}
	const slack = 2 * time.Second // the two clocks, and the answer's way back
	for _, e := range entries {
		if !e.Time.After(modifiedOn.Add(slack)) && !e.CompletedAt.Before(modifiedOn.Add(-slack)) {
			who := identity.Identity{Email: e.ActorEmail, Name: e.ActorName}.Display()
			if me, ok := web.Actor(c); ok && strings.EqualFold(me.Email, e.ActorEmail) {
				who = "You (in another tab or window)"
			}
			return who, a.TimeView(modifiedOn)
		}
	}
	return "", views.Time{}
}

// keepTyped shows the person's value as they typed it when it is theirs,
// and the current value formatted for people when it was taken over.
func (a *Handlers) keepTyped(mine Form, value string, rebased Form) string {
	if value != mine.Opened.Value {
		return mine.Value
	}
	typ, _ := client.ParseContactType(rebased.Type)
	return a.DisplayValue(typ, rebased.Value)
}

// changeActor is who makes a change, as the audit trail names them.
func (a *Handlers) changeActor(c echo.Context) change.Actor {
	who, _ := web.Actor(c)
	return change.Actor{Email: who.Email, Name: who.Name, RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}
}
