package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
)

// auditCSVHeader names the export's columns. Consumers read them by
// position: a new column goes last.
var auditCSVHeader = []string{"time_utc", "actor_email", "actor_name", "tenant_id", "customer_id", "contact_id",
	"field", "before", "after", "outcome", "messages", "trace_id", "request_id", "action"}

// auditCSVFlushEvery is how many attempts go out between flushes, so the
// download moves even when the audit store is slow.
const auditCSVFlushEvery = 1000

// auditCSV exports the same selection as GET /audit, all of it: a header
// row, then one row per changed field of each attempt (one row for an
// attempt that changed nothing it could name). Rows are streamed as the
// store reads them, never gathered in memory.
//
// An error before anything is sent gets the error page. One after the
// first bytes have gone cannot change the status: it is logged and the
// connection is cut, so the download fails instead of ending as if the
// file were complete.
func (a *App) auditCSV(c echo.Context) error {
	q := parseAuditQuery(c)
	f, problem := q.filter(a.tz)
	if problem != "" {
		return failPage(http.StatusBadRequest, "", problem, errors.New("bad audit filter"))
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set("Content-Disposition", `attachment; filename="contact-audit.csv"`)
	res.Header().Set("Cache-Control", "no-store")
	// The writer buffers a few KB: nothing reaches res, and the status is
	// not sent, until that fills or is flushed.
	w := csv.NewWriter(res)
	w.Write(auditCSVHeader)
	attempts := 0
	err := a.audit.Each(c.Request().Context(), f, func(e audit.Entry) error {
		writeAuditCSV(w, e)
		if attempts++; attempts%auditCSVFlushEvery == 0 {
			w.Flush()
			res.Flush()
		}
		return w.Error()
	})
	if err == nil {
		w.Flush()
		err = w.Error()
	}
	if err == nil {
		return nil
	}
	if !res.Committed {
		res.Header().Del(echo.HeaderContentType)
		res.Header().Del("Content-Disposition")
		return failPage(http.StatusServiceUnavailable, "", "The audit trail cannot be read just now. Try again in a minute.", err)
	}
	level := slog.LevelError
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		level = slog.LevelWarn // the client went away
	}
	a.log.LogAttrs(c.Request().Context(), level, "audit export cut short",
		slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
		slog.Int("attempts_written", attempts), slog.String("error", err.Error()))
	// net/http closes the connection without ending the body: the client
	// sees a failed download, not a short file.
	panic(http.ErrAbortHandler)
}

// writeAuditCSV writes the rows of one attempt, every value made safe for
// spreadsheets.
func writeAuditCSV(w *csv.Writer, e audit.Entry) {
	changes := e.Changes
	if len(changes) == 0 {
		changes = []audit.Change{{}}
	}
	for _, ch := range changes {
		row := []string{e.Time.UTC().Format(time.RFC3339Nano), e.ActorEmail, e.ActorName, strconv.FormatInt(e.TenantID, 10),
			strconv.FormatInt(e.CustomerID, 10), strconv.FormatInt(e.ContactID, 10), ch.Field, ch.Before, ch.After,
			string(e.Outcome), strings.Join(e.Messages, " | "), e.TraceID, e.RequestID, string(e.Action)}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		w.Write(row)
	}
}

// csvSafe defuses values a spreadsheet would run as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
