// Package bulk serves bulk changes: GET /bulk (the list form, filled from
// the hygiene report when asked, and the recent jobs), POST /bulk/preview
// (a dry run from the index), POST /bulk (confirm: the job starts),
// GET /bulk/{job} (a draft's preview, a job's progress), GET
// /bulk/{job}.csv (the result), GET /bulk/{job}/preview.csv, and POST
// /bulk/{job}/pause, /resume, /cancel. It reads and starts jobs through
// the bulk service.
package bulk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
)

// Service is what the bulk pages ask of bulk jobs; *bulk.Service has it.
type Service interface {
	Preview(ctx context.Context, list bulk.List, action bulk.Action, fileName string, owner bulk.Person) (int64, bulk.Preview, error)
	Confirm(ctx context.Context, job int64, owner string) (bool, error)
	Pause(ctx context.Context, job int64, by string) (bool, error)
	Resume(ctx context.Context, job int64, by string) (bool, error)
	Cancel(ctx context.Context, job int64, by string) (bool, error)
	View(ctx context.Context, job int64, since time.Time) (bulk.View, error)
	Jobs(ctx context.Context, f bulk.JobFilter) ([]bulk.Summary, error)
	Failures(ctx context.Context, job int64, limit int) ([]bulk.Target, error)
	Targets(ctx context.Context, job int64, planned bulk.Plan, offset, limit int) ([]bulk.Target, error)
	LinesToCheck(ctx context.Context, job int64, offset, limit int) ([]bulk.Line, error)
	EachResult(ctx context.Context, job int64, fn func(bulk.Result) error) error
}

// Hygiene is what the list form reads of the hygiene report to fill
// itself from a section; hygiene.Reporter has it.
type Hygiene interface {
	Each(ctx context.Context, s hygiene.Section, each func(hygiene.Row) error) error
	Reach(ctx context.Context, customerIDs []int64) (map[int64]index.Reach, error)
}

// Handlers serve the bulk pages.
type Handlers struct {
	*web.Web
	bulk Service
	// hygiene fills the form from the hygiene report (nil: no report).
	hygiene Hygiene
	notes   web.IndexNotes
	rights  web.BulkRights
	// previews holds a token per list being previewed (maxPreviews).
	previews chan struct{}
}

// New returns the bulk pages over the shared web pieces; hygiene may be
// nil.
func New(w *web.Web, s Service, hygiene Hygiene, notes web.IndexNotes, rights web.BulkRights) *Handlers {
	return &Handlers{Web: w, bulk: s, hygiene: hygiene, notes: notes, rights: rights, previews: make(chan struct{}, maxPreviews)}
}

// Routes registers the bulk pages on g (signed in, every post with its
// form token).
func (a *Handlers) Routes(g *echo.Group) {
	g.GET("/bulk", a.bulkHome)
	a.FormPost(g, web.BulkPreviewPath, a.bulkPreview, a.bulkPreviewStale)
	a.BeforeBody[web.BulkPreviewPath] = a.bulkRights
	a.FormPost(g, "/bulk", a.bulkConfirm, a.bulkConfirmStale)
	// GET /bulk/{job}.csv is the result: Echo's parameter takes the
	// ".csv" along, and the handler tells them apart.
	g.GET("/bulk/:job", a.bulkJob)
	g.GET("/bulk/:job/preview.csv", a.bulkPreviewCSV)
	for _, action := range []string{"pause", "resume", "cancel"} {
		a.FormPost(g, "/bulk/:job/"+action, a.bulkControl(action), a.bulkControlStale)
	}
}

// refuseBulk is the 403 for a bulk action this person may not take.
func (a *Handlers) refuseBulk(c echo.Context) error {
	who, _ := web.Actor(c)
	return web.FailPage(http.StatusForbidden, "You cannot change contacts in bulk", a.rights.NotAllowed(),
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
func (a *Handlers) loadBulkJob(c echo.Context, id int64) (bulk.View, error) {
	j, err := a.bulk.View(c.Request().Context(), id, time.Now().Add(-paceWindow))
	if errors.Is(err, bulk.ErrNotFound) {
		return j, web.FailPage(http.StatusNotFound, "Not found", fmt.Sprintf("There is no bulk job %d.", id), err)
	}
	if err != nil {
		return j, web.Unreadable("Bulk jobs", err)
	}
	return j, nil
}
