package bulk

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/views"
)

// bulkConfirm is POST /bulk: the owner of a draft starts it (field
// `job`); a removal needs the number of contacts typed into `confirm`.
// Started, or started already by an earlier post of the same form: 303 to
// the job's page. A wrong number: 422, the preview again.
func (a *Handlers) bulkConfirm(c echo.Context) error {
	id, err := strconv.ParseInt(c.Request().PostFormValue("job"), 10, 64)
	if err != nil || id <= 0 {
		return web.FailPage(http.StatusBadRequest, "", "The form did not say which job to start: go back to the preview and confirm it again.",
			fmt.Errorf("bad bulk job %q", c.Request().PostFormValue("job")))
	}
	j, err := a.loadBulkJob(c, id)
	if err != nil {
		return err
	}
	if j.State != bulk.Draft {
		// A double click or Back and resubmit: it runs once.
		return a.Redirect(c, web.BulkURL(id))
	}
	who, _ := web.Actor(c)
	if !a.rights.May(c) {
		return a.refuseBulk(c)
	}
	if !strings.EqualFold(who.Email, j.Owner.Email) {
		return web.FailPage(http.StatusForbidden, "Only the person who prepared this preview can start it",
			fmt.Sprintf("%s prepared it. Upload the list yourself to start a job of your own.", cmp.Or(j.Owner.Name, j.Owner.Email)),
			fmt.Errorf("bulk job %d confirmed by %s, owned by %s", id, who.Email, j.Owner.Email))
	}
	var p views.Problems
	if j.Totals.Change == 0 && !j.IndexLoading {
		// The button is disabled; a post made anyway starts nothing. (A
		// preview from a loading index is started by its owner's own
		// "Start anyway", as it was.)
		p.Add("job", "", "Nothing would change: every contact the list names is already as asked, or it names none. There is no job to start.")
		return a.renderBulkPreview(c, http.StatusUnprocessableEntity, j, 1, p, "")
	}
	if j.IndexLoading && c.Request().PostFormValue(skipUnmatchedField) == "" {
		// Previewed from an index still loading: lines may have matched
		// nothing that should, and an opt-out list would be silently short.
		p.Add(skipUnmatchedField, "#field-"+skipUnmatchedField, "Tick “Start anyway” to skip the lines that matched nothing, or preview the list again once the search index is complete: it was still loading, so some lines may have matched nothing that should.")
	}
	typed := strings.TrimSpace(c.Request().PostFormValue("confirm"))
	if j.Action.Kind == bulk.Remove && typed != strconv.Itoa(j.Contacts) {
		msg := fmt.Sprintf("Type %d, the number of contacts to remove, to confirm.", j.Contacts)
		if typed != "" {
			msg = fmt.Sprintf("You typed %s, but the job would remove %d contacts. Type %d to confirm.", typed, j.Contacts, j.Contacts)
		}
		p.Add("confirm", "#field-confirm", msg)
	}
	if p.HasErrors() {
		return a.renderBulkPreview(c, http.StatusUnprocessableEntity, j, 1, p, typed)
	}
	if _, err := a.bulk.Confirm(c.Request().Context(), id, j.Owner.Email); err != nil {
		return web.FailPage(http.StatusServiceUnavailable, "", "The job could not be started just now: nothing was changed. Try again in a minute.", err)
	}
	a.AddFlash(c, web.FlashOK, jobStartedFlash)
	return a.Redirect(c, web.BulkURL(id))
}

// jobStartedFlash is what the job's page says once: until the job ends.
const jobStartedFlash = "Job started"

// bulkConfirmStale answers a confirmation from a session that no longer
// exists: nothing starts; the preview comes back.
func (a *Handlers) bulkConfirmStale(c echo.Context) error {
	id, err := strconv.ParseInt(c.Request().PostFormValue("job"), 10, 64)
	if err != nil || id <= 0 {
		return a.Redirect(c, "/bulk")
	}
	a.AddFlash(c, web.FlashNote, "Your session expired, so the job was not started. Check the preview and confirm it again.")
	return a.Redirect(c, web.BulkURL(id))
}
