package audit

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkSQLite times the audit trail's part of one save on SQLite: the
// row written before the PATCH (Begin), its outcome after it (Complete)
// and the record page's history (List of one contact, newest 20). The
// database first holds 2,000 attempts over 100 contacts, so the history
// query has rows to skip. Compare revisions with benchstat, as
// handlers/bench_test.go explains.
func BenchmarkSQLite(b *testing.B) {
	ctx := context.Background()
	s, err := openSQLite(b, ctx, filepath.Join(b.TempDir(), "audit.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	entry := func(contact int64, i int) Entry {
		return Entry{
			ActorEmail: "csr@example.com", ActorName: "Casey CSR",
			TenantID: 1, CustomerID: 10, ContactID: contact,
			Changes: []Change{{Field: "memo", Before: "old memo", After: fmt.Sprintf("memo %d", i)}},
			TraceID: "trace", RequestID: "request",
		}
	}
	for i := range 2000 {
		id, err := s.Begin(ctx, entry(int64(i%100), i))
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Complete(ctx, id, OutcomeSaved, nil, ""); err != nil {
			b.Fatal(err)
		}
	}
	history := Filter{CustomerID: 10, ContactID: 7, Limit: 20, SkipTotal: true}

	b.Run("Begin", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Begin(ctx, entry(7, i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Complete", func(b *testing.B) {
		id, err := s.Begin(ctx, entry(7, 0))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Complete(ctx, id, OutcomeSaved, nil, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("History", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			entries, _, err := s.List(ctx, history)
			if err != nil || len(entries) != 20 {
				b.Fatalf("List: %d entries, %v", len(entries), err)
			}
		}
	})
	// One save: Begin, Complete, then the record page's history.
	b.Run("Save", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			id, err := s.Begin(ctx, entry(7, i))
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Complete(ctx, id, OutcomeSaved, nil, ""); err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.List(ctx, history); err != nil {
				b.Fatal(err)
			}
		}
	})
}
