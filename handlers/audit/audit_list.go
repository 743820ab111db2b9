package audit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/views"
)

const auditPageSize = 50

// auditQuery is the filter of GET /audit and GET /audit.csv. TZ is the
// browser's time zone as its page sent it (the filter form's hidden field),
// kept only when it names one and decides (see dateZone).
type auditQuery struct {
	Actor, Customer, Location, From, To, Action, Source, Job, TZ string
	Page                                                         int
}

// parseAuditQuery reads the filter; the page is the first (auditList reads
// ?page= with pageParam, which may refuse it).
func parseAuditQuery(c echo.Context) auditQuery {
	return auditQuery{
		Actor:    strings.TrimSpace(c.QueryParam("actor")),
		Customer: strings.TrimSpace(c.QueryParam("customer")),
		Location: strings.TrimSpace(c.QueryParam("location")),
		From:     strings.TrimSpace(c.QueryParam("from")),
		To:       strings.TrimSpace(c.QueryParam("to")),
		Action:   strings.TrimSpace(c.QueryParam("action")),
		Source:   strings.TrimSpace(c.QueryParam("source")),
		Job:      strings.TrimSpace(c.QueryParam("job")),
		TZ:       strings.TrimSpace(c.QueryParam("tz")),
		Page:     1,
	}
}

// dateZone is the zone the audit trail's dates are days in, the one its
// times are shown in: DISPLAY_TZ when set, else the browser's own as its
// page sent it (tz), else UTC. It also returns the tz worth keeping in the
// page's links: "" when DISPLAY_TZ decides or tz names no zone.
func (a *Handlers) dateZone(tz string) (*time.Location, string) {
	if !a.LocalTimes {
		return a.TZ, ""
	}
	if loc, ok := browserZone(tz); ok {
		return loc, tz
	}
	return time.UTC, ""
}

// browserZone reads an IANA zone name a browser sent ("America/Chicago").
// Anything else is refused before the zone database is asked: the
// server's own zone ("Local"), paths, long or odd strings.
func browserZone(name string) (*time.Location, bool) {
	if name == "" || len(name) > 64 || name == "Local" || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != "" ||
		strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

// zoneNames name North America's zones as people do, by their
// abbreviation (standard or daylight time).
var zoneNames = map[string]string{
	"EST": "Eastern", "EDT": "Eastern", "CST": "Central", "CDT": "Central", "MST": "Mountain", "MDT": "Mountain",
	"PST": "Pacific", "PDT": "Pacific", "AKST": "Alaska", "AKDT": "Alaska", "HST": "Hawaii", "AST": "Atlantic",
	"ADT": "Atlantic", "NST": "Newfoundland", "NDT": "Newfoundland",
}

// zoneNote says which zone the dates are days in: "Dates in Central time
// (America/Chicago)." fromBrowser: no DISPLAY_TZ is set, so UTC means the
// browser did not say its zone.
func zoneNote(loc *time.Location, now time.Time, fromBrowser bool) string {
	if loc.String() == "UTC" {
		if fromBrowser {
			return "Dates in UTC: your browser did not send its time zone (it does with JavaScript on)."
		}
		return "Dates in UTC."
	}
	if abbr, _ := now.In(loc).Zone(); zoneNames[abbr] != "" {
		return "Dates in " + zoneNames[abbr] + " time (" + loc.String() + ")."
	}
	return "Dates in " + loc.String() + " time."
}

// filter checks the query; dates are days in tz (dateZone's), "to"
// inclusive. It returns a message for people when something is off.
func (q auditQuery) filter(tz *time.Location) (audit.Filter, string) {
	// A whole email is that person's; anything else is part of a name or
	// an email ("jordan", "@acme.example").
	var f audit.Filter
	switch {
	case q.Actor == "":
	case utf8.RuneCountInString(q.Actor) > 100:
		return f, "Changed by: type at most 100 characters of a name or an email."
	case identity.ValidEmail(q.Actor):
		f.Actor = q.Actor
	default:
		f.ActorLike = q.Actor
	}
	if q.Action != "" {
		if !audit.Action(q.Action).Valid() {
			return f, "Choose what to list: edits, additions or removals."
		}
		f.Action = audit.Action(q.Action)
	}
	if q.Source != "" {
		if !audit.Source(q.Source).Valid() {
			return f, "Choose where the changes were made: through contactdesk or in ServiceTitan."
		}
		f.Source = audit.Source(q.Source)
	}
	if q.Job != "" {
		id, err := strconv.ParseInt(q.Job, 10, 64)
		if err != nil || id <= 0 {
			return f, "Bulk job must be a number, like 12."
		}
		f.Job = id
	}
	if q.Customer != "" {
		id, err := strconv.ParseInt(q.Customer, 10, 64)
		if err != nil || id <= 0 {
			return f, "Customer: type a customer ID, like 10000001, or a name."
		}
		f.CustomerID = id
	}
	if q.Location != "" {
		id, err := strconv.ParseInt(q.Location, 10, 64)
		if err != nil || id <= 0 {
			return f, "Location must be a service location's ID, like 100000001."
		}
		f.LocationID = id
	}
	for _, d := range []struct {
		v    string
		into *time.Time
		next bool
	}{{q.From, &f.From, false}, {q.To, &f.To, true}} {
		if d.v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", d.v, tz)
		if err != nil || day.Year() < 2000 || day.Year() > 9998 {
			return f, "Dates must look like 2026-11-27."
		}
		if d.next {
			day = day.AddDate(0, 0, 1)
		}
		*d.into = day.UTC()
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, "“From” must be on or before “To”."
	}
	return f, ""
}

func (q auditQuery) URL(path string, page int) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": q.Actor, "customer": q.Customer, "location": q.Location, "from": q.From, "to": q.To,
		"action": q.Action, "source": q.Source, "job": q.Job, "tz": q.TZ} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// auditList shows the audit trail: who changed which contact, when, from
// what to what.
func (a *Handlers) auditList(c echo.Context) error {
	q := parseAuditQuery(c)
	var err error
	if q.Page, err = web.PageParam(c); err != nil {
		return err
	}
	zone, tz := a.dateZone(q.TZ)
	q.TZ = tz
	now := time.Now().In(zone)
	m := views.AuditPage{Layout: a.Layout(c, "Audit trail"), Actor: q.Actor, Customer: q.Customer, From: q.From, To: q.To, Job: q.Job,
		CSVURL: q.URL("/audit.csv", 1), ActionOptions: actionOptions(q.Action), SourceOptions: sourceOptions(q.Source), Shortcuts: q.dateShortcuts(now),
		Zone: zoneNote(zone, now, a.LocalTimes), ZoneID: zone.String(), SendsZone: a.LocalTimes, TZ: tz}
	f, problem := a.auditFilter(c.Request().Context(), q)
	if problem != "" {
		m.Problem = problem
		return a.Render(c, http.StatusOK, views.Audit(m))
	}
	f.Limit, f.Offset = auditPageSize, (q.Page-1)*auditPageSize
	entries, total, err := a.trail.List(c.Request().Context(), f)
	if err != nil {
		return web.Unreadable("The audit trail", err)
	}
	m.Total = total
	m.Entries = a.HistoryViews(entries, a.EntryNames(c.Request().Context(), entries))
	if q.Page == 1 && a.jobs != nil && f.CustomerID == 0 && len(f.CustomerIDs) == 0 && f.Action == "" && f.Source != audit.SourceServiceTitan {
		// Bulk jobs themselves: who ran which list, when, and how it went.
		jobs, err := a.jobs.Jobs(c.Request().Context(), bulk.JobFilter{ID: f.Job, Owner: f.Actor, OwnerLike: f.ActorLike,
			From: f.From, To: f.To, Limit: 20})
		if err != nil {
			return web.Unreadable("Bulk jobs", err)
		}
		m.BulkJobs = a.BulkSummaries(jobs)
	}
	if q.Page > 1 {
		m.PrevURL = q.URL("/audit", q.Page-1)
	}
	if q.Page*auditPageSize < total {
		m.NextURL = q.URL("/audit", q.Page+1)
	}
	return a.Render(c, http.StatusOK, views.Audit(m))
}

// actionOptions are the choices of the audit trail's "What" filter.
func actionOptions(selected string) []views.Option {
	opts := []views.Option{{Value: "", Label: "Every change", Selected: selected == ""}}
	for _, a := range audit.Actions {
		opts = append(opts, views.Option{Value: string(a), Label: map[audit.Action]string{
			audit.ActionUpdate: "Edits", audit.ActionCreate: "Additions", audit.ActionDelete: "Removals"}[a], Selected: selected == string(a)})
	}
	return opts
}

// sourceOptions are the choices of the audit trail's "Made where" filter.
func sourceOptions(selected string) []views.Option {
	return []views.Option{
		{Value: "", Label: "Anywhere", Selected: selected == ""},
		{Value: string(audit.SourceApp), Label: "Through contactdesk", Selected: selected == string(audit.SourceApp)},
		{Value: string(audit.SourceServiceTitan), Label: "In ServiceTitan", Selected: selected == string(audit.SourceServiceTitan)},
	}
}

// indexLookups is what entryNames reads of the index; *index.Store has it.
type indexLookups interface {
	CustomersByID(ctx context.Context, ids []int64) (map[int64]index.Customer, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]index.Contact, error)
	LocationsByID(ctx context.Context, ids []int64) (map[int64]index.Location, error)
}

func (a *Handlers) EntryNames(ctx context.Context, entries []audit.Entry) web.EntryNames {
	names := web.EntryNames{Customers: map[int64]string{}, Locations: map[int64]string{}, Contacts: map[int64]string{}, Restored: a.restorations(ctx, entries)}
	idx, ok := a.index.(indexLookups)
	if !ok || len(entries) == 0 {
		return names
	}
	var customers, contacts, locations []int64
	for _, e := range entries {
		customers, contacts = append(customers, e.CustomerID), append(contacts, e.ContactID)
		if e.LocationID != 0 {
			locations = append(locations, e.LocationID)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if cs, err := idx.CustomersByID(ctx, slices.Compact(slices.Sorted(slices.Values(customers)))); err == nil {
		for id, c := range cs {
			names.Customers[id] = c.Name
		}
	}
	if ls, err := idx.LocationsByID(ctx, slices.Compact(slices.Sorted(slices.Values(locations)))); err == nil {
		for id, l := range ls {
			names.Locations[id] = index.LocationName(l, id)
		}
	}
	if cs, err := idx.ContactsByID(ctx, slices.Compact(slices.Sorted(slices.Values(contacts)))); err == nil {
		for id, c := range cs {
			if !c.Removed && c.Value != "" {
				names.Contacts[id] = a.ContactText(string(c.Type), c.Value)
			}
		}
	}
	return names
}

// restorations finds, in one query, the undos that brought back what the
// removals among entries took away. When the trail cannot say, every
// removal offers Restore, whose page and write check again.
func (a *Handlers) restorations(ctx context.Context, entries []audit.Entry) map[int64]audit.Entry {
	var removals []int64
	for _, e := range entries {
		if e.Action == audit.ActionDelete && e.Outcome == audit.OutcomeSaved {
			removals = append(removals, e.ID)
		}
	}
	out, err := a.restorer.Restorations(ctx, removals)
	if err != nil {
		a.Log.WarnContext(ctx, "restorations not read", "error", err)
	}
	return out
}

// dateShortcuts are "Today" and "Last 7 days" in the dates' zone (now is
// in it), the other filters kept; the one the query is on says so.
func (q auditQuery) dateShortcuts(now time.Time) []views.DateShortcut {
	today := now.Format(time.DateOnly)
	var out []views.DateShortcut
	for _, s := range []struct {
		label string
		days  int
	}{{"Today", 0}, {"Last 7 days", 6}} {
		r := q
		r.From, r.To = now.AddDate(0, 0, -s.days).Format(time.DateOnly), today
		out = append(out, views.DateShortcut{Link: views.Link{Label: s.label, URL: r.URL("/audit", 1), Current: q.From == r.From && q.To == today},
			DaysBack: s.days})
	}
	return out
}

// maxCustomersNamed bounds the customers a name filters the trail by.
const maxCustomersNamed = 50

// auditFilter is q.filter, with a customer given by name (not an id)
// looked up in the search index: the trail keeps ids only.
func (a *Handlers) auditFilter(ctx context.Context, q auditQuery) (audit.Filter, string) {
	zone, _ := a.dateZone(q.TZ)
	name := q.Customer
	if _, err := strconv.ParseInt(name, 10, 64); err == nil || name == "" {
		return q.filter(zone)
	}
	if problem := web.QueryTooLong(name); problem != "" {
		return audit.Filter{}, "Customer: " + problem
	}
	q.Customer = ""
	f, problem := q.filter(zone)
	if problem != "" {
		return f, problem
	}
	if a.index == nil {
		return f, "Customer: type a customer ID, like 10000001 (names are found once the search index exists)."
	}
	query := index.ParseQuery(name)
	if query.Empty() {
		return f, "Customer: type a customer ID, like 10000001, or a word of a name."
	}
	res, err := web.FindInIndex(ctx, a.index, a.searchTimeout, query, 1, maxCustomersNamed)
	if errors.Is(err, web.ErrSearchTooLong) {
		return f, "Customer: finding customers by that name took too long. Type more of the name, or a customer ID."
	}
	if err != nil {
		return f, "Customers cannot be found by name just now: type a customer ID."
	}
	for _, r := range res.Results {
		f.CustomerIDs = append(f.CustomerIDs, r.Customer.ID)
	}
	if len(f.CustomerIDs) == 0 {
		return f, fmt.Sprintf("No customer matches %q.", name)
	}
	return f, ""
}
