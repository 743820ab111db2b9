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
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/index/indexbench"
)

// benchTenant backfills an index of HYGIENE_BENCH_CUSTOMERS generated
// customers (default 20000) into a SQLite file opened as the app opens
// it, through the real client from the sandbox.
func benchTenant(b *testing.B) (*index.Store, *db.DB, *sandbox.Server, index.Feeds, int) {
	n := 20000
	if v := os.Getenv("HYGIENE_BENCH_CUSTOMERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > sandbox.MaxGeneratedCustomers {
			b.Fatalf("HYGIENE_BENCH_CUSTOMERS=%q: want 1 to %d", v, sandbox.MaxGeneratedCustomers)
		}
	}
	ctx := context.Background()
	sb := sandboxtest.Start(b, sandbox.WithGeneratedCustomers(n))
	cfg := sb.ClientConfig()
	cfg.Timeout = time.Minute
	st, err := client.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	conn := dbtest.SQLiteAt(b, filepath.Join(b.TempDir(), "index.db"))
	store, err := index.Open(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	return store, conn, sb, st, n
}

func BenchmarkReport(b *testing.B) {
	ctx := context.Background()
	store, _, sb, st, n := benchTenant(b)
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

// BenchmarkCheck times the first hygiene check of every contact after a
// backfill: Store.Check with the rules, the summary included. Beside it,
// in the same run:
//
//	scan       the floor: every contact's type and value read from the
//	           index, nothing classified or written
//	library-per-row
//	           the phone-number library's Parse and IsValidNumber called
//	           for every number read, as the check did before it
//	           classified each distinct value once and read ten digits
//	           without Parse; nothing written
//
//	recheck    every contact marked unchecked and checked again, as new
//	           rules leave them (and as the first check after a backfill
//	           ran before it read the rows in one pass and wrote only the
//	           problems it found)
//
// Each reports rows/s and ms; run with -benchtime 1x at a million contacts:
//
//	HYGIENE_BENCH_CUSTOMERS=281000 go test -run '^$' -bench Check -benchtime 1x ./hygiene/
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	store, conn, _, st, _ := benchTenant(b)
	if err := index.NewSyncer(st, store, math.Inf(1), nil).Pass(ctx); err != nil {
		b.Fatal(err)
	}
	rules := hygiene.Rules{Region: "US", SharedMin: 3}
	store.SetChecker(rules.Checker())
	type row struct {
		kind, value string
	}
	scan := func(each func(row)) int {
		rows, err := conn.QueryContext(ctx, `SELECT kind, value FROM index_contacts`)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.kind, &r.value); err != nil {
				b.Fatal(err)
			}
			each(r)
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		return n
	}
	report := func(b *testing.B, rows int, took time.Duration) {
		b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
		b.ReportMetric(float64(took)/1e6/float64(b.N), "ms/op")
	}
	b.Run("scan", func(b *testing.B) {
		var rows int
		start := time.Now()
		for b.Loop() {
			rows += scan(func(row) {})
		}
		report(b, rows, time.Since(start))
	})
	b.Run("library-per-row", func(b *testing.B) {
		var rows int
		start := time.Now()
		for b.Loop() {
			rows += scan(func(r row) {
				if t, _ := client.ParseContactType(r.kind); t.IsPhoneNumber() {
					if num, err := phonenumbers.Parse(r.value, rules.Region); err == nil {
						phonenumbers.IsValidNumber(num)
					}
				}
			})
		}
		report(b, rows, time.Since(start))
	})
	check := func(name string, setup ...string) {
		b.Run(name, func(b *testing.B) {
			var rows int
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				// The setup's one large transaction is copied from the
				// write-ahead log into the file before the check starts,
				// as a backfill's pages are while it runs.
				for _, q := range append(setup, `PRAGMA wal_checkpoint(TRUNCATE)`) {
					if _, err := conn.ExecContext(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				n, err := store.Check(ctx)
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				rows += n
			}
			report(b, rows, took)
		})
	}
	// As a first backfill leaves the rows: written as checked, with no
	// problem, the first check to do and the whole summary asked for.
	check("check", `UPDATE index_contacts SET checked = 1, problem = ''`,
		`INSERT INTO index_settings (name, value) VALUES ('first_check', '0') ON CONFLICT (name) DO UPDATE SET value = '0'`,
		`UPDATE index_settings SET value = 'full' WHERE name = 'summary'`)
	// Every row marked unchecked, as new rules leave them (and as a
	// backfill left them before the first check read them in one pass).
	check("recheck", `UPDATE index_contacts SET checked = 0, problem = ''`,
		`UPDATE index_settings SET value = 'full' WHERE name = 'summary'`)
}
