package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/views"
)

// errListFull stops reading a section once a list holds all it may.
var errListFull = errors.New("the list is full")

// hygieneBulkForm is the bulk form filled with a hygiene section's
// contacts, by contact and customer id (the preview reads the rest from
// the index), and the section's sensible action: remove placeholders;
// nothing chosen for the others, where people decide contact by contact.
func (a *App) hygieneBulkForm(c echo.Context, raw string) (views.BulkForm, error) {
	s, ok := hygiene.ParseSection(raw)
	if !ok {
		return views.BulkForm{}, failPage(http.StatusNotFound, "Not found",
			"The hygiene report has no such section. Open it from the report's Fix in bulk link.", fmt.Errorf("no hygiene section %q", raw))
	}
	form := views.BulkForm{ChooseAction: true}
	title := hygieneSections[s].title
	if s == hygiene.Unreachable {
		form.Problems.Add("list", "#field-list", "Customers no one can reach have no contact to change in bulk: add a phone number or email from each customer's page.")
		return form, nil
	}
	var list strings.Builder
	list.WriteString("contact id,customer id\n")
	n := 0
	err := a.hygiene.Each(c.Request().Context(), s, func(r hygiene.Row) error {
		if n == bulk.MaxRows {
			return errListFull
		}
		n++
		fmt.Fprintf(&list, "%d,%d\n", r.ContactID, r.CustomerID)
		return nil
	})
	if err != nil && !errors.Is(err, errListFull) {
		return form, failPage(http.StatusServiceUnavailable, "", "The hygiene report cannot be read just now. Try again in a minute.", err)
	}
	if n == 0 {
		form.Problems.Add("list", "#field-list", fmt.Sprintf("The hygiene report's %q section is empty now: there is nothing to fix.", title))
		return form, nil
	}
	form.List = list.String()
	form.Source = fmt.Sprintf("From the hygiene report: the %d contacts of %q, by contact and customer id. Delete the lines of any contact to keep; the preview shows each one before anything changes.", n, title)
	if errors.Is(err, errListFull) {
		form.Source = fmt.Sprintf("From the hygiene report: the first %d contacts of %q (a list holds at most %d). Run the rest once these are done.", n, title, bulk.MaxRows)
	}
	if s == hygiene.PlaceholderPhone || s == hygiene.PlaceholderEmail {
		form.Action, form.ChooseAction = string(bulk.Remove), false
	}
	return form, nil
}
