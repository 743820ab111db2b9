package main

// go run ./loadtest -index measures the tenant index at full scale and
// writes docs/load-report-index.md:
//
//  1. backfill: a sandbox with -index-customers generated customers,
//     served in this process on 127.0.0.1, read from the start of both
//     export feeds by a process of its own (this binary, run with
//     indexChildArg), once into a fresh SQLite index and twice decoding
//     and discarding the rows (the baseline, before and after), each
//     process's peak RSS read at its end;
//  2. search: the index file opened here, -index-queries queries of each
//     kind through index.Store.Search, with Store.Customer and an exact id
//     as baselines, while the sandbox counts every call made to it;
//  3. incremental sync: empty passes (the baseline), then -index-changes
//     changes made in the sandbox and one pass that reads them;
//  4. search through the app: the binary in sandbox mode (the same
//     generated tenant) with the index file as its database, the same
//     queries as GET /customers?q=…, the search page without a query as
//     the baseline, and the app's own count of its ServiceTitan calls.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/index/indexbench"
	"github.com/contactdesk/contactdesk/internal/cputime"
)

// indexChildArg, as the only argument, runs one step of -index (a job
// read from stdin, its result written to stdout) in this process, so its
// peak RSS is its own. It is not a flag; -h does not list it.
const indexChildArg = "index-child"

// Kinds of child process.
const (
	childDecode   = "decode"
	childBackfill = "backfill"
)

// childJob is what a child process is asked to do.
type childJob struct {
	Mode   string
	Client client.Config
	// DB is the SQLite file of a backfill.
	DB string
}

// childResult is what a child process did.
type childResult struct {
	Rows indexbench.Rows
	// Took is the work's time, timed in the child (the process's start
	// and the opening of the database left out).
	Took time.Duration
	// CPU is the CPU time (user and system) the child used for the
	// work: on a busy machine its wall time is partly waiting for a CPU.
	CPU time.Duration
	// PeakRSSKiB is the child's VmHWM at its end, -1 when unknown.
	PeakRSSKiB int64
	// Upstream is the time the client waited for the sandbox's answers
	// (to their headers; the body is decoded as it is read, in Took).
	Upstream time.Duration
	// Held is what the index holds after a backfill, and whether every
	// feed was read to its end.
	Held       index.Counts
	Backfilled bool
}

// runIndexChild runs the job on stdin; the result goes to stdout.
func runIndexChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var job childJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("read the job: %w", err)
	}
	for _, u := range []string{job.Client.APIURL, job.Client.AuthURL} {
		if err := checkLoopbackURL(u); err != nil {
			return err
		}
	}
	// No client.WithRateLimit: the budget is lifted for the measurement.
	var calls callTimer
	st, err := client.New(job.Client, client.WithObserver(&calls))
	if err != nil {
		return err
	}
	var res childResult
	switch job.Mode {
	case childDecode:
		start, cpu := time.Now(), cputime.Process()
		res.Rows, err = indexbench.DecodeFeeds(ctx, st)
		res.Took, res.CPU = time.Since(start), cputime.Process()-cpu
		if err != nil {
			return err
		}
	case childBackfill:
		// The index lives in the audit trail's database, opened as the
		// app opens it (WAL, synchronous NORMAL, one connection).
		h, err := db.OpenSQLite(ctx, job.DB)
		if err != nil {
			return err
		}
		defer h.Close()
		idx, err := index.Open(ctx, h)
		if err != nil {
			return err
		}
		// The sync's share (INDEX_RATE) is lifted too.
		syncer := index.NewSyncer(st, idx, math.Inf(1), nil)
		start, cpu := time.Now(), cputime.Process()
		err = syncer.Pass(ctx)
		res.Took, res.CPU = time.Since(start), cputime.Process()-cpu
		if err != nil {
			return err
		}
		// The rows read from each feed, as the decode-only runs count
		// them.
		res.Backfilled = true
		for name, n := range map[string]*int64{index.FeedCustomers: &res.Rows.Customers, index.FeedContacts: &res.Rows.Contacts,
			index.FeedLocations: &res.Rows.Locations, index.FeedLocationContacts: &res.Rows.LocationContacts} {
			f, err := idx.Feed(ctx, name)
			if err != nil {
				return err
			}
			*n = f.RowsRead
			res.Backfilled = res.Backfilled && f.Backfilled
		}
		if res.Held, err = idx.Count(ctx); err != nil {
			return err
		}
		if err := h.Close(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("no child mode %q", job.Mode)
	}
	res.PeakRSSKiB = peakRSS(os.Getpid())
	res.Upstream = calls.total()
	return json.NewEncoder(stdout).Encode(res)
}

// callTimer adds up the time of a client's calls, by operation (a
// client.Observer).
type callTimer struct {
	mu   sync.Mutex
	took map[string]time.Duration
}

func (t *callTimer) Call(op string, _ int, took time.Duration) {
	t.mu.Lock()
	if t.took == nil {
		t.took = map[string]time.Duration{}
	}
	t.took[op] += took
	t.mu.Unlock()
}

func (t *callTimer) Retry(string, string) {}
func (t *callTimer) TokenFetch(bool)      {}

func (t *callTimer) total() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	var sum time.Duration
	for _, d := range t.took {
		sum += d
	}
	return sum
}

// reset returns the times by operation and starts again from zero.
func (t *callTimer) reset() map[string]time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	took := t.took
	t.took = nil
	return took
}

// childRun is one child process as the parent saw it.
type childRun struct {
	childResult
	// Wall is the process's life, start to exit.
	Wall time.Duration
	// Calls are the sandbox's requests while it ran, by operation.
	Calls map[string]int
}

// RowsPerSecond is the child's rate over its work's time.
func (c childRun) RowsPerSecond() float64 {
	if c.Took <= 0 {
		return 0
	}
	return float64(c.Rows.Total()) / c.Took.Seconds()
}

// allOps are every operation the sandbox counts.
var allOps = []string{sandbox.OpToken, sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts,
	sandbox.OpUpdateContact, sandbox.OpCreateContact, sandbox.OpDeleteContact, sandbox.OpExportCustomers, sandbox.OpExportContacts,
	sandbox.OpListLocations, sandbox.OpGetLocation, sandbox.OpListLocationContacts, sandbox.OpUpdateLocationContact,
	sandbox.OpCreateLocationContact, sandbox.OpDeleteLocationContact, sandbox.OpExportLocations, sandbox.OpExportLocationContacts}

func countCalls(sb *sandbox.Server, ops []string) map[string]int {
	m := map[string]int{}
	for _, op := range ops {
		if n := sb.Requests(op); n > 0 {
			m[op] = n
		}
	}
	return m
}

func sumCalls(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// runChild runs job in a child process of this binary, with the
// environment the app would get.
func runChild(ctx context.Context, sb *sandbox.Server, job childJob) (childRun, error) {
	var run childRun
	var err error
	run.Wall, run.Calls, err = runProcess(ctx, sb, indexChildArg, job.Mode, job, &run.childResult)
	return run, err
}

// runProcess runs this binary with arg, job as JSON on its stdin and the
// environment the app would get, and decodes what it writes to stdout
// into result. wall is the process's life; calls are the sandbox's
// requests while it ran, by operation.
func runProcess(ctx context.Context, sb *sandbox.Server, arg, name string, job, result any) (wall time.Duration, calls map[string]int, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, nil, err
	}
	in, err := json.Marshal(job)
	if err != nil {
		return 0, nil, err
	}
	cmd := exec.CommandContext(ctx, self, arg)
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var out, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(in), &out, &stderr
	sb.ResetCounters()
	start := time.Now()
	err = cmd.Run()
	wall, calls = time.Since(start), countCalls(sb, allOps)
	if err != nil {
		return wall, calls, fmt.Errorf("the %s process: %w: %s", name, err, bytes.TrimSpace(stderr.Bytes()))
	}
	if err := json.Unmarshal(out.Bytes(), result); err != nil {
		return wall, calls, fmt.Errorf("the %s process's result: %w", name, err)
	}
	return wall, calls, nil
}

// indexRun is everything -index measured.
type indexRun struct {
	Generated int
	// Tenant is the rows of the feeds, as the decode-only runs read them.
	Tenant indexbench.Rows
	// Decode are the baseline runs, before and after the backfill.
	Decode   []childRun
	Backfill childRun
	// DBBytes is the size of the SQLite file (and its WAL) after the
	// backfill.
	DBBytes int64

	Search      []*queryKind
	SearchCalls map[string]int
	Warmup      int

	Empty       []syncPass
	Changes     changes
	Incremental syncPass

	// App is search through the app's handler; AppFailed says why it
	// was not measured (the report is written without it).
	App       *appSearch
	AppFailed string
}

// queryKind is one kind of query, timed.
type queryKind struct {
	Name, Example string
	Baseline      bool
	Times         []time.Duration
	// Found counts the queries with at least one result; Totals are the
	// customers each found (Results.Total, at most 1000).
	Found  int
	Totals []int
}

func (k *queryKind) p(p float64) time.Duration {
	return indexbench.Percentile(slices.Clone(k.Times), p)
}

// syncPass is one incremental pass.
type syncPass struct {
	Took time.Duration
	// Upstream is the time the client waited for the sandbox's answers,
	// by operation.
	Upstream map[string]time.Duration
	Rows     int64
	Calls    map[string]int
}

// Waited is the time the pass waited for the sandbox.
func (p syncPass) Waited() time.Duration {
	var sum time.Duration
	for _, d := range p.Upstream {
		sum += d
	}
	return sum
}

// changes are what was changed in the sandbox before the incremental pass
// and how many of them the index shows after it.
type changes struct {
	Edits, Removals     int
	EditsFound, Removed int
	// Calls are the sandbox's requests while the changes were made (the
	// removals, through the API).
	Calls map[string]int
}

func runIndex(ctx context.Context, o options, command string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, maxIndexRun)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "loadtest: index: "+format+"\n", args...) }
	tmp, err := os.MkdirTemp("", "contactdesk-loadtest-index-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := indexReport{Command: command, Options: o, Started: time.Now()}
	rep.Machine = describeMachine()
	rep.Revision = gitRevision(ctx)
	rep.LoadBefore = loadAverage()
	if l := rep.LoadBefore; l.one > 0.5*float64(rep.Machine.CPUs) {
		logf("warning: load average %.2f on %d CPUs before the run: other work will show in the figures", l.one, rep.Machine.CPUs)
	}
	r := &rep.Run
	r.Generated = o.indexCustomers

	sb := sandbox.New(sandbox.WithGeneratedCustomers(o.indexCustomers))
	base, stop, err := sb.Start()
	if err != nil {
		return err
	}
	defer stop()
	if err := checkLoopbackURL(base); err != nil {
		return err
	}
	cfg := sb.ClientConfig()
	dbPath := filepath.Join(tmp, "index.db")
	logf("building the app (for search through it, at the end)")
	bin, err := buildApp(ctx, tmp)
	if err != nil {
		return err
	}

	// 1. Backfill, between two decode-only runs.
	for i, mode := range []string{childDecode, childBackfill, childDecode} {
		logf("backfill: %s process %d of 3 (%d generated customers, sandbox at %s)", mode, i+1, o.indexCustomers, base)
		run, err := runChild(ctx, sb, childJob{Mode: mode, Client: cfg, DB: dbPath})
		if err != nil {
			return err
		}
		logf("backfill: %s: %d rows in %s, %.0f rows/s, peak RSS %s", mode, run.Rows.Total(), run.Took.Round(time.Millisecond),
			run.RowsPerSecond(), mib(run.PeakRSSKiB))
		if mode == childDecode {
			r.Decode = append(r.Decode, run)
			r.Tenant = run.Rows
		} else {
			r.Backfill = run
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(dbPath + suffix); err == nil {
			r.DBBytes += fi.Size()
		}
	}

	// 2. Search, on the index the backfill wrote.
	h, err := db.OpenSQLite(ctx, dbPath)
	if err != nil {
		return err
	}
	var closeOnce sync.Once
	closeStore := func() { closeOnce.Do(func() { h.Close() }) }
	defer closeStore()
	idx, err := index.Open(ctx, h)
	if err != nil {
		return err
	}
	logf("search: %d queries of each kind", o.indexQueries)
	if err := measureSearch(ctx, sb, idx, o, r); err != nil {
		return err
	}

	// 3. Incremental sync.
	logf("sync: %d empty passes, then %d changes and a pass", emptyPasses, o.indexChanges)
	if err := measureSync(ctx, sb, cfg, idx, o, r); err != nil {
		return err
	}
	closeStore()

	// 4. Search through the app, on the same index.
	logf("app: %d searches of each kind through GET /customers?q=…", o.indexQueries)
	if err := measureApp(ctx, bin, tmp, dbPath, sb, o, r); err != nil {
		// The index's own figures stand: the report says the app's part
		// failed, and why, instead of losing the whole run.
		if ctx.Err() != nil {
			return err
		}
		logf("app: not measured: %v", err)
		r.App, r.AppFailed = nil, err.Error()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped before the end (%w): no report written", err)
	}

	rep.Finished = time.Now()
	rep.LoadAfter = loadAverage()
	return writeReport(o.out, stdout, logf, rep.markdown(), rep.summary(), rep.Finished.Sub(rep.Started))
}

// maxIndexRun stops -index whatever happens.
const maxIndexRun = 15 * time.Minute

// underscored is indexbench.Underscored of each email.
func underscored(emails []string) []string {
	out := make([]string, len(emails))
	for i, e := range emails {
		out[i] = indexbench.Underscored(e)
	}
	return out
}

// searchWarmup is how many queries of each kind run before the timed
// ones, untimed: the first queries read the index's pages from the file.
const searchWarmup = 20

func measureSearch(ctx context.Context, sb *sandbox.Server, idx *index.Store, o options, r *indexRun) error {
	tenant := indexbench.Tenant{Customer: sb.Customer, Contacts: sb.Contacts}
	last := sandbox.SeedCustomerID + int64(o.indexCustomers) + 100
	q := indexbench.Draw(tenant, sandbox.SeedCustomerID, last, o.indexQueries, 1)
	warm := indexbench.Draw(tenant, sandbox.SeedCustomerID, last, searchWarmup, 2)
	if len(q.Emails) < o.indexQueries || len(q.Digits) < o.indexQueries || len(q.Names) < o.indexQueries {
		return fmt.Errorf("search: drew %d emails, %d digits, %d names; want %d of each", len(q.Emails), len(q.Digits), len(q.Names), o.indexQueries)
	}
	search := func(list []string) func(i int) (int, error) {
		return func(i int) (int, error) {
			res, err := idx.Search(ctx, index.ParseQuery(list[i]), 1, searchPageSize)
			return res.Total, err
		}
	}
	ids := func(qs indexbench.Queries) []string {
		out := make([]string, len(qs.IDs))
		for i, id := range qs.IDs {
			out[i] = indexbench.ID(id)
		}
		return out
	}
	streets := locationStreets(sb, sandbox.SeedCustomerID+100, o.indexCustomers, o.indexQueries, 7)
	warmStreets := locationStreets(sb, sandbox.SeedCustomerID+101, o.indexCustomers, searchWarmup, 11)
	if len(streets) < o.indexQueries || len(warmStreets) < searchWarmup {
		return fmt.Errorf("search: drew %d location streets; want %d", len(streets), o.indexQueries)
	}
	type kind struct {
		k          *queryKind
		do, doWarm func(i int) (int, error)
	}
	kinds := []kind{
		{&queryKind{Name: "Store.Customer by id (baseline)", Example: indexbench.ID(q.IDs[0]), Baseline: true},
			func(i int) (int, error) { _, err := idx.Customer(ctx, q.IDs[i]); return 1, err },
			func(i int) (int, error) { _, err := idx.Customer(ctx, warm.IDs[i]); return 1, err }},
		{&queryKind{Name: "Search, a customer id (exact; baseline)", Example: indexbench.ID(q.IDs[0]), Baseline: true},
			search(ids(q)), search(ids(warm))},
		{&queryKind{Name: "Search, a whole email address", Example: q.Emails[0]}, search(q.Emails), search(warm.Emails)},
		{&queryKind{Name: "Search, an email's start with `_` between its letters", Example: indexbench.Underscored(q.Emails[0])},
			search(underscored(q.Emails)), search(underscored(warm.Emails))},
		{&queryKind{Name: "Search, four digits of a phone number", Example: q.Digits[0]}, search(q.Digits), search(warm.Digits)},
		{&queryKind{Name: "Search, a first and a last name", Example: q.Names[0]}, search(q.Names), search(warm.Names)},
		{&queryKind{Name: "Search, a service location's street (number and name)", Example: streets[0]}, search(streets), search(warmStreets)},
	}
	sb.ResetCounters()
	for i := range searchWarmup {
		for _, k := range kinds {
			if _, err := k.doWarm(i); err != nil {
				return fmt.Errorf("search: %s: %w", k.k.Name, err)
			}
		}
	}
	r.Warmup = searchWarmup
	// The kinds take turns, so each meets the same machine.
	for i := range o.indexQueries {
		for _, k := range kinds {
			start := time.Now()
			total, err := k.do(i)
			k.k.Times = append(k.k.Times, time.Since(start))
			if err != nil {
				return fmt.Errorf("search: %s: %w", k.k.Name, err)
			}
			k.k.Totals = append(k.k.Totals, total)
			if total > 0 {
				k.k.Found++
			}
		}
	}
	r.SearchCalls = countCalls(sb, allOps)
	for _, k := range kinds {
		r.Search = append(r.Search, k.k)
	}
	return nil
}

// locationStreets draws n streets of generated customers' service
// locations ("4417 Birch Ave"), from customers spread over the tenant
// (every step-th from first), as staff would type one.
func locationStreets(sb *sandbox.Server, first int64, customers, n, step int) []string {
	var out []string
	for i := 0; len(out) < n && i < customers; i += step {
		for _, l := range sb.Locations(first + int64(i)) {
			if l.Address.Street != "" {
				out = append(out, l.Address.Street)
				break
			}
		}
	}
	return out
}

// searchPageSize is the app's page of results (handlers.searchPageSize).
const searchPageSize = 10

// emptyPasses is how many passes with nothing to read are timed.
const emptyPasses = 5

// removalShare is the share of the changes that remove a contact (through
// the API); the others edit one (Server.SetContact, as another person's
// edit in ServiceTitan).
const removalShare = 10

func measureSync(ctx context.Context, sb *sandbox.Server, cfg client.Config, idx *index.Store, o options, r *indexRun) error {
	var calls callTimer
	st, err := client.New(cfg, client.WithObserver(&calls))
	if err != nil {
		return err
	}
	syncer := index.NewSyncer(st, idx, math.Inf(1), nil)
	pass := func() (syncPass, error) {
		before, err := rowsRead(ctx, idx)
		if err != nil {
			return syncPass{}, err
		}
		sb.ResetCounters()
		calls.reset()
		start := time.Now()
		err = syncer.Pass(ctx)
		p := syncPass{Took: time.Since(start), Upstream: calls.reset(), Calls: countCalls(sb, allOps)}
		if err != nil {
			return p, fmt.Errorf("sync: %w", err)
		}
		after, err := rowsRead(ctx, idx)
		p.Rows = after - before
		return p, err
	}
	for range emptyPasses {
		p, err := pass()
		if err != nil {
			return err
		}
		r.Empty = append(r.Empty, p)
	}

	// The changes: distinct generated customers, one contact each.
	rnd := rand.New(rand.NewPCG(3, 3))
	type change struct {
		customerID int64
		contact    client.Contact
		memo       string
		remove     bool
	}
	var todo []change
	seen := map[int64]bool{}
	first := sandbox.SeedCustomerID + 100 // past the seed customers
	for len(todo) < o.indexChanges {
		id := first + rnd.Int64N(int64(o.indexCustomers)-100)
		cts := sb.Contacts(id)
		if seen[id] || len(cts) == 0 {
			continue
		}
		seen[id] = true
		c := change{customerID: id, contact: cts[rnd.IntN(len(cts))], remove: len(todo)%removalShare == 0}
		c.memo = fmt.Sprintf("Changed ltx%06d", len(todo))
		todo = append(todo, c)
	}
	sb.ResetCounters()
	for _, c := range todo {
		if c.remove {
			if err := st.DeleteContact(ctx, c.customerID, c.contact.ID); err != nil {
				return fmt.Errorf("sync: remove contact %d: %w", c.contact.ID, err)
			}
			r.Changes.Removals++
			continue
		}
		ct := c.contact
		ct.Memo, ct.ModifiedOn = c.memo, time.Now().UTC()
		if !sb.SetContact(c.customerID, ct) {
			return fmt.Errorf("sync: customer %d is not in the sandbox", c.customerID)
		}
		r.Changes.Edits++
	}
	r.Changes.Calls = countCalls(sb, allOps)
	if r.Incremental, err = pass(); err != nil {
		return err
	}
	// What the index shows now: each edit found by its memo, each removed
	// contact gone.
	for _, c := range todo {
		if c.remove {
			cts, err := idx.Contacts(ctx, c.customerID)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(cts, func(ct index.Contact) bool { return ct.ID == c.contact.ID }) {
				r.Changes.Removed++
			}
			continue
		}
		res, err := idx.Search(ctx, index.ParseQuery(c.memo[len("Changed "):]), 1, searchPageSize)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(res.Results, func(x index.Result) bool {
			return x.Customer.ID == c.customerID && x.Contact != nil && x.Contact.ID == c.contact.ID && x.Field == "memo"
		}) {
			r.Changes.EditsFound++
		}
	}
	return nil
}

func rowsRead(ctx context.Context, idx *index.Store) (int64, error) {
	var n int64
	for _, f := range []string{index.FeedCustomers, index.FeedContacts} {
		feed, err := idx.Feed(ctx, f)
		if err != nil {
			return 0, err
		}
		n += feed.RowsRead
	}
	return n, nil
}

// appSearch is search through the app: the binary in sandbox mode with the
// index the backfill wrote as its database.
type appSearch struct {
	Kinds []*queryKind
	// Before and After are the app's own reports around the timed
	// requests; the calls between them are the ServiceTitan calls the
	// searches made.
	Before, After appStats
	// Served says whether the first search was answered from the index
	// (no coverage note, no live search).
	Served bool
	// Logged counts the app's log lines (warnings and errors) by message.
	Logged map[string]int
	// Hygiene are the hygiene report's pages, timed like the searches;
	// HygieneWait is how long after the first pass the app took to check
	// every contact and count the report's sections (the page says so
	// until it has), and HygieneCounts are its counts.
	Hygiene       []*queryKind
	HygieneWait   time.Duration
	HygieneCounts map[string]string
}

// Calls are the app's ServiceTitan calls during the timed searches, by
// operation.
func (s *appSearch) Calls() map[string]int {
	m := map[string]int{}
	for op, n := range s.After.Calls {
		if d := int(n - s.Before.Calls[op]); d != 0 {
			m[op] = d
		}
	}
	return m
}

// measureApp starts the app on the index file (its audit database) with
// the same generated tenant in its embedded sandbox, waits for its first
// sync pass, then times GET /customers?q=… for each kind of query, the
// search page without a query as the baseline.
func measureApp(ctx context.Context, bin, dir, dbPath string, sb *sandbox.Server, o options, r *indexRun) error {
	a, err := startApp(ctx, bin, dir, "index-app", o.host, 0,
		"AUDIT_DB="+dbPath, fmt.Sprintf("SANDBOX_CUSTOMERS=%d", o.indexCustomers), "INDEX_INTERVAL=1h")
	if err != nil {
		return err
	}
	defer a.stop()
	hc := newClient(o.timeout, 4)
	// The app's first pass (at its start) reads from the newest change
	// the index holds (its sandbox signs tokens with a key of its own and
	// refuses the index's): it has ended once the contacts feed was read
	// and the app has made no call for a while.
	deadline := time.Now().Add(2 * time.Minute)
	var seen float64
	quietSince := time.Now()
	for {
		m, err := scrape(ctx, hc, a.url+"/metrics")
		if err != nil {
			return err
		}
		read, calls := false, 0.0
		for _, s := range m {
			if s.name == "contactdesk_servicetitan_call_duration_seconds_count" {
				calls += s.value
				read = read || s.labels["operation"] == sandbox.OpExportContacts && strings.HasPrefix(s.labels["status"], "2") && s.value > 0
			}
		}
		if calls != seen {
			seen, quietSince = calls, time.Now()
		}
		if read && time.Since(quietSince) >= 2*time.Second {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("app: its first sync pass did not end within 2m: %s", a.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	cookies, err := openSessions(ctx, hc, a.url, 1)
	if err != nil {
		return err
	}
	get := func(path string, want ...int) (string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url+path, nil)
		req.Header.Set("Cookie", cookies[0])
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && !slices.Contains(want, resp.StatusCode) {
			err = fmt.Errorf("GET %s: status %d, want %v", path, resp.StatusCode, want)
		}
		return string(body), err
	}
	search := func(q string) string { return "/customers?" + url.Values{"q": {q}}.Encode() }

	// The first pass checks every contact for the hygiene report after
	// it has read the feeds: wait for that too, so no request is timed
	// beside it.
	res := &appSearch{}
	checkStart := time.Now()
	for {
		page, err := get("/hygiene", http.StatusOK)
		if err != nil {
			return fmt.Errorf("app: %w", err)
		}
		if !strings.Contains(page, "data-hygiene-unchecked") {
			res.HygieneWait = time.Since(checkStart)
			res.HygieneCounts = hygieneCounts(page)
			break
		}
		if time.Since(checkStart) > 5*time.Minute {
			return fmt.Errorf("app: the hygiene check did not end within 5m: %s", a.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}

	tenant := indexbench.Tenant{Customer: sb.Customer, Contacts: sb.Contacts}
	last := sandbox.SeedCustomerID + int64(o.indexCustomers) + 100
	q := indexbench.Draw(tenant, sandbox.SeedCustomerID, last, o.indexQueries, 1)
	warm := indexbench.Draw(tenant, sandbox.SeedCustomerID, last, searchWarmup, 2)
	type kind struct {
		k          *queryKind
		path, warm func(i int) string
		status     []int
	}
	ok := []int{http.StatusOK}
	kinds := []kind{
		{&queryKind{Name: "the search page, no query (baseline)", Example: "/customers", Baseline: true},
			func(int) string { return "/customers" }, func(int) string { return "/customers" }, ok},
		// An id that is also part of a phone number is a page of results.
		{&queryKind{Name: "a customer id (exact: 303 to its page, or a page of results when it is part of a number too; baseline)", Example: search(indexbench.ID(q.IDs[0])), Baseline: true},
			func(i int) string { return search(indexbench.ID(q.IDs[i])) }, func(i int) string { return search(indexbench.ID(warm.IDs[i])) },
			[]int{http.StatusSeeOther, http.StatusOK}},
		// An address one customer holds opens that customer.
		{&queryKind{Name: "a whole email address (303 to the customer when one holds it)", Example: search(q.Emails[0])},
			func(i int) string { return search(q.Emails[i]) }, func(i int) string { return search(warm.Emails[i]) },
			[]int{http.StatusOK, http.StatusSeeOther}},
		{&queryKind{Name: "four digits of a phone number", Example: search(q.Digits[0])},
			func(i int) string { return search(q.Digits[i]) }, func(i int) string { return search(warm.Digits[i]) }, ok},
		{&queryKind{Name: "a first and a last name (303 to the customer when one matches)", Example: search(q.Names[0])},
			func(i int) string { return search(q.Names[i]) }, func(i int) string { return search(warm.Names[i]) },
			[]int{http.StatusOK, http.StatusSeeOther}},
	}
	hygieneKinds := []kind{
		{&queryKind{Name: "every section's count and first page", Example: "/hygiene"},
			func(int) string { return "/hygiene" }, func(int) string { return "/hygiene" }, ok},
		{&queryKind{Name: "the shared values' second page", Example: "/hygiene?section=shared&page=2"},
			func(int) string { return "/hygiene?section=shared&page=2" }, func(int) string { return "/hygiene?section=shared&page=2" }, ok},
		{&queryKind{Name: "the placeholder numbers' tenth page", Example: "/hygiene?section=placeholder-phone&page=10"},
			func(int) string { return "/hygiene?section=placeholder-phone&page=10" },
			func(int) string { return "/hygiene?section=placeholder-phone&page=10" }, ok},
	}
	// Four digits always list many customers (an email one customer holds
	// opens it instead): the page says whether the index served it.
	first, err := get(kinds[3].path(0), ok...)
	if err != nil {
		return err
	}
	res.Served = !strings.Contains(first, "data-coverage")
	all := append(slices.Clone(kinds), hygieneKinds...)
	for i := range searchWarmup {
		for _, k := range all {
			if _, err := get(k.warm(i), k.status...); err != nil {
				return fmt.Errorf("app: %w", err)
			}
		}
	}
	if err := a.collect(ctx, hc, &res.Before); err != nil {
		return err
	}
	for i := range o.indexQueries {
		for _, k := range all {
			start := time.Now()
			_, err := get(k.path(i), k.status...)
			k.k.Times = append(k.k.Times, time.Since(start))
			if err != nil {
				return fmt.Errorf("app: %w", err)
			}
		}
	}
	if err := a.collect(ctx, hc, &res.After); err != nil {
		return err
	}
	for _, k := range kinds {
		res.Kinds = append(res.Kinds, k.k)
	}
	for _, k := range hygieneKinds {
		res.Hygiene = append(res.Hygiene, k.k)
	}
	res.Logged = map[string]int{}
	if b, err := os.ReadFile(a.logPath); err == nil {
		for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
			var entry struct{ Level, Msg string }
			if json.Unmarshal([]byte(line), &entry) != nil {
				entry.Level, entry.Msg = "?", line
			}
			if line != "" {
				res.Logged[entry.Level+" "+entry.Msg]++
			}
		}
	}
	r.App = res
	return nil
}

// hygieneCount reads the counts of a /hygiene page.
var hygieneCount = regexp.MustCompile(`data-hygiene-count="([a-z-]+)">(\d+)<`)

func hygieneCounts(page string) map[string]string {
	m := map[string]string{}
	for _, c := range hygieneCount.FindAllStringSubmatch(page, -1) {
		m[c[1]] = c[2]
	}
	return m
}
