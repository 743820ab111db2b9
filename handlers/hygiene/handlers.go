// Package hygiene serves the hygiene report: each section's problems
// (placeholders, values ServiceTitan cannot use, shared values,
// customers no one can reach), filtered and paged, and its CSV.
package hygiene

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
)

// Report is the hygiene report as its pages read it; hygiene.Reporter
// has it.
type Report interface {
	ReadFiltered(ctx context.Context, pages map[hygiene.Section]int, filters map[hygiene.Section]string) (hygiene.Report, error)
	Each(ctx context.Context, s hygiene.Section, each func(hygiene.Row) error) error
	// SharedMin is how many customers share a value before it is listed.
	SharedMin() int
}

// Handlers serve the hygiene report.
type Handlers struct {
	*web.Web
	report Report
	notes  web.IndexNotes
	rights web.BulkRights
	// bulkOn: the server takes bulk changes (the report offers "Fix in
	// bulk").
	bulkOn bool
}

// New returns the hygiene pages over the shared web pieces.
func New(w *web.Web, r Report, notes web.IndexNotes, rights web.BulkRights, bulkOn bool) *Handlers {
	return &Handlers{Web: w, report: r, notes: notes, rights: rights, bulkOn: bulkOn}
}

// Routes registers the hygiene pages on g (signed in).
func (a *Handlers) Routes(g *echo.Group) {
	g.GET("/hygiene", a.hygieneReport)
	g.GET("/hygiene.csv", a.hygieneCSV)
}
