// Package handlers builds the app's router (New): the shared web pieces
// (handlers/web), the middleware, the health checks, and each feature's
// pages on their routes: handlers/search, handlers/contacts,
// handlers/audit, handlers/bulk and handlers/hygiene. A handler reads top
// to bottom: parse, validate, call a service, render a view.
package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/sessions"
	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	auditpages "github.com/contactdesk/contactdesk/handlers/audit"
	bulkpages "github.com/contactdesk/contactdesk/handlers/bulk"
	"github.com/contactdesk/contactdesk/handlers/contacts"
	hygienepages "github.com/contactdesk/contactdesk/handlers/hygiene"
	"github.com/contactdesk/contactdesk/handlers/search"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/ttlcache"
)

// Config wires the handlers to their dependencies.
type Config struct {
	ServiceTitan web.ServiceTitan
	// Changes makes every change to ServiceTitan (required).
	Changes *change.Service
	// Audit is the audit trail (required): pages show it.
	Audit AuditTrail
	// Index is the tenant index search is served from once it is complete;
	// without one, search asks ServiceTitan.
	Index Index
	// IndexInterval is how often the index syncs: three intervals without
	// a complete read and search goes back to ServiceTitan.
	IndexInterval time.Duration
	// Bulk previews lists and runs bulk jobs; without it, /bulk is not
	// served.
	Bulk *bulk.Service
	// BulkPolicy names who may start, pause and cancel bulk jobs (anyone
	// signed in may see them); BulkOpen lets everyone (the sandbox).
	BulkPolicy identity.Policy
	BulkOpen   bool
	// Hygiene reads the hygiene report from the index; without it,
	// /hygiene is not served.
	Hygiene *hygiene.Reporter
	// Sessions stores per-person state (flash messages, recent customers'
	// ids, the CSRF token) in a signed, encrypted cookie.
	Sessions *sessions.CookieStore
	Logger   *slog.Logger
	// DisplayTZ is the zone times are shown in; without one, each browser
	// shows them in its own (UTC without JavaScript).
	DisplayTZ *time.Location
	// PhoneRegion is the default region for parsing phone numbers (US).
	PhoneRegion string
	// Sandbox shows the "not connected to ServiceTitan" banner.
	Sandbox bool
	Version string
	// RequestTimeout bounds each request.
	RequestTimeout time.Duration
	// SearchTimeout bounds one search of the index (default 2 s): on
	// SQLite every page waits for the one connection it holds.
	SearchTimeout time.Duration

	// Identity says who is making each request (the SSO proxy's headers, a
	// verified assertion, or the fake sandbox user); Policy says who may.
	Identity identity.Source
	Policy   identity.Policy
	// TrustedProxies are the only peers whose X-Forwarded-* headers count.
	TrustedProxies identity.Proxies
	// SignOutURL is shown as "Sign out" on every page.
	SignOutURL string
	// SSOOrigin is allowed as a form target in the CSP, so an expired proxy
	// session can redirect a POST to the login page.
	SSOOrigin string
	// BodyLimit caps request bodies, e.g. "1M".
	BodyLimit string
	// SecureCookies marks the session cookie Secure (and names it with the
	// __Host- prefix) on every request, not only those seen to be HTTPS.
	SecureCookies bool
	// Metrics records requests; MetricsHandler, when set, is
	// served at /metrics without identity (set it only when the metrics are
	// not served on a separate, unproxied address).
	Metrics        web.Recorder
	MetricsHandler http.Handler
}

// AuditTrail is the audit trail as the pages use it (audit.Store has it):
// they list and export it, the readiness check pings it.
type AuditTrail interface {
	auditpages.Trail
	Ping(ctx context.Context) error
}

// Index is the tenant index, as the pages use it; *index.Store has it.
type Index interface {
	Search(ctx context.Context, q index.Query, page, size int) (index.Results, error)
	// PrimaryPhones is each customer's first phone number, for results.
	PrimaryPhones(ctx context.Context, customerIDs []int64) (map[int64]index.Contact, error)
	// Ready is Status.Ready, quickly: search asks on every query.
	Ready(ctx context.Context, staleAfter time.Duration) (bool, error)
	Status(ctx context.Context, staleAfter time.Duration) (index.Status, error)
}

// New returns the app's router: the shared web pieces (web.Web), the
// middleware, and each feature's pages on their routes.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.ServiceTitan == nil || cfg.Changes == nil || cfg.Audit == nil {
		return nil, errors.New("handlers: a ServiceTitan client, the change service and an audit store are required")
	}
	w := newWeb(cfg)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = w.HandleError
	// Client IPs in logs come from X-Forwarded-For only through trusted proxies.
	e.IPExtractor = echo.ExtractIPFromXFFHeader(trustRanges(w.Proxies)...)
	e.Pre(middleware.RemoveTrailingSlash(), w.UntrustedRequestIDs)
	e.Use(
		middleware.RequestID(),
		w.LogRequests,
		w.RecoverPanics,
		w.SecurityHeaders,
		// A bulk list may be 5 MB; every other body stays small.
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: cmp.Or(cfg.BodyLimit, "1M"),
			Skipper: func(c echo.Context) bool { return c.Path() == web.BulkPreviewPath }}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: strconv.Itoa(web.UploadLimit) + "B",
			Skipper: func(c echo.Context) bool { return c.Path() != web.BulkPreviewPath }}),
		middleware.ContextTimeout(cmp.Or(max(cfg.RequestTimeout, 0), 30*time.Second)),
		// Only bodies worth it (long contact lists, a record with its
		// History, the audit trail, CSV), at the fastest level: a typical
		// page is a few KB, where gzip costs a tenth of the page's CPU and
		// saves a millisecond on no network.
		web.Compress(8<<10, gzip.BestSpeed),
	)

	// Public: health checks, metrics (when served here), static files.
	h := &health{version: cfg.Version, st: cfg.ServiceTitan, audit: cfg.Audit, ready: &readiness{ttl: 10 * time.Second}}
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	if cfg.MetricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(cfg.MetricsHandler))
	}
	e.GET("/static/*", echo.WrapHandler(static.Handler()))
	e.GET("/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, static.URL("favicon.svg"))
	})

	// Everything else needs a signed-in person, and every post a form token.
	app := e.Group("", w.Authenticate, w.CSRF)
	features(w, cfg).routes(app)

	w.RouteNames = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound { // the group's catch-all for 404s
			w.RouteNames[r.Path] = true
		}
	}
	return e, nil
}

// newWeb is what every page shares, from cfg.
func newWeb(cfg Config) *web.Web {
	w := &web.Web{
		ST:            cfg.ServiceTitan,
		Sessions:      web.NewDecodedSessions(cfg.Sessions),
		Log:           cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		TZ:            cmp.Or(cfg.DisplayTZ, time.UTC),
		LocalTimes:    cfg.DisplayTZ == nil,
		Region:        cmp.Or(cfg.PhoneRegion, "US"),
		Sandbox:       cfg.Sandbox,
		Version:       cfg.Version,
		Identity:      cfg.Identity,
		Policy:        cfg.Policy,
		Proxies:       cfg.TrustedProxies,
		SignOut:       cfg.SignOutURL,
		Headers:       web.SecurityHeaders(cfg.SSOOrigin),
		Metrics:       cfg.Metrics,
		SecureCookies: cfg.SecureCookies,
		Names:         ttlcache.New[int64, string](web.NameTTL, web.CacheMax),
		Locations:     ttlcache.New[int64, client.Location](web.NameTTL, web.CacheMax),
		StaleForms:    map[string]echo.HandlerFunc{},
		BeforeBody:    map[string]func(echo.Context) error{},
	}
	if w.Metrics == nil {
		w.Metrics = web.NoRecorder{}
	}
	if w.Identity == nil {
		w.Identity = identity.SandboxUser
	}
	return w
}

// pages are the features' pages, each with only what it reads and writes
// through; those the server does without (bulk changes, the hygiene
// report) are nil.
type pages struct {
	search   *search.Handlers
	contacts *contacts.Handlers
	audit    *auditpages.Handlers
	bulk     *bulkpages.Handlers
	hygiene  *hygienepages.Handlers
}

// features builds each feature's pages over w from cfg.
func features(w *web.Web, cfg Config) pages {
	interval := cmp.Or(cfg.IndexInterval, time.Minute)
	searchTimeout := cmp.Or(cfg.SearchTimeout, 2*time.Second)
	notes := web.IndexNotes{Index: cfg.Index, Interval: interval, Log: w.Log}
	rights := web.BulkRights{Policy: cfg.BulkPolicy, Open: cfg.BulkOpen}
	var idx web.Searcher
	if cfg.Index != nil {
		idx = cfg.Index
	}
	var jobs auditpages.BulkJobs
	if cfg.Bulk != nil {
		jobs = cfg.Bulk
	}
	p := pages{
		search:   search.New(w, cfg.ServiceTitan, cfg.Index, interval, searchTimeout),
		contacts: contacts.New(w, cfg.ServiceTitan, cfg.Changes, cfg.Audit),
		audit:    auditpages.New(w, cfg.Audit, cfg.Changes, jobs, idx, searchTimeout),
	}
	if cfg.Bulk != nil {
		var hy bulkpages.Hygiene
		if cfg.Hygiene != nil {
			hy = cfg.Hygiene
		}
		p.bulk = bulkpages.New(w, cfg.Bulk, hy, notes, rights)
	}
	if cfg.Hygiene != nil {
		p.hygiene = hygienepages.New(w, cfg.Hygiene, notes, rights, cfg.Bulk != nil)
	}
	return p
}

// routes registers every feature's pages on g.
func (p pages) routes(g *echo.Group) {
	p.search.Routes(g)
	p.contacts.Routes(g)
	p.audit.Routes(g)
	if p.bulk != nil {
		p.bulk.Routes(g)
	}
	if p.hygiene != nil {
		p.hygiene.Routes(g)
	}
}

// trustRanges turns the trusted proxies into Echo's IP trust options.
func trustRanges(p identity.Proxies) []echo.TrustOption {
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, prefix := range p {
		_, ipNet, err := net.ParseCIDR(prefix.String())
		if err == nil {
			opts = append(opts, echo.TrustIPRange(ipNet))
		}
	}
	return opts
}
