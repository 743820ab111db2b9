package index_test

// Benchmarks of the index against the ServiceTitan sandbox's generated
// tenant, served over loopback HTTP and read through the real client.
// Timing targets live here and in docs/load-report-index.md (go run
// ./loadtest -index: 281,000 customers and a million contacts, the
// backfill in a process of its own), never in unit tests; each figure is
// read beside its baseline from the same run:
//
//	BenchmarkBackfill/decode   the four feeds read to their end through the
//	                           client, rows decoded and discarded: what
//	                           the feeds cost without the index
//	BenchmarkBackfill/index    the same feeds through Syncer.Pass into a
//	                           fresh SQLite index
//	BenchmarkSearch/customer   Store.Customer by id (the baseline)
//	BenchmarkSearch/id         Search for a customer id (exact)
//	BenchmarkSearch/email      Search for a whole email address
//	BenchmarkSearch/digits     Search for four digits of a phone number
//	BenchmarkSearch/name       Search for a first and a last name
//	BenchmarkSearch/name-slip  the same with two letters of the longer word
//	                           swapped: found by edit distance
//
// The tenant has INDEX_BENCH_CUSTOMERS generated customers (default
// 20000, with 1 to 4 contacts each):
//
//	go test -run '^$' -bench . -benchmem ./index/
//	INDEX_BENCH_CUSTOMERS=100000 go test -run '^$' -bench Search -benchtime 2000x ./index/

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/index"
	"github.com/contactdesk/contactdesk/index/indexbench"
)

// benchCustomers is the size of the benchmarks' tenant.
func benchCustomers(b *testing.B) int {
	n := 20000
	if v := os.Getenv("INDEX_BENCH_CUSTOMERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > sandbox.MaxGeneratedCustomers {
			b.Fatalf("INDEX_BENCH_CUSTOMERS=%q: want 1 to %d", v, sandbox.MaxGeneratedCustomers)
		}
	}
	return n
}

// benchTenant starts a sandbox with n generated customers and a client of
// it without a rate limit.
func benchTenant(b *testing.B, n int) (*sandbox.Server, *client.Client) {
	b.Helper()
	sb := sandboxtest.Start(b, sandbox.WithGeneratedCustomers(n))
	cfg := sb.ClientConfig()
	cfg.Timeout = time.Minute
	st, err := client.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return sb, st
}

func BenchmarkBackfill(b *testing.B) {
	n := benchCustomers(b)
	_, st := benchTenant(b, n)
	ctx := context.Background()
	b.Run("decode", func(b *testing.B) {
		var rows int64
		for b.Loop() {
			got, err := indexbench.DecodeFeeds(ctx, st)
			if err != nil {
				b.Fatal(err)
			}
			rows += got.Total()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("index", func(b *testing.B) {
		var rows int64
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			store, err := index.Open(ctx, dbtest.SQLiteAt(b, filepath.Join(dir, strconv.Itoa(i)+".db")))
			if err != nil {
				b.Fatal(err)
			}
			syncer := index.NewSyncer(st, store, math.Inf(1), nil)
			b.StartTimer()
			if err := syncer.Pass(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			for _, name := range index.FeedNames {
				f, err := store.Feed(ctx, name)
				if err != nil || !f.Backfilled {
					b.Fatalf("the pass ended before the %s feed's end: %+v %v", name, f, err)
				}
				rows += f.RowsRead
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	})
}

func BenchmarkSearch(b *testing.B) {
	n := benchCustomers(b)
	sb, st := benchTenant(b, n)
	ctx := context.Background()
	store, err := index.Open(ctx, dbtest.SQLiteAt(b, filepath.Join(b.TempDir(), "index.db")))
	if err != nil {
		b.Fatal(err)
	}
	if err := index.NewSyncer(st, store, math.Inf(1), nil).Pass(ctx); err != nil {
		b.Fatal(err)
	}
	q := indexbench.Draw(indexbench.Tenant{Customer: sb.Customer, Contacts: sb.Contacts},
		sandbox.SeedCustomerID, sandbox.SeedCustomerID+int64(n)+100, 500, 1)
	sb.ResetCounters()
	b.Cleanup(func() {
		for _, op := range []string{sandbox.OpToken, sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts,
			sandbox.OpExportCustomers, sandbox.OpExportContacts} {
			if got := sb.Requests(op); got != 0 {
				b.Errorf("search called ServiceTitan: %d %s", got, op)
			}
		}
	})

	run := func(name string, count int, do func(i int) error) {
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if err := do(i % count); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				i++
			}
			b.ReportMetric(float64(indexbench.Percentile(times, 50))/1e6, "p50-ms")
			b.ReportMetric(float64(indexbench.Percentile(times, 99))/1e6, "p99-ms")
		})
	}
	search := func(text func(i int) string) func(i int) error {
		return func(i int) error {
			_, err := store.Search(ctx, index.ParseQuery(text(i)), 1, 10)
			return err
		}
	}
	run("customer", len(q.IDs), func(i int) error {
		_, err := store.Customer(ctx, q.IDs[i])
		return err
	})
	run("id", len(q.IDs), search(func(i int) string { return indexbench.ID(q.IDs[i]) }))
	run("email", len(q.Emails), search(func(i int) string { return q.Emails[i] }))
	run("email-underscores", len(q.Emails), search(func(i int) string { return indexbench.Underscored(q.Emails[i]) }))
	run("digits", len(q.Digits), search(func(i int) string { return q.Digits[i] }))
	run("name", len(q.Names), search(func(i int) string { return q.Names[i] }))
	run("name-slip", len(q.Names), search(func(i int) string { return slipped(q.Names[i]) }))
}

// slipped is a name typed with a slip: two letters in the middle of its
// longest word swapped ("Maria Garcia" is "Maria Gacria"). The words as
// typed find nobody, so search looks for names close to them.
func slipped(name string) string {
	f := strings.Fields(name)
	longest := 0
	for i, w := range f {
		if len([]rune(w)) > len([]rune(f[longest])) {
			longest = i
		}
	}
	r := []rune(f[longest])
	if len(r) >= 4 {
		m := len(r) / 2
		r[m-1], r[m] = r[m], r[m-1]
	}
	f[longest] = string(r)
	return strings.Join(f, " ")
}
