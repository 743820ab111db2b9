package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// contactUpdate saves the edit form through Customers_UpdateContact.
// Saved: 303 to the record. Invalid: 422 with the messages next to their
// fields. Changed by someone else meanwhile: 409 with both versions. Any
// failure: the form again with the person's input and a plain statement of
// whether anything was saved.
func (a *App) contactUpdate(c echo.Context) error {
	customerID, contactID, err := contactIDs(c)
	if err != nil {
		return err
	}
	params, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.").WithInternal(err)
	}
	form := parseContactForm(params)
	if stale, _ := c.Get(csrfStaleKey).(bool); stale {
		// The session expired or the app restarted: nothing is sent, but
		// the person's input comes back with a fresh token.
		return a.renderForm(c, http.StatusForbidden, form, customerID, contactID, fieldErrors{}, &views.Alert{
			Title: "Your session expired, so nothing was saved", NotSaved: true, Retry: true,
			Body: "Check the form below (it still holds what you typed) and save again.",
		})
	}

	value, errs := form.validate(a.region)
	if !errs.empty() {
		a.metrics.Save("invalid")
		return a.renderForm(c, http.StatusUnprocessableEntity, form, customerID, contactID, errs, nil)
	}
	if form.changes(value).IsEmpty() {
		a.metrics.Save("no_change")
		a.addFlash(c, flashNote, "No changes to save.")
		return a.redirect(c, contactURL(customerID, contactID))
	}

	if form.Nonce == "" {
		form.Nonce = newNonce() // a form without one (an old tab) is simply not deduplicated
		return a.save(c, form, value, customerID, contactID, nil)
	}
	key := submissionKey(c, form.Nonce, customerID, contactID)
	sub, first := a.submissions.claim(key)
	if !first {
		a.metrics.Save("replayed")
		return a.replay(c, sub, customerID, contactID)
	}
	rec := &recorder{ResponseWriter: c.Response().Writer}
	c.Response().Writer = rec
	defer func() {
		// Whatever happens (even a panic), posts waiting on this one are
		// released with what it answered.
		if sub.saved == nil {
			sub.status, sub.page, sub.header = rec.status, rec.body.Bytes(), c.Response().Header().Clone()
			if sub.status == 0 {
				sub.status = http.StatusInternalServerError
			}
		}
		a.submissions.finish(key, sub)
	}()
	return a.save(c, form, value, customerID, contactID, sub)
}

// save checks that nobody changed the contact since the form was opened,
// then sends the PATCH. At most two ServiceTitan calls: the read and the
// write. A successful outcome is recorded in sub (when there is one) for
// repeated posts of the same form.
//
// What ServiceTitan holds now, read here, is the base of both the change
// sent and its audit record. The form's hidden copy of the contact only
// detects a conflict (its modifiedOn) and shows one: the browser can send
// anything there, and the audit trail must say what really changed.
func (a *App) save(c echo.Context, form contactForm, value string, customerID, contactID int64, sub *submission) error {
	// Once sent, a save runs to its end even if the browser goes away
	// (a reload, a second click): its outcome is audited and shown to any
	// repeated post of the form. It keeps the request's time budget.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), a.requestTimeout)
	defer cancel()
	c.SetRequest(c.Request().WithContext(ctx))

	current, err := a.st.GetContact(ctx, customerID, contactID)
	if err != nil {
		// Nothing is sent; the attempt is still recorded, with the fields
		// it asked to change and their old values unknown (not read).
		at, auditErr := a.beginAttempt(c, customerID, contactID, unread(auditChanges(form.Loaded, form.changes(value))))
		if auditErr != nil {
			a.log.WarnContext(ctx, "lost-update read failed too", "error", err.Error())
			return a.saveFailed(c, form, customerID, contactID, auditErr)
		}
		at.completeWith(err, describe(err, "contact"))
		return a.saveFailed(c, form, customerID, contactID, err)
	}
	fresh := form.withBase(current)
	if form.Loaded.changedIn(current) {
		// Recorded as what "Save mine anyway" would send: the person's own
		// changes against the current record, not reverts of someone else's.
		mine, mineValue := form.rebase(value, current), value
		if value == form.Loaded.Value {
			mineValue = current.Value
		}
		at, err := a.beginAttempt(c, customerID, contactID, auditChanges(mine.Loaded, mine.changes(mineValue)))
		if err != nil {
			return a.saveFailed(c, form, customerID, contactID, err)
		}
		at.complete(audit.OutcomeConflict, []string{"Changed in ServiceTitan since the form was opened; nothing was written."}, "")
		return a.renderConflict(c, form, value, current, customerID, contactID)
	}
	// Judged again on the stored record: a value is exempt from our rules
	// only when it is the one ServiceTitan really holds.
	value, errs := fresh.validate(a.region)
	if !errs.empty() {
		a.metrics.Save("invalid")
		return a.renderForm(c, http.StatusUnprocessableEntity, form, customerID, contactID, errs, nil)
	}
	req := fresh.changes(value)
	if req.IsEmpty() {
		a.metrics.Save("no_change")
		a.addFlash(c, flashNote, "No changes to save: ServiceTitan already holds these values.")
		return a.redirect(c, contactURL(customerID, contactID))
	}

	at, err := a.beginAttempt(c, customerID, contactID, auditChanges(fresh.Loaded, req))
	if err != nil {
		a.metrics.Save("audit_failed")
		return a.saveFailed(c, form, customerID, contactID, err)
	}
	updated, err := a.st.UpdateContact(ctx, customerID, contactID, req)
	notice := ""
	if errors.Is(err, client.ErrOutcomeUnknown) {
		updated, err = a.confirmLostSave(ctx, customerID, contactID, req, err)
		notice = "ServiceTitan's confirmation was lost on the way, so we checked: your change is there."
	}
	at.completeWith(err, describe(err, "contact"))
	if err != nil {
		return a.saveFailed(c, form, customerID, contactID, err)
	}

	saved := savedContact{CustomerID: customerID, CustomerName: form.CustomerName, Contact: updated}
	if sub != nil {
		sub.saved, sub.notice = &saved, notice
	}
	return a.showSaved(c, saved, notice)
}

// showSaved answers a successful save: 303 to the record, which shows it as
// ServiceTitan returned it.
func (a *App) showSaved(c echo.Context, saved savedContact, notice string) error {
	a.keepSaved(c, saved)
	a.addFlash(c, flashOK, "Contact updated")
	if notice != "" {
		a.addFlash(c, flashNote, notice)
	}
	return a.redirect(c, contactURL(saved.CustomerID, saved.Contact.ID))
}

// replay answers a repeated post of a form instance with the first post's
// outcome, waiting for it if it is still under way.
func (a *App) replay(c echo.Context, sub *submission, customerID, contactID int64) error {
	select {
	case <-sub.done:
	case <-c.Request().Context().Done():
		return c.Request().Context().Err()
	}
	if sub.saved != nil {
		return a.showSaved(c, *sub.saved, sub.notice)
	}
	a.saveSession(c)
	for _, h := range []string{"Content-Type", "Cache-Control"} {
		c.Response().Header().Set(h, sub.header.Get(h))
	}
	return c.Blob(sub.status, sub.header.Get("Content-Type"), sub.page)
}

// renderConflict shows, for each field that changed on either side, the
// value when the form was opened, the value now and the person's own, and
// rebases the form on the current record so "Save mine anyway" is a fresh
// save against it. Fields the person did not touch take the current value,
// so saving theirs never undoes someone else's change to another field.
func (a *App) renderConflict(c echo.Context, form contactForm, value string, current client.Contact, customerID, contactID int64) error {
	rebased := form.rebase(value, current)
	rebased.Value = a.keepTyped(form, value, rebased)
	m := withErrors(rebased.view(customerID, contactID), fieldErrors{})
	m.Layout = a.layout(c, "Edit contact · "+form.CustomerName)
	m.CSRFToken, _ = c.Get(csrfContextKey).(string)
	m.Conflict = &views.Conflict{Rows: a.conflictRows(form.Loaded, current, form), DiscardURL: contactURL(customerID, contactID) + "/edit"}
	return a.render(c, http.StatusConflict, views.EditContact(m))
}

// keepTyped shows the person's value as they typed it when it is theirs,
// and the current value formatted for people when it was taken over.
func (a *App) keepTyped(mine contactForm, value string, rebased contactForm) string {
	if value != mine.Loaded.Value {
		return mine.Value
	}
	typ, _ := client.ParseContactType(rebased.Type)
	return a.displayValue(typ, rebased.Value)
}

// confirmLostSave re-reads a contact after a PATCH whose answer was lost
// and tells whether the change is there, instead of guessing or sending it
// again.
func (a *App) confirmLostSave(ctx context.Context, customerID, contactID int64, req client.UpdateContactRequest, lost error) (client.Contact, error) {
	// The request's own deadline may be what expired; give the check its own.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	current, err := a.st.GetContact(ctx, customerID, contactID)
	if err != nil {
		return client.Contact{}, &unconfirmedSave{lost: lost, check: err}
	}
	if !applied(req, current) {
		return client.Contact{}, &notSaved{lost: lost}
	}
	return current, nil
}

// applied reports whether every field of req already has its value in ct.
func applied(req client.UpdateContactRequest, ct client.Contact) bool {
	if req.Type != nil && *req.Type != ct.Type ||
		req.Value != nil && *req.Value != ct.Value ||
		req.Memo != nil && *req.Memo != ct.Memo {
		return false
	}
	if req.Preferences != nil {
		if ct.Preferences == nil {
			return false
		}
		want, got := *req.Preferences, *ct.Preferences
		if want.JobRemindersEnabled != got.JobRemindersEnabled || want.MarketingUpdatesEnabled != got.MarketingUpdatesEnabled ||
			want.InvoiceStatementNotification != got.InvoiceStatementNotification ||
			!sameFlag(want.InvoiceNotification, got.InvoiceNotification) || !sameFlag(want.StatementNotification, got.StatementNotification) {
			return false
		}
	}
	return true
}

func sameFlag(want, got *bool) bool { return want == nil || got != nil && *want == *got }

// notSaved: the answer to a PATCH was lost and a re-read shows the change
// is not there.
type notSaved struct{ lost error }

func (e *notSaved) Error() string { return "save not applied after a lost response: " + e.lost.Error() }
func (e *notSaved) Unwrap() error { return e.lost }

// unconfirmedSave: the answer was lost and the re-read failed too.
type unconfirmedSave struct{ lost, check error }

func (e *unconfirmedSave) Error() string {
	return fmt.Sprintf("save outcome unknown: %v; re-read failed: %v", e.lost, e.check)
}
func (e *unconfirmedSave) Unwrap() []error { return []error{e.lost, e.check} }

// saveFailed renders the form again with the person's input and says what
// happened: field errors next to their fields, or a page-level alert.
func (a *App) saveFailed(c echo.Context, form contactForm, customerID, contactID int64, err error) error {
	var apiErr *client.APIError
	errors.As(err, &apiErr)
	a.log.WarnContext(c.Request().Context(), "save failed",
		"customer_id", customerID, "contact_id", contactID, "error", err.Error())

	if errors.Is(err, client.ErrValidation) && apiErr != nil {
		errs := form.apiErrors(apiErr)
		if errs.empty() {
			// Only the error object's title and errors are shown: Detail is
			// whatever else answered (a gateway page), kept for logs.
			errs.other = []string{cmp.Or(apiErr.Title, fmt.Sprintf("ServiceTitan rejected the change (%d %s).", apiErr.StatusCode, http.StatusText(apiErr.StatusCode)))}
		}
		alert := &views.Alert{TraceID: apiErr.TraceID}
		return a.renderForm(c, http.StatusUnprocessableEntity, form, customerID, contactID, errs, withTrace(alert))
	}

	f := describe(err, fmt.Sprintf("contact with ID %d", contactID))
	alert := &views.Alert{Title: f.Title, Body: f.Body, NotSaved: true, TraceID: f.TraceID}
	var unconfirmed *unconfirmedSave
	var errs fieldErrors
	switch {
	case errors.Is(err, errAuditUnavailable):
		f.Status = http.StatusServiceUnavailable
		alert.Title = "The change could not be recorded, so it was not sent"
		alert.Body = "Every change is written to the audit trail first, and that failed just now. Tell your administrator; try again in a minute."
		alert.Retry = true
	case errors.As(err, &unconfirmed):
		f.Status = http.StatusGatewayTimeout
		alert.NotSaved = false
		alert.Title = "We could not confirm whether your change was saved"
		alert.Body = "ServiceTitan's answer was lost and checking the contact failed too. Open the contact in a new tab to see whether your change is there before trying again."
	case errors.As(err, new(*notSaved)):
		// The answer was lost (504), or ServiceTitan failed in a way that
		// might have saved it anyway; a re-read showed it did not.
		if !errors.As(err, new(*client.APIError)) {
			f.Status, alert.Title = http.StatusGatewayTimeout, "ServiceTitan did not answer in time"
		}
		alert.Body = "We checked the contact afterwards and your change is not there. Your input is still below; try again."
		alert.Retry = true
	case errors.Is(err, client.ErrConflict) && apiErr != nil:
		errs = form.apiErrors(apiErr)
	case f.Status == http.StatusNotFound:
		alert.Body += " Your input is still below so you can copy it."
	default:
		alert.Retry = true
	}
	return a.renderForm(c, f.Status, form, customerID, contactID, errs, alert)
}

// withTrace returns nil when an alert would only hold an empty reference.
func withTrace(a *views.Alert) *views.Alert {
	if a.TraceID == "" {
		return nil
	}
	return a
}

// readBackTimeout bounds the re-read after a lost PATCH answer.
const readBackTimeout = 5 * time.Second

// savedContact is the record as the PATCH returned it, carried to the
// record page in the session so that page needs no second read.
type savedContact struct {
	CustomerID   int64          `json:"customerId"`
	CustomerName string         `json:"customerName"`
	Contact      client.Contact `json:"contact"`
}

func (a *App) keepSaved(c echo.Context, s savedContact) {
	a.session(c).Values[sessSaved] = compactJSON(s)
	changedSession(c)
}

// takeSaved returns the saved record for this contact, if the session
// carries it, and forgets it.
func (a *App) takeSaved(c echo.Context, customerID, contactID int64) (savedContact, bool) {
	sess := a.session(c)
	raw, _ := sess.Values[sessSaved].(string)
	if raw == "" {
		return savedContact{}, false
	}
	delete(sess.Values, sessSaved)
	changedSession(c)
	var s savedContact
	if json.Unmarshal([]byte(raw), &s) != nil || s.CustomerID != customerID || s.Contact.ID != contactID {
		return savedContact{}, false
	}
	return s, true
}
