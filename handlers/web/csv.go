package web

import (
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// streamCSVFlushEvery is how many records go out between flushes, so a
// download moves even when the store is slow.
const streamCSVFlushEvery = 1000

// CSVDownload names a CSV download.
type CSVDownload struct {
	Name   string // in logs: "audit" export cut short
	File   string
	Header []string
	// Unreadable is what the error page says cannot be read ("The audit
	// trail") when the store fails before anything was sent.
	Unreadable string
}

// StreamCSV sends a CSV download: its header, then whatever each writes,
// every value made safe for spreadsheets, flushed as it goes.
//
// An error before anything is sent gets the error page. One after the
// first bytes have gone cannot change the status: it is logged and the
// connection is cut, so the download fails instead of ending as if the
// file were complete.
func (a *Web) StreamCSV(c echo.Context, d CSVDownload, each func(write func(...[]string) error) error) error {
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set("Content-Disposition", `attachment; filename="`+d.File+`"`)
	res.Header().Set("Cache-Control", "no-store")
	// The writer buffers a few KB: nothing reaches res, and the status is
	// not sent, until that fills or is flushed.
	w := csv.NewWriter(res)
	// A byte-order mark first: Excel reads UTF-8 without one as another
	// encoding ("Zoë" becomes "ZoÃ«").
	header := append([]string{utf8BOM + d.Header[0]}, d.Header[1:]...)
	if err := w.Write(header); err != nil {
		return err
	}
	records := 0
	err := each(func(rows ...[]string) error {
		for _, row := range rows {
			for i := range row {
				row[i] = CSVSafe(row[i])
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
		return Unreadable(d.Unreadable, err)
	}
	level := slog.LevelError
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		level = slog.LevelWarn // the client went away
	}
	a.Log.LogAttrs(c.Request().Context(), level, d.Name+" export cut short",
		slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
		slog.Int("records_written", records), slog.String("error", err.Error()))
	// net/http closes the connection without ending the body: the client
	// sees a failed download, not a short file.
	panic(http.ErrAbortHandler)
}

// utf8BOM starts every CSV the app writes.
const utf8BOM = "\ufeff"

// CSVTime is how CSVs write times: a form spreadsheets read as a date and
// time (RFC 3339's "T" and "Z" they read as text), in UTC, to the
// millisecond.
const CSVTime = "2006-01-02 15:04:05.000"

// formulaStart are the characters a spreadsheet begins a formula with.
const formulaStart = "=+-@"

// cellBreaks are where a spreadsheet may begin a new cell inside ours: at
// our comma, or at a semicolon or tab where its locale or import settings
// split there (a memo "gate code;=HYPERLINK(...)"), or at a line break.
const cellBreaks = ",;\t\r\n"

// CSVSafe defuses values a spreadsheet would run as a formula: wherever a
// cell may begin (the value's start, after any of cellBreaks, spaces
// skipped) a formula's first character gets a ' before it, as does a tab
// or carriage return the value starts with.
func CSVSafe(s string) string {
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
