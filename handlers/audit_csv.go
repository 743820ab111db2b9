package handlers

import (
	"bytes"
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
)

// auditCSVLimit bounds one export; narrow the filter for more.
const auditCSVLimit = 100000

// auditCSV exports the same selection as GET /audit: a header row, then one
// row per changed field of each attempt (one row for an attempt that
// changed nothing it could name).
func (a *App) auditCSV(c echo.Context) error {
	q := parseAuditQuery(c)
	f, problem := q.filter(a.tz)
	if problem != "" {
		return failPage(http.StatusBadRequest, "", problem, errors.New("bad audit filter"))
	}
	f.Limit = auditCSVLimit
	entries, _, err := a.audit.List(c.Request().Context(), f)
	if err != nil {
		return failPage(http.StatusServiceUnavailable, "", "The audit trail cannot be read just now. Try again in a minute.", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"time_utc", "actor_email", "actor_name", "tenant_id", "customer_id", "contact_id", "field", "before", "after", "outcome", "messages", "trace_id", "request_id"})
	for _, e := range entries {
		base := []string{e.Time.UTC().Format(time.RFC3339Nano), e.ActorEmail, e.ActorName, strconv.FormatInt(e.TenantID, 10),
			strconv.FormatInt(e.CustomerID, 10), strconv.FormatInt(e.ContactID, 10)}
		tail := []string{string(e.Outcome), strings.Join(e.Messages, " | "), e.TraceID, e.RequestID}
		changes := e.Changes
		if len(changes) == 0 {
			changes = []audit.Change{{}}
		}
		for _, ch := range changes {
			row := append(append(append([]string{}, base...), csvSafe(ch.Field), csvSafe(ch.Before), csvSafe(ch.After)), tail...)
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			w.Write(row)
		}
	}
	w.Flush()
	c.Response().Header().Set("Content-Disposition", `attachment; filename="contact-audit.csv"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvSafe defuses values a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
