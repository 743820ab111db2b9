// Command contactdesk serves the contact editor: office staff find a
// ServiceTitan customer and edit one of their contacts. With no ServiceTitan
// credentials it runs against an embedded sandbox.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // DISPLAY_TZ must work in a static binary on a bare image

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/instances"
	"github.com/contactdesk/contactdesk/jobs"
	"github.com/contactdesk/contactdesk/metrics"
)

func main() {
	// SIGINT/SIGTERM cancel ctx: the server stops accepting connections and
	// lets requests in flight, saves included, finish.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contactdesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("contactdesk", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { usage(stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if name := fs.Arg(0); name != "" {
		return runCommand(ctx, name, fs.Args()[1:], cfg, stdout)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if getenv("GOMEMLIMIT") == "" {
		// A soft heap limit keeps a busy instance small: the collector runs
		// more often as the heap nears it (the runtime reads GOMEMLIMIT
		// itself when an operator sets one).
		debug.SetMemoryLimit(defaultMemoryLimit)
	}

	if cfg.Env == "sandbox" {
		sb := sandbox.New(sandbox.WithLatency(cfg.SandboxLatency), sandbox.WithGeneratedCustomers(cfg.SandboxCustomers))
		_, stop, err := sb.Start()
		if err != nil {
			return fmt.Errorf("start the embedded sandbox: %w", err)
		}
		defer stop()
		creds := sb.Credentials()
		cfg.ST.APIURL, cfg.ST.AuthURL, cfg.ST.TenantID = sb.APIURL(), sb.TokenURL(), creds.TenantID
		cfg.ST.ClientID, cfg.ST.ClientSecret, cfg.ST.AppKey = creds.ClientID, creds.ClientSecret, creds.AppKey
	}
	if cfg.RandomSession {
		log.Warn("SESSION_SECRET is not set: using a random key, so sessions end when the app restarts")
	}
	if cfg.DatabaseURL == "" {
		release, err := lockSQLite(cfg.AuditDB)
		if errors.Is(err, errInstanceRunning) {
			return fmt.Errorf("AUDIT_DB=%s: %w: run one instance on a SQLite file, or give every instance the same PostgreSQL (DATABASE_URL)",
				cfg.AuditDB, err)
		}
		if err != nil {
			return fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
		}
		defer release()
	}
	h, err := db.Open(ctx, cfg.AuditDB, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	defer h.Close()
	store, err := audit.New(ctx, h)
	if err != nil {
		return fmt.Errorf("the audit trail cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	if cfg.DatabaseURL == "" {
		for _, e := range sqliteExposure(cfg.AuditDB) {
			log.Warn("AUDIT_DB: other users of this machine can read customers' contacts here", "path", e.path,
				"mode", fmt.Sprintf("%04o", e.mode), "fix", e.fix)
		}
	}
	// On SQLite (one instance) a save's answer does not wait for its
	// outcome's write; the record page after it, and the shutdown below,
	// do. On PostgreSQL the next page may come from another instance,
	// which cannot wait for this one's writes: the answer waits for the
	// outcome (one round trip), so every History shows it at once.
	if cfg.DatabaseURL == "" {
		store = audit.CompleteInBackground(store, func(id int64, err error) {
			log.Error("audit outcome not recorded", "audit_id", id, "error", err)
		})
	}
	defer store.Close()
	if cfg.RetentionDays > 0 {
		go pruneAudit(ctx, store, cfg.RetentionDays, log)
	}

	version := buildVersion()
	meter := metrics.New(version)
	st, err := client.New(cfg.ST, client.WithLogger(log), client.WithObserver(meter), client.WithRateLimit(cfg.RateLimit))
	if err != nil {
		return err
	}
	// The tenant index lives beside the audit trail, and its sync runs as a
	// River job on the same database.
	idx, err := index.Open(ctx, h)
	if err != nil {
		return fmt.Errorf("the search index cannot be opened: %w", err)
	}
	idx.SetChecker(cfg.Hygiene.Checker())
	var metricsOnMain http.Handler
	if cfg.MetricsAddr == "" {
		metricsOnMain = meter.Handler()
	} else {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", meter.Handler())
		msrv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	// On PostgreSQL several instances may serve: they list themselves (to
	// split the tenant's budget, and so that each can tell another has
	// died), and a form posted to two of them must still make one change,
	// so the form registry is the database.
	var forms change.Forms
	var fleet *instances.Registry
	if h.Dialect == db.Postgres {
		if fleet, err = instances.Open(ctx, h, log); err != nil {
			return fmt.Errorf("the instance list cannot be opened: %w", err)
		}
		defer fleet.Close()
		if _, err := fleet.Beat(ctx); err != nil {
			return fmt.Errorf("the instance list cannot be written: %w", err)
		}
		shared, err := change.OpenPostgresForms(ctx, h)
		if err != nil {
			return fmt.Errorf("the form registry cannot be opened: %w", err)
		}
		shared.SetInstances(fleet)
		forms = shared
	}
	changes, err := change.New(change.Config{
		ServiceTitan: st, Audit: store, TenantID: cfg.ST.TenantID, Region: cfg.PhoneRegion, Forms: forms,
		Budget: cfg.RequestTimeout, Logger: log, Metrics: meter, Caches: []change.Cache{idx},
	})
	if err != nil {
		return err
	}
	// Bulk jobs keep their lists and rows beside the trail too, and run as
	// River jobs through the same change service.
	bulkStore, err := bulk.Open(ctx, h)
	if err != nil {
		return fmt.Errorf("the bulk job tables cannot be opened: %w", err)
	}
	bulkJobs := &bulk.Service{Store: bulkStore, Index: idx, IndexComplete: idx.Complete, Log: log}
	runner := bulk.NewRunner(bulk.RunnerConfig{Store: bulkStore, Changes: changes, Trail: store, PerSecond: cfg.BulkRate,
		Logger: log, Metrics: meter})
	queue, err := startJobs(ctx, cfg, h, st, idx, meter, log, bulkJobs, runner, changes)
	if err != nil {
		return err
	}
	// Instances on one PostgreSQL split the tenant's budget between them.
	if fleet != nil {
		go fleet.Run(ctx, func(n int) { shareBudget(cfg, n, st, runner, log) })
	}
	app, err := handlers.New(handlers.Config{
		ServiceTitan: st,
		Changes:      changes,
		Sessions: handlers.NewSessionStore(handlers.SessionOptions{
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
		Audit:          store,
		Index:          idx,
		IndexInterval:  cfg.IndexInterval,
		Bulk:           bulkJobs,
		BulkPolicy:     cfg.BulkPolicy,
		BulkOpen:       cfg.BulkOpen,
		Hygiene:        &hygiene.Reporter{Index: idx, Rules: cfg.Hygiene},
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

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR=%s: %w", cfg.Addr, err)
	}
	// Answers net/http makes itself (431, 400 for a malformed request)
	// carry the security headers too.
	ln = handlers.GuardListener(ln, handlers.SecurityHeaders(cfg.SSOOrigin))
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
	// Let in-flight saves finish and deliver their pages before exiting.
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.RequestTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	// Background jobs stop after the requests: a job cut short resumes
	// from what it wrote down, on this instance or another.
	if err := queue.Stop(shutdownCtx); err != nil {
		log.Warn("background jobs did not stop cleanly", "error", err)
	}
	if fleet != nil {
		// The others take this instance's part of the budget at their
		// next beat, not after it has gone stale.
		if err := fleet.Leave(shutdownCtx); err != nil {
			log.Warn("this instance could not leave the instance list; the others notice within a minute", "error", err)
		}
	}
	log.Info("stopped")
	return nil
}

// riverID names this process in River's tables (river_job.attempted_by):
// which instance ran a job, by host and process id.
func riverID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("contactdesk_%s_pid%d_%d", host, os.Getpid(), time.Now().UnixMilli())
}

// shareBudget gives this instance its part of the tenant's budget
// (ST_RATE_LIMIT) and of the bulk jobs' share (BULK_RATE) when n
// instances serve from one database: in total they keep within them. The
// index sync runs on one instance at a time and keeps INDEX_RATE, within
// this instance's part.
func shareBudget(cfg config, n int, st *client.Client, runner *bulk.Runner, log *slog.Logger) {
	st.SetRateLimit(cfg.RateLimit / float64(n))
	runner.SetRate(cfg.BulkRate / float64(n))
	log.Info("instances share the tenant's rate budget", "instances", n,
		"rate_per_second", cfg.RateLimit/float64(n), "bulk_rate_per_second", cfg.BulkRate/float64(n))
}

// startJobs starts River with the index sync (every INDEX_INTERVAL, and
// at start; the metrics follow the index after each pass), the bulk jobs'
// sweep, and the settling of attempts whose outcome was lost (a crash
// between a write and its outcome, on any instance; an outcome's write
// that failed): every few seconds, once their write can no longer land.
func startJobs(ctx context.Context, cfg config, h *db.DB, st *client.Client, idx *index.Store,
	meter *metrics.Metrics, log *slog.Logger, bulkJobs *bulk.Service, runner *bulk.Runner, changes *change.Service) (*jobs.Queue, error) {
	report := func(ctx context.Context) {
		if s, err := idx.Status(ctx, 3*cfg.IndexInterval); err == nil {
			meter.Index(s.Counts.Customers, s.Counts.Contacts, s.Lag)
		}
	}
	report(ctx)
	workers := river.NewWorkers()
	river.AddWorker(workers, &index.SyncWorker{Syncer: index.NewSyncer(st, idx, cfg.IndexRate, log), Passed: report})
	river.AddWorker(workers, &bulk.RunWorker{Runner: runner})
	river.AddWorker(workers, &bulk.SweepWorker{Store: bulkJobs.Store, Queue: bulkJobs, Log: log})
	river.AddWorker(workers, change.NewSettleWorker(changes))
	queue, err := jobs.Open(ctx, jobs.Config{
		DB: h, Workers: workers,
		Periodic: []*river.PeriodicJob{index.PeriodicSync(cfg.IndexInterval), bulk.PeriodicSweep(), change.PeriodicSettle()},
		// The sync, the sweep, the settling and a few bulk runs at once.
		MaxWorkers: 6, Logger: log, ID: riverID(),
	})
	if err != nil {
		return nil, fmt.Errorf("background jobs cannot start: %w", err)
	}
	// Set before the queue starts: the sweep at start may queue runs.
	bulkJobs.Queue = queue
	// Jobs run until Stop, not until ctx (SIGTERM) ends: the shutdown
	// stops them after the requests in flight.
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("background jobs cannot start: %w", err)
	}
	return queue, nil
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
