package contacts

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// customerShow shows a customer and all of their contacts, and their
// service locations with their contacts, and remembers the customer among
// this person's recently opened ones.
func (a *Handlers) customerShow(c echo.Context) error {
	id, err := web.PathID(c, "id", "customer")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	customer, err := a.st.GetCustomer(ctx, id)
	if err != nil {
		return web.UpstreamError(err, fmt.Sprintf("customer with ID %d", id))
	}
	contacts, err := a.st.ListContacts(ctx, id)
	if err != nil {
		return web.UpstreamError(err, fmt.Sprintf("contact list for %s", customer.Name))
	}

	a.RememberCustomer(c, customer.ID)
	a.Names.Put(customer.ID, customer.Name)
	ow := web.Owner{Owner: client.CustomerOwner(customer.ID), Name: customer.Name, CustomerName: customer.Name}
	m := views.CustomerPage{
		Layout:     a.Layout(c, customer.Name),
		ID:         customer.ID,
		Name:       customer.Name,
		Address:    customer.Address.String(),
		Active:     customer.Active,
		BackURL:    "/",
		AddURL:     ow.URL() + "/contacts/new",
		HistoryURL: web.AuditURLOf(ow),
		Undo:       a.undoForm(c, ow),
	}
	if m.Undo != nil {
		m.HygieneNext = a.HygieneNext(c, m.Undo.ContactID)
	}
	m.Contacts = a.contactRows(c, ow, contacts, m)
	m.Locations, m.LocationsNote = a.locationSections(ctx, customer)
	return a.Render(c, http.StatusOK, views.Customer(m))
}

// foldedAfter is how many contacts a phone's width shows before "Show
// the other N contacts": sixty cards made a page 15,000 px long.
const foldedAfter = 10

// contactRows are an owner's contacts as its page lists them: the one a
// search matched (?contact=) marked, and the next step's focus on it,
// else on the first (after a removal the Undo has it instead).
func (a *Handlers) contactRows(c echo.Context, ow web.Owner, contacts []client.Contact, m views.CustomerPage) []views.ContactRow {
	matched := matchedContact(c, contacts)
	var rows []views.ContactRow
	for i, ct := range contacts {
		row := a.ContactRow(ow, ct)
		row.Matched = ct.ID == matched
		row.First = i == 0 && matched == 0 && m.Flash == "" && m.Notice == "" && m.Undo == nil
		// A phone's width shows the first ten and the one a search
		// matched; the others fold away until asked for.
		row.More = i >= foldedAfter && !row.Matched
		rows = append(rows, row)
	}
	return rows
}

// locationsShown is how many of a customer's locations its page shows
// with their contacts (a read each, side by side); the others are listed
// with a link. Most customers have one; a property manager dozens.
const locationsShown = 12

// locationSections reads a customer's service locations and, for the
// first few, their contacts. What cannot be read leaves a note instead of
// failing the page: the customer's own contacts are its point.
func (a *Handlers) locationSections(ctx context.Context, customer client.Customer) ([]views.LocationSection, string) {
	locations, err := a.st.ListLocations(ctx, client.LocationQuery{CustomerID: customer.ID, IncludeInactive: true})
	if err != nil {
		a.Log.WarnContext(ctx, "service locations not shown", "customer_id", customer.ID, "error", err)
		return nil, "Its service locations could not be read from ServiceTitan just now. Reload the page to try again."
	}
	// Active ones first, then by id, as ServiceTitan lists them.
	slices.SortStableFunc(locations, func(x, y client.Location) int { return boolOrder(x.Active, y.Active) })
	sections := make([]views.LocationSection, len(locations))
	var g errgroup.Group
	g.SetLimit(web.SummaryConcurrency)
	for i, loc := range locations {
		a.Locations.Put(loc.ID, loc)
		ow := web.Owner{Owner: client.LocationOwner(customer.ID, loc.ID), Name: web.LocationName(loc), CustomerName: customer.Name}
		sections[i] = views.LocationSection{ID: loc.ID, Name: web.LocationName(loc), Address: loc.Address.String(), Active: loc.Active,
			URL: ow.URL(), AddURL: ow.URL() + "/contacts/new", Unread: i >= locationsShown}
		if i >= locationsShown {
			continue
		}
		g.Go(func() error {
			contacts, err := a.st.ListContactsOf(ctx, ow.Owner)
			if err != nil {
				a.Log.WarnContext(ctx, "a service location's contacts not shown", "customer_id", customer.ID, "location_id", loc.ID, "error", err)
				sections[i].Unread = true
				return nil
			}
			for _, ct := range contacts {
				sections[i].Contacts = append(sections[i].Contacts, a.ContactRow(ow, ct))
			}
			return nil
		})
	}
	// Every Go returns nil: a location whose contacts cannot be read is
	// marked Unread (and logged) rather than failing the whole page.
	_ = g.Wait()
	return sections, ""
}

// boolOrder orders true before false.
func boolOrder(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return -1
	}
	return 1
}

// matchedContact is the contact a search matched (?contact=, set by the
// search), when it is one of this customer's; 0 otherwise. Anything else
// in the parameter is ignored: the page is the same without it.
func matchedContact(c echo.Context, contacts []client.Contact) int64 {
	id, err := strconv.ParseInt(c.QueryParam("contact"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	for _, ct := range contacts {
		if ct.ID == id {
			return id
		}
	}
	return 0
}

// undoForm offers to undo the removal just made from this owner's
// contacts, read from the audit trail; nil when there is none.
func (a *Handlers) undoForm(c echo.Context, ow web.Owner) *views.UndoForm {
	id, ok := a.TakeRemoval(c)
	if !ok {
		return nil
	}
	e, err := audit.Get(c.Request().Context(), a.audit, id)
	if err != nil || e.CustomerID != ow.CustomerID || e.LocationID != ow.LocationID || e.Action != audit.ActionDelete {
		return nil
	}
	var typ client.ContactType
	var value string
	for _, ch := range e.Changes {
		switch ch.Field {
		case client.FieldType:
			typ, _ = client.ParseContactType(ch.Before)
		case client.FieldValue:
			value = ch.Before
		}
	}
	token, _ := c.Get(web.CSRFContextKey).(string)
	return &views.UndoForm{
		Action: ow.URL() + "/contacts/undo", CSRFField: web.CSRFField, CSRFToken: token,
		Removal: id, Nonce: web.NewNonce(), What: typ.Label() + " " + a.DisplayValue(typ, value), ContactID: e.ContactID,
	}
}
