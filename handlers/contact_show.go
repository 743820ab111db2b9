package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// contactShow shows one contact record. Right after a save it shows the
// record exactly as the PATCH returned it (carried in the session), without
// reading it again.
func (a *App) contactShow(c echo.Context) error {
	customerID, contactID, err := contactIDs(c)
	if err != nil {
		return err
	}
	saved, ok := a.takeSaved(c, customerID, contactID)
	if !ok {
		name, contact, err := a.loadContact(c, customerID, contactID)
		if err != nil {
			return err
		}
		saved = savedContact{CustomerID: customerID, CustomerName: name, Contact: contact}
	}
	m := a.recordPage(c, saved)
	if a.audit != nil {
		entries, _, err := a.audit.List(c.Request().Context(), audit.Filter{CustomerID: customerID, ContactID: contactID, Limit: historyLimit, SkipTotal: true})
		if err != nil {
			a.log.ErrorContext(c.Request().Context(), "history not shown", "error", err)
			m.HistoryUnavailable = true
		}
		m.History = a.historyViews(entries)
		m.HistoryURL = "/audit?customer=" + strconv.FormatInt(customerID, 10)
	}
	return a.render(c, http.StatusOK, views.Record(m))
}

// historyLimit is how many past attempts the record page shows.
const historyLimit = 20

func (a *App) recordPage(c echo.Context, s savedContact) views.RecordPage {
	fields, prefs := a.recordFields(s.Contact)
	return views.RecordPage{
		Layout:       a.layout(c, contactTitle(s.Contact)+" · "+s.CustomerName),
		CustomerID:   s.CustomerID,
		CustomerName: s.CustomerName,
		CustomerURL:  customerURL(s.CustomerID),
		ContactID:    s.Contact.ID,
		EditURL:      contactURL(s.CustomerID, s.Contact.ID) + "/edit",
		Fields:       fields,
		Preferences:  prefs,
	}
}

func contactTitle(ct client.Contact) string {
	return ct.Type.Label() + " contact"
}
