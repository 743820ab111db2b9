package handlers

import (
	"cmp"
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
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
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
func (a *App) dateZone(tz string) (*time.Location, string) {
	if !a.localTimes {
		return a.tz, ""
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

func (q auditQuery) url(path string, page int) string {
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
func (a *App) auditList(c echo.Context) error {
	q := parseAuditQuery(c)
	var err error
	if q.Page, err = pageParam(c); err != nil {
		return err
	}
	zone, tz := a.dateZone(q.TZ)
	q.TZ = tz
	now := time.Now().In(zone)
	m := views.AuditPage{Layout: a.layout(c, "Audit trail"), Actor: q.Actor, Customer: q.Customer, From: q.From, To: q.To, Job: q.Job,
		CSVURL: q.url("/audit.csv", 1), ActionOptions: actionOptions(q.Action), SourceOptions: sourceOptions(q.Source), Shortcuts: q.dateShortcuts(now),
		Zone: zoneNote(zone, now, a.localTimes), ZoneID: zone.String(), SendsZone: a.localTimes, TZ: tz}
	f, problem := a.auditFilter(c.Request().Context(), q)
	if problem != "" {
		m.Problem = problem
		return a.render(c, http.StatusOK, views.Audit(m))
	}
	f.Limit, f.Offset = auditPageSize, (q.Page-1)*auditPageSize
	entries, total, err := a.audit.List(c.Request().Context(), f)
	if err != nil {
		return failPage(http.StatusServiceUnavailable, "", "The audit trail cannot be read just now. Try again in a minute.", err)
	}
	m.Total = total
	m.Entries = a.historyViews(entries, a.entryNames(c.Request().Context(), entries))
	if q.Page == 1 && a.bulk != nil && f.CustomerID == 0 && len(f.CustomerIDs) == 0 && f.Action == "" && f.Source != audit.SourceServiceTitan {
		// Bulk jobs themselves: who ran which list, when, and how it went.
		jobs, err := a.bulk.Store.Jobs(c.Request().Context(), bulk.JobFilter{ID: f.Job, Owner: f.Actor, OwnerLike: f.ActorLike,
			From: f.From, To: f.To, Limit: 20})
		if err != nil {
			return failPage(http.StatusServiceUnavailable, "", "Bulk jobs cannot be read just now. Try again in a minute.", err)
		}
		if m.BulkJobs, err = a.bulkSummaries(c, jobs); err != nil {
			return err
		}
	}
	if q.Page > 1 {
		m.PrevURL = q.url("/audit", q.Page-1)
	}
	if q.Page*auditPageSize < total {
		m.NextURL = q.url("/audit", q.Page+1)
	}
	return a.render(c, http.StatusOK, views.Audit(m))
}

// actionLabels name what an attempt did, as the History shows it.
var actionLabels = map[audit.Action]string{
	audit.ActionUpdate: "Edited",
	audit.ActionCreate: "Added",
	audit.ActionDelete: "Removed",
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

// externalActionLabels name what a change made in ServiceTitan did.
var externalActionLabels = map[audit.Action]string{
	audit.ActionUpdate: "Edited in ServiceTitan",
	audit.ActionCreate: "Added in ServiceTitan",
	audit.ActionDelete: "Removed in ServiceTitan",
}

var outcomeLabels = map[audit.Outcome]string{
	audit.OutcomeSaved:    "Saved",
	audit.OutcomeRejected: "Rejected by ServiceTitan",
	audit.OutcomeConflict: "Not saved: changed by someone else",
	audit.OutcomeNotFound: "Not saved: contact not found",
	audit.OutcomeFailed:   "Not saved: failed",
	audit.OutcomeUnknown:  "Unknown: the answer was lost",
}

// fieldLabels name the API paths of audited fields for people.
func fieldLabel(field string) string {
	switch field {
	case "type":
		return "Type"
	case "value":
		return "Value"
	case "memo":
		return "Memo"
	case client.FieldDoNotText:
		return "Texting"
	}
	for _, flag := range client.Flags {
		if field == flag.Path() {
			return flag.Label
		}
	}
	return field
}

// historyViews shows entries; names name their customers and contacts
// (the contact page, which shows one contact, passes none).
func (a *App) historyViews(entries []audit.Entry, names entryNames) []views.HistoryEntry {
	out := make([]views.HistoryEntry, 0, len(entries))
	for _, e := range entries {
		h := views.HistoryEntry{
			Time: a.timeView(e.Time), Source: string(cmp.Or(e.Source, audit.SourceApp)), ActorEmail: e.ActorEmail, ActorName: e.ActorName,
			Outcome: string(e.Outcome), OutcomeLabel: outcomeLabel(e),
			Action: string(e.Action), ActionLabel: cmp.Or(actionLabels[e.Action], string(e.Action)),
			CustomerID: e.CustomerID, ContactID: e.ContactID, ContactURL: ownerOfEntry(e.CustomerID, e.LocationID).contactURL(e.ContactID),
			Messages: e.Messages, TraceID: e.TraceID, Job: e.Job,
			CustomerName: names.customers[e.CustomerID], ContactText: names.contacts[e.ContactID],
		}
		if e.LocationID != 0 {
			h.LocationID, h.LocationName = e.LocationID, names.locations[e.LocationID]
			h.LocationAuditURL = auditURLOf(ownerOfEntry(e.CustomerID, e.LocationID))
		}
		if e.Job != 0 {
			h.JobURL = bulkURL(e.Job)
		}
		if e.Undoes != 0 {
			h.Undoes, h.ActionLabel = e.Undoes, "Restored"
		}
		if e.Source == audit.SourceServiceTitan {
			h.ActionLabel = cmp.Or(externalActionLabels[e.Action], h.ActionLabel)
		}
		if e.Action == audit.ActionDelete && e.Outcome == audit.OutcomeSaved {
			if by, ok := names.restored[e.ID]; ok {
				h.RestoredURL = ownerOfEntry(e.CustomerID, e.LocationID).contactURL(by.ContactID)
			} else {
				h.RestoreURL = restoreURL(ownerOfEntry(e.CustomerID, e.LocationID), e.ID)
			}
		}
		for _, ch := range e.Changes {
			h.Changes = append(h.Changes, views.ChangeView{Label: fieldLabel(ch.Field),
				Before: a.plainValue(ch.Field, ch.Before), After: a.plainValue(ch.Field, ch.After)})
		}
		out = append(out, h)
	}
	return out
}

// outcomeLabel says why an attempt ended as it did, in words: a conflict
// is either someone else's change or a value the customer already had.
func outcomeLabel(e audit.Entry) string {
	if e.Outcome == audit.OutcomeConflict && len(e.Messages) > 0 && e.Messages[0] != change.ConflictMessage {
		return "Not saved: the customer already has it"
	}
	if e.Outcome == audit.OutcomeFailed && len(e.Messages) > 0 {
		// The change service records a failure as "Title (status text)".
		switch m := e.Messages[0]; {
		case strings.Contains(m, "(429 "):
			return "Not saved: ServiceTitan's rate limit"
		case strings.Contains(m, "(5"), strings.Contains(m, "timed out"), strings.Contains(m, "did not answer"):
			return "Not saved: ServiceTitan down or slow"
		}
	}
	return cmp.Or(outcomeLabels[e.Outcome], string(e.Outcome))
}

// plainValue shows a recorded value as the record page does: flags as
// On or Off, numbers formatted, types by their label.
func (a *App) plainValue(field, v string) string {
	switch {
	case v == "":
		return v
	case field == client.FieldDoNotText:
		return doNotTextText(v == "true")
	case field == client.FieldType:
		if t, ok := client.ParseContactType(v); ok {
			return t.Label()
		}
	case field == client.FieldValue:
		if d := client.Digits(v); len(d) == 10 && d == v {
			return a.displayValue(client.ContactPhone, v)
		}
	case v == "true", v == "false":
		return onOff(v == "true")
	}
	return v
}

// entryNames are the customers' names and the contacts as the record
// shows them ("Mobile (217) 555-0177"), from the search index when the
// app has one: audit entries hold ids only. restored are the undos of the
// removals among the entries, by removal: those offer no Restore.
type entryNames struct {
	customers map[int64]string
	locations map[int64]string
	contacts  map[int64]string
	restored  map[int64]audit.Entry
}

// indexLookups is what entryNames reads of the index; *index.Store has it.
type indexLookups interface {
	CustomersByID(ctx context.Context, ids []int64) (map[int64]index.Customer, error)
	ContactsByID(ctx context.Context, ids []int64) (map[int64]index.Contact, error)
	LocationsByID(ctx context.Context, ids []int64) (map[int64]index.Location, error)
}

func (a *App) entryNames(ctx context.Context, entries []audit.Entry) entryNames {
	names := entryNames{customers: map[int64]string{}, locations: map[int64]string{}, contacts: map[int64]string{}, restored: a.restorations(ctx, entries)}
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
			names.customers[id] = c.Name
		}
	}
	if ls, err := idx.LocationsByID(ctx, slices.Compact(slices.Sorted(slices.Values(locations)))); err == nil {
		for id, l := range ls {
			names.locations[id] = index.LocationName(l, id)
		}
	}
	if cs, err := idx.ContactsByID(ctx, slices.Compact(slices.Sorted(slices.Values(contacts)))); err == nil {
		for id, c := range cs {
			if !c.Removed && c.Value != "" {
				names.contacts[id] = a.contactText(string(c.Type), c.Value)
			}
		}
	}
	return names
}

// restorations finds, in one query, the undos that brought back what the
// removals among entries took away. When the trail cannot say, every
// removal offers Restore, whose page and write check again.
func (a *App) restorations(ctx context.Context, entries []audit.Entry) map[int64]audit.Entry {
	var removals []int64
	for _, e := range entries {
		if e.Action == audit.ActionDelete && e.Outcome == audit.OutcomeSaved {
			removals = append(removals, e.ID)
		}
	}
	out, err := a.changes.Restorations(ctx, removals)
	if err != nil {
		a.log.WarnContext(ctx, "restorations not read", "error", err)
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
		out = append(out, views.DateShortcut{Link: views.Link{Label: s.label, URL: r.url("/audit", 1), Current: q.From == r.From && q.To == today},
			DaysBack: s.days})
	}
	return out
}

// maxCustomersNamed bounds the customers a name filters the trail by.
const maxCustomersNamed = 50

// auditFilter is q.filter, with a customer given by name (not an id)
// looked up in the search index: the trail keeps ids only.
func (a *App) auditFilter(ctx context.Context, q auditQuery) (audit.Filter, string) {
	zone, _ := a.dateZone(q.TZ)
	name := q.Customer
	if _, err := strconv.ParseInt(name, 10, 64); err == nil || name == "" {
		return q.filter(zone)
	}
	if problem := queryTooLong(name); problem != "" {
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
	res, err := a.findInIndex(ctx, query, 1, maxCustomersNamed)
	if errors.Is(err, errSearchTooLong) {
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
