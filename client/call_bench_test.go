package client_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/metrics"
)

// BenchmarkSaveCalls times a save's two calls (the re-read and the PATCH)
// through a client as the plain app builds it (no options) and through one
// as the app does (app.Serve: its JSON log, its Prometheus observer and
// the tenant's rate budget, lifted so it never waits), each against a
// sandbox of its own in this process. Each iteration makes one pair of
// each in turn, so both meet the same load on a shared machine; the
// medians are p50-ns/plain and p50-ns/app, the pairs' own (issue #30,
// docs/profile-save.md).
func BenchmarkSaveCalls(b *testing.B) {
	for _, level := range []slog.Level{slog.LevelWarn, slog.LevelInfo} {
		b.Run("log="+level.String(), func(b *testing.B) {
			plain := saveCaller(b)
			log := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level}))
			app := saveCaller(b, client.WithLogger(log), client.WithObserver(metrics.New("bench")), client.WithRateLimit(1e9))
			var plains, apps []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				plains = append(plains, plain())
				apps = append(apps, app())
			}
			b.ReportMetric(float64(p50(plains)), "p50-ns/plain")
			b.ReportMetric(float64(p50(apps)), "p50-ns/app")
		})
	}
}

// saveCaller returns a func that makes a save's two calls through a client
// built with opts, against a sandbox of its own, and times them.
func saveCaller(b *testing.B, opts ...client.Option) func() time.Duration {
	sb := sandboxtest.Start(b)
	c, err := client.New(sb.ClientConfig(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	owner := client.CustomerOwner(sandbox.SeedCustomerID)
	n := 0
	return func() time.Duration {
		n++
		memo := "Bench memo " + time.Duration(n).String()
		start := time.Now()
		if _, err := c.GetContactOf(ctx, owner, sandbox.SeedMobileContactID); err != nil {
			b.Fatal(err)
		}
		if _, err := c.UpdateContactOf(ctx, owner, sandbox.SeedMobileContactID, client.UpdateContactRequest{Memo: &memo}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
}

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
