package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/views"
)

// searchPageSize keeps a results page short enough to scan at a glance.
const searchPageSize = 10

// customerSearch finds customers by name, phone number or customer ID. An
// ID that matches exactly goes straight to that customer.
func (a *Handlers) customerSearch(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	page, err := web.PageParam(c)
	if err != nil {
		return err
	}
	m := views.SearchPage{Layout: a.Layout(c, "Search results"), Query: q, Searched: true, Page: page, Recent: a.recentLinks(c)}
	if q == "" {
		m.Searched = false
		m.Problem = "Type a name, phone number or customer ID to search."
		return a.Render(c, http.StatusOK, views.Search(m))
	}
	if problem := web.QueryTooLong(q); problem != "" {
		// ServiceTitan answers a long query with a 414, and the index would
		// look for it all; say it plainly instead, and keep what was typed.
		m.Searched = false
		m.Problem = problem
		return a.Render(c, http.StatusUnprocessableEntity, views.Search(m))
	}

	ctx := c.Request().Context()
	if a.index != nil {
		// Whether the index is ready is read on every search; how much it
		// holds (a count of every row) only when it is not.
		ready, err := a.index.Ready(ctx, 3*a.indexInterval)
		if err == nil && ready {
			return a.searchIndex(c, m, q, page)
		}
		var st index.Status
		if err == nil {
			st, err = a.index.Status(ctx, 3*a.indexInterval)
		}
		if err != nil {
			a.Log.WarnContext(ctx, "index status unavailable; searching ServiceTitan", "error", err)
		} else {
			m.Coverage = coverageNote(st)
		}
	}
	return a.searchLive(c, m, q, page)
}

// coverageNote says how much of the tenant the index holds while it is
// still loading (or has fallen behind), and so that results may be
// incomplete: ServiceTitan is searched for names, numbers and ids only.
func coverageNote(st index.Status) string {
	if st.Complete() {
		return "The search index is behind ServiceTitan just now, so this searched ServiceTitan directly: names, phone numbers and IDs. Results may be incomplete: emails, addresses and memos are not found until it catches up."
	}
	covers := fmt.Sprintf("Search covers %d%% of customers, still loading", int(st.Progress()*100))
	if st.CustomerFeed.Backfilled {
		covers = fmt.Sprintf("Search covers every customer but is still loading their contacts (%d so far)", st.Counts.Contacts)
	}
	if st.ContactFeed.Backfilled {
		covers = fmt.Sprintf("Search covers every customer and contact but is still loading their service locations (%d so far)", st.Counts.Locations)
	}
	return covers + ", so results may be incomplete. Until the index is complete, this searched ServiceTitan directly: names, phone numbers and IDs (not emails, addresses or memos)."
}

// searchIndex answers from the tenant index: any clue, no call to
// ServiceTitan. A search that finds one customer goes straight to it.
func (a *Handlers) searchIndex(c echo.Context, m views.SearchPage, q string, page int) error {
	query := index.ParseQuery(q)
	if query.Empty() {
		m.Problem = "Type at least four digits of a phone number, part of an email address, or a word of a name or address."
		return a.Render(c, http.StatusOK, views.Search(m))
	}
	res, err := web.FindInIndex(c.Request().Context(), a.index, a.searchTimeout, query, page, searchPageSize)
	if errors.Is(err, web.ErrSearchTooLong) {
		a.Log.WarnContext(c.Request().Context(), "search stopped", "error", err)
		m.Problem = web.SearchTooLongText
		return a.Render(c, http.StatusServiceUnavailable, views.Search(m))
	}
	if err != nil {
		return web.Unreadable("The search index", err)
	}
	// One match is opened at once: the next step is on its page. A name
	// only close to the words typed is shown first, not opened.
	if page == 1 && len(res.Results) == 1 && !res.More && !res.Near {
		return a.Redirect(c, matchedURL(res.Results[0]))
	}
	ids := make([]int64, len(res.Results))
	for i, r := range res.Results {
		ids[i] = r.Customer.ID
	}
	phones, err := a.index.PrimaryPhones(c.Request().Context(), ids)
	if err != nil {
		// The results stand without their numbers.
		a.Log.WarnContext(c.Request().Context(), "search results' phone numbers not read", "error", err)
	}
	for _, r := range res.Results {
		link := a.resultLink(r, query)
		if ph, ok := phones[r.Customer.ID]; ok && (r.Contact == nil || r.Contact.ID != ph.ID) {
			link.Phone = a.DisplayValue(ph.Type, ph.Value)
		}
		m.Results = append(m.Results, link)
	}
	m.Near = res.Near
	m.Total = res.Total
	if page > 1 {
		m.PrevURL = searchURL(q, page-1)
	}
	if res.More {
		m.NextURL = searchURL(q, page+1)
	}
	return a.Render(c, http.StatusOK, views.Search(m))
}

// resultLink shows a result: the customer, and the contact that matched
// with the matching text marked.
func (a *Handlers) resultLink(r index.Result, q index.Query) views.CustomerLink {
	cu := r.Customer
	link := views.CustomerLink{ID: cu.ID, URL: matchedURL(r), Name: cu.Name, Address: cu.Address.String(), Inactive: !cu.Active}
	if r.Field == "name" {
		link.NameMarks = markWords(cu.Name, q.Words)
	}
	if l := r.Location; l != nil {
		loc := client.Location{ID: l.ID, Name: l.Name, Address: l.Address}
		text := web.LocationName(loc)
		if a := loc.Address.String(); a != "" && !strings.Contains(text, a) {
			text += " (" + a + ")"
		}
		link.Location = &views.LocationMatch{ID: l.ID, URL: web.LocationURL(l.ID), Text: []views.Segment{{Text: text}}}
		if r.Contact == nil && (r.Field == "name" || r.Field == "address") {
			link.Location.Text = markWords(text, q.Words)
		}
	}
	if ct := r.Contact; ct != nil {
		shown := a.DisplayValue(ct.Type, ct.Value)
		link.MatchLabel = ct.Type.Label()
		link.MatchURL = resultOwner(r).ContactURL(ct.ID)
		switch {
		case r.Field == "memo":
			link.Match = markWords(ct.Memo, q.Words)
			link.MatchLabel += " " + shown + " · memo"
		case q.Digits != "":
			link.Match = markDigits(shown, q.Digits)
		case q.Email != "":
			link.Match = markText(shown, q.Email)
		default:
			link.Match = []views.Segment{{Text: shown}}
		}
	}
	return link
}

// matchedURL opens a result's customer, or the service location that
// matched; when a contact matched, the page marks it and puts the focus
// on its Edit (?contact=), so one Enter opens it.
func matchedURL(r index.Result) string {
	u := resultOwner(r).URL()
	if r.Contact == nil {
		return u
	}
	return u + "?contact=" + strconv.FormatInt(r.Contact.ID, 10)
}

// resultOwner is whose page a result opens: the location that matched,
// else the customer.
func resultOwner(r index.Result) web.Owner {
	if r.Location != nil {
		return web.Owner{Owner: client.LocationOwner(r.Customer.ID, r.Location.ID)}
	}
	return web.Owner{Owner: client.CustomerOwner(r.Customer.ID)}
}

// searchLive asks ServiceTitan, as before the index existed: names, phone
// numbers and customer IDs, plus a contact summary per result.
func (a *Handlers) searchLive(c echo.Context, m views.SearchPage, q string, page int) error {
	query := parseSearch(q)
	query.Page, query.PageSize = page, searchPageSize
	ctx := c.Request().Context()
	result, err := a.st.SearchCustomers(ctx, query)
	if err != nil {
		return web.UpstreamError(err, "search")
	}
	if len(query.IDs) == 1 && len(result.Data) == 1 && page == 1 {
		return a.Redirect(c, web.CustomerURL(result.Data[0].ID))
	}
	if len(result.Data) == 0 && len(query.IDs) == 1 {
		// Digits that are not an id may be part of a phone number.
		query = client.CustomerQuery{Phone: q, Page: page, PageSize: searchPageSize}
		if result, err = a.st.SearchCustomers(ctx, query); err != nil {
			return web.UpstreamError(err, "search")
		}
	}

	m.Results = a.resultLinks(ctx, result.Data)
	if page > 1 {
		m.PrevURL = searchURL(q, page-1)
	}
	if result.HasMore {
		m.NextURL = searchURL(q, page+1)
	}
	return a.Render(c, http.StatusOK, views.Search(m))
}

// parseSearch decides what the words in the box are: a customer id (digits
// only, short), a phone number (mostly digits, ten or more), or a name.
func parseSearch(q string) client.CustomerQuery {
	digits := client.Digits(q)
	isNumeric := strings.IndexFunc(q, func(r rune) bool {
		return !unicode.IsDigit(r) && !strings.ContainsRune(" ()-.+", r)
	}) < 0
	switch {
	case isNumeric && digits == q && len(digits) < 10:
		id, err := strconv.ParseInt(digits, 10, 64)
		if err == nil && id > 0 {
			return client.CustomerQuery{IDs: []int64{id}}
		}
	case isNumeric && len(digits) >= 7:
		return client.CustomerQuery{Phone: digits}
	}
	return client.CustomerQuery{Name: q}
}

func searchURL(q string, page int) string {
	v := url.Values{"q": {q}}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/customers?" + v.Encode()
}

// resultLinks adds a contact summary to each customer, reading their
// contact lists a few at a time. A list that cannot be read leaves a plain
// note instead of failing the whole page.
func (a *Handlers) resultLinks(ctx context.Context, customers []client.Customer) []views.CustomerLink {
	links := make([]views.CustomerLink, len(customers))
	var g errgroup.Group
	g.SetLimit(web.SummaryConcurrency)
	for i, cu := range customers {
		links[i] = views.CustomerLink{ID: cu.ID, URL: web.CustomerURL(cu.ID), Name: cu.Name, Address: cu.Address.String()}
		g.Go(func() error {
			contacts, err := a.st.ListContacts(ctx, cu.ID)
			if err != nil {
				a.Log.WarnContext(ctx, "a search result's contacts could not be read", "customer_id", cu.ID, "error", err)
				links[i].ContactSummary = "Contacts could not be loaded"
				return nil
			}
			links[i].ContactSummary = a.ContactSummary(contacts)
			return nil
		})
	}
	_ = g.Wait() // every summary returns nil: one not read is a note, logged above
	return links
}
