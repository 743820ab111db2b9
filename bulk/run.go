package bulk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
)

// Changes is what a job needs of the write path; *change.Service has it.
// Every row goes through it: the read, the audit entry, one write, a lost
// answer settled by reading.
type Changes interface {
	SetPreferences(ctx context.Context, r change.PreferencesRequest) change.Outcome
	Delete(ctx context.Context, r change.DeleteRequest) change.Outcome
	Settle(ctx context.Context, auditID int64) (audit.Outcome, error)
}

// Trail finds a job's attempts in the audit trail; audit.Store has it.
type Trail interface {
	List(ctx context.Context, f audit.Filter) ([]audit.Entry, int, error)
}

// RunnerConfig wires a Runner.
type RunnerConfig struct {
	Store   *Store
	Changes Changes
	Trail   Trail
	// PerSecond is the jobs' share of the tenant's budget (BULK_RATE):
	// calls to ServiceTitan a second, all jobs of this instance together.
	PerSecond float64
	Logger    *slog.Logger
	// Metrics counts the rows worked, by outcome.
	Metrics RowRecorder
}

// RowRecorder counts rows by how they ended: a RowState, or "retried".
type RowRecorder interface {
	BulkRow(outcome string)
}

type noRows struct{}

func (noRows) BulkRow(string) {}

// Runner works jobs' rows.
type Runner struct {
	store   *Store
	changes Changes
	trail   Trail
	share   *rate.Limiter
	log     *slog.Logger
	metrics RowRecorder
	// step bounds one Work call; the job goes on in the next. It is well
	// within jobs.MaxJobTime, so a run is never rescued while it works.
	step time.Duration
	// parallel bounds the rows worked at once.
	parallel int
	// tries bounds the attempts at a row ServiceTitan keeps failing
	// (down, slow): after them the row fails.
	tries int
	// wait is how long a job waits after a fault of ServiceTitan's or of
	// the audit trail before it tries again.
	wait time.Duration
}

// NewRunner returns a Runner.
func NewRunner(cfg RunnerConfig) *Runner {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	perSecond := cfg.PerSecond
	if perSecond <= 0 {
		perSecond = 10
	}
	metrics := cfg.Metrics
	if metrics == nil {
		metrics = noRows{}
	}
	return &Runner{store: cfg.Store, changes: cfg.Changes, trail: cfg.Trail, share: rate.NewLimiter(rate.Limit(perSecond), 1),
		log: log, metrics: metrics, step: 30 * time.Second, parallel: Parallel, tries: 3, wait: 30 * time.Second}
}

// SetRate changes the jobs' share (BULK_RATE) while they run: the
// instances on one database split it.
func (r *Runner) SetRate(perSecond float64) {
	if perSecond > 0 {
		r.share.SetLimit(rate.Limit(perSecond))
	}
}

// Parallel is how many rows a step works at once.
const Parallel = 4

// Step says whether a job has more to do after a Work call, and after how
// long to go on.
type Step struct {
	More  bool
	After time.Duration
}

// Work works the rows of job for up to a step's time: the rows a crash left half-done first (settled from
// the audit trail, never sent again), then the pending rows in order, each
// through the write path at the jobs' rate. It stops between rows when the
// job is paused or cancelled, and marks it done when no row is left. A row
// is claimed before it is worked, so no contact is changed twice however
// many workers run.
func (r *Runner) Work(ctx context.Context, job int64) (Step, error) {
	j, err := r.store.Job(ctx, job)
	if err != nil {
		return Step{}, err
	}
	if j.State != Running {
		return Step{}, nil
	}
	if err := r.recover(ctx, j); err != nil {
		return r.pause(ctx, j, "The job could not read its audit trail; it tries again shortly.", err)
	}
	deadline := time.Now().Add(r.step)
	for time.Now().Before(deadline) {
		rows, err := r.store.Pending(ctx, job, 20)
		if err != nil {
			return Step{}, err
		}
		if len(rows) == 0 {
			stuck, err := r.store.Stuck(ctx, job)
			if err != nil {
				return Step{}, err
			}
			if len(stuck) > 0 {
				// A row whose outcome could not be told yet.
				return r.pause(ctx, j, "ServiceTitan could not be read to tell how a change ended; the job checks again shortly.", nil)
			}
			if _, err := r.store.Finished(ctx, job); err != nil {
				return Step{}, err
			}
			r.log.InfoContext(ctx, "bulk job done", "job", job)
			return Step{}, nil
		}
		var stop *Step
		if j, stop, err = r.batch(ctx, j, rows); err != nil || stop != nil {
			return deref(stop), err
		}
	}
	return Step{More: true}, nil
}

func deref(s *Step) Step {
	if s == nil {
		return Step{}
	}
	return *s
}

// batch works rows, up to r.parallel at once: ServiceTitan takes a tenth
// of a second or more to answer, and one row at a time would leave most of
// the jobs' share unused (the share, not this, bounds the calls). Before
// each row it checks that the job still runs; after a
// fault it starts no more rows, lets those in hand finish, and ends the
// step (stop) waiting as the fault asks.
func (r *Runner) batch(ctx context.Context, j Job, rows []Target) (Job, *Step, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fault struct {
			wait    time.Duration
			problem string
			err     error
		}
		slots = make(chan struct{}, r.parallel)
	)
	faulted := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fault.problem != "" || fault.err != nil
	}
	for _, t := range rows {
		// A free slot first, then the checks: a pause while every slot
		// was busy must stop the next row.
		slots <- struct{}{}
		if ctx.Err() != nil || faulted() {
			<-slots
			break
		}
		// Between rows: stop when someone paused or cancelled the job.
		current, err := r.store.Job(ctx, j.ID)
		if err != nil {
			wg.Wait()
			return j, nil, err
		}
		if current.State != Running {
			wg.Wait()
			return current, &Step{}, nil
		}
		j = current
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			wait, problem, err := r.work(ctx, current, t)
			if problem == "" && err == nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				fault.err = err
			case fault.problem == "" || wait > fault.wait:
				// The longest wait asked for (a 429's Retry-After) wins.
				fault.wait, fault.problem = wait, problem
			}
		}()
	}
	wg.Wait()
	switch {
	case fault.err != nil:
		return j, nil, fault.err
	case fault.problem != "":
		step, err := r.pause(ctx, j, fault.problem, nil, fault.wait)
		return j, &step, err
	case ctx.Err() != nil:
		// The app is stopping: the job goes on after the restart (or on
		// another instance) from the rows written down.
		return j, &Step{More: true}, nil
	}
	if j.Problem != "" {
		// The job's page keeps saying why it waited until the next row
		// clears it: not worth stopping the job for.
		if err := r.store.SetProblem(ctx, j.ID, ""); err != nil {
			r.log.WarnContext(ctx, "bulk job's problem not cleared", "job", j.ID, "error", err)
		}
		j.Problem = ""
	}
	return j, nil, nil
}

// pause stops a step after a fault, saying why on the job's page, and
// goes on after wait (r.wait by default).
func (r *Runner) pause(ctx context.Context, j Job, problem string, cause error, wait ...time.Duration) (Step, error) {
	if cause != nil {
		r.log.WarnContext(ctx, "bulk job waits", "job", j.ID, "problem", problem, "error", cause)
	}
	if err := r.store.SetProblem(ctx, j.ID, problem); err != nil {
		return Step{}, err
	}
	after := r.wait
	if len(wait) > 0 && wait[0] > 0 {
		after = wait[0]
	}
	return Step{More: true, After: after}, nil
}

// work works one row: claim it, make the change, record how it ended. A
// problem (ServiceTitan down, the trail unwritable) puts the row back and
// says why the job must wait, and for how long.
func (r *Runner) work(ctx context.Context, j Job, t Target) (wait time.Duration, problem string, err error) {
	claimed, err := r.store.Claim(ctx, j.ID, t.Seq)
	if err != nil || !claimed {
		return 0, "", err
	}
	t.Tries++
	o := r.apply(client.Background(ctx, r.share), j, t)
	state, message, retry := r.judge(o, t, j.Started)
	switch {
	case retry != "" && o.Result == change.Unknown:
		// The change may be there: the row stays running, and is settled
		// from the audit trail once ServiceTitan can be read.
		return 0, retry, nil
	case retry != "":
		if err := r.store.Retry(ctx, j.ID, t.Seq, message); err != nil {
			return 0, "", err
		}
		r.metrics.BulkRow("retried")
		return o.Problem.RetryAfter, retry, nil
	}
	if err := r.store.Finish(ctx, j.ID, t.Seq, state, o.AuditID, message); err != nil {
		return 0, "", err
	}
	r.metrics.BulkRow(string(state))
	return 0, "", nil
}

// apply makes the change for one row through the write path.
func (r *Runner) apply(ctx context.Context, j Job, t Target) change.Outcome {
	actor := change.Actor{Email: j.Owner.Email, Name: j.Owner.Name, RequestID: fmt.Sprintf("bulk-%d-%d", j.ID, t.Seq)}
	// The row changes the contact its preview showed, nothing else: one
	// a colleague has since given another value or type is left alone.
	matched := &change.Matched{Type: client.ContactType(t.Type), Value: t.Value}
	if j.Action.Kind == Remove {
		return r.changes.Delete(ctx, change.DeleteRequest{Actor: actor, CustomerID: t.CustomerID, LocationID: t.LocationID, ContactID: t.ContactID, Job: j.ID,
			Matched: matched})
	}
	return r.changes.SetPreferences(ctx, change.PreferencesRequest{Actor: actor, CustomerID: t.CustomerID, LocationID: t.LocationID, ContactID: t.ContactID,
		Set: j.Action.Set, Job: j.ID, Matched: matched})
}

// FoundChanged begins the message of a row whose contact the preview
// showed needing the change and the job found already as asked, changed
// after the job started: not "already as asked" before the job. A job
// resumed from a restored backup finds so the contacts it had changed
// itself (their rows and audit entries went with the restore); a
// colleague's change looks the same. Such rows are counted apart.
const FoundChanged = "Found as asked, changed after the job started"

// ChangedSincePreview is the message of a row skipped because its contact
// no longer holds the type and value the preview matched.
const ChangedSincePreview = "Changed since the preview"

// judge maps an outcome to the row's state and message, or says why the
// row must be tried again later (retry, a message for the job's page).
func (r *Runner) judge(o change.Outcome, t Target, started time.Time) (state RowState, message, retry string) {
	what := fmt.Sprintf("contact with ID %d", t.ContactID)
	switch o.Result {
	case change.Saved:
		return RowChanged, "", ""
	case change.NoChange:
		if t.Planned == PlanChange && !started.IsZero() && o.Contact.ModifiedOn.After(started) {
			return RowUnchanged, FoundChanged + ": nothing was sent. This job may have made the change before its database was restored from a backup, or someone else did.", ""
		}
		return RowUnchanged, "", ""
	case change.NotFound:
		return RowSkipped, "The contact no longer exists in ServiceTitan.", ""
	case change.Stale:
		return RowSkipped, fmt.Sprintf("%s: the contact is now %s %s, so it was left as it is.",
			ChangedSincePreview, o.Contact.Type.Label(), o.Contact.Value), ""
	case change.Invalid, change.Duplicate, change.Conflict:
		return RowFailed, errorText(o), ""
	case change.Unrecorded:
		return "", "", "The audit trail cannot be written to, so nothing is sent; the job waits and tries again."
	case change.Unknown:
		return "", "", "ServiceTitan's answer to a change was lost and it could not be read to tell whether the change is there; the job checks again shortly."
	}
	e := change.Explain(o.Problem, what)
	reason := fmt.Sprintf("%s (%d %s)", e.Title, e.Status, http.StatusText(e.Status))
	switch o.Problem.Kind {
	case client.ProblemRateLimited:
		return "", reason, "ServiceTitan asked the app to slow down; the job waits as it asked."
	case client.ProblemCredentials:
		return "", reason, "ServiceTitan refused the app's credentials; the job waits until they work again."
	case client.ProblemTimeout, client.ProblemUnavailable, client.ProblemUnreachable, client.ProblemCancelled, client.ProblemInternal:
		if t.Tries < r.tries {
			return "", reason, "ServiceTitan is not answering as it should; the job waits and tries again."
		}
	}
	return RowFailed, reason, ""
}

// errorText words the messages of a refused change for the result.
func errorText(o change.Outcome) string {
	var msgs []string
	for _, field := range []string{client.FieldType, client.FieldValue, client.FieldMemo, client.FieldPreferences} {
		msgs = append(msgs, o.Errors.ByField[field]...)
	}
	for field, ms := range o.Errors.ByField {
		if field != client.FieldType && field != client.FieldValue && field != client.FieldMemo && field != client.FieldPreferences {
			msgs = append(msgs, ms...)
		}
	}
	msgs = append(msgs, o.Errors.Other...)
	if len(msgs) == 0 {
		return "ServiceTitan refused the change."
	}
	return strings.Join(msgs, " ")
}

// recover settles the rows a worker left running (it stopped between
// claiming a row and recording how it ended) from the audit trail: a
// change recorded as saved is not made again, an attempt left unknown is
// settled by reading the contact, and a row with no attempt (nothing was
// sent) or a failed one is worked again.
func (r *Runner) recover(ctx context.Context, j Job) error {
	stuck, err := r.store.Stuck(ctx, j.ID)
	if err != nil {
		return err
	}
	for _, t := range stuck {
		entries, _, err := r.trail.List(ctx, audit.Filter{Job: j.ID, ContactID: t.ContactID, Limit: 1, SkipTotal: true})
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			if err := r.store.Retry(ctx, j.ID, t.Seq, ""); err != nil {
				return err
			}
			continue
		}
		e := entries[0]
		outcome := e.Outcome
		if outcome == audit.OutcomeUnknown {
			if outcome, err = r.changes.Settle(client.Background(ctx, r.share), e.ID); err != nil {
				// Still cannot tell: the row stays running for the next step.
				r.log.WarnContext(ctx, "bulk row not settled yet", "job", j.ID, "seq", t.Seq, "audit_id", e.ID, "error", err)
				continue
			}
		}
		note := "Checked after the job was interrupted: "
		switch outcome {
		case audit.OutcomeSaved:
			err = r.store.Finish(ctx, j.ID, t.Seq, RowChanged, e.ID, note+"the change is in ServiceTitan.")
		case audit.OutcomeNotFound:
			err = r.store.Finish(ctx, j.ID, t.Seq, RowSkipped, e.ID, "The contact no longer exists in ServiceTitan.")
		case audit.OutcomeRejected:
			err = r.store.Finish(ctx, j.ID, t.Seq, RowFailed, e.ID, strings.Join(e.Messages, " "))
		default:
			err = r.store.Retry(ctx, j.ID, t.Seq, "")
		}
		if err != nil {
			return err
		}
		r.log.InfoContext(ctx, "bulk row settled after an interruption", "job", j.ID, "seq", t.Seq, "audit_id", e.ID, "outcome", string(outcome))
	}
	return nil
}
