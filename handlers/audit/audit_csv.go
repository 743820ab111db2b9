package audit

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// auditCSVHeader names the export's columns. Consumers read them by
// position: a new column goes last.
var auditCSVHeader = []string{"time_utc", "actor_email", "actor_name", "tenant_id", "customer_id", "contact_id",
	"field", "before", "after", "outcome", "messages", "trace_id", "request_id", "action", "bulk_job",
	// As the History shows them: the field's name, the values as the record
	// shows them, the outcome in words, the customer and the contact.
	"field_label", "before_shown", "after_shown", "outcome_label", "customer_name", "contact",
	// Where the change was made: app (through contactdesk) or servicetitan
	// (in ServiceTitan itself; the actor_email is then empty).
	"source"}

// auditCSV exports the same selection as GET /audit, all of it: a header
// row, then one row per changed field of each attempt (one row for an
// attempt that changed nothing it could name). Rows are streamed as the
// store reads them, never gathered in memory.
func (a *Handlers) auditCSV(c echo.Context) error {
	q := parseAuditQuery(c)
	f, problem := a.auditFilter(c.Request().Context(), q) // dates in the zone the page sent (tz) or DISPLAY_TZ
	if problem != "" {
		return web.FailPage(http.StatusBadRequest, "", problem, errors.New("bad audit filter"))
	}
	return a.StreamCSV(c, web.CSVDownload{Name: "audit", File: "contact-audit.csv", Header: auditCSVHeader,
		Unreadable: "The audit trail"},
		func(write func(...[]string) error) error {
			// Names come from the index a batch of entries at a time.
			var batch []audit.Entry
			flush := func() error {
				names := a.EntryNames(c.Request().Context(), batch)
				for _, e := range batch {
					if err := write(a.auditCSVRows(e, names)...); err != nil {
						return err
					}
				}
				batch = batch[:0]
				return nil
			}
			err := a.trail.Each(c.Request().Context(), f, func(e audit.Entry) error {
				if batch = append(batch, e); len(batch) == auditCSVBatch {
					return flush()
				}
				return nil
			})
			if err != nil {
				return err
			}
			return flush()
		})
}

// auditCSVBatch is how many entries share one lookup of their names.
const auditCSVBatch = 200

// auditCSVRows are the rows of one attempt.
func (a *Handlers) auditCSVRows(e audit.Entry, names web.EntryNames) [][]string {
	changes := e.Changes
	if len(changes) == 0 {
		changes = []audit.Change{{}}
	}
	job := ""
	if e.Job != 0 {
		job = strconv.FormatInt(e.Job, 10)
	}
	rows := make([][]string, 0, len(changes))
	for _, ch := range changes {
		label := ""
		if ch.Field != "" {
			label = web.FieldLabel(ch.Field)
		}
		rows = append(rows, []string{e.Time.UTC().Format(web.CSVTime), e.ActorEmail, e.ActorName, strconv.FormatInt(e.TenantID, 10),
			strconv.FormatInt(e.CustomerID, 10), strconv.FormatInt(e.ContactID, 10), ch.Field, ch.Before, ch.After,
			string(e.Outcome), strings.Join(e.Messages, " | "), e.TraceID, e.RequestID, string(e.Action), job,
			label, a.PlainValue(ch.Field, ch.Before), a.PlainValue(ch.Field, ch.After), web.OutcomeLabel(e),
			names.Customers[e.CustomerID], names.Contacts[e.ContactID], string(cmp.Or(e.Source, audit.SourceApp))})
	}
	return rows
}
