package hygiene

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/views"
)

// hygieneReport is GET /hygiene: each section's count, then the first page
// of each section; ?section=…&page=… pages through one section.
func (a *Handlers) hygieneReport(c echo.Context) error {
	pages := map[hygiene.Section]int{}
	only, page, err := hygieneSectionParam(c, false)
	if err != nil {
		return err
	}
	filter := strings.TrimSpace(c.QueryParam("q"))
	if problem := web.QueryTooLong(filter); problem != "" {
		filter = string([]rune(filter)[:web.MaxQuery])
	}
	if only != "" {
		pages[only] = page
	} else {
		for _, s := range hygiene.Sections {
			pages[s] = 1
		}
	}
	var filters map[hygiene.Section]string
	if only != "" && filter != "" {
		filters = map[hygiene.Section]string{only: filter}
	} else {
		filter = ""
	}
	rep, err := a.report.ReadFiltered(c.Request().Context(), pages, filters)
	if err != nil {
		return web.Unreadable("The hygiene report", err)
	}
	m := views.HygienePage{Layout: a.Layout(c, "Contact hygiene"), Unchecked: rep.Counts.Unchecked,
		IndexNote: a.notes.Note(c, "The search index is behind ServiceTitan just now: the latest changes may not show yet.",
			"The search index is still loading (%s): the counts will grow until it is complete.")}
	for _, s := range hygiene.Sections {
		words := web.HygieneSections[s]
		n := views.HygieneCount{Section: string(s), Title: words.Title, Href: hygieneHref(s, 1), Count: rep.Counts.Sections[s], Of: words.Of}
		if n.Count == 1 {
			n.Of = words.OfOne
		}
		if s == hygiene.Shared && rep.Counts.SharedValues > 0 {
			n.Of += fmt.Sprintf(" holding %d %s", rep.Counts.SharedValues, map[bool]string{true: "value", false: "values"}[rep.Counts.SharedValues == 1])
		}
		m.Counts = append(m.Counts, n)
	}
	if only != "" {
		m.AllURL = "/hygiene"
	}
	var listed []int64
	for _, l := range rep.Lists {
		m.Sections = append(m.Sections, a.hygieneSection(c, l, rep.Counts.Sections[l.Section], filter))
		for _, r := range l.Rows {
			if r.ContactID != 0 {
				listed = append(listed, r.ContactID)
			}
		}
	}
	// A contact fixed from here brings the person back here: "Fixed —
	// next" (only a page of one section is a place to come back to).
	if only != "" || len(rep.Lists) > 0 {
		a.RememberHygienePlace(c, c.Request().URL.RequestURI(), listed)
	}
	return a.Render(c, http.StatusOK, views.HygieneReport(m))
}

// hygieneSectionParam reads ?section= (required when need) and ?page=.
func hygieneSectionParam(c echo.Context, need bool) (hygiene.Section, int, error) {
	raw := c.QueryParam("section")
	if raw == "" && !need {
		return "", 1, nil
	}
	s, ok := hygiene.ParseSection(raw)
	if !ok {
		return "", 0, web.FailPage(http.StatusNotFound, "Not found",
			"The hygiene report has no such section. Its sections are placeholder-phone, placeholder-email, invalid, shared and unreachable.",
			fmt.Errorf("no hygiene section %q", raw))
	}
	page, err := web.PageParam(c)
	return s, page, err
}

// hygieneHref is a page of one section: its own URL, scrolled to it.
func hygieneHref(s hygiene.Section, page int) string {
	if page <= 1 {
		return "/hygiene#" + string(s)
	}
	return fmt.Sprintf("/hygiene?section=%s&page=%d#%s", s, page, s)
}

// filteredHref is a page of one section's rows that hold filter.
func filteredHref(s hygiene.Section, page int, filter string) string {
	if filter == "" {
		return hygieneHref(s, page)
	}
	v := url.Values{"section": {string(s)}, "q": {filter}}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/hygiene?" + v.Encode() + "#" + string(s)
}

func (a *Handlers) hygieneSection(c echo.Context, l hygiene.List, count int, filter string) views.HygieneSection {
	words := web.HygieneSections[l.Section]
	s := views.HygieneSection{Section: string(l.Section), Title: words.Title, Intro: words.Intro, Count: count, Page: l.Page,
		CSVURL: "/hygiene.csv?section=" + string(l.Section), Filter: filter}
	if filter != "" {
		s.ClearURL = hygieneHref(l.Section, 1)
	}
	if l.Section == hygiene.Shared {
		s.Intro = fmt.Sprintf(words.Intro, a.report.SharedMin())
	}
	if l.Page > 1 {
		s.PrevURL = filteredHref(l.Section, l.Page-1, filter)
	}
	if l.More {
		s.NextURL = filteredHref(l.Section, l.Page+1, filter)
	}
	switch {
	case l.Section == hygiene.Unreachable:
		s.FixNote = "A bulk change cannot add contacts: add a phone number or email from each customer's page."
	case !a.bulkOn:
		s.FixNote = "Bulk changes are not available on this server."
	case !a.rights.May(c):
		s.FixNote = a.rights.NotAllowed()
	default:
		s.FixURL = "/bulk?hygiene=" + string(l.Section)
	}
	shared := ""
	for _, r := range l.Rows {
		ow := web.OwnerOfEntry(r.CustomerID, r.LocationID)
		row := views.HygieneRow{Section: string(r.Section), CustomerID: r.CustomerID, ContactID: r.ContactID,
			Customer: r.CustomerName, CustomerURL: web.CustomerURL(r.CustomerID), Inactive: !r.CustomerActive, Why: r.Why,
			LocationID: r.LocationID, Location: r.LocationName, LocationURL: ow.URL()}
		if row.Customer == "" {
			row.Customer = fmt.Sprintf("Customer %d", r.CustomerID)
		}
		if r.ContactID != 0 {
			row.Contact, row.ContactURL = a.ContactText(string(r.Type), r.Value), ow.ContactURL(r.ContactID)
		} else {
			row.Contact = "No phone number or email"
		}
		if r.Shared != "" && r.Shared != shared {
			shared = r.Shared
			kind := "Phone number"
			if r.Type == client.ContactEmail {
				kind = "Email"
			}
			row.Group = fmt.Sprintf("%s %s, held by %d customers", kind, a.DisplayValue(r.Type, r.Value), r.SharedBy)
			if r.SharedContacts > hygiene.PageValueRows {
				row.Group += fmt.Sprintf(" (the first %d of its %d contacts; the CSV lists them all)", hygiene.PageValueRows, r.SharedContacts)
			}
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}
