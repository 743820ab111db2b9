package contacts

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactRestoreConfirm asks to confirm the Restore of a removal from the
// History or the audit trail: the contact as its removal recorded it, who
// removed it and when, and the same warning as the removal of a number
// that texted STOP. A removal restored already says so, by whom, and
// links the contact, instead of offering a second one.
func (a *Handlers) contactRestoreConfirm(c echo.Context) error {
	ow, removal, err := a.removalOf(c)
	if err != nil {
		return err
	}
	return a.renderRestore(c, http.StatusOK, ow, removal, web.NewNonce(), nil)
}

// removalOf reads a Restore URL's ids and the removal's audit entry: a 404
// unless it is a removal of that customer's (or location's) contact that
// succeeded.
func (a *Handlers) removalOf(c echo.Context) (web.Owner, audit.Entry, error) {
	ow, err := a.PageOwner(c)
	if err != nil {
		return web.Owner{}, audit.Entry{}, err
	}
	id, err := web.PathID(c, "removal", "removal")
	if err != nil {
		return web.Owner{}, audit.Entry{}, err
	}
	e, err := audit.Get(c.Request().Context(), a.audit, id)
	switch {
	case errors.Is(err, audit.ErrNotFound):
	case err != nil:
		return web.Owner{}, audit.Entry{}, web.Unreadable("The audit trail", err)
	case e.Action == audit.ActionDelete && e.Outcome == audit.OutcomeSaved && e.CustomerID == ow.CustomerID && e.LocationID == ow.LocationID:
		return ow, e, nil
	}
	return web.Owner{}, audit.Entry{}, web.FailPage(http.StatusNotFound, "Nothing to restore",
		"The audit trail has no removal of this "+ow.Kind()+"'s contact that succeeded with that number.", err)
}

// renderRestore is the one render path of the Restore confirmation.
func (a *Handlers) renderRestore(c echo.Context, status int, ow web.Owner, removal audit.Entry, nonce string, alert *views.Alert) error {
	ctx := c.Request().Context()
	name := ow.Name
	r := change.RemovalOf(removal)
	m := views.RestorePage{
		Layout:                a.Layout(c, "Restore contact · "+name),
		CustomerName:          name,
		CustomerURL:           ow.URL(),
		Removal:               removal.ID,
		Action:                web.RestoreURL(ow, removal.ID),
		CancelURL:             web.AuditURLOf(ow),
		CSRFField:             web.CSRFField,
		Nonce:                 nonce,
		RemovedBy:             cmp.Or(removal.ActorName, removal.ActorEmail),
		RemovedInServiceTitan: removal.Source == audit.SourceServiceTitan,
		RemovedAt:             a.TimeView(removal.Time),
		Job:                   removal.Job,
		TextedStop:            r.TextedStop,
		Alert:                 alert,
	}
	m.CSRFToken, _ = c.Get(web.CSRFContextKey).(string)
	if removal.Job != 0 {
		m.JobURL = web.BulkURL(removal.Job)
	}
	m.Fields, m.Preferences, m.CombinedFlag = a.removedFields(r)
	var err error
	if m.Restored, err = a.restoration(ctx, ow, removal.ID); err != nil {
		return web.Unreadable("The audit trail", err)
	}
	return a.Render(c, status, views.RestoreContact(m))
}

// restoration is the undo that brought a removal back, as the page says
// it; nil when there is none.
func (a *Handlers) restoration(ctx context.Context, ow web.Owner, removal int64) (*views.Restoration, error) {
	by, found, err := a.changes.RestoredBy(ctx, removal)
	if err != nil || !found {
		return nil, err
	}
	return &views.Restoration{By: cmp.Or(by.ActorName, by.ActorEmail), At: a.TimeView(by.Time), ContactURL: ow.ContactURL(by.ContactID)}, nil
}

// removedFields lays out a removed contact as its removal recorded it, as
// the record page lays out a contact.
func (a *Handlers) removedFields(r change.Removal) (fields, prefs []views.RecordField, combined *views.RecordField) {
	typ, _ := client.ParseContactType(r.Fields.Type)
	ct := client.Contact{Type: typ, Value: r.Fields.Value, Memo: r.Fields.Memo, Preferences: r.Preferences}
	if typ.IsPhoneNumber() {
		ct.PhoneSettings = &client.PhoneSettings{PhoneNumber: r.Fields.Value, DoNotText: r.TextedStop}
	}
	all, prefs, combined := a.RecordFields(ct)
	for _, f := range all {
		switch f.Field {
		case client.FieldDoNotText:
			f.Text, f.Hint = f.Text+" when removed", "" // the hint is about a contact that is there
			fields = append(fields, f)
		case "type", "value", "memo":
			fields = append(fields, f)
		}
	}
	return fields, prefs, combined
}
