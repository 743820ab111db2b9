package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/change"
)

// Targets of a bulk job, as issue #16 states them.
const (
	targetPreview      = 5 * time.Second
	targetShare        = 0.9
	targetCallsChanged = 2.0
	// targetRSSKiB (64 MiB) holds for the preview's and the job's
	// processes too.
)

// bulkReport is what go run ./loadtest -bulk writes.
type bulkReport struct {
	Command           string
	Options           options
	Started, Finished time.Time
	Machine           machine
	Revision          string
	LoadBefore        loadavg
	LoadAfter         loadavg
	Run               bulkRun
}

// run is the run of a kind (an empty one when it did not run).
func (r *bulkRun) run(kind string) *jobRun {
	for _, run := range r.Runs {
		if run.Kind == kind {
			return run
		}
	}
	return &jobRun{Kind: kind}
}

// main is the run at BULK_RATE the targets are checked on.
func (r *bulkRun) main() *jobRun { return r.run(runMain) }

func (r *bulkRun) direct() *jobRun { return r.run(runDirect) }

// lastJob is the last run of the job (not the baseline).
func (r *bulkRun) lastJob() *jobRun {
	for _, run := range slices.Backward(r.Runs) {
		if !run.Baseline {
			return run
		}
	}
	return &jobRun{}
}

func took(ps []bulkProcess, part func(bulkProcess) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = part(p)
	}
	slices.Sort(out)
	return out
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)/2]
}

func maxRSS(ps []bulkProcess) int64 {
	m := int64(-1)
	for _, p := range ps {
		m = max(m, p.PeakRSSKiB)
	}
	return m
}

func rssList(ps []bulkProcess) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = mib(p.PeakRSSKiB)
	}
	return strings.Join(parts, ", ")
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// share is calls/s over the run's share.
func (run *jobRun) share() float64 {
	if run.PerSecond <= 0 || math.IsInf(run.PerSecond, 1) {
		return math.NaN()
	}
	return run.CallsPerSecond() / run.PerSecond
}

// tallied is the calls the rows made, as the process counted them.
func (run *jobRun) tallied() int64 {
	var n int64
	for _, t := range run.Tallies {
		n += t.Calls
	}
	return n
}

func (run *jobRun) rows(r change.Result) int64 { return run.Tallies[r].Contacts }

// others counts the rows that ended otherwise than changed or unchanged.
func (run *jobRun) others() int64 {
	var n int64
	for r, t := range run.Tallies {
		if r != change.Saved && r != change.NoChange {
			n += t.Contacts
		}
	}
	return n
}

func (rep *bulkReport) checks() []check {
	r := &rep.Run
	var out []check
	previews, lookups := took(r.Previews, func(p bulkProcess) time.Duration { return p.Took }), took(r.Lookups, func(p bulkProcess) time.Duration { return p.Took })
	slowest := time.Duration(0)
	if len(previews) > 0 {
		slowest = previews[len(previews)-1]
	}
	out = append(out, check{fmt.Sprintf("Preview of the %d-line list against %d customers: Parse, Match, SaveDraft (the slowest of %d processes)",
		r.Mix.Lines(), r.Generated, len(previews)),
		fmt.Sprintf("%s (median %s; baseline, Parse and ContactsByValue of its values: median %s)", secs(slowest), secs(median(previews)), secs(median(lookups))),
		"< " + secs(targetPreview), len(previews) > 0 && slowest < targetPreview})
	rss := maxRSS(r.Previews)
	out = append(out, check{"Peak RSS of the preview's process (VmHWM, the largest)",
		fmt.Sprintf("%s (baseline processes: %s)", mib(rss), rssList(r.Lookups)), "< 64 MiB", rss >= 0 && rss < targetRSSKiB})
	calls := 0
	for _, p := range r.Previews {
		calls += sumCalls(p.SandboxCalls)
	}
	out = append(out, check{"Calls to ServiceTitan during the previews (the sandbox's count)", fmt.Sprint(calls), "0", calls == 0})

	m := r.main()
	share := m.share()
	out = append(out, check{fmt.Sprintf("Job at BULK_RATE=%d for %s: calls to ServiceTitan a second (the sandbox's count) ÷ BULK_RATE", bulkRate, m.For),
		fmt.Sprintf("%.3f (%.2f calls/s; %d rows, %.2f rows/s)", share, m.CallsPerSecond(), m.Worked, m.RowsPerSecond()),
		fmt.Sprintf("≥ %.1f", targetShare), share >= targetShare})
	changed, unchanged := m.Tallies[change.Saved], m.Tallies[change.NoChange]
	out = append(out, check{"Calls per contact changed (job at BULK_RATE; counted per row in the job's process)",
		fmt.Sprintf("%.2f (%d contacts, %d calls)", changed.PerContact(), changed.Contacts, changed.Calls),
		fmt.Sprintf("≤ %.0f", targetCallsChanged), changed.Contacts > 0 && changed.PerContact() <= targetCallsChanged})
	out = append(out, check{"Calls per contact already as asked (job at BULK_RATE)",
		fmt.Sprintf("%.2f (%d contacts, %d calls)", unchanged.PerContact(), unchanged.Contacts, unchanged.Calls),
		"1", unchanged.Contacts > 0 && unchanged.Calls == unchanged.Contacts})
	out = append(out, check{"Every call the sandbox counted during the job at BULK_RATE is a row's (the token's left out)",
		fmt.Sprintf("sandbox %d, rows %d", m.apiCalls(), m.tallied()), "equal", int64(m.apiCalls()) == m.tallied()})
	var jobs []bulkProcess
	for _, run := range r.Runs {
		if !run.Baseline {
			jobs = append(jobs, run.bulkProcess)
		}
	}
	jrss := maxRSS(jobs)
	out = append(out, check{"Peak RSS of the job's process (VmHWM, the largest of the job's runs)",
		fmt.Sprintf("%s (at BULK_RATE: %s; direct baseline: %s)", mib(jrss), mib(m.PeakRSSKiB), mib(r.direct().PeakRSSKiB)),
		"< 64 MiB", jrss >= 0 && jrss < targetRSSKiB})
	d := r.direct()
	reached := r.lastJob().After.Done()
	out = append(out, check{"The job's runs stayed clear of the rows the direct baseline changed",
		fmt.Sprintf("rows 1 to %d worked; the baseline's from %d", reached, d.From+1), "clear", d.Baseline && reached <= d.From})
	return out
}

func (rep *bulkReport) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	r := &rep.Run

	w("# Load report: bulk opt-out\n\n")
	w("Written by `go run ./loadtest -bulk` (see loadtest/bulk.go); the app's own load report is\n")
	w("[load-report.md](load-report.md), the tenant index's [load-report-index.md](load-report-index.md).\n")
	w("Timing targets are checked here and in the benchmarks (`bulk/bench_test.go`), never in unit tests;\n")
	w("each figure stands beside a baseline measured in the same run on the same machine.\n\n")
	w("- Date: %s\n", rep.Started.UTC().Format("2006-01-02 15:04 MST"))
	w("- Machine: %d CPUs, %s, %s RAM, %s\n", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.MemTotal, rep.Machine.OSArch)
	w("- Go: %s (checkout %s)\n", rep.Machine.Go, rep.Revision)
	if len(rep.Machine.Env) > 0 {
		w("- Runtime settings passed to the child processes: `%s`\n", strings.Join(rep.Machine.Env, " "))
	}
	w("- Command: `%s`\n", rep.Command)
	w("- Load average (1, 5, 15 min) before the run: %s; after it (its own load included): %s\n", rep.LoadBefore, rep.LoadAfter)
	w("- Run time: %s\n", rep.Finished.Sub(rep.Started).Round(time.Second))
	w("- Tenant: the sandbox with %d generated customers (`sandbox.WithGeneratedCustomers`) after its seed,\n", r.Generated)
	w("  served in the load tool's process on 127.0.0.1: %d customers and %d contacts in the index.\n", r.Backfill.Held.Customers, r.Backfill.Held.Contacts)
	w("- Database: one SQLite file, as the app keeps it (`db.OpenSQLite`: WAL, synchronous NORMAL, one\n")
	w("  connection): the index, the audit trail and the bulk jobs; %.0f MiB with its WAL after the backfill.\n\n", float64(r.DBBytes)/(1<<20))
	if rep.LoadBefore.one > 0.5*float64(rep.Machine.CPUs) {
		w("> **The machine was busy with other work when this run began** (load average %.2f on %d CPUs):\n", rep.LoadBefore.one, rep.Machine.CPUs)
		w("> the times below include waiting for CPUs the run did not have to itself.\n\n")
	}

	w("## Targets\n\n| Measure | Measured | Target | Result |\n|---|---|---|---|\n")
	for _, c := range rep.checks() {
		w("| %s | %s | %s | %s |\n", c.What, c.Measured, c.Target, passFail(c.Pass))
	}

	w("\n## The index\n\n")
	bf := r.Backfill
	w("Backfilled once, before anything is measured, by a process of its own (this binary again,\n")
	w("`loadtest index-child`, as `-index` does): one `Syncer.Pass` from the start of the four export feeds\n")
	w("into an empty index, %d rows in %s (%.0f rows/s), peak RSS %s; the sandbox counted %s.\n",
		bf.Rows.Total(), bf.Took.Round(time.Millisecond), bf.RowsPerSecond(), mib(bf.PeakRSSKiB), callList(bf.Calls))
	w("**The rate limit is lifted for the backfill**: its client has no `ST_RATE_LIMIT` budget and the sync\n")
	w("no `INDEX_RATE` share; in the app it would take much longer (see load-report-index.md). The jobs'\n")
	w("runs below have their limits, as stated with each.\n")

	w("\n## The list\n\n")
	mx := r.Mix
	w("%d lines (%d bytes of CSV: a header `value`, then one phone number or email address a line), drawn\n", mx.Lines(), r.ListBytes)
	w("from the index at random (`bulkbench.Draw`, the same with every run), the number of lines of each\n")
	w("kind fixed:\n\n")
	w("| Lines | Drawn as |\n|---:|---|\n")
	w("| %d | the value of a contact whose marketing updates are on (a mobile or landline number, or an email) |\n", mx.On)
	w("| %d | the value of a contact whose marketing updates are already off |\n", mx.Off)
	w("| | of these %d, %d phone numbers and %d email addresses; numbers written as people write them, `(217) 555-0177`, `+1 217 555 0177`, `217.555.0177`…, some addresses with capitals |\n", mx.On+mx.Off, mx.Phones, mx.Emails)
	w("| %d | a valid number (in the tenant's area codes) or address no contact holds |\n", mx.Unknown)
	w("| %d | an earlier line's value again, written another way |\n", mx.Duplicate)
	w("| %d | not a phone number or an email (`n/a`, `call office`, `jsmith@`, `555-0123`…) |\n", mx.Invalid)
	w("| %d | a placeholder address thousands of contacts hold (`noemail@gmail.com`, `none@none.com`) |\n", mx.Placeholder)
	if len(r.Previews) > 0 {
		p := r.Previews[0]
		t := p.Totals
		w("\nThe preview matched it to %d contacts: %d to change and %d already as asked, as the index shows\n", p.Rows, t.Change, t.Unchanged)
		w("them; %d lines unmatched, %d invalid (placeholders included), %d repeating an earlier line; %d lines\n", t.Unmatched, t.Invalid, t.Duplicate, t.Shared)
		w("name a value several customers hold, so a line may match several contacts (up to %d here).\n", p.MostMatches)
		w("Most of those are addresses: the generated tenant makes a person's from their name\n")
		w("(`maria.garcia@example.com`, on one of three domains), so in a tenant this size a common name's\n")
		w("address is held by many customers, more than a real tenant's would be; and a property manager's\n")
		w("is shared by five. That makes the list name more contacts than a real one of its length, so\n")
		w("the preview here does more work than it would. The job's rows are those %d contacts.\n", p.Rows)
	}

	w("\n## Preview\n\n")
	w("Each run is a process of its own (`loadtest bulk-child`), opening the database as the app does and\n")
	w("reading the list from a file: the preview is `bulk.Parse`, `bulk.Match` (the index only: no call to\n")
	w("ServiceTitan) and `Store.SaveDraft` (the lines and rows, in one transaction), what\n")
	w("`Service.Preview` does after an upload. The baseline is the floor of any preview: `bulk.Parse`,\n")
	w("then the index rows the list's values name, read by `index.Store.ContactsByValue` (500 values a\n")
	w("query), and nothing else. The two take turns, %d times each. Time is the work timed inside the\n", previewRounds)
	w("process; the process column adds its start, the opening of the database and its exit.\n\n")
	w("| Run | Parse | Match (baseline: the lookup) | SaveDraft | **Time** | Process (start to exit) | Peak RSS (VmHWM) |\n")
	w("|---|---:|---:|---:|---:|---:|---:|\n")
	for i := range max(len(r.Previews), len(r.Lookups)) {
		if i < len(r.Lookups) {
			l := r.Lookups[i]
			w("| baseline %d: Parse, ContactsByValue (%d values, %d contacts) | %s | %s | | %s | %s | %s |\n", i+1, l.Values, l.Found,
				secs(l.Parse), secs(l.Match), secs(l.Took), secs(l.Wall), mib(l.PeakRSSKiB))
		}
		if i < len(r.Previews) {
			p := r.Previews[i]
			w("| **preview %d** (%d lines, %d contacts) | %s | %s | %s | **%s** | %s | %s |\n", i+1, p.Lines, p.Rows,
				secs(p.Parse), secs(p.Match), secs(p.Save), secs(p.Took), secs(p.Wall), mib(p.PeakRSSKiB))
		}
	}
	previews, lookups := took(r.Previews, func(p bulkProcess) time.Duration { return p.Took }), took(r.Lookups, func(p bulkProcess) time.Duration { return p.Took })
	w("\nThe preview took %s at the median, %s more than its baseline (%s): matching line by line,\n", secs(median(previews)), secs(median(previews)-median(lookups)), secs(median(lookups)))
	w("reading the contacts' customers for their names, and writing the draft. Parsing is most of the\n")
	w("baseline: each phone number is read as people write it (libphonenumber).\n")

	w("\n## The job\n\n")
	m := r.main()
	w("The first preview's draft, confirmed (`Store.Confirm`) and worked by a `bulk.Runner` in a process\n")
	w("of its own, as one River run of the app would (`Runner.Work` with one worker name): each row is\n")
	w("claimed, changed through `change.Service.SetPreferences` (one read of the customer's contacts, then a\n")
	w("PATCH only when the flag differs, each attempt in the audit trail, the index told of the write) and\n")
	w("finished, the calls taking turns of the jobs' share (`client.Background` with a `rate.Limiter`, burst\n")
	w("1): `RunnerConfig.PerSecond`, which the app sets from BULK_RATE (default %d calls/s). Each run\n", bulkRate)
	w("ends when its time is up by pausing the job (`Store.Move`, as the Pause button does: the row in hand\n")
	w("finishes); the next run resumes it, so the runs work the rows in order, one after the other.\n")
	w("The client is the app's, with `ST_RATE_LIMIT=%d` (its default) unless said otherwise, and\n", appRateLimit)
	w("the sandbox answers at once unless said otherwise.\n\n")
	w("The baseline is the sandbox's capacity for the same work: `SetPreferences` called directly for the\n")
	w("job's rows from row %d on (rows the job's runs do not reach), one after another, with no job\n", r.direct().From+1)
	w("around it and no limiter at all (no share, no `ST_RATE_LIMIT`), for %s at most.\n\n", directFor)
	w("Calls are counted twice: by the sandbox, every request by operation while the process ran\n")
	w("(calls/s is its count, the token's left out, over the work's time), and in the process, the\n")
	w("calls made for each row (by its context, rows worked side by side told apart), by how the row ended.\n\n")
	w("| Run | Share | ST_RATE_LIMIT | Sandbox answers in | Time | Rows (changed, as asked, other) | rows/s | Calls (sandbox) | calls/s | calls/s ÷ share | Calls per changed | per as asked | Peak RSS | Sandbox calls |\n")
	w("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, run := range r.Runs {
		shareText, limit, ratio := "none", "none", "–"
		switch {
		case math.IsInf(run.PerSecond, 1):
			shareText = "lifted"
		case run.PerSecond > 0:
			shareText = fmt.Sprintf("%g/s", run.PerSecond)
			ratio = fmt.Sprintf("%.3f", run.share())
		}
		if run.RateLimit > 0 {
			limit = fmt.Sprintf("%g/s", run.RateLimit)
		}
		latency := "at once"
		if run.Latency > 0 {
			latency = ms(run.Latency)
		}
		w("| %s | %s | %s | %s | %s | %d (%d, %d, %d) | %.1f | %d | %.2f | %s | %.2f | %.2f | %s | %s |\n", run.Name, shareText, limit,
			latency, secs(run.Took), run.Worked, run.rows(change.Saved), run.rows(change.NoChange), run.others(),
			run.RowsPerSecond(), run.apiCalls(), run.CallsPerSecond(), ratio,
			run.Tallies[change.Saved].PerContact(), run.Tallies[change.NoChange].PerContact(), mib(run.PeakRSSKiB), callList(run.SandboxCalls))
	}
	d := r.direct()
	w("\nAt BULK_RATE=%d the job made %.2f calls a second, %.3f of its share, and worked %.2f rows a\n", bulkRate, m.CallsPerSecond(), m.share(), m.RowsPerSecond())
	w("second: a changed contact costs two calls (the read and the PATCH), one already as asked one\n")
	w("(the read), so rows/s is the share over the calls a row makes on average. The sandbox and the app\n")
	w("could do much more: the same changes made directly ran at %.0f calls/s (%.0f rows/s),\n", d.CallsPerSecond(), d.RowsPerSecond())
	if fast, lifted, slow := r.run(runFast), r.run(runLifted), r.run(runSlow); slow.Took > 0 {
		w("and the job itself kept up with a share of %g/s (%.3f of it) and, with its share lifted, made\n", fast.PerSecond, fast.share())
		w("%.0f calls/s (%.0f rows/s). The limiter, not the app, is what bounds the job.\n\n", lifted.CallsPerSecond(), lifted.RowsPerSecond())
		perCall := time.Duration(0)
		if n := lifted.apiCalls(); n > 0 {
			perCall = lifted.Took / time.Duration(n)
		}
		w("With its share lifted, a call and its part of the row's work (the job's reads and writes of its\n")
		w("rows, the audit trail, the index) took %s on average; at BULK_RATE=%d each call has %s. The\n", ms(perCall), bulkRate, ms(time.Second/bulkRate))
		w("job works up to %d rows side by side (a row's calls one after the other), so a ServiceTitan that\n", bulk.Parallel)
		w("answers in L keeps it below %d/(L + %s) calls a second whatever its share. The run with every\n", bulk.Parallel, ms(perCall))
		w("answer taking %s (a slow ServiceTitan) still made %.3f of its share. Answers slower than about\n", ms(slow.Latency), slow.share())
		w("%.0f ms would leave part of a share of %d unused, and slower than about %.0f ms would take the job\n",
			(time.Second*bulk.Parallel/bulkRate-perCall).Seconds()*1000, bulkRate, (time.Second*10*bulk.Parallel/(9*bulkRate)-perCall).Seconds()*1000)
		w("below the 0.9 target.\n")
	}
	w("\nCalls per contact are the process's count of the calls the change service made for each row\n")
	w("(`bulkbench.CountCalls` around its client, by the row's context, so rows worked side by side are\n")
	w("told apart; `bulkbench.Counted` tallies them by how the row ended): the sandbox's count of the same run (the\n")
	w("token's left out) is their sum, and the targets table checks they agree. No row was retried or\n")
	w("failed unless the other column says so. Peak RSS is each process's VmHWM, read from\n")
	w("`/proc/self/status` as it ends; the sandbox's memory is the load tool's, not the child's.\n")

	w("\n## In process\n\n")
	w("`BenchmarkPreview` and `BenchmarkJob` (`bulk/bench_test.go`) measure the same in one process on a\n")
	w("smaller tenant (`BULK_BENCH_CUSTOMERS`, 20000 by default; lists of `BULK_BENCH_ROWS`, 2000, and\n")
	w("`BULK_BENCH_JOB_ROWS`, 200), the job with its share lifted beside `SetPreferences` called directly:\n\n")
	w("    go test -run '^$' -bench . ./bulk/\n")
	return b.String()
}

// summary is the targets table for the terminal.
func (rep *bulkReport) summary() string {
	var b strings.Builder
	for _, c := range rep.checks() {
		fmt.Fprintf(&b, "%-6s %s: %s (target %s)\n", strings.Trim(passFail(c.Pass), "*"), c.What, c.Measured, c.Target)
	}
	return b.String()
}
