package web

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/views"
)

// BulkRights say who may start, pause and cancel bulk jobs (anyone signed
// in may see them): those AUTH_BULK_EMAILS or AUTH_BULK_GROUPS name, or
// everyone when Open (the sandbox).
type BulkRights struct {
	Policy identity.Policy
	Open   bool
}

// May reports whether the signed-in person may start, pause and cancel
// bulk jobs.
func (r BulkRights) May(c echo.Context) bool {
	if r.Open {
		return true
	}
	who, ok := Actor(c)
	return ok && !r.Policy.Empty() && r.Policy.Allows(who)
}

// NotAllowed says why someone may not start jobs, and what would let
// them.
func (r BulkRights) NotAllowed() string {
	if r.Policy.Empty() {
		return "Bulk changes are off: an administrator turns them on by naming who may start them (the AUTH_BULK_EMAILS or AUTH_BULK_GROUPS setting)."
	}
	return "Only the people named by the AUTH_BULK_EMAILS or AUTH_BULK_GROUPS setting may start, pause or cancel bulk jobs. Ask your administrator to add you."
}

// BulkWhat words what a job does: "set Marketing updates off", "remove
// contacts".
func BulkWhat(action bulk.Action) string {
	if action.Kind == bulk.Remove {
		return "remove contacts"
	}
	var parts []string
	for _, f := range client.Flags {
		if v, ok := action.Set[f.Name]; ok {
			parts = append(parts, f.Label+" "+strings.ToLower(client.OnOff(v)))
		}
	}
	return "set " + strings.Join(parts, ", ")
}

// BulkCounts are a job's rows by state as pages count them.
func BulkCounts(c bulk.Counts) views.BulkCounts {
	return views.BulkCounts{Changed: c.Changed, Unchanged: c.Unchanged, Found: c.Found, Failed: c.Failed, Skipped: c.Skipped,
		Cancelled: c.Cancelled, Remaining: c.Remaining(), Total: c.Total()}
}

// BulkStateText words a job's state for its list.
var BulkStateText = map[bulk.State]string{
	bulk.Draft: "preview", bulk.Running: "running", bulk.Paused: "paused", bulk.Cancelled: "cancelled", bulk.Done: "done",
}

// BulkSummaries are jobs as lists show them, with their counts.
func (a *Web) BulkSummaries(jobs []bulk.Summary) []views.BulkJobSummary {
	var out []views.BulkJobSummary
	for _, j := range jobs {
		out = append(out, views.BulkJobSummary{ID: j.ID, URL: BulkURL(j.ID), Owner: cmp.Or(j.Owner.Name, j.Owner.Email),
			Created: a.TimeView(j.Created), FileName: j.FileName, What: BulkWhat(j.Action), State: BulkStateText[j.State],
			Counts: BulkCounts(j.Counts)})
	}
	return out
}

// IDOrEmpty is an id for a CSV cell: empty for none.
func IDOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
