package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Targets of the index, as issue #15 states them.
const (
	targetSearchP99 = 50 * time.Millisecond
	// targetHygieneP99 is issue #17's: the report renders in under 1 s.
	targetHygieneP99 = time.Second
	// targetRSSKiB (64 MiB) holds for the backfill's process too.
)

// indexReport is what go run ./loadtest -index writes.
type indexReport struct {
	Command           string
	Options           options
	Started, Finished time.Time
	Machine           machine
	Revision          string
	LoadBefore        loadavg
	LoadAfter         loadavg
	Run               indexRun
}

// decodeRate is the mean rows/s of the decode-only runs.
func (r *indexRun) decodeRate() float64 {
	sum := 0.0
	for _, d := range r.Decode {
		sum += d.RowsPerSecond()
	}
	return sum / float64(max(len(r.Decode), 1))
}

// backfillRatio is the backfill's rate over the decode-only runs' mean
// rate (issue #30's target: 0.4 or more).
func (r *indexRun) backfillRatio() float64 {
	if d := r.decodeRate(); d > 0 {
		return r.Backfill.RowsPerSecond() / d
	}
	return 0
}

// cpuRatio is the decode-only runs' mean CPU time a row over the
// backfill's: what backfillRatio would be with a CPU for each process.
func (r *indexRun) cpuRatio() float64 {
	var perRow float64
	for _, d := range r.Decode {
		perRow += d.CPU.Seconds() / float64(max(d.Rows.Total(), 1)) / float64(len(r.Decode))
	}
	b := r.Backfill.CPU.Seconds() / float64(max(r.Backfill.Rows.Total(), 1))
	if b <= 0 {
		return 0
	}
	return perRow / b
}

func (r *indexRun) emptyMedian() syncPass {
	passes := slices.Clone(r.Empty)
	slices.SortFunc(passes, func(a, b syncPass) int { return int(a.Took - b.Took) })
	if len(passes) == 0 {
		return syncPass{}
	}
	return passes[len(passes)/2]
}

func (rep *indexReport) checks() []check {
	r := &rep.Run
	var out []check
	b := r.Backfill
	complete := b.Backfilled && b.Held.Customers == r.Tenant.Customers && b.Held.Contacts == r.Tenant.Contacts
	out = append(out, check{"Backfill complete: the four feeds read to their end, every customer held",
		fmt.Sprintf("%d of %d customers, %d contacts (%d contact rows in the feed); %d service locations and %d of their contacts (%d and %d rows in their two feeds)",
			b.Held.Customers, r.Tenant.Customers, b.Held.Contacts, r.Tenant.Contacts, b.Held.Locations, b.Held.LocationContacts,
			r.Tenant.Locations, r.Tenant.LocationContacts),
		"all", complete})
	out = append(out, check{"Backfill's rate beside the decode-only rate (the same four feeds, the mean of its two runs)",
		fmt.Sprintf("%.2f× (%.0f rows/s beside %.0f; in CPU time a row %.2f×)", r.backfillRatio(), b.RowsPerSecond(), r.decodeRate(), r.cpuRatio()),
		"≥ 0.40×", r.backfillRatio() >= targetBackfillRatio})
	out = append(out, check{"Peak RSS of the backfill's process (VmHWM)",
		fmt.Sprintf("%s (decode-only processes: %s)", mib(b.PeakRSSKiB), rep.decodeRSS()),
		"< 64 MiB", b.PeakRSSKiB >= 0 && b.PeakRSSKiB < targetRSSKiB})
	for _, k := range r.Search {
		if k.Baseline {
			continue
		}
		p99 := k.p(99)
		out = append(out, check{fmt.Sprintf("%s: p99 of %d (SQLite, full index)", k.Name, len(k.Times)),
			fmt.Sprintf("%s (p50 %s)", ms(p99), ms(k.p(50))), "< " + ms(targetSearchP99), p99 < targetSearchP99})
	}
	calls := sumCalls(r.SearchCalls)
	out = append(out, check{"Calls to ServiceTitan (the sandbox's count) during the search phase",
		fmt.Sprint(calls), "0", calls == 0})
	if r.AppFailed != "" {
		out = append(out, check{"Search through the app", "not measured: " + truncate(r.AppFailed, 200), "measured", false})
	}
	if a := r.App; a != nil {
		for _, k := range a.Kinds {
			if k.Baseline {
				continue
			}
			p99 := k.p(99)
			out = append(out, check{fmt.Sprintf("Through the app, GET /customers?q= %s: p99 of %d", k.Name, len(k.Times)),
				fmt.Sprintf("%s (p50 %s)", ms(p99), ms(k.p(50))), "< " + ms(targetSearchP99), p99 < targetSearchP99})
		}
		for _, k := range a.Hygiene {
			p99 := k.p(99)
			out = append(out, check{fmt.Sprintf("Through the app, GET %s (the hygiene report, %s): p99 of %d", k.Example, k.Name, len(k.Times)),
				fmt.Sprintf("%s (p50 %s)", ms(p99), ms(k.p(50))), "< " + ms(targetHygieneP99), p99 < targetHygieneP99})
		}
		calls := sumCalls(a.Calls())
		out = append(out, check{"Calls to ServiceTitan during the app's searches and hygiene pages (its metrics), answered from the index",
			fmt.Sprintf("%d; from the index: %t", calls, a.Served), "0; true", calls == 0 && a.Served})
	}
	c := r.Changes
	out = append(out, check{fmt.Sprintf("Incremental pass applied the %d changes (edits found by their memo, removed contacts gone)", c.Edits+c.Removals),
		fmt.Sprintf("%d of %d edits, %d of %d removals", c.EditsFound, c.Edits, c.Removed, c.Removals),
		"all", c.EditsFound == c.Edits && c.Removed == c.Removals})
	return out
}

func (rep *indexReport) decodeRSS() string {
	parts := make([]string, len(rep.Run.Decode))
	for i, d := range rep.Run.Decode {
		parts[i] = mib(d.PeakRSSKiB)
	}
	return strings.Join(parts, ", ")
}

func callList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	return joinSorted(m, func(op string, n int) string { return fmt.Sprintf("%s %d", op, n) })
}

func (rep *indexReport) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	r := &rep.Run
	o := rep.Options

	w("# Load report: the tenant index\n\n")
	w("Written by `go run ./loadtest -index` (see loadtest/index.go); the app's own load report is\n")
	w("[load-report.md](load-report.md), written by `go run ./loadtest`. Timing targets are checked here\n")
	w("and in the benchmarks (`index/bench_test.go`), never in unit tests; each figure stands beside a\n")
	w("baseline measured in the same run on the same machine.\n\n")
	w("- Date: %s\n", rep.Started.UTC().Format("2006-01-02 15:04 MST"))
	w("- Machine: %d CPUs, %s, %s RAM, %s\n", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.MemTotal, rep.Machine.OSArch)
	w("- Go: %s (checkout %s)\n", rep.Machine.Go, rep.Revision)
	if len(rep.Machine.Env) > 0 {
		w("- Runtime settings passed to the child processes: `%s`\n", strings.Join(rep.Machine.Env, " "))
	}
	w("- Command: `%s`\n", rep.Command)
	w("- Load average (1, 5, 15 min) before the run: %s; after it (its own load included): %s\n", rep.LoadBefore, rep.LoadAfter)
	w("- Run time: %s\n", rep.Finished.Sub(rep.Started).Round(time.Second))
	w("- Tenant: the sandbox with %d generated customers (`sandbox.WithGeneratedCustomers`, 1 to 4 contacts\n", r.Generated)
	w("  each) after its seed: %d customers and %d contact rows in the export feeds.\n", r.Tenant.Customers, r.Tenant.Contacts)
	w("  That is %.2f contacts a customer; `-index-customers` is chosen so the contacts reach about a million.\n",
		float64(r.Tenant.Contacts)/float64(max(r.Tenant.Customers, 1)))
	w("  Each customer has service locations too (a home, or one to twelve sites), with contacts of their own:\n")
	w("  %d and %d rows in the locations' two feeds, %d rows in the four feeds in all. The backfill and the\n",
		r.Tenant.Locations, r.Tenant.LocationContacts, r.Tenant.Total())
	w("  decode-only baseline read the same four feeds (before #30's second round the baseline read the\n")
	w("  customers' two only, so its rate left out the locations' rows the backfill's time included).\n")
	w("- Index: SQLite (FTS5: a trigram and a words table for each of customers, contacts and locations), opened\n")
	w("  as the app opens its database (`db.OpenSQLite`: WAL,\n")
	w("  synchronous NORMAL, one connection), in a temporary directory: %.0f MiB with its WAL after the backfill.\n\n", float64(r.DBBytes)/(1<<20))
	if rep.LoadBefore.one > 0.5*float64(rep.Machine.CPUs) {
		w("> **The machine was busy with other work when this run began** (load average %.2f on %d CPUs):\n", rep.LoadBefore.one, rep.Machine.CPUs)
		w("> the times below include waiting for CPUs the run did not have to itself.\n\n")
	}

	w("## Targets\n\n| Measure | Measured | Target | Result |\n|---|---|---|---|\n")
	for _, c := range rep.checks() {
		w("| %s | %s | %s | %s |\n", c.What, c.Measured, c.Target, passFail(c.Pass))
	}

	w("\n## Backfill\n\n")
	w("Each run is a process of its own (this binary again, `loadtest index-child`), reading the export\n")
	w("feeds from their start to their end through the app's client (`client.ExportCustomers`,\n")
	w("`client.ExportContacts`, `client.ExportLocations`, `client.ExportLocationContacts`: 5000 rows a\n")
	w("page, each row decoded as it arrives) from the sandbox, which\n")
	w("runs in the load tool's process and answers over loopback HTTP (127.0.0.1). The decode-only runs\n")
	w("(`indexbench.DecodeFeeds`) make the same calls and discard every row: the cost of the feeds\n")
	w("without the index, measured before and after the backfill. The backfill is one `Syncer.Pass`\n")
	w("into an empty index: each page applied with its cursor in one transaction while the next page is read\n")
	w("and decoded (the call made once the page before says more follow: the same calls, one page more in\n")
	w("memory; the waits for the sandbox overlap the writing), without the hygiene\n")
	w("report's partial indexes, the contacts' value index and the FTS5 tables' triggers, which are made again (the FTS5 tables rebuilt\n")
	w("from their content) in one transaction once every feed has ended, within the backfill's time.\n\n")
	w("| Run | Rows | Time | rows/s | CPU time (user and system) | Waiting for the sandbox | Process (start to exit) | Peak RSS (VmHWM) | Calls |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	row := func(name string, c childRun) {
		w("| %s | %d | %s | %.0f | %s | %s | %s | %s | %s |\n", name, c.Rows.Total(), c.Took.Round(time.Millisecond), c.RowsPerSecond(),
			c.CPU.Round(time.Millisecond), c.Upstream.Round(time.Millisecond), c.Wall.Round(time.Millisecond), mib(c.PeakRSSKiB), callList(c.Calls))
	}
	for i, d := range r.Decode {
		if i == 1 {
			row("**backfill into the index**", r.Backfill)
		}
		row([]string{"decode only, before", "decode only, after"}[min(i, 1)], d)
	}
	w("\nThe backfill runs at %.2f× the decode-only rate (the mean of its two runs, %.0f rows/s): the\n", r.backfillRatio(), r.decodeRate())
	w("index's own work (normalising each row, the upserts, the FTS5 tables (trigrams and words) rebuilt and\n")
	w("merged into one segment each, and the indexes made at its end) is the difference. In CPU time a row,\n")
	w("the decode-only processes (the mean of their two runs) used %.2f× what the backfill's process used:\n", r.cpuRatio())
	w("the ratio of the rates on a machine with CPUs to spare. The sandbox's own time (making the pages) is\n")
	w("in the load tool's process, in neither.\n")
	w("Time is the work timed inside the process; the process column adds its start, the database's\n")
	w("opening and migrations, and its exit. Waiting for the sandbox is the client's calls up to each\n")
	w("answer's headers (the sandbox makes a whole page before it answers; the rows are decoded while\n")
	w("the body is read, after that).\n\n")
	pages := sumCalls(r.Backfill.Calls) - r.Backfill.Calls[sandbox.OpToken]
	w("**The rate limit is lifted for this measurement.** The child's client has no `ST_RATE_LIMIT`\n")
	w("budget and the sync no `INDEX_RATE` share (both unlimited); in the app the sync takes at most\n")
	w("INDEX_RATE calls a second (5 by default), so the same backfill's %d calls would take at least\n", pages)
	w("%s there, however fast the index.\n\n", (time.Duration(pages) * time.Second / 5).Round(time.Second))
	w("Peak RSS is the high-water mark of each process's resident set (VmHWM), read from\n")
	w("`/proc/self/status` as it ends. The sandbox's memory is the load tool's, not the child's. (The\n")
	w("kernel's ru_maxrss is no cross-check here: after a fork it starts from the parent's.)\n")

	w("\n## Search\n\n")
	w("On the index the backfill wrote, opened in the load tool's process (as the app opens it), with\n")
	w("`index.Store.Search` directly, a page of %d results as the app asks. %d queries of each kind,\n", searchPageSize, o.indexQueries)
	w("drawn at random from the tenant (`indexbench.Draw`, the same with every run; placeholder values\n")
	w("like noemail@gmail.com left out), taking turns kind by kind so each meets the same machine, after\n")
	w("%d untimed queries of each kind drawn apart. Each time is ParseQuery and Search together.\n\n", r.Warmup)
	w("| Query | Example | Queries | p50 | p90 | p99 | max | Found something | Customers found (median, max) |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.Search {
		totals := slices.Sorted(slices.Values(k.Totals))
		med, most := 0, 0
		if len(totals) > 0 {
			med, most = totals[len(totals)/2], totals[len(totals)-1]
		}
		w("| %s | `%s` | %d | %s | %s | %s | %s | %d | %d, %d |\n", k.Name, k.Example, len(k.Times),
			ms(k.p(50)), ms(k.p(90)), ms(k.p(99)), ms(k.p(100)), k.Found, med, most)
	}
	w("\nThe sandbox counted these requests during the search phase: %s.\n\n", callList(r.SearchCalls))
	w("- Store.Customer is one row read by its primary key: the floor of any search. An id typed in\n")
	w("  the search box is also read as digits of a phone number, so the exact-id search runs the\n")
	w("  digits search too.\n")
	w("- A whole email address is its part before the @ looked up as a quoted phrase (MATCH) in the\n")
	w("  contacts' FTS5 trigram table, the rows found checked for the whole address (instr); an address\n")
	w("  made of a common name (james.smith@example.com) belongs to many customers.\n")
	w("- `_`, `%%` and `\\` are characters as typed, looked up in the trigram index like any other. As\n")
	w("  LIKE wildcards (before the #25 fix) an email's start with `_` between its letters matched no\n")
	w("  run of three characters, so every contact was read: 340 ms at p50 against 4.5 ms for a whole\n")
	w("  email in the same BenchmarkSearch run of 100,000 customers (1.27 s over 890,000 contacts).\n")
	w("- Four digits match a phone number's digits anywhere (and a customer's or a service location's\n")
	w("  street number or zip): hundreds of contacts in a tenant this size. The search takes up to %d\n", 1000)
	w("  candidates from each of the contacts, the customers and the locations, each read with only\n")
	w("  what ranks it (its customer's name and active flag, joined in the same query), ranks them all,\n")
	w("  and then reads only the page's customers, contacts and locations whole.\n")
	w("- A name is every word found at the start of a word of a customer's name or address, a service\n")
	w("  location's name or address (a home is often named as its customer), or a contact's memo: a\n")
	w("  prefix query a word (\"anderson\"*) in each one's FTS5 words table, whose prefix indexes (3 to 8\n")
	w("  letters) make it one list read. A street is its words the same way; four digits are looked for\n")
	w("  among the customers' and locations' words (a house number, a zip) and the contacts' trigrams.\n")

	if r.AppFailed != "" {
		w("\n## Search through the app\n\n")
		w("**Not measured in this run**: %s\n", truncate(r.AppFailed, 600))
	}
	if a := r.App; a != nil {
		w("\n## Search through the app\n\n")
		w("The app's binary in sandbox mode (`ST_SANDBOX_LATENCY=0`, `LOG_LEVEL=warn`), its embedded sandbox\n")
		w("with the same generated tenant (`SANDBOX_CUSTOMERS=%d`), its database the index file the\n", r.Generated)
		w("backfill wrote (`AUDIT_DB`; `INDEX_INTERVAL=1h`, so no pass runs during the measurement). Its\n")
		w("first pass, at its start, reads from the newest change the index holds (its sandbox signs feed\n")
		w("tokens with a key of its own), and search is served from the index once it has. The same\n")
		w("queries as above, one session, one request at a time, taking turns kind by kind after %d\n", r.Warmup)
		w("untimed of each; each time is the request sent to the last byte of the page read. The search\n")
		w("page without a query is the baseline (the session, the layout, the rendering), and a\n")
		w("customer id the second (a redirect to its page, unless it is part of a phone number too).\n\n")
		w("| GET /customers?q= | Example | Requests | p50 | p90 | p99 | max |\n|---|---|---:|---:|---:|---:|---:|\n")
		for _, k := range a.Kinds {
			w("| %s | `%s` | %d | %s | %s | %s | %s |\n", k.Name, k.Example, len(k.Times), ms(k.p(50)), ms(k.p(90)), ms(k.p(99)), ms(k.p(100)))
		}
		w("\nThe app's ServiceTitan calls during the timed requests (`contactdesk_servicetitan_call_duration_seconds_count`):\n")
		w("%s. Its peak RSS (VmHWM) at the end: %s, of which its private memory (RssAnon) at the end: %s; the rest are\n"+
			"pages of the index's file its searches read through SQLite's mmap, which the kernel shares with its page cache and may drop.\n"+
			"What it logged (`LOG_LEVEL=warn`), by message: %s.\n",
			callList(a.Calls()), mib(a.After.PeakRSSKiB), mib(a.After.AnonRSSKiB), logList(a.Logged))
		if len(a.Hygiene) > 0 {
			w("\n### The hygiene report through the app\n\n")
			w("After the first pass the app checks every contact for the hygiene report (the first check after a\n")
			w("backfill: every contact read once, each distinct value classified once, phone numbers through the\n")
			w("phone-number library, only the problems found written) and counts the shared values and unreachable\n")
			w("customers: %s after the\n", a.HygieneWait.Round(100*time.Millisecond))
			w("feeds were read, the page said no contact was left to check. Its counts then: %s. The same\n", hygieneCountList(a.HygieneCounts))
			w("session and turns as the searches above, whose search page without a query is the baseline.\n\n")
			w("| GET | Page | Requests | p50 | p90 | p99 | max |\n|---|---|---:|---:|---:|---:|---:|\n")
			for _, k := range a.Hygiene {
				w("| `%s` | %s | %d | %s | %s | %s | %s |\n", k.Example, k.Name, len(k.Times), ms(k.p(50)), ms(k.p(90)), ms(k.p(99)), ms(k.p(100)))
			}
			w("\n")
		}
		w("The refused tokens at its start are expected (see above). Each page also lists the session's\n")
		w("recently opened customers, whose names the app keeps for 5 minutes and then reads again from\n")
		w("ServiceTitan (Customers_GetList): a phase longer than that shows such a call, which is not the\n")
		w("search's.\n")
	}

	w("\n## Incremental sync\n\n")
	e := r.emptyMedian()
	c := r.Changes
	w("After the backfill, with the index in the load tool's process and the same sandbox, through the\n")
	w("client with no rate limit. A pass reads the tenant's customer count, then each feed from its\n")
	w("cursor to its end.\n\n")
	w("| Pass | Time | Waiting for the sandbox (of it, the count) | The rest | Rows read | Calls |\n|---|---:|---:|---:|---:|---|\n")
	pass := func(name string, p syncPass) {
		w("| %s | %s | %s (%s) | %s | %d | %s |\n", name, ms(p.Took), ms(p.Waited()), ms(p.Upstream[sandbox.OpListCustomers]),
			ms(p.Took-p.Waited()), p.Rows, callList(p.Calls))
	}
	for i, p := range r.Empty {
		pass(fmt.Sprintf("nothing changed (%d of %d)", i+1, len(r.Empty)), p)
	}
	pass(fmt.Sprintf("**%d changes**", c.Edits+c.Removals), r.Incremental)
	in := r.Incremental
	w("\nThe baseline, a pass with nothing to read, took %s at the median of %d; the pass that read the\n", ms(e.Took), len(r.Empty))
	w("changes took %s more. Most of an empty pass is the sandbox's answer to the count of customers\n", ms(in.Took-e.Took))
	w("(it makes every generated customer to count them); apart from waiting for the sandbox, the\n")
	w("empty pass took %s and the pass with the changes %s (reading the page of %d rows and\n", ms(e.Took-e.Waited()), ms(in.Took-in.Waited()), in.Rows)
	w("applying it). The changes, made just before it: %d edits of a contact's memo\n", c.Edits)
	w("(`sandbox.Server.SetContact`, another person's edit in ServiceTitan, modifiedOn now) and %d\n", c.Removals)
	w("removals through the API (`DELETE .../contacts/{id}`; the sandbox counted %s), each of a\n", callList(c.Calls))
	w("different generated customer. After the pass, %d of the %d edited contacts were found by a word\n", c.EditsFound, c.Edits)
	w("of their new memo, and %d of the %d removed ones were gone from their customer's contacts.\n", c.Removed, c.Removals)

	w("\n## In process\n\n")
	w("`BenchmarkBackfill` and `BenchmarkSearch` (`index/bench_test.go`) measure the same in one process on\n")
	w("a smaller tenant (`INDEX_BENCH_CUSTOMERS`, 20000 by default):\n\n")
	w("    go test -run '^$' -bench . -benchmem ./index/\n")
	return b.String()
}

// summary is the targets table for the terminal.
func (rep *indexReport) summary() string {
	var b strings.Builder
	for _, c := range rep.checks() {
		fmt.Fprintf(&b, "%-6s %s: %s (target %s)\n", strings.Trim(passFail(c.Pass), "*"), c.What, c.Measured, c.Target)
	}
	return b.String()
}

func logList(m map[string]int) string {
	if len(m) == 0 {
		return "nothing"
	}
	return joinSorted(m, func(msg string, n int) string { return fmt.Sprintf("%q × %d", msg, n) })
}

func hygieneCountList(m map[string]string) string {
	if len(m) == 0 {
		return "none read"
	}
	var parts []string
	for _, k := range []string{"placeholder-phone", "placeholder-email", "invalid", "shared", "unreachable"} {
		parts = append(parts, k+" "+m[k])
	}
	return strings.Join(parts, ", ")
}

// truncate is s cut to at most n bytes (at a rune's start), "…" marking a
// cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
