package main

// go run ./loadtest -bulk measures a bulk opt-out at full scale and writes
// docs/load-report-bulk.md:
//
//  1. the tenant: a sandbox with -bulk-customers generated customers,
//     served in this process on 127.0.0.1, and its index backfilled into
//     a SQLite file by a process of its own (-index's backfill, the rate
//     limit lifted);
//  2. the list: -bulk-rows lines drawn from that index
//     (bulkbench.Draw: most contacts with marketing on, some off,
//     unknown numbers, repeats, a few invalid lines), written as CSV;
//  3. preview: Parse, Match and SaveDraft of the list in a process of its
//     own, in rounds with the baseline (Parse and the index rows its
//     values name, index.Store.ContactsByValue) in another;
//  4. the job: the draft confirmed and worked by a bulk.Runner in a
//     process of its own, at BULK_RATE (10 calls/s, the default) for
//     -bulk-duration, then paused; then the same job at 50 calls/s, with
//     its share lifted, and at BULK_RATE with every sandbox answer taking
//     20 ms; beside them the baseline, the same change
//     (change.Service.SetPreferences) made directly in a loop without
//     any limiter. The sandbox counts every call by operation; each
//     process counts the calls each row made, by how the row ended.
//
// Each child is this binary run with bulkChildArg, so its peak RSS is its
// own.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/bulk/bulkbench"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/index"
)

// bulkChildArg, as the only argument, runs one step of -bulk (a job read
// from stdin, its result written to stdout) in this process. It is not a
// flag; -h does not list it.
const bulkChildArg = "bulk-child"

// Kinds of bulk child process.
const (
	bulkLookup  = "lookup"
	bulkPreview = "preview"
	bulkJob     = "job"
	bulkDirect  = "direct"
)

// The settings -bulk measures with.
const (
	// bulkRate is BULK_RATE's default: bulk.NewRunner's share when none
	// is set.
	bulkRate = 10
	// appRateLimit is ST_RATE_LIMIT's default, the client's budget in
	// the job's process, as the app makes it.
	appRateLimit = 50
	// fastRate is the share of the job run to show the job is not the
	// bound, fastFor how long it runs.
	fastRate = 50
	fastFor  = 20 * time.Second
	// liftedFor is how long the job runs with its share lifted.
	liftedFor = 3 * time.Second
	// slowLatency is every sandbox answer's time in the run at BULK_RATE
	// as a slow ServiceTitan would answer, slowFor its length.
	slowLatency = 200 * time.Millisecond
	slowFor     = 30 * time.Second
	// directFor and directRows bound the direct baseline, which works the
	// last directRows rows of the job, or its second half when it has
	// fewer than twice as many (the runs of the job work from the first).
	directFor  = 5 * time.Second
	directRows = 3000
	// previewRounds is how many times the preview and its baseline run,
	// taking turns.
	previewRounds = 3
	// maxBulkRun stops -bulk whatever happens.
	maxBulkRun = 12 * time.Minute
)

// Kinds of run of the job.
const (
	runDirect = "direct"
	runMain   = "main"
	runFast   = "fast"
	runLifted = "lifted"
	runSlow   = "slow"
)

// bulkOwner is the person who previews and confirms the list.
var bulkOwner = bulk.Person{Email: "loadtest@contactdesk.example", Name: "Load Test"}

// bulkChildJob is what a bulk child process is asked to do.
type bulkChildJob struct {
	Mode   string
	Client client.Config
	// DB is the SQLite file holding the index, the audit trail and the
	// jobs; List the CSV file.
	DB, List string
	// Job is the job a job or direct process works.
	Job int64
	// PerSecond is the job's share (BULK_RATE); Lifted lifts it (an
	// unlimited share). RateLimit is the client's budget (ST_RATE_LIMIT);
	// 0 sets none.
	PerSecond float64
	Lifted    bool
	RateLimit float64
	// For is how long the job runs before it is paused, or the direct
	// loop at most; From and Rows are the rows (seq, 0-based offset) the
	// direct loop works.
	For        time.Duration
	From, Rows int
}

// bulkChildResult is what a bulk child process did.
type bulkChildResult struct {
	// Took is the work's time, timed in the child (its start and the
	// opening of the database left out); Parse, Match (the lookup, for
	// the baseline) and Save are its parts.
	Took, Parse, Match, Save time.Duration
	// Lines and Values are the list's lines and distinct values; Found
	// the contacts the lookup read.
	Lines, Values, Found int
	// Job is the draft a preview saved; Totals its figures, Rows its
	// contacts; MostMatches the most contacts one matched line named.
	Job         int64
	Totals      bulk.Totals
	Rows        int
	MostMatches int
	// Before and After are the job's rows by state around a job run.
	Before, After bulk.Counts
	// Worked counts the rows worked (job and direct); Ended says the job
	// had no row left before its time was up.
	Worked int
	Ended  bool
	// Tallies are the rows worked by how they ended and the calls each
	// kind made, as the process's client counted them.
	Tallies map[change.Result]bulkbench.Tally
	// Calls are the client's attempts by operation; Upstream the time
	// they took (to each answer's headers).
	Calls    map[string]int
	Upstream time.Duration
	// PeakRSSKiB is the child's VmHWM at its end, -1 when unknown.
	PeakRSSKiB int64
}

// callCount counts a client's calls by operation and their time (a
// client.Observer).
type callCount struct {
	mu    sync.Mutex
	n     map[string]int
	total int64
	took  time.Duration
}

func (c *callCount) Call(op string, _ int, took time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
	c.total++
	c.took += took
}

func (c *callCount) Retry(string, string) {}
func (c *callCount) TokenFetch(bool)      {}

func (c *callCount) byOp() (map[string]int, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for op, n := range c.n {
		out[op] = n
	}
	return out, c.took
}

// runBulkChild runs the job on stdin; the result goes to stdout.
func runBulkChild(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	var job bulkChildJob
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		return fmt.Errorf("read the job: %w", err)
	}
	for _, u := range []string{job.Client.APIURL, job.Client.AuthURL} {
		if err := checkLoopbackURL(u); err != nil {
			return err
		}
	}
	var calls callCount
	opts := []client.Option{client.WithObserver(&calls)}
	if job.RateLimit > 0 {
		opts = append(opts, client.WithRateLimit(job.RateLimit))
	}
	st, err := client.New(job.Client, opts...)
	if err != nil {
		return err
	}
	// The database as the app opens it: the audit trail's (WAL,
	// synchronous NORMAL, one connection), outcomes completed in the
	// background, the index and the jobs in tables of their own.
	h, err := db.OpenSQLite(ctx, job.DB)
	if err != nil {
		return err
	}
	defer h.Close()
	sqlite, err := audit.New(ctx, h)
	if err != nil {
		return err
	}
	store := audit.CompleteInBackground(sqlite, nil)
	defer store.Close()
	idx, err := index.Open(ctx, h)
	if err != nil {
		return err
	}
	jobs, err := bulk.Open(ctx, h)
	if err != nil {
		return err
	}

	var res bulkChildResult
	switch job.Mode {
	case bulkLookup, bulkPreview:
		err = previewChild(ctx, job, idx, jobs, &res)
	case bulkJob, bulkDirect:
		changes, cerr := change.New(change.Config{ServiceTitan: bulkbench.CountCalls(st), Audit: store, TenantID: job.Client.TenantID, Region: bulkbench.Region,
			Budget: 2*job.Client.Timeout + 5*time.Second, Caches: []change.Cache{idx}})
		if cerr != nil {
			return cerr
		}
		counted := &bulkbench.Counted{Changes: changes}
		if job.Mode == bulkJob {
			err = jobChild(ctx, job, jobs, counted, store, &res)
		} else {
			err = directChild(ctx, job, jobs, counted, &res)
		}
		res.Tallies = counted.Tallies()
	default:
		err = fmt.Errorf("no child mode %q", job.Mode)
	}
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	res.Calls, res.Upstream = calls.byOp()
	res.PeakRSSKiB = peakRSS(os.Getpid())
	return json.NewEncoder(stdout).Encode(res)
}

// previewChild reads the list and matches it: the whole preview
// (Parse, Match, SaveDraft, as Service.Preview does after the upload), or
// the baseline (Parse, then the index rows the list's values name).
func previewChild(ctx context.Context, job bulkChildJob, idx *index.Store, jobs *bulk.Store, res *bulkChildResult) error {
	start := time.Now()
	f, err := os.Open(job.List)
	if err != nil {
		return err
	}
	list, err := bulk.Parse(f, bulkbench.Region)
	f.Close()
	if err != nil {
		return err
	}
	res.Parse = time.Since(start)
	res.Lines = len(list.Rows) + len(list.Invalid)
	if job.Mode == bulkLookup {
		values := make([]string, 0, len(list.Rows))
		for _, r := range list.Rows {
			values = append(values, r.Value())
		}
		slices.Sort(values)
		values = slices.Compact(values)
		res.Values = len(values)
		t := time.Now()
		found, err := idx.ContactsByValue(ctx, values)
		if err != nil {
			return err
		}
		res.Match = time.Since(t)
		for _, cs := range found {
			res.Found += len(cs)
		}
		res.Took = time.Since(start)
		return nil
	}
	t := time.Now()
	p, err := bulk.Match(ctx, idx, list, bulkbench.OptOut, filepath.Base(job.List))
	if err != nil {
		return err
	}
	res.Match = time.Since(t)
	t = time.Now()
	if res.Job, err = jobs.SaveDraft(ctx, p, bulkOwner); err != nil {
		return err
	}
	res.Save = time.Since(t)
	res.Took = time.Since(start)
	res.Totals, res.Rows = p.Totals(), len(p.Rows)
	for _, l := range p.Lines {
		if l.Status == bulk.LineMatched {
			res.MostMatches = max(res.MostMatches, l.Matches)
		}
	}
	return nil
}

// jobChild runs a job as one River run of the app would, for job.For:
// it confirms the draft (or resumes the job a run before paused), works
// it with a Runner at job.PerSecond, and pauses it when the time is up
// (the row in hand finishes first).
func jobChild(ctx context.Context, job bulkChildJob, jobs *bulk.Store, counted *bulkbench.Counted, trail audit.Store, res *bulkChildResult) error {
	j, err := jobs.Job(ctx, job.Job)
	if err != nil {
		return err
	}
	switch j.State {
	case bulk.Draft:
		if ok, err := jobs.Confirm(ctx, job.Job, bulkOwner.Email, func(*sql.Tx) error { return nil }); err != nil || !ok {
			return fmt.Errorf("confirm job %d: %v, %w", job.Job, ok, err)
		}
	case bulk.Paused:
		if ok, err := jobs.Move(ctx, job.Job, []bulk.State{bulk.Paused}, bulk.Running, bulkOwner.Email, nil); err != nil || !ok {
			return fmt.Errorf("resume job %d: %v, %w", job.Job, ok, err)
		}
	default:
		return fmt.Errorf("job %d is %s", job.Job, j.State)
	}
	if res.Before, err = jobs.Counts(ctx, job.Job); err != nil {
		return err
	}
	perSecond := job.PerSecond
	if job.Lifted {
		perSecond = math.Inf(1)
	}
	runner := bulk.NewRunner(bulk.RunnerConfig{Store: jobs, Changes: counted, Trail: trail, PerSecond: perSecond})
	var pauseErr error
	pause := time.AfterFunc(job.For, func() {
		_, pauseErr = jobs.Move(context.WithoutCancel(ctx), job.Job, []bulk.State{bulk.Running}, bulk.Paused, bulkOwner.Email, nil)
	})
	start := time.Now()
	for {
		step, err := runner.Work(ctx, job.Job)
		if err != nil {
			pause.Stop()
			return err
		}
		if !step.More {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step.After):
		}
	}
	res.Took = time.Since(start)
	// Stopped before it fired: the job ended before its time.
	res.Ended = pause.Stop()
	if pauseErr != nil {
		return pauseErr
	}
	if res.After, err = jobs.Counts(ctx, job.Job); err != nil {
		return err
	}
	res.Worked = res.After.Done() - res.Before.Done()
	return nil
}

// directChild is the baseline: the change each row of the job asks
// (change.Service.SetPreferences, as the Runner makes it) made directly,
// one contact after another, without the job's machinery and without any
// limiter, for job.Rows rows from job.From, or job.For at most.
func directChild(ctx context.Context, job bulkChildJob, jobs *bulk.Store, counted *bulkbench.Counted, res *bulkChildResult) error {
	j, err := jobs.Job(ctx, job.Job)
	if err != nil {
		return err
	}
	targets, err := jobs.Targets(ctx, job.Job, "", job.From, job.Rows)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, t := range targets {
		if time.Since(start) >= job.For || ctx.Err() != nil {
			break
		}
		counted.SetPreferences(ctx, change.PreferencesRequest{
			Actor:      change.Actor{Email: j.Owner.Email, Name: j.Owner.Name, RequestID: fmt.Sprintf("direct-%d-%d", j.ID, t.Seq)},
			CustomerID: t.CustomerID, ContactID: t.ContactID, Set: j.Action.Set})
		res.Worked++
	}
	res.Took = time.Since(start)
	return nil
}

// bulkProcess is one bulk child process as the parent saw it.
type bulkProcess struct {
	bulkChildResult
	// Wall is the process's life, start to exit.
	Wall time.Duration
	// Calls are the sandbox's requests while it ran, by operation.
	SandboxCalls map[string]int
}

// apiCalls are the sandbox's requests but the token's.
func (p bulkProcess) apiCalls() int {
	return sumCalls(p.SandboxCalls) - p.SandboxCalls[sandbox.OpToken]
}

// CallsPerSecond is the API calls the sandbox counted over the work's
// time.
func (p bulkProcess) CallsPerSecond() float64 {
	if p.Took <= 0 {
		return 0
	}
	return float64(p.apiCalls()) / p.Took.Seconds()
}

// RowsPerSecond is the rows worked over the work's time.
func (p bulkProcess) RowsPerSecond() float64 {
	if p.Took <= 0 {
		return 0
	}
	return float64(p.Worked) / p.Took.Seconds()
}

// jobRun is one run of the job (or of the direct baseline), as measured.
type jobRun struct {
	Name string
	// PerSecond is the share (+Inf: lifted; 0: no limiter at all),
	// RateLimit the client's budget (0: none), Latency every sandbox
	// answer's time.
	PerSecond, RateLimit float64
	Latency              time.Duration
	For                  time.Duration
	// Kind is which run it is (runMain is the one the targets are
	// checked on); Baseline says it is the direct loop, From the first
	// row it works (0-based).
	Kind     string
	Baseline bool
	From     int
	bulkProcess
}

// bulkRun is everything -bulk measured.
type bulkRun struct {
	Generated int
	Backfill  childRun
	DBBytes   int64
	ListBytes int
	Mix       bulkbench.Mix
	Lookups   []bulkProcess
	Previews  []bulkProcess
	Job       int64
	Runs      []*jobRun
}

func runBulk(ctx context.Context, o options, command string, stdout, stderr io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, maxBulkRun)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "loadtest: bulk: "+format+"\n", args...) }
	tmp, err := os.MkdirTemp("", "contactdesk-loadtest-bulk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := bulkReport{Command: command, Options: o, Started: time.Now()}
	rep.Machine = describeMachine()
	rep.Revision = gitRevision(ctx)
	rep.LoadBefore = loadAverage()
	if l := rep.LoadBefore; l.one > 0.5*float64(rep.Machine.CPUs) {
		logf("warning: load average %.2f on %d CPUs before the run: other work will show in the figures", l.one, rep.Machine.CPUs)
	}
	r := &rep.Run
	r.Generated = o.bulkCustomers

	// 1. The tenant, and its index.
	sb := sandbox.New(sandbox.WithGeneratedCustomers(o.bulkCustomers))
	base, stop, err := sb.Start()
	if err != nil {
		return err
	}
	defer stop()
	if err := checkLoopbackURL(base); err != nil {
		return err
	}
	cfg := sb.ClientConfig()
	cfg.Timeout = client.DefaultTimeout
	dbPath := filepath.Join(tmp, "contactdesk.db")
	logf("backfill: the index of %d generated customers (sandbox at %s), the rate limit lifted", o.bulkCustomers, base)
	if r.Backfill, err = runChild(ctx, sb, childJob{Mode: childBackfill, Client: cfg, DB: dbPath}); err != nil {
		return err
	}
	logf("backfill: %d rows in %s", r.Backfill.Rows.Total(), r.Backfill.Took.Round(time.Millisecond))
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(dbPath + suffix); err == nil {
			r.DBBytes += fi.Size()
		}
	}

	// 2. The list, drawn from the index.
	listPath := filepath.Join(tmp, "optouts.csv")
	if err := drawList(ctx, dbPath, listPath, o, r); err != nil {
		return err
	}
	logf("list: %d lines (%d bytes): %+v", r.Mix.Lines(), r.ListBytes, r.Mix)

	// 3. Preview, taking turns with its baseline.
	for i := range previewRounds {
		for _, mode := range []string{bulkLookup, bulkPreview} {
			var p bulkProcess
			p.Wall, p.SandboxCalls, err = runProcess(ctx, sb, bulkChildArg, mode, bulkChildJob{Mode: mode, Client: cfg, DB: dbPath, List: listPath}, &p.bulkChildResult)
			if err != nil {
				return err
			}
			logf("preview round %d of %d: %s: %s (parse %s), peak RSS %s", i+1, previewRounds, mode, p.Took.Round(time.Millisecond),
				p.Parse.Round(time.Millisecond), mib(p.PeakRSSKiB))
			if mode == bulkLookup {
				r.Lookups = append(r.Lookups, p)
			} else {
				r.Previews = append(r.Previews, p)
			}
		}
	}
	first := r.Previews[0]
	r.Job = first.Job

	// 4. The job, and beside it the baseline.
	runs := []*jobRun{
		{Kind: runDirect, Name: "SetPreferences directly, no limiter (baseline)", Baseline: true, For: directFor},
		{Kind: runMain, Name: fmt.Sprintf("**job at BULK_RATE=%d**", bulkRate), PerSecond: bulkRate, RateLimit: appRateLimit, For: o.bulkDuration},
		{Kind: runFast, Name: fmt.Sprintf("job at %d/s", fastRate), PerSecond: fastRate, RateLimit: appRateLimit, For: fastFor},
		{Kind: runLifted, Name: "job, share lifted", PerSecond: math.Inf(1), For: liftedFor},
		{Kind: runSlow, Name: fmt.Sprintf("job at BULK_RATE=%d, sandbox answers in %s", bulkRate, slowLatency), PerSecond: bulkRate, RateLimit: appRateLimit,
			Latency: slowLatency, For: slowFor},
	}
	for _, run := range runs {
		job := bulkChildJob{Mode: bulkJob, Client: cfg, DB: dbPath, Job: r.Job, RateLimit: run.RateLimit, For: run.For}
		if math.IsInf(run.PerSecond, 1) {
			job.Lifted = true
		} else {
			job.PerSecond = run.PerSecond
		}
		if run.Baseline {
			run.From = max(first.Rows-directRows, first.Rows/2)
			job.Mode, job.From, job.Rows = bulkDirect, run.From, first.Rows-run.From
		}
		sb.SetLatency(run.Latency)
		logf("%s for %s", run.Name, run.For)
		run.Wall, run.SandboxCalls, err = runProcess(ctx, sb, bulkChildArg, job.Mode, job, &run.bulkChildResult)
		sb.SetLatency(0)
		if err != nil {
			return err
		}
		logf("%s: %d rows in %s, %.1f rows/s, %.2f calls/s, peak RSS %s", run.Name, run.Worked, run.Took.Round(time.Millisecond),
			run.RowsPerSecond(), run.CallsPerSecond(), mib(run.PeakRSSKiB))
		r.Runs = append(r.Runs, run)
		if run.Ended {
			logf("the job has no row left: the runs after this one are left out (a longer list, -bulk-rows, has rows for them all)")
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped before the end (%w): no report written", err)
	}

	rep.Finished = time.Now()
	rep.LoadAfter = loadAverage()
	return writeReport(o.out, stdout, logf, rep.markdown(), rep.summary(), rep.Finished.Sub(rep.Started))
}

// drawList draws the list from the index the backfill wrote and writes it
// to path.
func drawList(ctx context.Context, dbPath, path string, o options, r *bulkRun) error {
	h, err := db.OpenSQLite(ctx, dbPath)
	if err != nil {
		return err
	}
	defer h.Close()
	idx, err := index.Open(ctx, h)
	if err != nil {
		return err
	}
	csv, mix, err := bulkbench.Draw(ctx, idx, sandbox.SeedCustomerID, sandbox.SeedCustomerID+int64(o.bulkCustomers)+100, o.bulkRows, 1)
	if err != nil {
		return err
	}
	r.Mix, r.ListBytes = mix, len(csv)
	if err := os.WriteFile(path, csv, 0o600); err != nil {
		return err
	}
	return h.Close()
}
