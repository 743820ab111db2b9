// Package audit serves the audit trail: /audit, every attempt to change
// a contact (through the app or, from the index, in ServiceTitan) and the
// bulk jobs, filtered and paged, and /audit.csv.
package audit

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// Trail is the audit trail as its pages read it: a page of entries (with
// their total) and every entry of a filter (the CSV).
type Trail interface {
	audit.Lister
	Each(ctx context.Context, f audit.Filter, fn func(audit.Entry) error) error
}

// Restorer finds the undos of removals; *change.Service has it.
type Restorer interface {
	Restorations(ctx context.Context, removals []int64) (map[int64]audit.Entry, error)
}

// BulkJobs lists bulk jobs with their counts; *bulk.Service has it.
type BulkJobs interface {
	Jobs(ctx context.Context, f bulk.JobFilter) ([]bulk.Summary, error)
}

// Handlers serve the audit trail.
type Handlers struct {
	*web.Web
	trail    Trail
	restorer Restorer
	// jobs lists bulk jobs beside the attempts (nil: no bulk changes).
	jobs BulkJobs
	// index names entries' customers and contacts and finds customers by
	// name (nil: no index).
	index         web.Searcher
	searchTimeout time.Duration
}

// New returns the audit pages over the shared web pieces; jobs and idx
// may be nil.
func New(w *web.Web, trail Trail, restorer Restorer, jobs BulkJobs, idx web.Searcher, searchTimeout time.Duration) *Handlers {
	return &Handlers{Web: w, trail: trail, restorer: restorer, jobs: jobs, index: idx, searchTimeout: searchTimeout}
}

// Routes registers the audit pages on g (signed in).
func (a *Handlers) Routes(g *echo.Group) {
	g.GET("/audit", a.auditList)
	g.GET("/audit.csv", a.auditCSV)
}
