package bulk

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/views"
)

// errListFull stops reading a section once a list holds all it may.
var errListFull = errors.New("the list is full")

// maxPicks bounds the contacts a list from the hygiene report shows to
// tick: a page staff can read (and a browser can hold) at once.
const maxPicks = 2000

// picks lays out a section's rows to tick, all ticked, with a warning on
// each whose removal would leave its customer without a phone number (or
// an email address): what the customer holds, less what the list holds.
func (a *Handlers) picks(c echo.Context, rows []hygiene.Row) ([]views.BulkPick, error) {
	var ids []int64
	listed := map[int64]index.Reach{}
	for _, r := range rows {
		if r.LocationID != 0 {
			continue // a location's contact: the customer's own reach it leaves
		}
		have, seen := listed[r.CustomerID]
		if !seen {
			ids = append(ids, r.CustomerID)
		}
		switch {
		case r.Type.IsPhoneNumber():
			have.Phones++
		case r.Type == client.ContactEmail:
			have.Emails++
		}
		listed[r.CustomerID] = have
	}
	reach, err := a.hygiene.Reach(c.Request().Context(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]views.BulkPick, 0, len(rows))
	for _, r := range rows {
		p := views.BulkPick{Key: fmt.Sprintf("%d-%d", r.ContactID, r.CustomerID), Customer: r.CustomerName,
			CustomerURL: web.CustomerURL(r.CustomerID), Type: r.Type.Label(), Value: a.DisplayValue(r.Type, r.Value), Memo: r.Memo, Checked: true}
		if r.LocationID != 0 {
			p.LocationID, p.Location, p.LocationURL = r.LocationID, r.LocationName, web.OwnerOfEntry(r.CustomerID, r.LocationID).URL()
		}
		held, gone := reach[r.CustomerID], listed[r.CustomerID]
		switch {
		case r.LocationID != 0:
		case r.Type.IsPhoneNumber() && held.Phones <= gone.Phones:
			p.Warning = "Removing it leaves " + cmp.Or(r.CustomerName, "the customer") + " without a phone number."
		case r.Type == client.ContactEmail && held.Emails <= gone.Emails:
			p.Warning = "Removing it leaves " + cmp.Or(r.CustomerName, "the customer") + " without an email address."
		}
		out = append(out, p)
	}
	return out, nil
}

// pickedList is the list the ticked contacts of a list from the hygiene
// report make (`contact`, each "{contact id}-{customer id}"), as the CSV
// the textarea held before: the preview reads the rest from the index.
// ok is false when a value is not two ids.
func pickedList(picked []string) (list string, ok bool) {
	var b strings.Builder
	b.WriteString("contact id,customer id\n")
	for _, p := range picked {
		contact, customer, found := strings.Cut(p, "-")
		ct, err1 := strconv.ParseInt(contact, 10, 64)
		cu, err2 := strconv.ParseInt(customer, 10, 64)
		if !found || err1 != nil || err2 != nil || ct <= 0 || cu <= 0 {
			return "", false
		}
		fmt.Fprintf(&b, "%d,%d\n", ct, cu)
	}
	return b.String(), true
}

// hygieneBulkForm is the bulk form filled with a hygiene section's
// contacts, by contact and customer id (the preview reads the rest from
// the index), and the section's sensible action: remove placeholders;
// nothing chosen for the others, where people decide contact by contact.
func (a *Handlers) hygieneBulkForm(c echo.Context, raw string) (views.BulkForm, error) {
	s, ok := hygiene.ParseSection(raw)
	if !ok {
		return views.BulkForm{}, web.FailPage(http.StatusNotFound, "Not found",
			"The hygiene report has no such section. Open it from the report's Fix in bulk link.", fmt.Errorf("no hygiene section %q", raw))
	}
	form := views.BulkForm{ChooseAction: true}
	title := web.HygieneSections[s].Title
	if s == hygiene.Unreachable {
		form.Problems.Add("list", "#field-list", "Customers no one can reach have no contact to change in bulk: add a phone number or email from each customer's page.")
		return form, nil
	}
	var rows []hygiene.Row
	ctx := c.Request().Context()
	err := a.hygiene.Each(ctx, s, func(r hygiene.Row) error {
		if len(rows) == maxPicks {
			return errListFull
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil && !errors.Is(err, errListFull) {
		return form, web.Unreadable("The hygiene report", err)
	}
	if len(rows) == 0 {
		form.Problems.Add("list", "#field-list", fmt.Sprintf("The hygiene report's %q section is empty now: there is nothing to fix.", title))
		return form, nil
	}
	if form.Picks, err = a.picks(c, rows); err != nil {
		return form, web.Unreadable("The hygiene report", err)
	}
	form.Hygiene = string(s)
	form.Source = fmt.Sprintf("From the hygiene report: the %d %s of %q, each ticked. Untick any contact to keep; the preview shows each one before anything changes.",
		len(rows), map[bool]string{true: "contact", false: "contacts"}[len(rows) == 1], title)
	if errors.Is(err, errListFull) {
		form.Source = fmt.Sprintf("From the hygiene report: the first %d contacts of %q, each ticked (a list from the report holds at most %d). Untick any contact to keep, and run the rest once these are done.", len(rows), title, maxPicks)
	}
	if s == hygiene.PlaceholderPhone || s == hygiene.PlaceholderEmail {
		form.Action, form.ChooseAction = string(bulk.Remove), false
	}
	return form, nil
}
