// Package change makes every change to ServiceTitan's contacts: a
// customer's own and those of its service locations, which ServiceTitan
// treats alike (a request names the location, when it is one, beside the
// customer; the audit entry names both). Each kind of change (an update,
// a create, a delete, an undo, a bulk row) is one function that runs the
// same steps in the same order:
//
//  1. check what was asked, without calling anyone;
//  2. claim the form: a form posted again (a double click, a second tab,
//     Back and resubmit, another instance) waits for the first post and
//     gets its outcome instead of writing twice;
//  3. re-read the record: the base of the change and of its audit entry
//     (never the browser's copy), and the conflict check;
//  4. record the attempt in the audit trail before anything is sent (a
//     change that cannot be recorded is not sent);
//  5. write once;
//  6. when the answer is lost, read to tell whether the change is there,
//     never send it again;
//  7. record the outcome (audit trail, metrics, one log line) and tell the
//     caches what was written.
//
// One context policy holds for all of them: once a change starts, it runs
// to its end within the Service's budget even if the person's browser goes
// away, since a repeated post may be waiting for its outcome and the audit
// trail must say how it ended.
//
// The package knows nothing of HTTP or HTML: it takes plain inputs and
// returns an Outcome, which handlers map to pages.
package change

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// ServiceTitan is what changes need from the CRM client; *client.Client
// implements it. Each operation is on the contacts of an owner: a
// customer's own or a service location's, which ServiceTitan treats alike,
// so every change below serves both.
type ServiceTitan interface {
	ListContactsOf(ctx context.Context, o client.Owner) ([]client.Contact, error)
	GetContactOf(ctx context.Context, o client.Owner, contactID int64) (client.Contact, error)
	UpdateContactOf(ctx context.Context, o client.Owner, contactID int64, req client.UpdateContactRequest) (client.Contact, error)
	CreateContactOf(ctx context.Context, o client.Owner, req client.CreateContactRequest) (client.Contact, error)
	DeleteContactOf(ctx context.Context, o client.Owner, contactID int64) error
}

// Recorder counts changes by how they ended, for metrics.
type Recorder interface {
	Save(outcome string)
}

// Cache is told about every contact a change wrote, so that pages (and
// the tenant index) show it at once without asking ServiceTitan again.
//
// A cache that cannot take the contact returns an error: the write has
// happened all the same, so the error is logged, and the cache is stale
// until it learns otherwise (the index's next sync).
type Cache interface {
	Wrote(ctx context.Context, o client.Owner, ct client.Contact) error
}

// cacheTime bounds telling the caches about a write: it runs after the
// write, outside the request's own time.
const cacheTime = 5 * time.Second

// ReadCache is a Cache that is also told what a change read of a contact
// just before writing it: ServiceTitan's record then, which may hold
// changes made in ServiceTitan since the cache last saw the contact (the
// tenant index records those in the History before the app's write hides
// them).
type ReadCache interface {
	Cache
	Read(ctx context.Context, o client.Owner, ct client.Contact) error
}

// Actor is who asks for a change, and the request that carries it.
type Actor struct {
	Email     string
	Name      string
	RequestID string
}

// Config wires a Service.
type Config struct {
	ServiceTitan ServiceTitan
	// Audit is required: no change is sent without its entry.
	Audit audit.Store
	// Forms deduplicates posts of one form; NewMemoryForms() by default.
	Forms    Forms
	TenantID int64
	// Region reads phone numbers as typed (PHONE_REGION, e.g. "US").
	Region string
	// Budget bounds a change from its first call to its outcome.
	Budget  time.Duration
	Logger  *slog.Logger
	Metrics Recorder
	Caches  []Cache
}

// Service makes changes. It is safe for concurrent use.
type Service struct {
	written *writtenContacts
	st      ServiceTitan
	audit   audit.Store
	forms   Forms
	tenant  int64
	region  string
	budget  time.Duration
	log     *slog.Logger
	metrics Recorder
	caches  []Cache
}

// Timeouts of the steps that must happen even after the budget is spent.
const (
	// auditTimeout bounds writing the attempt: a stuck store must not hold
	// the person forever.
	auditTimeout = 5 * time.Second
	// confirmTimeout bounds the read after a lost answer: the budget may be
	// what ran out.
	confirmTimeout = 5 * time.Second
)

// New returns a Service; cfg.ServiceTitan and cfg.Audit are required.
func New(cfg Config) (*Service, error) {
	if cfg.ServiceTitan == nil || cfg.Audit == nil {
		return nil, errors.New("change: a ServiceTitan client and an audit store are required")
	}
	s := &Service{
		written: newWrittenContacts(),
		st:      cfg.ServiceTitan, audit: cfg.Audit, forms: cfg.Forms, tenant: cfg.TenantID,
		region: cfg.Region, budget: cfg.Budget, log: cfg.Logger, metrics: cfg.Metrics, caches: cfg.Caches,
	}
	if s.forms == nil {
		s.forms = NewMemoryForms()
	}
	if s.region == "" {
		s.region = "US"
	}
	if s.budget <= 0 {
		s.budget = 30 * time.Second
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = noRecorder{}
	}
	return s, nil
}

type noRecorder struct{}

func (noRecorder) Save(string) {}

// Region is where phone numbers are read as typed.
func (s *Service) Region() string { return s.region }

// once runs a change for the form named key at most once: the first post
// does the work, later posts wait for it (as long as their own ctx lets
// them) and get its outcome. An empty key (a form from before nonces) is
// not deduplicated. The work runs detached from ctx's cancellation, within
// the budget.
func (s *Service) once(ctx context.Context, key string, work func(ctx context.Context) Outcome) Outcome {
	if key == "" {
		return s.detached(ctx, work)
	}
	first, err := s.forms.Claim(ctx, key)
	if err != nil {
		s.log.ErrorContext(ctx, "form registry unavailable", "error", err)
		return Outcome{Result: NotSaved, Problem: client.Problem{Kind: client.ProblemInternal}}
	}
	if !first {
		o, err := s.forms.Wait(ctx, key)
		if errors.Is(err, ErrAbandoned) {
			s.metrics.Save("abandoned")
			s.log.WarnContext(ctx, "a form's first post was cut off by its instance's death; its outcome is unknown")
			return Outcome{Result: Abandoned}
		}
		if err != nil {
			return Outcome{Result: NotSaved, Problem: client.Classify(err)}
		}
		s.metrics.Save("replayed")
		o.Replayed = true
		return o
	}
	finished := false
	defer func() {
		if !finished {
			// A panic: nobody knows how far the change got, so waiting
			// posts are told exactly that, before the panic goes on.
			if err := s.forms.Finish(context.WithoutCancel(ctx), key, Outcome{Result: Unknown, Problem: client.Problem{Kind: client.ProblemInternal}}); err != nil {
				s.log.ErrorContext(ctx, "form outcome not recorded after a panic; a repost waits for the claim to expire", "error", err)
			}
		}
	}()
	o := s.detached(ctx, work)
	finished = true
	if err := s.forms.Finish(context.WithoutCancel(ctx), key, o); err != nil {
		s.log.ErrorContext(ctx, "form outcome not kept for repeated posts", "error", err)
	}
	return o
}

// detached runs work on a context that keeps ctx's values but not its
// cancellation, bounded by the budget.
func (s *Service) detached(ctx context.Context, work func(ctx context.Context) Outcome) Outcome {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.budget)
	defer cancel()
	return work(ctx)
}

// attempt is one change on its way through the audit trail.
type attempt struct {
	id    int64
	actor Actor
}

// begin records the attempt before anything is sent.
func (s *Service) begin(ctx context.Context, e audit.Entry, actor Actor) (*attempt, error) {
	e.Time = time.Now().UTC()
	e.ActorEmail, e.ActorName = auditText(actor.Email), auditText(actor.Name)
	e.TenantID, e.RequestID = s.tenant, actor.RequestID
	ctx, cancel := context.WithTimeout(ctx, auditTimeout)
	defer cancel()
	id, err := s.audit.Begin(ctx, e)
	if err != nil {
		s.metrics.Save("audit_failed")
		s.log.ErrorContext(ctx, "audit attempt not recorded; nothing sent", "request_id", actor.RequestID, "error", err)
		return nil, err
	}
	return &attempt{id: id, actor: actor}, nil
}

// unrecorded is the outcome of a change whose attempt could not be recorded.
func unrecorded() Outcome { return Outcome{Result: Unrecorded} }

// finish records how the attempt ended: its audit outcome, the metrics and
// one log line (without field values: those stay in the audit trail).
func (s *Service) finish(ctx context.Context, at *attempt, o Outcome, cause error, what string) Outcome {
	return s.finishAfter(ctx, at, o, cause, what, nil, nil)
}

// finishAfter is finish with work to do before the outcome is recorded
// (first) and after it (then), see completeAfter.
func (s *Service) finishAfter(ctx context.Context, at *attempt, o Outcome, cause error, what string, first, then func(context.Context)) Outcome {
	outcome, messages := auditOutcome(o, cause, what)
	o.AuditID = at.id
	s.metrics.Save(string(outcome))
	level := slog.LevelInfo
	if cause != nil {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("request_id", at.actor.RequestID), slog.String("outcome", string(outcome)),
		slog.Int64("audit_id", at.id), slog.String("traceId", o.Problem.TraceID),
	}
	if cause != nil {
		attrs = append(attrs, slog.String("error", cause.Error()))
	}
	s.log.LogAttrs(ctx, level, "change attempt", attrs...)
	if outcome == audit.OutcomeUnknown {
		for _, f := range []func(context.Context){first, then} {
			if f != nil {
				f(context.WithoutCancel(ctx))
			}
		}
		return o // unknown stays as begin wrote it
	}
	s.completeAfter(ctx, at.id, outcome, messages, o.Problem.TraceID, first, then)
	return o
}

// complete records an attempt's outcome, trying again for a while when
// the write fails (the database restarting). What is still not written is
// settled by reading the contact once the attempt is old enough (see
// ResolveUnknown), so the History does not say "unknown" for good.
func (s *Service) complete(ctx context.Context, id int64, outcome audit.Outcome, messages []string, traceID string) {
	s.completeAfter(ctx, id, outcome, messages, traceID, nil, nil)
}

// completeAfter is complete with work to do before the outcome (first) and
// after it (then; nil: none): where the audit trail writes outcomes in the
// background (SQLite, one instance), all three happen there, after the
// change's answer; the History's next read waits for first and the
// outcome, a search for then too (audit.CompleteAfter). Elsewhere all three
// happen now.
func (s *Service) completeAfter(ctx context.Context, id int64, outcome audit.Outcome, messages []string, traceID string, first, then func(context.Context)) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), audit.CompleteRetryTime)
	defer cancel()
	if err := audit.CompleteAfter(ctx, s.audit, id, outcome, messages, traceID, first, then); err != nil {
		s.log.ErrorContext(ctx, "audit outcome not recorded; it will be settled by reading the contact", "audit_id", id, "error", err)
	}
}

// wrote tells the caches about a contact ServiceTitan now holds.
func (s *Service) wrote(ctx context.Context, o client.Owner, ct client.Contact) {
	s.written.put(o, ct)
	s.tellCaches(ctx, o, ct)
}

// tellCaches is wrote's part for the caches (the search index) alone.
func (s *Service) tellCaches(ctx context.Context, o client.Owner, ct client.Contact) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheTime)
	defer cancel()
	for _, c := range s.caches {
		if err := c.Wrote(ctx, o, ct); err != nil {
			s.log.WarnContext(ctx, "a cache (the search index) did not take a saved contact; it shows the old one until the next sync",
				"contact_id", ct.ID, "error", err)
		}
	}
}

// describe names a contact as pages and the audit trail do.
func describe(contactID int64) string { return fmt.Sprintf("contact with ID %d", contactID) }

// describeOwner names a contact's owner as pages and the audit trail do:
// the customer, or the service location.
func describeOwner(o client.Owner) string {
	if o.IsLocation() {
		return fmt.Sprintf("location with ID %d", o.LocationID)
	}
	return fmt.Sprintf("customer with ID %d", o.CustomerID)
}

// read tells the caches what a change read of a contact before writing.
// A cache that cannot take it is logged: the change goes on.
func (s *Service) read(ctx context.Context, o client.Owner, ct client.Contact) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheTime)
	defer cancel()
	for _, c := range s.caches {
		if r, ok := c.(ReadCache); ok {
			if err := r.Read(ctx, o, ct); err != nil {
				s.log.WarnContext(ctx, "a cache (the search index) did not take a contact read before a change; a change made in ServiceTitan may be missing from its History",
					"contact_id", ct.ID, "error", err)
			}
		}
	}
}

// readAside tells the caches what a change read (see read) on its own
// goroutine, for a change that has more to wait for meanwhile (its write
// to ServiceTitan); the returned func waits until they have been told.
func (s *Service) readAside(ctx context.Context, o client.Owner, ct client.Contact) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.read(ctx, o, ct)
	}()
	return func() { <-done }
}

// ConflictMessage is a conflict's message in the audit trail; a conflict
// with another message is a value the customer already holds.
const ConflictMessage = "Changed in ServiceTitan since the form was opened; nothing was written."

// auditOutcome is how the audit trail words an outcome; what names the
// record, as pages do.
func auditOutcome(o Outcome, cause error, what string) (audit.Outcome, []string) {
	switch o.Result {
	case Saved, NoChange:
		if o.Unfinished != nil {
			e := Explain(*o.Unfinished, what)
			return audit.OutcomeSaved, append([]string{fmt.Sprintf("The contact was added, but its preferences were NOT saved: %s (%d %s).", e.Title, e.Status, http.StatusText(e.Status))}, o.Notes...)
		}
		return audit.OutcomeSaved, o.Notes
	case Invalid:
		return audit.OutcomeRejected, rejectionMessages(cause)
	case Conflict:
		return audit.OutcomeConflict, []string{ConflictMessage}
	case Duplicate:
		return audit.OutcomeConflict, []string{Explain(o.Problem, what).Body}
	case NotFound:
		return audit.OutcomeNotFound, []string{Explain(o.Problem, what).Body}
	case Unknown:
		return audit.OutcomeUnknown, nil
	case Unrecorded:
		return audit.OutcomeFailed, []string{"The attempt could not be recorded; nothing was sent."}
	}
	e := Explain(o.Problem, what)
	reason := fmt.Sprintf("%s (%d %s)", e.Title, e.Status, http.StatusText(e.Status))
	if o.Confirmed {
		reason += "; the answer was lost and a read showed the change is not there"
	}
	return audit.OutcomeFailed, []string{reason}
}

// fieldOrder lists the request's field paths in the order a form shows
// them, so messages are recorded in a stable order.
var fieldOrder = func() []string {
	out := []string{client.FieldType, client.FieldValue, client.FieldMemo, client.FieldPreferences}
	for _, flag := range client.Flags {
		out = append(out, flag.Path())
	}
	return out
}()

// rejectionMessages lists ServiceTitan's reasons for a 400, field by
// field, as the audit trail keeps them; text outside the error object (a
// gateway's) is kept there too, for support, but never shown on a page.
func rejectionMessages(cause error) []string {
	var apiErr *client.APIError
	if !errors.As(cause, &apiErr) {
		return nil
	}
	byField, other := apiErr.FieldErrors()
	var msgs []string
	for _, field := range fieldOrder {
		for _, m := range byField[field] {
			msgs = append(msgs, field+": "+m)
		}
	}
	msgs = append(msgs, other...)
	if len(msgs) == 0 {
		if m := cmp.Or(apiErr.Title, apiErr.Detail); m != "" {
			msgs = []string{m}
		}
	}
	return msgs
}

// auditText keeps a value storable everywhere: PostgreSQL refuses NUL bytes
// and invalid UTF-8, and a change must not fail over how a value is written
// down.
func auditText(s string) string { return audit.Text(s) }
