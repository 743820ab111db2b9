// Package web holds what every page of the app shares: the ServiceTitan
// client's reads every page makes (owners, names), sessions and their
// flash messages, CSRF, identity, the middleware, rendering, the central
// HTML error handler and its one error-page constructor (FailPage), CSV
// downloads and the History's view of audit entries. The features'
// handlers (handlers/contacts, handlers/search, ...) embed a *Web.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/ttlcache"
)

// Web holds what every page shares: the client, sessions, rendering,
// identity, middleware and error pages.
type Web struct {
	ST       ServiceTitan
	Sessions *decodedSessions
	Log      *slog.Logger
	TZ       *time.Location
	Region   string
	Sandbox  bool
	Version  string
	Identity identity.Source
	Policy   identity.Policy
	Proxies  identity.Proxies
	SignOut  string
	Headers  http.Header
	Metrics  Recorder
	// secureCookies forces Secure, __Host- cookies even when HTTPS is not
	// seen on the request (a TLS proxy that is not in the trusted list).
	SecureCookies bool
	phones        phoneCache
	// names caches customers' names from ServiceTitan for a few minutes.
	Names *ttlcache.Cache[int64, string]
	// locations caches service locations (their customer, name and
	// address) for as long.
	Locations *ttlcache.Cache[int64, client.Location]
	// localTimes: no DISPLAY_TZ; browsers show times in their own zone.
	LocalTimes bool
	// routes are the registered route templates: the only route labels
	// metrics and logs use.
	RouteNames map[string]bool
	// staleForms answer a form posted from a session that no longer
	// exists, by route: the form again with the input kept, nothing sent.
	StaleForms map[string]echo.HandlerFunc
	// beforeBody refuses a post, by route, before its body is read: who
	// may not preview a list is refused before a 5 MB upload is parsed.
	BeforeBody map[string]func(echo.Context) error
}

// ServiceTitan is what the handlers need from the CRM client; *client.Client
// implements it.
type ServiceTitan interface {
	change.ServiceTitan
	ListContacts(ctx context.Context, customerID int64) ([]client.Contact, error)
	GetContact(ctx context.Context, customerID, contactID int64) (client.Contact, error)
	GetLocation(ctx context.Context, id int64) (client.Location, error)
	ListLocations(ctx context.Context, q client.LocationQuery) ([]client.Location, error)
	SearchCustomers(ctx context.Context, q client.CustomerQuery) (client.Page[client.Customer], error)
	GetCustomer(ctx context.Context, id int64) (client.Customer, error)
	CheckToken(ctx context.Context) error
}

// Recorder is what the handlers report for metrics.
type Recorder interface {
	Request(route, method string, status int, took time.Duration)
}

type NoRecorder struct{}

func (NoRecorder) Request(string, string, int, time.Duration) {}
