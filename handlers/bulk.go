package handlers

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
	"github.com/contactdesk/contactdesk/views"
)

// Bulk changes: GET /bulk (the list form and recent jobs), POST
// /bulk/preview (a dry run from the index), POST /bulk (confirm: the job
// starts), GET /bulk/{job} (a draft's preview, a job's progress),
// GET /bulk/{job}.csv (the result), GET /bulk/{job}/preview.csv, and POST
// /bulk/{job}/pause, /resume, /cancel.

// bulkPreviewPath is where a list is posted; its body may be as large as
// a list may be, with room for the form around it.
const bulkPreviewPath = "/bulk/preview"

// mayBulk reports whether the signed-in person may start, pause and
// cancel bulk jobs: those AUTH_BULK_EMAILS or AUTH_BULK_GROUPS name, or
// everyone in the sandbox when neither is set.
func (a *App) mayBulk(c echo.Context) bool {
	if a.bulkOpen {
		return true
	}
	who, ok := web.Actor(c)
	return ok && !a.bulkPolicy.Empty() && a.bulkPolicy.Allows(who)
}

// bulkNotAllowed says why someone may not start jobs, and what would let
// them.
func (a *App) bulkNotAllowed() string {
	if a.bulkPolicy.Empty() {
		return "Bulk changes are off: an administrator turns them on by naming who may start them (the AUTH_BULK_EMAILS or AUTH_BULK_GROUPS setting)."
	}
	return "Only the people named by the AUTH_BULK_EMAILS or AUTH_BULK_GROUPS setting may start, pause or cancel bulk jobs. Ask your administrator to add you."
}

// refuseBulk is the 403 for a bulk action this person may not take.
func (a *App) refuseBulk(c echo.Context) error {
	who, _ := web.Actor(c)
	return web.FailPage(http.StatusForbidden, "You cannot change contacts in bulk", a.bulkNotAllowed(),
		fmt.Errorf("bulk action refused to %s", who.Email))
}

// bulkJobParam reads /bulk/{job} or /bulk/{job}.csv.
func bulkJobParam(c echo.Context) (id int64, csv bool, err error) {
	raw := c.Param("job")
	raw, csv = strings.CutSuffix(raw, ".csv")
	id, perr := strconv.ParseInt(raw, 10, 64)
	if perr != nil || id <= 0 {
		return 0, false, web.FailPage(http.StatusNotFound, "Not found", fmt.Sprintf("There is no bulk job %q.", c.Param("job")),
			fmt.Errorf("bad bulk job id %q", c.Param("job")))
	}
	return id, csv, nil
}

// loadBulkJob reads a job, or the 404 page.
func (a *App) loadBulkJob(c echo.Context, id int64) (bulk.Job, error) {
	j, err := a.bulk.Store.Job(c.Request().Context(), id)
	if errors.Is(err, bulk.ErrNotFound) {
		return j, web.FailPage(http.StatusNotFound, "Not found", fmt.Sprintf("There is no bulk job %d.", id), err)
	}
	if err != nil {
		return j, web.Unreadable("Bulk jobs", err)
	}
	return j, nil
}

// bulkWhat words what a job does: "set Marketing updates off", "remove
// contacts".
func bulkWhat(action bulk.Action) string {
	if action.Kind == bulk.Remove {
		return "remove contacts"
	}
	var parts []string
	for _, f := range client.Flags {
		if v, ok := action.Set[f.Name]; ok {
			parts = append(parts, f.Label+" "+map[bool]string{true: "on", false: "off"}[v])
		}
	}
	return "set " + strings.Join(parts, ", ")
}

func bulkCounts(c bulk.Counts) views.BulkCounts {
	return views.BulkCounts{Changed: c.Changed, Unchanged: c.Unchanged, Found: c.Found, Failed: c.Failed, Skipped: c.Skipped,
		Cancelled: c.Cancelled, Remaining: c.Remaining(), Total: c.Total()}
}

// bulkStateText words a job's state for its list.
var bulkStateText = map[bulk.State]string{
	bulk.Draft: "preview", bulk.Running: "running", bulk.Paused: "paused", bulk.Cancelled: "cancelled", bulk.Done: "done",
}

// bulkHome is GET /bulk: the list form, or why this person may not use
// it, and the recent jobs. GET /bulk?hygiene={section} fills the list with
// a hygiene report section's contacts ("Fix in bulk").
func (a *App) bulkHome(c echo.Context) error {
	form := views.BulkForm{}
	if section := c.QueryParam("hygiene"); section != "" && a.hygiene != nil {
		var err error
		if form, err = a.hygieneBulkForm(c, section); err != nil {
			return err
		}
	}
	m, err := a.bulkHomePage(c, form)
	if err != nil {
		return err
	}
	return a.Render(c, http.StatusOK, views.BulkHomePage(m))
}

// bulkHomePage fills GET /bulk's page around form.
func (a *App) bulkHomePage(c echo.Context, form views.BulkForm) (views.BulkHome, error) {
	ctx := c.Request().Context()
	jobs, err := a.bulk.Store.Jobs(ctx, bulk.JobFilter{Limit: 20})
	if err != nil {
		return views.BulkHome{}, web.Unreadable("Bulk jobs", err)
	}
	m := views.BulkHome{Layout: a.Layout(c, "Bulk changes"), Allowed: a.mayBulk(c), Form: form}
	if !m.Allowed {
		m.NotAllowed = a.bulkNotAllowed()
	}
	m.Form.CSRFField, m.Form.CSRFToken = web.CSRFField, a.CSRFToken(c)
	if m.Form.Flags == nil {
		m.Form.Flags = bulkFlagChoices(nil)
	}
	if m.Form.Presets == nil {
		m.Form.Presets = bulkPresetChoices(m.Form.Action)
	}
	if m.Jobs, err = a.bulkSummaries(c, jobs); err != nil {
		return m, err
	}
	return m, nil
}

// bulkSummaries are jobs as lists show them, with their counts.
func (a *App) bulkSummaries(c echo.Context, jobs []bulk.Job) ([]views.BulkJobSummary, error) {
	var out []views.BulkJobSummary
	for _, j := range jobs {
		counts, err := a.bulk.Store.Counts(c.Request().Context(), j.ID)
		if err != nil {
			return nil, web.Unreadable("Bulk jobs", err)
		}
		out = append(out, views.BulkJobSummary{ID: j.ID, URL: web.BulkURL(j.ID), Owner: cmp.Or(j.Owner.Name, j.Owner.Email),
			Created: a.TimeView(j.Created), FileName: j.FileName, What: bulkWhat(j.Action), State: bulkStateText[j.State],
			Counts: bulkCounts(counts)})
	}
	return out, nil
}

// bulkFlagChoices are the list form's preference choices, as chosen.
func bulkFlagChoices(chosen map[string]string) []views.BulkFlag {
	out := make([]views.BulkFlag, 0, len(client.Flags))
	for _, f := range client.Flags {
		out = append(out, views.BulkFlag{Name: f.Name, Label: f.Label, Value: chosen[f.Name]})
	}
	return out
}
