// Package app assembles contactdesk: it opens the database once and the
// stores on it, builds the services, starts the background jobs and the
// web server, and stops them in order. main.go reads the command line and
// the signals and calls Serve or RunCommand.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"
	_ "time/tzdata" // DISPLAY_TZ must work in a static binary on a bare image

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/instances"
	"github.com/contactdesk/contactdesk/metrics"
)

// Serve runs the app until ctx ends (SIGINT/SIGTERM): then the server
// stops accepting connections and lets requests in flight, saves
// included, finish; the background jobs stop after them.
func Serve(ctx context.Context, cfg Config, stdout io.Writer) error {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if !cfg.memoryLimitSet {
		// A soft heap limit keeps a busy instance small: the collector runs
		// more often as the heap nears it.
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if cfg.Env == "sandbox" {
		stop, err := startSandbox(&cfg)
		if err != nil {
			return err
		}
		defer stop()
	}
	if cfg.RandomSession {
		log.Warn("SESSION_SECRET is not set: using a random key, so sessions end when the app restarts")
	}
	s, err := openStores(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.close()
	if cfg.RetentionDays > 0 {
		go pruneAudit(ctx, s.audit, cfg.RetentionDays, log)
	}

	version := buildVersion()
	meter := metrics.New(version)
	st, err := client.New(cfg.ST, client.WithLogger(log), client.WithObserver(meter), client.WithRateLimit(cfg.RateLimit))
	if err != nil {
		return err
	}
	metricsOnMain, stopMetrics, err := serveMetrics(cfg, meter, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	changes, err := change.New(change.Config{
		ServiceTitan: st, Audit: s.audit, TenantID: cfg.ST.TenantID, Region: cfg.PhoneRegion, Forms: s.forms,
		Budget: cfg.RequestTimeout, Logger: log, Metrics: meter, Caches: []change.Cache{s.index},
	})
	if err != nil {
		return err
	}
	// Bulk jobs run as River jobs through the same change service.
	runner := bulk.NewRunner(bulk.RunnerConfig{Store: s.bulk, Changes: changes, Trail: s.audit, PerSecond: cfg.BulkRate,
		Logger: log, Metrics: meter})
	queue, err := startJobs(ctx, jobsConfig{cfg: cfg, db: s.db, st: st, index: s.index, meter: meter, log: log,
		bulk: s.bulk, runner: runner, changes: changes})
	if err != nil {
		return err
	}
	bulkJobs := &bulk.Service{Store: s.bulk, Index: s.index, Queue: queue, IndexComplete: s.index.Complete}
	// Instances on one PostgreSQL split the tenant's budget between them.
	if s.fleet != nil {
		go s.fleet.Run(ctx, func(n int) { shareBudget(cfg, n, st, runner, log) })
	}
	app, err := handlers.New(handlers.Config{
		ServiceTitan: st,
		Changes:      changes,
		Sessions: web.NewSessionStore(web.SessionOptions{
			Secret: cfg.SessionSecret, Previous: cfg.SessionPrev, MaxAge: 12 * 60 * 60,
		}),
		Identity:       cfg.Identity,
		Policy:         cfg.Policy,
		TrustedProxies: cfg.Proxies,
		SignOutURL:     cfg.SignOutURL,
		SSOOrigin:      cfg.SSOOrigin,
		SecureCookies:  cfg.CookieSecure,
		Metrics:        meter,
		MetricsHandler: metricsOnMain,
		Audit:          s.audit,
		Index:          settledIndex{Store: s.index, trail: s.audit},
		IndexInterval:  cfg.IndexInterval,
		Bulk:           bulkJobs,
		BulkPolicy:     cfg.BulkPolicy,
		BulkOpen:       cfg.BulkOpen,
		Hygiene:        &hygiene.Reporter{Index: s.index, Rules: cfg.Hygiene},
		Logger:         log,
		DisplayTZ:      cfg.DisplayTZ,
		PhoneRegion:    cfg.PhoneRegion,
		Sandbox:        cfg.Env == "sandbox",
		Version:        version,
		RequestTimeout: cfg.RequestTimeout,
	})
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, cfg, app, s, queue, log, version, stdout)
}

// settledIndex is the search index as pages read it. Where the audit
// trail writes outcomes in the background (SQLite), a save's copy in the
// index is written there too, just after the save's answer (see
// audit.CompleteAfter): a search first waits for the writes pending, as
// the History does, so it finds what was just saved.
type settledIndex struct {
	*index.Store
	trail audit.Store
}

func (i settledIndex) Search(ctx context.Context, q index.Query, page, size int) (index.Results, error) {
	if err := audit.WaitPending(ctx, i.trail); err != nil {
		return index.Results{}, err
	}
	return i.Store.Search(ctx, q, page, size)
}

func (i settledIndex) PrimaryPhones(ctx context.Context, customerIDs []int64) (map[int64]index.Contact, error) {
	if err := audit.WaitPending(ctx, i.trail); err != nil {
		return nil, err
	}
	return i.Store.PrimaryPhones(ctx, customerIDs)
}

// startSandbox starts the embedded ServiceTitan and points cfg at it.
func startSandbox(cfg *Config) (stop func(), err error) {
	sb := sandbox.New(sandbox.WithLatency(cfg.SandboxLatency), sandbox.WithGeneratedCustomers(cfg.SandboxCustomers))
	_, stop, err = sb.Start()
	if err != nil {
		return nil, fmt.Errorf("start the embedded sandbox: %w", err)
	}
	st := sb.ClientConfig()
	st.Timeout, st.UserAgent = cfg.ST.Timeout, cfg.ST.UserAgent
	cfg.ST = st
	return stop, nil
}

// stores are the app's stores, all on one database handle.
type stores struct {
	db    *db.DB
	audit audit.Store
	index *index.Store
	bulk  *bulk.Store
	// forms and fleet are set on PostgreSQL only: several instances may
	// serve from it.
	forms change.Forms
	fleet *instances.Registry
	// closers run last to first.
	closers []func()
}

func (s *stores) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// openStores opens the database (SQLite at AUDIT_DB, or PostgreSQL at
// DATABASE_URL) once and every store on it. On error what was opened is
// closed again.
func openStores(ctx context.Context, cfg Config, log *slog.Logger) (_ *stores, err error) {
	s := &stores{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if cfg.DatabaseURL == "" {
		release, err := lockSQLite(cfg.AuditDB)
		if errors.Is(err, errInstanceRunning) {
			return nil, fmt.Errorf("AUDIT_DB=%s: %w: run one instance on a SQLite file, or give every instance the same PostgreSQL (DATABASE_URL)",
				cfg.AuditDB, err)
		}
		if err != nil {
			return nil, fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
		}
		s.closers = append(s.closers, release)
	}
	if s.db, err = db.Open(ctx, cfg.AuditDB, cfg.DatabaseURL); err != nil {
		return nil, fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	s.closers = append(s.closers, func() { s.db.Close() })
	trail, err := audit.New(ctx, s.db)
	if err != nil {
		return nil, fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	if cfg.DatabaseURL == "" {
		for _, e := range sqliteExposure(cfg.AuditDB) {
			log.Warn("AUDIT_DB: other users of this machine can read customers' contacts here", "path", e.path,
				"mode", fmt.Sprintf("%04o", e.mode), "fix", e.fix)
		}
		// On SQLite (one instance) a save's answer does not wait for its
		// outcome's write; the record page after it, and the shutdown,
		// do. On PostgreSQL the next page may come from another instance,
		// which cannot wait for this one's writes: the answer waits for
		// the outcome (one round trip), so every History shows it at once.
		trail = audit.CompleteInBackground(trail, func(id int64, err error) {
			log.Error("audit outcome not recorded", "audit_id", id, "error", err)
		})
	}
	s.audit = trail
	s.closers = append(s.closers, func() { trail.Close() })
	if s.index, err = index.Open(ctx, s.db); err != nil {
		return nil, fmt.Errorf("the search index cannot be opened: %w", err)
	}
	s.index.SetChecker(cfg.Hygiene.Checker())
	// What the sync sees changed in ServiceTitan itself goes in the
	// History beside the app's own changes.
	external, err := audit.NewExternal(s.db.Dialect, cfg.ST.TenantID)
	if err != nil {
		return nil, fmt.Errorf("the search index cannot be opened: %w", err)
	}
	s.index.SetHistory(external)
	if s.bulk, err = bulk.Open(ctx, s.db); err != nil {
		return nil, fmt.Errorf("the bulk job tables cannot be opened: %w", err)
	}
	if s.db.Dialect == db.Postgres {
		err = s.openShared(ctx, log)
	}
	return s, err
}

// openShared opens what instances sharing one PostgreSQL need: the list
// of live instances (to split the tenant's budget, and so that each can
// tell another has died), and the form registry, so that a form posted to
// two of them still makes one change.
func (s *stores) openShared(ctx context.Context, log *slog.Logger) error {
	fleet, err := instances.Open(ctx, s.db, log)
	if err != nil {
		return fmt.Errorf("the instance list cannot be opened: %w", err)
	}
	s.fleet = fleet
	s.closers = append(s.closers, fleet.Close)
	if _, err := fleet.Beat(ctx); err != nil {
		return fmt.Errorf("the instance list cannot be written: %w", err)
	}
	forms, err := change.OpenPostgresForms(ctx, s.db)
	if err != nil {
		return fmt.Errorf("the form registry cannot be opened: %w", err)
	}
	forms.SetInstances(fleet)
	s.forms = forms
	return nil
}

// serveMetrics serves /metrics on METRICS_ADDR when it is set; otherwise
// it returns the handler for the app's own address.
func serveMetrics(cfg Config, meter *metrics.Metrics, log *slog.Logger) (onMain http.Handler, stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return meter.Handler(), func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", meter.Handler())
	srv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "error", err)
		}
	}()
	log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return nil, func() { srv.Close() }, nil
}

// serveUntilDone serves app at ADDR until ctx ends, then stops in order:
// the requests in flight finish, then the background jobs stop (a job cut
// short resumes from what it wrote down, here or on another instance),
// then this instance leaves the instance list.
func serveUntilDone(ctx context.Context, cfg Config, app http.Handler, s *stores, queue stopper, log *slog.Logger,
	version string, stdout io.Writer) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR=%s: %w", cfg.Addr, err)
	}
	// Answers net/http makes itself (431, 400 for a malformed request)
	// carry the security headers too.
	ln = web.GuardListener(ln, web.SecurityHeaders(cfg.SSOOrigin))
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	log.Info("listening", "url", url, "st_env", cfg.Env, "version", version)
	fmt.Fprintf(stdout, "contactdesk %s: serving %s at %s\n", version, envDescription(cfg.Env), url)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.RequestTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := queue.Stop(shutdownCtx); err != nil {
		log.Warn("background jobs did not stop cleanly", "error", err)
	}
	if s.fleet != nil {
		// The others take this instance's part of the budget at their
		// next beat, not after it has gone stale.
		if err := s.fleet.Leave(shutdownCtx); err != nil {
			log.Warn("this instance could not leave the instance list; the others notice within a minute", "error", err)
		}
	}
	log.Info("stopped")
	return nil
}

type stopper interface {
	Stop(ctx context.Context) error
}

// shareBudget gives this instance its part of the tenant's budget
// (ST_RATE_LIMIT) and of the bulk jobs' share (BULK_RATE) when n
// instances serve from one database: in total they keep within them. The
// index sync runs on one instance at a time and keeps INDEX_RATE, within
// this instance's part.
func shareBudget(cfg Config, n int, st *client.Client, runner *bulk.Runner, log *slog.Logger) {
	st.SetRateLimit(cfg.RateLimit / float64(n))
	runner.SetRate(cfg.BulkRate / float64(n))
	log.Info("instances share the tenant's rate budget", "instances", n,
		"rate_per_second", cfg.RateLimit/float64(n), "bulk_rate_per_second", cfg.BulkRate/float64(n))
}

// pruneAudit deletes entries past the retention period now and daily.
func pruneAudit(ctx context.Context, store audit.Store, days int, log *slog.Logger) {
	for {
		n, err := store.Prune(ctx, time.Now().AddDate(0, 0, -days))
		if err != nil {
			log.Error("audit retention", "error", err)
		} else if n > 0 {
			log.Info("audit retention", "deleted", n, "days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

func envDescription(env string) string {
	if env == "sandbox" {
		return "the embedded sandbox (not connected to ServiceTitan)"
	}
	return "ServiceTitan " + env
}

// buildVersion is the module version, or the VCS revision when built from
// a checkout, or "dev".
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}
