package contacts

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// contactShow shows one contact record. Right after a save it shows the
// record exactly as ServiceTitan answered the save, without reading it
// again.
func (a *Handlers) contactShow(c echo.Context) error {
	ow, contactID, err := a.OwnerAndContact(c)
	if err != nil {
		return err
	}
	// The history comes from the audit store and the record from
	// ServiceTitan (or the save just made): read them side by side.
	history, stop := a.readHistory(c, ow, contactID)
	defer stop()
	var name string
	contact, justSaved := client.Contact{}, false
	if a.TakeWritten(c, ow, contactID) {
		contact, justSaved = a.changes.Written(ow.Owner, contactID)
	}
	if justSaved {
		name = ow.Name
	} else {
		name, contact, err = a.LoadContact(c, ow, contactID)
	}
	if err != nil {
		return err // stop cancels the history read: no page shows it
	}
	m := a.recordPage(c, ow, name, contact)
	if justSaved {
		m.HygieneNext = a.HygieneNext(c, contactID)
	}
	m.History, m.HistoryUnavailable = history()
	m.HistoryURL, m.OwnerKind = web.AuditURLOf(ow), ow.Kind()
	return a.Render(c, http.StatusOK, views.Record(m))
}

// readHistory starts reading a contact's latest audit entries. wait
// returns them as the page shows them, or unavailable when the store failed
// (the page then says so); stop cancels the read if it is still going and
// waits for it to end.
func (a *Handlers) readHistory(c echo.Context, ow web.Owner, contactID int64) (wait func() (entries []views.HistoryEntry, unavailable bool), stop func()) {
	ctx, cancel := context.WithCancel(c.Request().Context())
	read := web.Aside(func() ([]views.HistoryEntry, error) {
		entries, _, err := a.audit.List(ctx, audit.Filter{CustomerID: ow.CustomerID,
			LocationID: ow.LocationID, ContactID: contactID, Limit: historyLimit, SkipTotal: true})
		if err != nil {
			if !errors.Is(ctx.Err(), context.Canceled) { // not stopped: a page says it is missing
				a.Log.ErrorContext(ctx, "history not shown", "error", err)
			}
			return nil, err
		}
		return a.HistoryViews(entries, web.EntryNames{}), nil
	})
	wait = func() ([]views.HistoryEntry, bool) {
		entries, err := read()
		return entries, err != nil
	}
	// Stop abandons the read: its error, if any, is the cancellation.
	return wait, func() { cancel(); _, _ = read() }
}

// historyLimit is how many past attempts the record page shows.
const historyLimit = 20

func (a *Handlers) recordPage(c echo.Context, ow web.Owner, customerName string, ct client.Contact) views.RecordPage {
	fields, prefs, combined := a.RecordFields(ct)
	return views.RecordPage{
		Layout:       a.Layout(c, ContactTitle(ct)+" · "+customerName),
		CustomerID:   ow.CustomerID,
		CustomerName: customerName,
		CustomerURL:  ow.URL(),
		ContactID:    ct.ID,
		EditURL:      ow.ContactURL(ct.ID) + "/edit",
		RemoveURL:    ow.ContactURL(ct.ID) + "/delete",
		Fields:       fields,
		Preferences:  prefs,
		CombinedFlag: combined,
	}
}

func ContactTitle(ct client.Contact) string {
	return ct.Type.Label() + " contact"
}
