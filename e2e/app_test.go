package e2e

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/handlers/web"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/jobs"
)

// testApp is one ContactDesk instance for one test: the real router and a
// real ServiceTitan client talking to a fresh in-process sandbox.
type testApp struct {
	// URL is the app's base URL, e.g. http://127.0.0.1:41234 (no slash).
	URL string
	// SB is the fake ServiceTitan behind the app: inject faults, count
	// requests, read and overwrite records.
	SB *sandbox.Server
	// syncIndex runs one sync pass of the app's index (withIndex), as the
	// periodic sync job would.
	syncIndex func(t testing.TB)
}

// url joins the base URL and an absolute path ("/customers/1").
func (a *testApp) url(path string) string { return a.URL + path }

// appConfig is what startApp's options adjust.
type appConfig struct {
	clientTimeout  time.Duration
	requestTimeout time.Duration
	clientOptions  []client.Option
	version        string
	configure      func(*handlers.Config)
	indexed        bool
	sandboxOptions []sandbox.Option
	// bulkRate, when set, runs bulk jobs at that many calls to
	// ServiceTitan a second (withBulk).
	bulkRate float64
	// contactsLoading: the index's first pass stops after the customers'
	// feed (withContactsLoading).
	contactsLoading bool
}

// withIndex gives the app its tenant index, as app.Serve does: on the audit
// trail's database, filled by one sync pass before the app serves, with the
// app's own writes going into it. generated adds that many generated
// customers to the sandbox's seed (the first is "Zoë Åkesson-Nuñez").
func withIndex(generated int) appOption {
	return func(c *appConfig) {
		c.indexed = true
		if generated > 0 {
			c.sandboxOptions = append(c.sandboxOptions, sandbox.WithGeneratedCustomers(generated))
		}
	}
}

// withBulk turns bulk changes on, wired as app.Serve wires them: the bulk
// tables beside the audit trail (and the index, which withBulk implies:
// withIndex(generated)), the jobs run by a real River queue on that
// database with bulk.RunWorker and bulk.SweepWorker, through the same
// change service as the edits. River looks for work every 100 ms. perSecond
// is the jobs' rate (BULK_RATE): 0 for as fast as the sandbox answers, a
// low one for a test that must catch a job running. Bulk changes are open
// to everyone, as in the sandbox.
func withBulk(generated int, perSecond float64) appOption {
	return func(c *appConfig) {
		withIndex(generated)(c)
		c.bulkRate = perSecond
		if c.bulkRate <= 0 {
			c.bulkRate = 1000
		}
	}
}

// withContactsLoading leaves the index as a backfill does halfway: its
// first pass reads the customers' feed to its end and stops before the
// contacts' (app.syncIndex completes it).
func withContactsLoading() appOption {
	return func(c *appConfig) { c.contactsLoading = true }
}

// withHandlers adjusts the app's configuration (identity, audit, ...).
func withHandlers(f func(*handlers.Config)) appOption {
	return func(c *appConfig) { c.configure = f }
}

type appOption func(*appConfig)

// startApp starts a fresh sandbox and the app in-process, each on
// 127.0.0.1 at a free port, and stops both when the test ends. The client
// never waits out a 429 (clienttest.WithMaxRetryWait(0)), so rate limits surface.
func startApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	cfg := appConfig{clientTimeout: 2 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.requestTimeout == 0 {
		// As main.go: a save may take a PATCH and a read-back.
		cfg.requestTimeout = 2*cfg.clientTimeout + 2*time.Second
	}

	sb := sandboxtest.Start(t, cfg.sandboxOptions...)

	logger := slog.New(slog.NewTextHandler(newTestLogWriter(t), &slog.HandlerOptions{Level: slog.LevelWarn}))
	stConfig := sb.ClientConfig()
	stConfig.Timeout, stConfig.UserAgent = cfg.clientTimeout, "contactdesk-e2e"
	st, err := client.New(stConfig, append([]client.Option{
		client.WithLogger(logger),
		clienttest.WithMaxRetryWait(0),
		clienttest.WithBackoff(10 * time.Millisecond),
	}, cfg.clientOptions...)...)
	if err != nil {
		t.Fatalf("client.New: %v", err)
	}

	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatalf("load America/Chicago: %v", err)
	}
	handle := dbtest.SQLiteAt(t, t.TempDir()+"/audit.db")
	store, err := audit.New(context.Background(), handle)
	if err != nil {
		t.Fatalf("open the audit trail: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	hcfg := handlers.Config{
		ServiceTitan: st,
		Audit:        store,
		Sessions: web.NewSessionStore(web.SessionOptions{
			Secret: []byte(rand.Text() + rand.Text()), MaxAge: 60 * 60,
		}),
		Logger:         logger,
		DisplayTZ:      chicago,
		PhoneRegion:    "US",
		Sandbox:        true,
		Version:        cfg.version,
		RequestTimeout: cfg.requestTimeout,
	}
	if cfg.configure != nil {
		cfg.configure(&hcfg)
	}
	var caches []change.Cache
	var idx *index.Store
	if cfg.indexed {
		idx = openIndex(t, handle, st, cfg.contactsLoading)
		hcfg.Index, hcfg.IndexInterval = idx, time.Minute
		hcfg.Hygiene = &hygiene.Reporter{Index: idx, Rules: hygieneRules}
		caches = append(caches, idx)
	}
	// As main.go: every change goes through the change service, into the
	// same audit trail the pages show.
	hcfg.Changes, err = change.New(change.Config{ServiceTitan: st, Audit: hcfg.Audit.(audit.Store), TenantID: stConfig.TenantID,
		Region: "US", Budget: cfg.requestTimeout, Logger: logger, Caches: caches})
	if err != nil {
		t.Fatalf("change.New: %v", err)
	}
	if cfg.bulkRate > 0 {
		startBulk(t, &hcfg, handle, store, idx, logger, cfg.bulkRate)
	}
	app, err := handlers.New(hcfg)
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	srv := httptest.NewServer(app) // 127.0.0.1:0
	// Close waits for requests in flight, so it runs before the sandbox stops
	// (cleanups run last-in, first-out).
	t.Cleanup(srv.Close)
	return &testApp{URL: srv.URL, SB: sb, syncIndex: func(t testing.TB) {
		t.Helper()
		if err := index.NewSyncer(st, idx, 1000, nil).Pass(context.Background()); err != nil {
			t.Fatalf("sync the index: %v", err)
		}
	}}
}

// hygieneRules are the hygiene report's rules as main.go reads them with
// nothing set.
var hygieneRules = hygiene.Rules{Region: "US", SharedMin: 3}

// openIndex opens the tenant index beside the audit trail and fills it with
// one sync pass, as the app's periodic sync job would; with
// contactsLoading, the pass stops before the contacts' feed.
func openIndex(t testing.TB, h *db.DB, st *client.Client, contactsLoading bool) *index.Store {
	t.Helper()
	idx, err := index.Open(context.Background(), h)
	if err != nil {
		t.Fatalf("open the index: %v", err)
	}
	idx.SetChecker(hygieneRules.Checker())
	external, err := audit.NewExternal(h.Dialect, sandbox.DefaultCredentials.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	idx.SetHistory(external)
	if contactsLoading {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		// The pass ends as the app stopping would end it: nothing recorded.
		index.NewSyncer(stopAtContacts{st, stop}, idx, 1000, nil).Pass(ctx) //nolint:errcheck // stopped on purpose
		return idx
	}
	if err := index.NewSyncer(st, idx, 1000, nil).Pass(context.Background()); err != nil {
		t.Fatalf("sync the index: %v", err)
	}
	return idx
}

// stopAtContacts is ServiceTitan's feeds, stopping the pass (stop) when it
// comes to the contacts' feed.
type stopAtContacts struct {
	index.Feeds
	stop context.CancelFunc
}

func (f stopAtContacts) ExportContacts(ctx context.Context, _ string, _ func(client.ExportContact) error) (string, bool, error) {
	f.stop()
	return "", false, ctx.Err()
}

// startBulk opens the bulk tables and starts River with the bulk workers
// on the audit trail's database, as app's startJobs does, and sets
// hcfg.Bulk. The queue stops when the test ends, after the app's server
// (cleanups run last-in, first-out) and before the database closes.
func startBulk(t testing.TB, hcfg *handlers.Config, h *db.DB, store audit.Store, idx *index.Store, logger *slog.Logger, perSecond float64) {
	t.Helper()
	ctx := context.Background()
	bulkStore, err := bulk.Open(ctx, h)
	if err != nil {
		t.Fatalf("open the bulk tables: %v", err)
	}
	runner := bulk.NewRunner(bulk.RunnerConfig{Store: bulkStore, Changes: hcfg.Changes, Trail: store, PerSecond: perSecond, Logger: logger})
	workers := river.NewWorkers()
	river.AddWorker(workers, &bulk.RunWorker{Runner: runner})
	queue, err := jobs.Open(ctx, jobs.Config{
		DB: h, Workers: workers, MaxWorkers: 4, PollInterval: 100 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		t.Fatalf("open the job queue: %v", err)
	}
	service := &bulk.Service{Store: bulkStore, Index: idx, Queue: queue, IndexComplete: idx.Complete}
	if err := queue.Start(ctx); err != nil {
		t.Fatalf("start the job queue: %v", err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := queue.Stop(stopCtx); err != nil {
			t.Logf("stopping the job queue: %v", err)
		}
	})
	hcfg.Bulk, hcfg.BulkOpen = service, true
}

// testLogWriter sends the app's log lines to the test log (shown with -v or
// when the test fails) and drops them once the test has finished, so a late
// line can never panic.
type testLogWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestLogWriter(t testing.TB) io.Writer {
	w := &testLogWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log("app: " + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
