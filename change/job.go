package change

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/time/rate"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/jobs"
)

// SettleArgs is the periodic job that settles the attempts whose outcome
// was lost (ResolveUnknown), on whichever instance River gives it: a
// crashed instance's attempts too, while the others run, not only at the
// next start.
type SettleArgs struct{}

// Kind implements river.JobArgs.
func (SettleArgs) Kind() string { return "change_settle" }

// SettleEvery is how often unknown attempts are looked for. Looking costs
// one indexed query; each attempt found costs one read of ServiceTitan.
const SettleEvery = 15 * time.Second

// InsertOpts makes at most one settle job a period, and none is retried
// (the next period's goes on): River counts a job a dead process left
// "running" as running for a quarter of an hour, and uniqueness over it
// would stop the settling for as long.
func (SettleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: SettleEvery}}
}

// settleRate is the settling's share of the tenant's budget: reads that
// never queue ahead of people's.
const settleRate = 2

// SettleWorker works SettleArgs.
type SettleWorker struct {
	river.WorkerDefaults[SettleArgs]
	Service *Service
	share   *rate.Limiter
}

// NewSettleWorker returns the worker of the settle job.
func NewSettleWorker(s *Service) *SettleWorker {
	return &SettleWorker{Service: s, share: rate.NewLimiter(settleRate, 1)}
}

// Work settles the unknown attempts old enough to be settled, and logs
// what it found.
func (w *SettleWorker) Work(ctx context.Context, _ *river.Job[SettleArgs]) error {
	s := w.Service
	n, err := s.ResolveUnknown(client.Background(ctx, w.share), time.Now().Add(-s.SettleAfter()))
	if n != (Settled{}) {
		s.log.InfoContext(ctx, "unknown attempts settled by reading their contacts",
			"saved", n.Saved, "not_saved", n.NotSaved, "gone", n.Gone, "still_unknown", n.StillUnknown)
	}
	return err
}

// Timeout lets a long list of attempts (ServiceTitan down while many
// were cut off) be worked a while at a time, within what River may rescue
// after a crash.
func (w *SettleWorker) Timeout(*river.Job[SettleArgs]) time.Duration { return jobs.MaxJobTime }

// PeriodicSettle schedules the settle job every SettleEvery, and at start.
func PeriodicSettle() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(SettleEvery),
		func() (river.JobArgs, *river.InsertOpts) { return SettleArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
