package bulk

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/views"
)

// bulkJob is GET /bulk/{job}: a draft's preview (?page=N), a job's
// progress, or with ".csv" its result.
func (a *Handlers) bulkJob(c echo.Context) error {
	id, csv, err := bulkJobParam(c)
	if err != nil {
		return err
	}
	j, err := a.loadBulkJob(c, id)
	if err != nil {
		return err
	}
	if csv {
		return a.bulkResultCSV(c, j)
	}
	if j.State == bulk.Draft {
		page, err := web.PageParam(c)
		if err != nil {
			return err
		}
		return a.renderBulkPreview(c, http.StatusOK, j, page, views.Problems{}, "")
	}
	m, err := a.bulkJobPage(c, j)
	if err != nil {
		return err
	}
	return a.Render(c, http.StatusOK, views.BulkJobPage(m))
}

// paceWindow is the time over which a job's pace is measured.
const paceWindow = time.Minute

// bulkJobPage fills a job's page.
func (a *Handlers) bulkJobPage(c echo.Context, j bulk.View) (views.BulkJob, error) {
	ctx := c.Request().Context()
	unreadable := func(err error) (views.BulkJob, error) {
		return views.BulkJob{}, web.Unreadable("The job", err)
	}
	counts := j.Counts
	failures, err := a.bulk.Failures(ctx, j.ID, 10)
	if err != nil {
		return unreadable(err)
	}
	m := views.BulkJob{
		Layout: a.Layout(c, fmt.Sprintf("Bulk job #%d", j.ID)),
		ID:     j.ID, URL: web.BulkURL(j.ID), What: web.BulkWhat(j.Action), FileName: j.FileName, Owner: cmp.Or(j.Owner.Name, j.Owner.Email),
		Created: a.TimeView(j.Created), Started: a.TimeView(j.Started), Finished: a.TimeView(j.Finished),
		State: string(j.State), Counts: web.BulkCounts(counts), Problem: j.Problem, CSVURL: web.BulkURL(j.ID) + ".csv",
		CSRFField: web.CSRFField, CSRFToken: a.CSRFToken(c), Removal: j.Action.Kind == bulk.Remove,
	}
	m.FocusProgress = m.Flash != "" || m.Notice != ""
	if m.Flash == jobStartedFlash && j.State != bulk.Running {
		// A job done (or stopped) before its page was read: "Job started"
		// is no longer news. bulk.js removes it when the job ends later.
		m.Flash = ""
	}
	m.Layout.PageJSURL = static.URL(static.BulkJS)
	switch j.State {
	case bulk.Running:
		m.StateText, m.Live = "Running", true
		m.Layout.RefreshSeconds = 5
		// A job younger than the window is measured since it started.
		window := min(paceWindow, max(time.Since(j.Started), time.Second))
		// The view counted the rows done in the last paceWindow: those
		// done since the job started when it is younger.
		m.Pace, m.Left = pace(j.DoneSince, counts.Remaining(), window)
	case bulk.Paused:
		m.StateText = "Paused"
		m.StateBy = "Paused by " + j.StateBy
	case bulk.Cancelled:
		m.StateText = "Cancelled"
		// A <time>, so the page shows every time in one zone.
		m.StateBy, m.StateAt = "Cancelled by "+j.StateBy, a.TimeView(j.Finished)
	case bulk.Done:
		m.StateText = "Done"
		m.StateBy, m.StateAt = "Finished", a.TimeView(j.Finished)
	}
	if a.rights.May(c) {
		m.CanPause = j.State == bulk.Running
		m.CanResume = j.State == bulk.Paused
		m.CanCancel = j.State == bulk.Running || j.State == bulk.Paused
	}
	for _, f := range failures {
		m.Failures = append(m.Failures, views.BulkFailure{Line: f.Line, Contact: a.ContactText(f.Type, f.Value),
			ContactURL: targetOwner(f).ContactURL(f.ContactID), Customer: targetWhose(f), Message: f.Message})
	}
	return m, nil
}

// pace words how fast a job goes, from the rows it finished in the last
// window, and the time left at that pace.
func pace(done, remaining int, window time.Duration) (perSecond, left string) {
	if done == 0 || window <= 0 {
		return "", ""
	}
	rate := float64(done) / window.Seconds()
	perSecond = fmt.Sprintf("%.1f contacts a second", rate)
	if remaining == 0 {
		return perSecond, ""
	}
	secs := float64(remaining) / rate
	switch {
	case secs < 45:
		left = "Less than a minute left"
	case secs < 90:
		left = "About a minute left"
	case secs < 90*60:
		left = fmt.Sprintf("About %d minutes left", int(math.Round(secs/60)))
	default:
		left = fmt.Sprintf("About %.1f hours left", secs/3600)
	}
	return perSecond, left
}

// bulkResultCSVHeader names the result's columns: the contract is the
// first six; new ones go last.
var bulkResultCSVHeader = []string{"line", "value", "customer", "contact", "outcome", "message", "customer_name", "contact_value", "audit_id",
	"location", "location_name"}

// bulkResultCSV is GET /bulk/{job}.csv: each line of the list with each
// contact it matched and how the job left it (lines that named no contact
// say why).
func (a *Handlers) bulkResultCSV(c echo.Context, j bulk.View) error {
	return a.StreamCSV(c, web.CSVDownload{Name: "bulk result", File: fmt.Sprintf("bulk-%d-result.csv", j.ID), Header: bulkResultCSVHeader,
		Unreadable: "The job's result"},
		func(write func(...[]string) error) error {
			return a.bulk.EachResult(c.Request().Context(), j.ID, func(r bulk.Result) error {
				row := []string{strconv.Itoa(r.Line.Line), r.Line.Value, web.IDOrEmpty(r.Line.CustomerID), web.IDOrEmpty(r.Line.ContactID),
					string(r.Line.Status), r.Line.Why, "", "", "", "", ""}
				if t := r.Target; t != nil {
					row[2], row[3], row[4], row[5] = web.IDOrEmpty(t.CustomerID), web.IDOrEmpty(t.ContactID), string(t.State), t.Message
					row[6], row[7], row[8], row[9], row[10] = t.CustomerName, t.Value, web.IDOrEmpty(t.AuditID), web.IDOrEmpty(t.LocationID), t.LocationName
				}
				return write(row)
			})
		})
}
