package hygiene_test

// Benchmarks of the hygiene report over the sandbox's generated tenant
// (placeholders, invalid values and shared emails among them), indexed
// through the real client and Syncer.Pass into a SQLite file opened as the
// app opens it. Figures and their baselines: docs/load-report-hygiene.md.
//
//	BenchmarkReport/count     Store.Count, both tables' rows counted (the
//	                          baseline: the /index page's query)
//	BenchmarkReport/digits    Search for four digits (the search page's
//	                          slowest kind of query, for comparison)
//	BenchmarkReport/read      Reporter.Read of every section: the counts
//	                          and each section's first page, as GET /hygiene
//	BenchmarkReport/shared-2  the shared section's second page alone
//	BenchmarkReport/csv       every row of the placeholder-phone section
//	BenchmarkReport/summarize Store.Summarize: the shared values and the
//	                          unreachable customers counted again from
//	                          every contact, as a sync pass that brought
//	                          rows does in the background
//
// Setup reports how long the rules took to check every contact
// (check-rows/s) beside the backfill that wrote them (backfill-rows/s).
// The tenant has HYGIENE_BENCH_CUSTOMERS generated customers (default
// 20000):
//
//	HYGIENE_BENCH_CUSTOMERS=250000 go test -run '^$' -bench Report -benchtime 20x ./hygiene/

import (
	"context"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/index/indexbench"
)

func BenchmarkReport(b *testing.B) {
	n := 20000
	if v := os.Getenv("HYGIENE_BENCH_CUSTOMERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > sandbox.MaxGeneratedCustomers {
			b.Fatalf("HYGIENE_BENCH_CUSTOMERS=%q: want 1 to %d", v, sandbox.MaxGeneratedCustomers)
		}
	}
	ctx := context.Background()
	sb := sandboxtest.Start(b, sandbox.WithGeneratedCustomers(n))
	cfg := sandboxtest.ClientConfig(sb)
	cfg.Timeout = time.Minute
	st, err := client.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "index.db")+
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	conn.SetMaxOpenConns(1)
	b.Cleanup(func() { conn.Close() })
	store, err := index.Open(ctx, conn, db.SQLite)
	if err != nil {
		b.Fatal(err)
	}
	rules := hygiene.Rules{Region: "US", SharedMin: 3}
	store.SetChecker(rules.Checker())

	// The backfill writes the rows unchecked; Pass checks them after.
	// Check is timed apart: the rules see every row again.
	start := time.Now()
	if err := index.NewSyncer(st, store, math.Inf(1), nil).Pass(ctx); err != nil {
		b.Fatal(err)
	}
	passed := time.Since(start)
	counts, err := store.Count(ctx)
	if err != nil {
		b.Fatal(err)
	}
	store.SetChecker(index.Checker{Key: "again", Classify: rules.Checker().Classify})
	start = time.Now()
	checked, err := store.Check(ctx)
	if err != nil {
		b.Fatal(err)
	}
	checkTime := time.Since(start)
	b.Logf("%d customers, %d contacts: pass (backfill and check) %s; the check alone %d rows in %s, %.0f rows/s",
		counts.Customers, counts.Contacts, passed.Round(time.Millisecond), checked, checkTime.Round(time.Millisecond),
		float64(checked)/checkTime.Seconds())
	reporter := hygiene.Reporter{Index: store, Rules: rules}
	all := map[hygiene.Section]int{}
	for _, s := range hygiene.Sections {
		all[s] = 1
	}
	if rep, err := reporter.Read(ctx, all); err != nil {
		b.Fatal(err)
	} else {
		b.Logf("counts %v, %d shared values, %d unchecked", rep.Counts.Sections, rep.Counts.SharedValues, rep.Counts.Unchecked)
	}
	q := indexbench.Draw(indexbench.Tenant{Customer: sb.Customer, Contacts: sb.Contacts},
		sandbox.SeedCustomerID, sandbox.SeedCustomerID+int64(n)+100, 200, 1)

	run := func(name string, do func(i int) error) {
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if err := do(i); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				i++
			}
			b.ReportMetric(float64(indexbench.Percentile(times, 50))/1e6, "p50-ms")
			b.ReportMetric(float64(indexbench.Percentile(times, 99))/1e6, "p99-ms")
		})
	}
	run("count", func(int) error { _, err := store.Count(ctx); return err })
	run("digits", func(i int) error {
		_, err := store.Search(ctx, index.ParseQuery(q.Digits[i%len(q.Digits)]), 1, 10)
		return err
	})
	run("read", func(int) error { _, err := reporter.Read(ctx, all); return err })
	run("shared-2", func(int) error { _, err := reporter.Read(ctx, map[hygiene.Section]int{hygiene.Shared: 2}); return err })
	run("csv", func(int) error {
		return reporter.Each(ctx, hygiene.PlaceholderPhone, func(hygiene.Row) error { return nil })
	})
	run("summarize", func(int) error { return store.Summarize(ctx) })
}
