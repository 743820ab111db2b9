package bulk

import (
	"cmp"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
)

// bulkControl is POST /bulk/{job}/pause, /resume and /cancel: 303 to the
// job, saying what happened (or that the job was no longer in a state to
// do it: finished, or someone else was first).
func (a *Handlers) bulkControl(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, _, err := bulkJobParam(c)
		if err != nil {
			return err
		}
		if _, err := a.loadBulkJob(c, id); err != nil {
			return err
		}
		if !a.rights.May(c) {
			return a.refuseBulk(c)
		}
		who, _ := web.Actor(c)
		by := cmp.Or(who.Name, who.Email)
		ctx := c.Request().Context()
		var ok bool
		var done string
		switch action {
		case "pause":
			ok, err = a.bulk.Pause(ctx, id, by)
			done = "Job paused: the contact in hand finishes, and no other starts until you resume it."
		case "resume":
			ok, err = a.bulk.Resume(ctx, id, by)
			done = "Job resumed"
		case "cancel":
			ok, err = a.bulk.Cancel(ctx, id, by)
			done = "Job cancelled: the contacts not yet worked will not be changed."
		}
		if err != nil {
			return web.FailPage(http.StatusServiceUnavailable, "", "The job could not be changed just now. Try again in a minute.", err)
		}
		if ok {
			a.AddFlash(c, web.FlashOK, done)
		} else {
			a.AddFlash(c, web.FlashNote, fmt.Sprintf("The job could not be %s: it has moved on (see where it stands below).", pastTense[action]))
		}
		return a.Redirect(c, web.BulkURL(id))
	}
}

var pastTense = map[string]string{"pause": "paused", "resume": "resumed", "cancel": "cancelled"}

// bulkControlStale answers a pause, resume or cancel from a session that
// no longer exists: nothing changes; the job's page says so.
func (a *Handlers) bulkControlStale(c echo.Context) error {
	id, _, err := bulkJobParam(c)
	if err != nil {
		return err
	}
	a.AddFlash(c, web.FlashNote, "Your session expired, so the job was not changed. Use the buttons again.")
	return a.Redirect(c, web.BulkURL(id))
}
