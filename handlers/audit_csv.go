package handlers

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
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
func (a *App) auditCSV(c echo.Context) error {
	q := parseAuditQuery(c)
	f, problem := a.auditFilter(c.Request().Context(), q) // dates in the zone the page sent (tz) or DISPLAY_TZ
	if problem != "" {
		return failPage(http.StatusBadRequest, "", problem, errors.New("bad audit filter"))
	}
	return a.streamCSV(c, csvDownload{name: "audit", file: "contact-audit.csv", header: auditCSVHeader,
		unreadable: "The audit trail cannot be read just now. Try again in a minute."},
		func(write func(...[]string) error) error {
			// Names come from the index a batch of entries at a time.
			var batch []audit.Entry
			flush := func() error {
				names := a.entryNames(c.Request().Context(), batch)
				for _, e := range batch {
					if err := write(a.auditCSVRows(e, names)...); err != nil {
						return err
					}
				}
				batch = batch[:0]
				return nil
			}
			err := a.audit.Each(c.Request().Context(), f, func(e audit.Entry) error {
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

// streamCSVFlushEvery is how many records go out between flushes, so a
// download moves even when the store is slow.
const streamCSVFlushEvery = 1000

// csvDownload names a CSV download.
type csvDownload struct {
	name   string // in logs: "audit" export cut short
	file   string
	header []string
	// unreadable is the error page's text when the store fails before
	// anything was sent.
	unreadable string
}

// streamCSV sends a CSV download: its header, then whatever each writes,
// every value made safe for spreadsheets, flushed as it goes.
//
// An error before anything is sent gets the error page. One after the
// first bytes have gone cannot change the status: it is logged and the
// connection is cut, so the download fails instead of ending as if the
// file were complete.
func (a *App) streamCSV(c echo.Context, d csvDownload, each func(write func(...[]string) error) error) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set("Content-Disposition", `attachment; filename="`+d.file+`"`)
	res.Header().Set("Cache-Control", "no-store")
	// The writer buffers a few KB: nothing reaches res, and the status is
	// not sent, until that fills or is flushed.
	w := csv.NewWriter(res)
	// A byte-order mark first: Excel reads UTF-8 without one as another
	// encoding ("Zoë" becomes "ZoÃ«").
	header := append([]string{utf8BOM + d.header[0]}, d.header[1:]...)
	if err := w.Write(header); err != nil {
		return err
	}
	records := 0
	err := each(func(rows ...[]string) error {
		for _, row := range rows {
			for i := range row {
				row[i] = csvSafe(row[i])
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
		if records++; records%streamCSVFlushEvery == 0 {
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
		return failPage(http.StatusServiceUnavailable, "", d.unreadable, err)
	}
	level := slog.LevelError
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		level = slog.LevelWarn // the client went away
	}
	a.log.LogAttrs(c.Request().Context(), level, d.name+" export cut short",
		slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
		slog.Int("records_written", records), slog.String("error", err.Error()))
	// net/http closes the connection without ending the body: the client
	// sees a failed download, not a short file.
	panic(http.ErrAbortHandler)
}

// auditCSVRows are the rows of one attempt.
func (a *App) auditCSVRows(e audit.Entry, names entryNames) [][]string {
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
			label = fieldLabel(ch.Field)
		}
		rows = append(rows, []string{e.Time.UTC().Format(csvTime), e.ActorEmail, e.ActorName, strconv.FormatInt(e.TenantID, 10),
			strconv.FormatInt(e.CustomerID, 10), strconv.FormatInt(e.ContactID, 10), ch.Field, ch.Before, ch.After,
			string(e.Outcome), strings.Join(e.Messages, " | "), e.TraceID, e.RequestID, string(e.Action), job,
			label, a.plainValue(ch.Field, ch.Before), a.plainValue(ch.Field, ch.After), outcomeLabel(e),
			names.customers[e.CustomerID], names.contacts[e.ContactID], string(cmp.Or(e.Source, audit.SourceApp))})
	}
	return rows
}

// utf8BOM starts every CSV the app writes.
const utf8BOM = "\ufeff"

// csvTime is how CSVs write times: a form spreadsheets read as a date and
// time (RFC 3339's "T" and "Z" they read as text), in UTC, to the
// millisecond.
const csvTime = "2006-01-02 15:04:05.000"

// formulaStart are the characters a spreadsheet begins a formula with.
const formulaStart = "=+-@"

// cellBreaks are where a spreadsheet may begin a new cell inside ours: at
// our comma, or at a semicolon or tab where its locale or import settings
// split there (a memo "gate code;=HYPERLINK(...)"), or at a line break.
const cellBreaks = ",;\t\r\n"

// csvSafe defuses values a spreadsheet would run as a formula: wherever a
// cell may begin (the value's start, after any of cellBreaks, spaces
// skipped) a formula's first character gets a ' before it, as does a tab
// or carriage return the value starts with.
func csvSafe(s string) string {
	if !strings.ContainsAny(s, formulaStart+"\t\r") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	if s[0] == '\t' || s[0] == '\r' {
		b.WriteByte('\'')
	}
	cellStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if cellStart && c != ' ' {
			if strings.IndexByte(formulaStart, c) >= 0 {
				b.WriteByte('\'')
			}
			cellStart = false
		}
		b.WriteByte(c)
		if strings.IndexByte(cellBreaks, c) >= 0 {
			cellStart = true
		}
	}
	return b.String()
}
