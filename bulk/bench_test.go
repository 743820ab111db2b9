package bulk_test

// Benchmarks of a bulk opt-out against the ServiceTitan sandbox's
// generated tenant, served over loopback HTTP and read through the real
// client, with the index, the audit trail and the jobs in one SQLite file
// as the app keeps them. Timing targets live here and in
// docs/load-report-bulk.md (go run ./loadtest -bulk: a 10,000-line list
// against 250,000 customers, each step in a process of its own), never in
// unit tests; each figure is read beside its baseline from the same run:
//
//	BenchmarkPreview/parse    bulk.Parse of the list alone (baseline)
//	BenchmarkPreview/lookup   Parse, then the index rows its values name,
//	                          read by index.Store.ContactsByValue (baseline)
//	BenchmarkPreview/preview  Parse, Match and SaveDraft (Service.Preview)
//	BenchmarkJob/direct       change.Service.SetPreferences called for each
//	                          contact of the list in a loop (baseline)
//	BenchmarkJob/job          the same contacts as a confirmed job, worked
//	                          by a Runner with its share lifted
//
// Both job benchmarks report rows/s and the calls to ServiceTitan per
// contact changed and per contact already as asked (each row's own calls,
// counted by bulkbench.CountCalls around the client: rows worked at once
// are told apart).
// The list is bulkbench.Draw's mix (most contacts with marketing on, some
// off, unknown numbers, a few invalid lines); sizes come from
// BULK_BENCH_CUSTOMERS (default 20000), BULK_BENCH_ROWS (the preview's
// list, default 2000) and BULK_BENCH_JOB_ROWS (the job's, default 200):
//
//	go test -run '^$' -bench . -benchtime 2x ./bulk/
//	BULK_BENCH_CUSTOMERS=100000 BULK_BENCH_ROWS=10000 go test -run '^$' -bench Preview ./bulk/

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/bulk/bulkbench"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db/dbtest"
	"github.com/contactdesk/contactdesk/index"
)

// benchSize reads a size from the environment.
func benchSize(b *testing.B, name string, def, most int) int {
	n := def
	if v := os.Getenv(name); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > most {
			b.Fatalf("%s=%q: want 1 to %d", name, v, most)
		}
	}
	return n
}

// benchApp is the bulk path over a sandbox tenant: a client without a
// rate limit, the audit trail, the index (backfilled) and the bulk tables
// in one SQLite file, and the change service.
type benchApp struct {
	sb        *sandbox.Server
	customers int
	trail     audit.Store
	idx       *index.Store
	store     *bulk.Store
	changes   *change.Service
	svc       *bulk.Service
}

func newBenchApp(b *testing.B) *benchApp {
	b.Helper()
	ctx := context.Background()
	a := &benchApp{customers: benchSize(b, "BULK_BENCH_CUSTOMERS", 20000, sandbox.MaxGeneratedCustomers)}
	a.sb = sandboxtest.Start(b, sandbox.WithGeneratedCustomers(a.customers))
	cfg := a.sb.ClientConfig()
	cfg.Timeout = time.Minute
	st, err := client.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := dbtest.SQLiteAt(b, filepath.Join(b.TempDir(), "contactdesk.db"))
	if a.trail, err = audit.New(ctx, h); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.trail.Close() })
	if a.idx, err = index.Open(ctx, h); err != nil {
		b.Fatal(err)
	}
	if err := index.NewSyncer(st, a.idx, math.Inf(1), nil).Pass(ctx); err != nil {
		b.Fatal(err)
	}
	if a.store, err = bulk.Open(ctx, h); err != nil {
		b.Fatal(err)
	}
	a.changes, err = change.New(change.Config{ServiceTitan: bulkbench.CountCalls(st), Audit: a.trail, TenantID: cfg.TenantID, Budget: 30 * time.Second,
		Caches: []change.Cache{a.idx}})
	if err != nil {
		b.Fatal(err)
	}
	a.svc = &bulk.Service{Store: a.store, Index: a.idx}
	return a
}

// draw makes an opt-out list of n lines from the tenant.
func (a *benchApp) draw(b *testing.B, n int, seed uint64) ([]byte, bulkbench.Mix) {
	b.Helper()
	csv, mix, err := bulkbench.Draw(context.Background(), a.idx, sandbox.SeedCustomerID, sandbox.SeedCustomerID+int64(a.customers)+100, n, seed)
	if err != nil {
		b.Fatal(err)
	}
	return csv, mix
}

var owner = bulk.Person{Email: "kelly@acme.example", Name: "Kelly Ng"}

func BenchmarkPreview(b *testing.B) {
	a := newBenchApp(b)
	ctx := context.Background()
	csv, mix := a.draw(b, benchSize(b, "BULK_BENCH_ROWS", 2000, bulk.MaxRows), 1)
	parse := func(b *testing.B) bulk.List {
		list, err := bulk.Parse(bytes.NewReader(csv), bulkbench.Region)
		if err != nil {
			b.Fatal(err)
		}
		return list
	}
	linesPerSecond := func(b *testing.B) {
		b.ReportMetric(float64(mix.Lines()*b.N)/b.Elapsed().Seconds(), "lines/s")
	}
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			parse(b)
		}
		linesPerSecond(b)
	})
	b.Run("lookup", func(b *testing.B) {
		for b.Loop() {
			list := parse(b)
			values := make([]string, 0, len(list.Rows))
			for _, r := range list.Rows {
				values = append(values, r.Value())
			}
			if _, err := a.idx.ContactsByValue(ctx, values); err != nil {
				b.Fatal(err)
			}
		}
		linesPerSecond(b)
	})
	b.Run("preview", func(b *testing.B) {
		var p bulk.Preview
		for i := 0; i < b.N; i++ {
			var err error
			if _, p, err = a.svc.Preview(ctx, parse(b), bulkbench.OptOut, "optouts.csv", owner); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if _, err := a.store.DeleteDrafts(ctx, time.Now().Add(time.Second)); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		linesPerSecond(b)
		b.ReportMetric(float64(len(p.Rows)), "contacts")
	})
}

func BenchmarkJob(b *testing.B) {
	a := newBenchApp(b)
	ctx := context.Background()
	csv, _ := a.draw(b, benchSize(b, "BULK_BENCH_JOB_ROWS", 200, bulk.MaxRows), 2)
	list, err := bulk.Parse(bytes.NewReader(csv), bulkbench.Region)
	if err != nil {
		b.Fatal(err)
	}
	_, p, err := a.svc.Preview(ctx, list, bulkbench.OptOut, "optouts.csv", owner)
	if err != nil {
		b.Fatal(err)
	}
	// Each run starts from the tenant as the list was drawn from it.
	// A row is a customer's contact or a service location's (the list
	// matches either).
	originals := make([]client.Contact, len(p.Rows))
	for i, t := range p.Rows {
		var ok bool
		if t.LocationID != 0 {
			originals[i], ok = a.sb.LocationContact(t.LocationID, t.ContactID)
		} else {
			originals[i], ok = a.sb.Contact(t.CustomerID, t.ContactID)
		}
		if !ok {
			b.Fatalf("contact %d of customer %d (location %d) is not in the sandbox", t.ContactID, t.CustomerID, t.LocationID)
		}
	}
	restore := func() {
		for i, t := range p.Rows {
			c := originals[i]
			c.ModifiedOn = time.Now().UTC()
			owner := client.CustomerOwner(t.CustomerID)
			if t.LocationID != 0 {
				owner = client.LocationOwner(t.CustomerID, t.LocationID)
				a.sb.SetLocationContact(t.LocationID, c)
			} else {
				a.sb.SetContact(t.CustomerID, c)
			}
			a.idx.Wrote(ctx, owner, c) //nolint:errcheck // a benchmark's setup: the next read shows a miss
		}
	}
	counted := &bulkbench.Counted{Changes: a.changes}
	report := func(b *testing.B, rows int) {
		by := counted.Tallies()
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(by[change.Saved].PerContact(), "calls/changed")
		b.ReportMetric(by[change.NoChange].PerContact(), "calls/unchanged")
	}

	b.Run("direct", func(b *testing.B) {
		counted.Reset()
		rows := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			restore()
			b.StartTimer()
			for _, t := range p.Rows {
				o := counted.SetPreferences(ctx, change.PreferencesRequest{Actor: change.Actor{Email: owner.Email, Name: owner.Name},
					CustomerID: t.CustomerID, LocationID: t.LocationID, ContactID: t.ContactID, Set: bulkbench.OptOut.Set})
				if o.Result != change.Saved && o.Result != change.NoChange {
					b.Fatalf("contact %d: %s", t.ContactID, o.Result)
				}
				rows++
			}
		}
		report(b, rows)
	})
	b.Run("job", func(b *testing.B) {
		counted.Reset()
		runner := bulk.NewRunner(bulk.RunnerConfig{Store: a.store, Changes: counted, Trail: a.trail, PerSecond: math.Inf(1)})
		rows := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			restore()
			job, _, err := a.svc.Preview(ctx, list, bulkbench.OptOut, "optouts.csv", owner)
			if err != nil {
				b.Fatal(err)
			}
			if ok, err := a.store.Confirm(ctx, job, owner.Email, func(*sql.Tx) error { return nil }); !ok || err != nil {
				b.Fatalf("Confirm: %v, %v", ok, err)
			}
			b.StartTimer()
			for {
				step, err := runner.Work(ctx, job)
				if err != nil {
					b.Fatal(err)
				}
				if !step.More {
					break
				}
			}
			b.StopTimer()
			c, err := a.store.Counts(ctx, job)
			if err != nil || c.Remaining() != 0 || c.Failed+c.Skipped != 0 {
				b.Fatalf("the job ended with %+v, %v", c, err)
			}
			rows += c.Total()
			b.StartTimer()
		}
		report(b, rows)
	})
}
