// Package contacts serves a customer's page, a service location's, and
// their contacts' pages: show, edit and update, new and create, delete
// (its confirmation and the removal), undo, and restore (its confirmation
// and the write). Every write goes through the change service; the
// History and the removals are read from the audit trail.
package contacts

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/handlers/web"
)

// ServiceTitan is what the contact pages read from ServiceTitan;
// *client.Client has it.
type ServiceTitan interface {
	GetCustomer(ctx context.Context, id int64) (client.Customer, error)
	ListContacts(ctx context.Context, customerID int64) ([]client.Contact, error)
	ListContactsOf(ctx context.Context, o client.Owner) ([]client.Contact, error)
	GetContactOf(ctx context.Context, o client.Owner, contactID int64) (client.Contact, error)
	ListLocations(ctx context.Context, q client.LocationQuery) ([]client.Location, error)
}

// Handlers serve the customer, location and contact pages.
type Handlers struct {
	*web.Web
	st ServiceTitan
	// changes makes every change to ServiceTitan.
	changes *change.Service
	// audit is the trail the History, removals and conflicts are read from.
	audit audit.Lister
}

// New returns the contact pages over the shared web pieces.
func New(w *web.Web, st ServiceTitan, changes *change.Service, trail audit.Lister) *Handlers {
	return &Handlers{Web: w, st: st, changes: changes, audit: trail}
}

// Routes registers the customer, location and contact pages on g (signed
// in, every post with its form token). A customer's contacts and a
// service location's have the same pages and handlers under each owner's
// path (see web.Owner).
func (a *Handlers) Routes(g *echo.Group) {
	g.GET("/customers/:id", a.customerShow)
	g.GET("/locations/:id", a.locationShow)
	for _, o := range []string{"/customers/:id", "/locations/:id"} {
		g.GET(o+"/contacts/:contactId", a.contactShow)
		g.GET(o+"/contacts/:contactId/edit", a.contactEdit)
		a.FormPost(g, o+"/contacts/:contactId", a.contactUpdate, a.contactUpdateStale)
		g.GET(o+"/contacts/new", a.contactNew)
		a.FormPost(g, o+"/contacts", a.contactCreate, a.contactCreateStale)
		g.GET(o+"/contacts/:contactId/delete", a.contactDeleteConfirm)
		a.FormPost(g, o+"/contacts/:contactId/delete", a.contactDelete, a.contactDeleteStale)
		g.POST(o+"/contacts/undo", a.contactUndo)
		g.GET(o+web.RestoreTail, a.contactRestoreConfirm)
		a.FormPost(g, o+web.RestoreTail, a.contactRestore, a.contactRestoreStale)
	}
}
