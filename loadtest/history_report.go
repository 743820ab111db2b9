package main

import (
	"fmt"
	"strings"
	"time"
)

func (rep *historyReport) checks() []check {
	n := int64(rep.Options.historyChanges)
	return []check{
		{"Each of the day's changes made in ServiceTitan is in the History once (history on)",
			fmt.Sprintf("%d of %d changes once; %d entries", rep.On.Once, n, rep.On.Entries), "all, once", rep.On.Once == n && rep.On.Entries == n},
		{"The baseline records nothing (history off)", fmt.Sprintf("%d entries", rep.Off.Entries), "0", rep.Off.Entries == 0},
	}
}

func (rep *historyReport) summary() string {
	var b strings.Builder
	for _, c := range rep.checks() {
		fmt.Fprintf(&b, "%-6s %s: %s (target %s)\n", strings.Trim(passFail(c.Pass), "*"), c.What, c.Measured, c.Target)
	}
	on, off := rep.On, rep.Off
	fmt.Fprintf(&b, "interval pass, median: %s on, %s off (own work %s on, %s off)\n",
		ms(quantile(passTimes(on.Intervals, false), 0.5)), ms(quantile(passTimes(off.Intervals, false), 0.5)),
		ms(quantile(passTimes(on.Intervals, true), 0.5)), ms(quantile(passTimes(off.Intervals, true), 0.5)))
	fmt.Fprintf(&b, "backlog passes, own work, median: %s on, %s off; entries %d, fields %d, trail growth %s on, %s off\n",
		ms(quantile(passTimes(on.Backlogs, true), 0.5)), ms(quantile(passTimes(off.Backlogs, true), 0.5)),
		on.Entries, on.Fields, mibBytes(on.TrailGrew), mibBytes(off.TrailGrew))
	return b.String()
}

func mibBytes(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

func (rep *historyReport) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	o := rep.Options
	on, off := &rep.On, &rep.Off
	n := o.historyChanges
	backlog := n - rep.IntervalChanges

	w("# Load report: the History of changes made in ServiceTitan\n\n")
	w("Written by `go run ./loadtest -history` (see loadtest/history.go): what recording the changes made\n")
	w("in ServiceTitan itself (issue #27) costs a large tenant's sync passes and database. Each figure\n")
	w("stands beside its baseline, the same index with the History off, measured in the same run on the\n")
	w("same machine, the two taking turns. The index's own report is [load-report-index.md](load-report-index.md).\n\n")
	w("- Date: %s\n", rep.Started.UTC().Format("2006-01-02 15:04 MST"))
	w("- Machine: %d CPUs, %s, %s RAM, %s\n", rep.Machine.CPUs, rep.Machine.Model, rep.Machine.MemTotal, rep.Machine.OSArch)
	w("- Go: %s (checkout %s)\n", rep.Machine.Go, rep.Revision)
	w("- Command: `%s`\n", rep.Command)
	w("- Load average (1, 5, 15 min) before the run: %s; after it (its own load included): %s\n", rep.LoadBefore, rep.LoadAfter)
	w("- Run time: %s\n", rep.Finished.Sub(rep.Started).Round(time.Second))
	w("- Tenant: the sandbox with %d generated customers (`sandbox.WithGeneratedCustomers`) after its seed:\n", rep.Generated)
	w("  the backfill read %d rows; the index holds %d customers and %d contacts.\n", rep.Backfill.Rows, rep.Held.Customers, rep.Held.Contacts)
	w("- Index: SQLite, opened as the app opens its database (`db.OpenSQLite`: WAL, synchronous NORMAL,\n")
	w("  one connection), the audit trail's tables beside it: %s after the backfill (%s, history on: it\n", mibBytes(rep.BackfillDB), rep.Backfill.Took.Round(time.Second))
	w("  records nothing, there is no \"before\"), then copied, so both indexes start from the same place.\n\n")
	if rep.LoadBefore.one > 0.5*float64(rep.Machine.CPUs) {
		w("> **The machine was busy with other work when this run began** (load average %.2f on %d CPUs):\n", rep.LoadBefore.one, rep.Machine.CPUs)
		w("> the times below include waiting for CPUs the run did not have to itself. The two indexes took\n")
		w("> turns, so both met the same machine.\n\n")
	}

	w("## Targets\n\n| Measure | Measured | Target | Result |\n|---|---|---|---|\n")
	for _, c := range rep.checks() {
		w("| %s | %s | %s | %s |\n", c.What, c.Measured, c.Target, passFail(c.Pass))
	}
	w("\nThe issue sets no time target; the figures below say what the History costs.\n")

	w("\n## A day of %d changes made in ServiceTitan\n\n", n)
	w("The day's changes, each of a different contact of a generated customer, made in the sandbox as\n")
	w("ServiceTitan's own screens or a customer's text would make them (`sandbox.Server.EditContact`,\n")
	w("`TextStop`, `AddContact`, `RemoveContact`: a new modifiedOn, the row placed last in the feed): %s.\n\n", kindList(rep.Changes))
	w("At `INDEX_INTERVAL`'s default of %s a day has %d passes, each reading about %.1f of these changes.\n",
		indexInterval, int(24*time.Hour/indexInterval), float64(n)/float64(24*time.Hour/indexInterval))
	w("The first %d intervals ran as the app runs them: each interval's share of the day made in the\n", o.historyIntervals)
	w("sandbox, then a pass of each index, in turns (each went first every other interval): %d changes.\n", rep.IntervalChanges)
	w("The other %d came in %d backlogs of about %d, each made at once and read by a pass of each index,\n", backlog, o.historyBacklogs, backlog/max(o.historyBacklogs, 1))
	w("in turns: as after the app was stopped for some hours, or a burst of changes made in ServiceTitan\n")
	w("(a bulk edit there, a campaign's STOP replies). Each pass reads the tenant's customer\n")
	w("count, then each feed from its cursor to its end, through the app's client with no rate limit,\n")
	w("from the sandbox in this process over loopback HTTP.\n\n")

	w("| | %s | %s | Difference |\n|---|---:|---:|---:|\n", on.Name, off.Name)
	row := func(what string, a, b time.Duration) {
		w("| %s | %s | %s | %s |\n", what, ms(a), ms(b), signedMs(a-b))
	}
	onT, offT := passTimes(on.Intervals, false), passTimes(off.Intervals, false)
	onOwn, offOwn := passTimes(on.Intervals, true), passTimes(off.Intervals, true)
	w("| Interval passes | %d | %d | |\n", len(on.Intervals), len(off.Intervals))
	w("| Rows they read | %d | %d | |\n", sumRows(on.Intervals), sumRows(off.Intervals))
	row("Interval pass, median", quantile(onT, 0.5), quantile(offT, 0.5))
	row("Interval pass, p90", quantile(onT, 0.9), quantile(offT, 0.9))
	row("Interval pass less waiting for the sandbox (the index's own work), median", quantile(onOwn, 0.5), quantile(offOwn, 0.5))
	row("The same, p90", quantile(onOwn, 0.9), quantile(offOwn, 0.9))
	row("The same, all the intervals' passes together", sumTime(on.Intervals, true), sumTime(off.Intervals, true))
	onB, offB := passTimes(on.Backlogs, false), passTimes(off.Backlogs, false)
	onBOwn, offBOwn := passTimes(on.Backlogs, true), passTimes(off.Backlogs, true)
	w("| Backlog passes | %d | %d | |\n", len(on.Backlogs), len(off.Backlogs))
	w("| Rows they read | %d | %d | |\n", sumRows(on.Backlogs), sumRows(off.Backlogs))
	row("Backlog pass, median", quantile(onB, 0.5), quantile(offB, 0.5))
	row("Backlog pass less waiting for the sandbox, median", quantile(onBOwn, 0.5), quantile(offBOwn, 0.5))
	row("The same, fastest", quantile(onBOwn, 0), quantile(offBOwn, 0))
	row("The same, all the backlogs together", sumTime(on.Backlogs, true), sumTime(off.Backlogs, true))
	w("| History entries the day left (rows of `attempts`, source servicetitan) | %d | %d | %d |\n", on.Entries, off.Entries, on.Entries-off.Entries)
	w("| Their changed fields (rows of `changes`) | %d | %d | %d |\n", on.Fields, off.Fields, on.Fields-off.Fields)
	w("| Growth of the trail's tables and indexes (`attempts`, `changes`; dbstat) | %s | %s | %s |\n", mibBytes(on.TrailGrew), mibBytes(off.TrailGrew), mibBytes(on.TrailGrew-off.TrailGrew))
	w("| Growth of the whole database (pages in use, after a checkpoint) | %s | %s | %s |\n", mibBytes(on.Grew), mibBytes(off.Grew), mibBytes(on.Grew-off.Grew))

	perEntry := 0.0
	if on.Entries > 0 {
		perEntry = float64(on.TrailGrew-off.TrailGrew) / float64(on.Entries)
	}
	w("\n- **Rows per day:** %d entries and %d changed fields (%.2f a change) for %d changes made in\n", on.Entries, on.Fields,
		float64(on.Fields)/float64(max(on.Entries, 1)), n)
	w("  ServiceTitan: %s a day in the trail's tables and indexes, %.0f bytes an entry with its fields.\n", mibBytes(on.TrailGrew-off.TrailGrew), perEntry)
	w("  Kept for a year (`AUDIT_RETENTION_DAYS` unset keeps them for ever): %d entries, about %s.\n", on.Entries*365, mibBytes((on.TrailGrew-off.TrailGrew)*365))
	w("  The app's own saves are the same rows, as before.\n")
	perPass := quantile(onOwn, 0.5) - quantile(offOwn, 0.5)
	perDay := int(24 * time.Hour / indexInterval)
	backlogRows := max(sumRows(on.Backlogs), 1)
	perChange := (sumTime(on.Backlogs, true) - sumTime(off.Backlogs, true)) / time.Duration(backlogRows)
	w("- **In short:** with the History on, an interval's pass did %s of its own work (median), with\n", ms(quantile(onOwn, 0.5)))
	w("  it off %s: %s a pass, %s a day over %d passes, beside the %s each pass waited for\n",
		ms(quantile(offOwn, 0.5)), signedMs(perPass), signedMs(perPass*time.Duration(perDay)), perDay, ms(quantile(offT, 0.5)-quantile(offOwn, 0.5)))
	w("  ServiceTitan (here the sandbox). The backlogs' own work differed by %s over %d rows: %s a change.\n",
		signedMs(sumTime(on.Backlogs, true)-sumTime(off.Backlogs, true)), backlogRows, signedMs(perChange))
	w("- **Pass time:** the History reads the index's copy of each changed contact and the app's\n")
	w("  attempts that may explain it (one query each per page), and writes each entry with its fields,\n")
	w("  in the page's transaction. A pass with nothing changed does none of it. Most of a pass is the\n")
	w("  sandbox's answer to the count of customers (it makes every generated customer to count them),\n")
	w("  the same with the History on or off; the index's own work is the row below it.\n")
	w("- **Several instances** share one pass at a time (the pass lock), so the day's cost is the same\n")
	w("  with one instance or many.\n")
	w("- **In one process:** `BenchmarkApplyChanges` (index/history_bench_test.go) applies a page of 10 or\n")
	w("  1000 contacts changed in ServiceTitan to a backfilled SQLite index with the History off and on;\n")
	w("  run its two halves in turns on a busy machine (`-bench 'ApplyChanges/rows=1000/history=off$'`,\n")
	w("  then `on$`, several times): `go test -run '^$' -bench ApplyChanges ./index/`.\n")
	return b.String()
}

func signedMs(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return "−" + ms(-d)
}

func kindList(m map[string]int) string {
	var parts []string
	for _, k := range changeKinds {
		parts = append(parts, fmt.Sprintf("%d %s", m[k.name], k.name))
	}
	return strings.Join(parts, ", ")
}
