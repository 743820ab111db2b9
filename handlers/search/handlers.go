// Package search serves finding a customer: the home page (recent
// customers), customer search (the index when it is complete, ServiceTitan
// until then) and the index's status page.
package search

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/index"
)

// Index is the tenant index as search reads it; *index.Store has it.
type Index interface {
	web.Searcher
	web.IndexState
	// PrimaryPhones is each customer's first phone number, for results.
	PrimaryPhones(ctx context.Context, customerIDs []int64) (map[int64]index.Contact, error)
}

// ServiceTitan is what search reads from ServiceTitan while the index is
// not complete; *client.Client has it.
type ServiceTitan interface {
	SearchCustomers(ctx context.Context, q client.CustomerQuery) (client.Page[client.Customer], error)
	ListContacts(ctx context.Context, customerID int64) ([]client.Contact, error)
}

// Handlers serve the search pages.
type Handlers struct {
	*web.Web
	st ServiceTitan
	// index serves search when it is complete (nil: search ServiceTitan).
	index         Index
	indexInterval time.Duration
	searchTimeout time.Duration
}

// New returns the search pages over the shared web pieces: idx may be nil
// (no index: search asks ServiceTitan); interval is how often it syncs,
// searchTimeout bounds one search of it.
func New(w *web.Web, st ServiceTitan, idx Index, interval, searchTimeout time.Duration) *Handlers {
	return &Handlers{Web: w, st: st, index: idx, indexInterval: interval, searchTimeout: searchTimeout}
}

// Routes registers the search pages on g (signed in).
func (a *Handlers) Routes(g *echo.Group) {
	g.GET("/", a.home)
	g.GET("/customers", a.customerSearch)
	g.GET("/index", a.indexStatus)
}
