// Command loadtest measures contactdesk on this machine and writes the load
// report (docs/load-report.md). It builds the app, runs it as a subprocess
// in sandbox mode on a loopback port and drives it with the vegeta library:
//
//  1. a realistic mix (search, customer page, edit form, save) at a fixed
//     rate, with the sandbox answering after -latency, as ServiceTitan would;
//  2. baselines with -clients concurrent clients and no injected latency: a
//     second sandbox, in this process, called directly (its contact list),
//     and the app's edit page, in alternating rounds, so the two
//     throughputs can be compared; then a few saves without latency.
//
// It talks to loopback addresses only, runs for a bounded time (about a
// minute with the defaults) and stops the app when it ends or is
// interrupted.
//
// With -index it measures the tenant index instead (index.go): a backfill
// of a million contacts from a sandbox beside a decode-only baseline, each
// in a process of its own, search over the full index and an incremental
// sync, in a few minutes.
//
// With -history it measures the History of changes made in ServiceTitan
// instead (history.go): a day of them at a million-contact tenant, the sync
// passes that read them with the History on beside the same passes with it
// off, and the rows the day leaves, in several minutes.
//
// With -bulk it measures a bulk opt-out instead (bulk.go): the preview of
// a 10,000-line list against a 250,000-customer index beside the index
// lookups alone, and the job at BULK_RATE beside the same changes made
// directly, each in a process of its own, in about five minutes.
//
//	go run ./loadtest            # writes docs/load-report.md
//	go run ./loadtest -index     # writes docs/load-report-index.md
//	go run ./loadtest -bulk      # writes docs/load-report-bulk.md
//	go run ./loadtest -history   # writes docs/load-report-history.md
//	go run ./loadtest -h
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/contactdesk/contactdesk/bulk"
)

// liftRateLimit sets the app's ServiceTitan budget (ST_RATE_LIMIT, 50
// calls a second by default) out of reach: this report measures the app's
// own speed, and at 16 clients the budget, not the app, would set the
// pace. The budget itself is tested apart (client and cluster tests).
const liftRateLimit = "ST_RATE_LIMIT=10000"

// options are the command's flags.
type options struct {
	duration   time.Duration
	rate       int
	workers    int
	maxWorkers int
	latency    time.Duration
	clients    int
	baseline   time.Duration
	host       string
	out        string
	timeout    time.Duration

	// -index: the tenant index instead of the app (see index.go).
	index          bool
	indexCustomers int
	indexQueries   int
	indexChanges   int

	// -history: the History of changes made in ServiceTitan instead of
	// the app (see history.go).
	history          bool
	historyCustomers int
	historyChanges   int
	historyIntervals int
	historyBacklogs  int

	// -bulk: a bulk opt-out instead of the app (see bulk.go).
	bulk          bool
	bulkCustomers int
	bulkRows      int
	bulkDuration  time.Duration
}

// Bounds that keep a run short and local.
const (
	maxDuration = 2 * time.Minute
	maxBaseline = 30 * time.Second
	maxRate     = 1000
	// maxIndexCustomers keeps -index within minutes.
	maxIndexCustomers = 1_000_000
	// maxBulkCustomers and maxBulkDuration keep -bulk within minutes.
	maxBulkCustomers = 500_000
	maxBulkDuration  = 2 * time.Minute
	// warmup runs before each baseline measurement and is discarded.
	warmup = time.Second
	// zeroLatencySaveRate paces the saves of the no-latency cross-check
	// (each with an edit form before it): far below saturation, so their
	// latency is the app's own work.
	zeroLatencySaveRate = 10
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if len(os.Args) == 2 && os.Args[1] == indexChildArg {
		err := runIndexChild(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest index-child:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 2 && os.Args[1] == bulkChildArg {
		err := runBulkChild(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadtest bulk-child:", err)
			os.Exit(1)
		}
		return
	}
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted: the app was stopped, no report written")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, string, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long the mix runs (at most "+maxDuration.String()+")")
	fs.IntVar(&o.rate, "rate", 50, fmt.Sprintf("requests per second of the mix (at most %d)", maxRate))
	fs.IntVar(&o.workers, "workers", 8, "vegeta workers the mix starts with")
	fs.IntVar(&o.maxWorkers, "max-workers", 64, "vegeta workers the mix may grow to when the app falls behind")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "ST_SANDBOX_LATENCY of the app during the mix: the time each sandbox (ServiceTitan) answer takes")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients of the baselines (no injected latency)")
	fs.DurationVar(&o.baseline, "baseline", 5*time.Second, fmt.Sprintf("how long each baseline runs, after a 1s warm-up; %d rounds of each (at most %s)", baselineRounds, maxBaseline))
	fs.StringVar(&o.host, "host", "127.0.0.1", "loopback address the app listens on: 127.0.0.1, localhost or ::1")
	fs.StringVar(&o.out, "out", "", "where to write the Markdown report (default docs/load-report.md, with -index docs/load-report-index.md,\n"+
		"with -bulk docs/load-report-bulk.md)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each request")
	fs.BoolVar(&o.index, "index", false, "measure the tenant index instead of the app: a backfill from the sandbox's export feeds beside a\n"+
		"decode-only baseline (each in a process of its own, for its peak RSS), search on the full index, an\n"+
		"incremental sync; the -index-* flags apply, the others do not")
	fs.IntVar(&o.indexCustomers, "index-customers", 281000, fmt.Sprintf("generated customers of the sandbox tenant for -index, 1 to 4 contacts each (at most %d)", maxIndexCustomers))
	fs.IntVar(&o.indexQueries, "index-queries", 500, "queries of each kind -index times (at most 10000)")
	fs.IntVar(&o.indexChanges, "index-changes", 1000, "changes in the sandbox the incremental pass of -index reads (at most 10000)")
	fs.BoolVar(&o.history, "history", false, "measure the History of changes made in ServiceTitan instead of the app: a day of them at a large\n"+
		"tenant, the sync passes reading them with the History on beside the same with it off, and the rows\n"+
		"the day leaves; the -history-* flags apply, the others do not")
	fs.IntVar(&o.historyCustomers, "history-customers", 281000, fmt.Sprintf("generated customers of the sandbox tenant for -history (at most %d)", maxIndexCustomers))
	fs.IntVar(&o.historyChanges, "history-changes", 5000, "changes made in ServiceTitan in -history's day (100 to 50000)")
	fs.IntVar(&o.historyIntervals, "history-intervals", 120, "sync intervals of 60 s -history runs as the app does, each with its share of the day (1 to 1440)")
	fs.IntVar(&o.historyBacklogs, "history-backlogs", 6, "backlogs the rest of -history's day comes in, each read by a pass of each index (1 to 100)")
	fs.BoolVar(&o.bulk, "bulk", false, "measure a bulk opt-out instead of the app: the preview of a list against the index beside the\n"+
		"index lookups alone, and the job at BULK_RATE beside the same changes made directly (each in a\n"+
		"process of its own, for its peak RSS); the -bulk-* flags apply, the others do not")
	fs.IntVar(&o.bulkCustomers, "bulk-customers", 250000, fmt.Sprintf("generated customers of the sandbox tenant for -bulk (at most %d)", maxBulkCustomers))
	fs.IntVar(&o.bulkRows, "bulk-rows", 10000, "lines of the opt-out list -bulk previews and runs (100 to bulk.MaxRows)")
	fs.DurationVar(&o.bulkDuration, "bulk-duration", 75*time.Second, "how long -bulk runs the job at BULK_RATE (at most "+maxBulkDuration.String()+")")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./loadtest [flags]\n\n"+
			"Builds contactdesk, runs it in sandbox mode on a loopback port and measures it with\n"+
			"vegeta: a request mix at -rate for -duration with -latency per sandbox answer, then\n"+
			"-clients concurrent clients against a sandbox called directly and against the app's\n"+
			"edit page (no latency). Writes a Markdown report to -out.\n\n"+
			"With -index, measures the tenant index instead: backfill, search and an incremental sync\n"+
			"against a sandbox tenant of -index-customers customers (see loadtest/index.go).\n\n"+
			"With -history, measures the History of changes made in ServiceTitan instead: a day of\n"+
			"-history-changes changes at a tenant of -history-customers customers (see loadtest/history.go).\n\n"+
			"With -bulk, measures a bulk opt-out instead: the preview of a -bulk-rows list and the job at\n"+
			"BULK_RATE for -bulk-duration against a tenant of -bulk-customers customers (see loadtest/bulk.go).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, "", err
	}
	if fs.NArg() > 0 {
		return o, "", fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	command := []string{"go run ./loadtest"}
	fs.Visit(func(f *flag.Flag) { command = append(command, "-"+f.Name+"="+f.Value.String()) })

	switch {
	case o.duration <= 0 || o.duration > maxDuration:
		return o, "", fmt.Errorf("-duration=%s: want more than 0 and at most %s", o.duration, maxDuration)
	case o.rate < 1 || o.rate > maxRate:
		return o, "", fmt.Errorf("-rate=%d: want 1 to %d", o.rate, maxRate)
	case o.workers < 1 || o.workers > 1024:
		return o, "", fmt.Errorf("-workers=%d: want 1 to 1024", o.workers)
	case o.maxWorkers < o.workers || o.maxWorkers > 1024:
		return o, "", fmt.Errorf("-max-workers=%d: want -workers (%d) to 1024", o.maxWorkers, o.workers)
	case o.latency < 0 || o.latency > time.Second:
		return o, "", fmt.Errorf("-latency=%s: want 0 to 1s", o.latency)
	case o.clients < 1 || o.clients > 256:
		return o, "", fmt.Errorf("-clients=%d: want 1 to 256", o.clients)
	case o.baseline < time.Second || o.baseline > maxBaseline:
		return o, "", fmt.Errorf("-baseline=%s: want 1s to %s", o.baseline, maxBaseline)
	case o.timeout <= 0 || o.timeout > time.Minute:
		return o, "", fmt.Errorf("-timeout=%s: want more than 0 and at most 1m", o.timeout)
	case !isLoopbackHost(o.host):
		return o, "", fmt.Errorf("-host=%q: the load tool runs against loopback only (127.0.0.1, localhost or ::1)", o.host)
	case o.indexCustomers < 1000 || o.indexCustomers > maxIndexCustomers:
		return o, "", fmt.Errorf("-index-customers=%d: want 1000 to %d", o.indexCustomers, maxIndexCustomers)
	case o.indexQueries < 10 || o.indexQueries > 10000:
		return o, "", fmt.Errorf("-index-queries=%d: want 10 to 10000", o.indexQueries)
	case o.indexChanges < 1 || o.indexChanges > 10000:
		return o, "", fmt.Errorf("-index-changes=%d: want 1 to 10000", o.indexChanges)
	case o.bulkCustomers < 1000 || o.bulkCustomers > maxBulkCustomers:
		return o, "", fmt.Errorf("-bulk-customers=%d: want 1000 to %d", o.bulkCustomers, maxBulkCustomers)
	case o.bulkRows < 100 || o.bulkRows > bulk.MaxRows:
		return o, "", fmt.Errorf("-bulk-rows=%d: want 100 to %d", o.bulkRows, bulk.MaxRows)
	case o.bulkDuration < 10*time.Second || o.bulkDuration > maxBulkDuration:
		return o, "", fmt.Errorf("-bulk-duration=%s: want 10s to %s", o.bulkDuration, maxBulkDuration)
	case o.historyCustomers < 1000 || o.historyCustomers > maxIndexCustomers:
		return o, "", fmt.Errorf("-history-customers=%d: want 1000 to %d", o.historyCustomers, maxIndexCustomers)
	case o.historyChanges < 100 || o.historyChanges > 50000:
		return o, "", fmt.Errorf("-history-changes=%d: want 100 to 50000", o.historyChanges)
	case o.historyIntervals < 1 || o.historyIntervals > 1440:
		return o, "", fmt.Errorf("-history-intervals=%d: want 1 to 1440", o.historyIntervals)
	case o.historyBacklogs < 1 || o.historyBacklogs > 100:
		return o, "", fmt.Errorf("-history-backlogs=%d: want 1 to 100", o.historyBacklogs)
	case o.index && o.bulk, o.index && o.history, o.bulk && o.history:
		return o, "", errors.New("-index, -bulk and -history measure different things: choose one")
	}
	if o.out == "" {
		o.out = filepath.Join("docs", "load-report.md")
		if o.index {
			o.out = filepath.Join("docs", "load-report-index.md")
		}
		if o.bulk {
			o.out = filepath.Join("docs", "load-report-bulk.md")
		}
		if o.history {
			o.out = filepath.Join("docs", "load-report-history.md")
		}
	}
	return o, strings.Join(command, " "), nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, command, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.index {
		return runIndex(ctx, o, command, stdout, stderr)
	}
	if o.bulk {
		return runBulk(ctx, o, command, stdout, stderr)
	}
	if o.history {
		return runHistory(ctx, o, command, stdout, stderr)
	}
	// A hard stop whatever happens: the phases, the build and the starts.
	ctx, cancel := context.WithTimeout(ctx, o.duration+(2*baselineRounds+1)*(o.baseline+warmup)+5*time.Minute)
	defer cancel()
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "loadtest: "+format+"\n", args...) }

	tmp, err := os.MkdirTemp("", "contactdesk-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	rep := report{Command: command, Options: o, Started: time.Now()}
	rep.Machine = describeMachine()
	rep.Revision = gitRevision(ctx)
	rep.LoadBefore = loadAverage()
	if l := rep.LoadBefore; l.one > 0.5*float64(rep.Machine.CPUs) {
		logf("warning: load average %.2f on %d CPUs before the run: other work will show in the figures", l.one, rep.Machine.CPUs)
	}

	logf("building the app")
	bin, err := buildApp(ctx, tmp)
	if err != nil {
		return err
	}
	hc := newClient(o.timeout, max(o.maxWorkers, o.clients)+8)

	// 1. The mix, with ServiceTitan's latency.
	logf("mix: starting the app (ST_SANDBOX_LATENCY=%s)", o.latency)
	a, err := startApp(ctx, bin, tmp, "mix", o.host, o.latency, liftRateLimit)
	if err != nil {
		return err
	}
	defer a.stop()
	rep.Version = a.version(ctx, hc)
	logf("mix: %d req/s for %s against %s, beside it the two calls of a save made directly every %s", o.rate, o.duration, a.url, directSaveEvery)
	// The direct baseline runs beside the mix, so that both meet the same
	// machine: timers waking late, CPUs shared with everything else.
	type directResult struct {
		d   directSave
		err error
	}
	beside := make(chan directResult, 1)
	go func() {
		d, err := measureDirectSave(ctx, hc, o.latency, int(o.duration/directSaveEvery), directSaveEvery)
		beside <- directResult{d, err}
	}()
	rep.Mix, err = runMix(ctx, hc, a, plan{weights: realistic, rate: o.rate, duration: o.duration, workers: o.workers, maxWorkers: o.maxWorkers})
	if err != nil {
		return err
	}
	d := <-beside
	if d.err != nil {
		return d.err
	}
	rep.DirectSave = d.d
	if err := a.collect(ctx, hc, &rep.MixApp); err != nil {
		return err
	}
	a.stop()

	// A save beside the plain app's, with the same latency, on a fresh app.
	logf("saves: the app beside the plain app (ST_SANDBOX_LATENCY=%s), %d rounds", o.latency, saveCompareRounds)
	plainBin, err := buildBinary(ctx, tmp, "plainpage", "./loadtest/plainpage")
	if err != nil {
		return err
	}
	as, err := startApp(ctx, bin, tmp, "saves", o.host, o.latency, liftRateLimit)
	if err != nil {
		return err
	}
	defer as.stop()
	ps, err := startApp(ctx, plainBin, tmp, "plainsaves", o.host, o.latency)
	if err != nil {
		return err
	}
	defer ps.stop()
	if rep.Saves, err = compareSaves(ctx, hc, as.url, ps.url, o.latency); err != nil {
		return err
	}
	as.stop()
	ps.stop()
	logf("baseline: the two calls of a save made directly, %d times alone, latency %s", directSaveRounds, o.latency)
	if rep.DirectSaveAlone, err = measureDirectSave(ctx, hc, o.latency, directSaveRounds, 0); err != nil {
		return err
	}

	// 2. Baselines without latency: the sandbox directly and the app, in
	// alternating rounds.
	logf("baseline: starting the app (ST_SANDBOX_LATENCY=0)")
	a0, err := startApp(ctx, bin, tmp, "baseline", o.host, 0, liftRateLimit)
	if err != nil {
		return err
	}
	defer a0.stop()
	logf("baseline: %d rounds of %d clients for %s on a sandbox contact list (directly), then on the app's edit page",
		baselineRounds, o.clients, o.baseline)
	if rep.Base, err = runBaselines(ctx, hc, a0, o, tmp); err != nil {
		return err
	}
	logf("baseline: saves at %d/s for %s (no latency)", zeroLatencySaveRate, o.baseline)
	rep.ZeroSaves, err = runMix(ctx, hc, a0, plan{weights: savesOnly, rate: 2 * zeroLatencySaveRate, duration: o.baseline, workers: 4, maxWorkers: 16})
	if err != nil {
		return err
	}
	if err := a0.collect(ctx, hc, &rep.BaselineApp); err != nil {
		return err
	}
	a0.stop()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stopped before the end (%w): no report written", err)
	}

	rep.Finished = time.Now()
	rep.LoadAfter = loadAverage()
	return writeReport(o.out, stdout, logf, rep.markdown(), rep.summary(), rep.Finished.Sub(rep.Started))
}

// writeReport writes a run's report to out (making its folder), prints
// its summary and says where it went.
func writeReport(out string, stdout io.Writer, logf func(string, ...any), markdown, summary string, took time.Duration) error {
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(out, []byte(markdown), 0o644); err != nil {
		return err
	}
	fmt.Fprint(stdout, summary)
	logf("report written to %s (%s)", out, took.Round(time.Second))
	return nil
}
