// Package audit keeps the audit trail of every contact save attempt: who
// changed which contact, when, from what to what, and how it ended.
//
// ServiceTitan attributes changes made through its API to the integration,
// not to a person, so this trail is the only record of who made a change.
// A save is recorded in two steps: Store.Begin before the PATCH is sent (the
// row then says OutcomeUnknown, so a crash mid-save still leaves a row), and
// Store.Complete once the outcome is known.
//
// Two backends share one implementation over database/sql: SQLite (pure Go,
// modernc.org/sqlite; the default, a file such as data/audit.db) and
// PostgreSQL (github.com/jackc/pgx/v5). Both create and migrate their schema
// on open from migrations embedded in the binary.
//
// The store records exactly the values the caller passes; it never logs them.
package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

// Outcome is how a save attempt ended.
type Outcome string

// The outcomes of a save attempt.
const (
	// OutcomeUnknown is the outcome of an attempt that has begun but not
	// completed: still in flight, or the process stopped mid-save.
	OutcomeUnknown Outcome = "unknown"
	// OutcomeSaved means ServiceTitan accepted the change.
	OutcomeSaved Outcome = "saved"
	// OutcomeRejected means ServiceTitan refused the change as invalid
	// (e.g. 422); Entry.Messages holds its messages.
	OutcomeRejected Outcome = "rejected"
	// OutcomeConflict means the contact changed underneath the edit (409).
	OutcomeConflict Outcome = "conflict"
	// OutcomeNotFound means the customer or contact no longer exists (404).
	OutcomeNotFound Outcome = "not_found"
	// OutcomeFailed means the attempt failed for another reason (rate limit,
	// ServiceTitan down or slow, ...); Entry.Messages holds the reason.
	OutcomeFailed Outcome = "failed"
)

// Outcomes lists every outcome, OutcomeUnknown first.
var Outcomes = []Outcome{OutcomeUnknown, OutcomeSaved, OutcomeRejected, OutcomeConflict, OutcomeNotFound, OutcomeFailed}

// Valid reports whether o is one of the outcomes in Outcomes.
func (o Outcome) Valid() bool {
	return slices.Contains(Outcomes, o)
}

// Action is what an attempt set out to do to a contact.
type Action string

// The actions of an attempt.
const (
	// ActionUpdate is an edit of an existing contact; every attempt made
	// before actions were recorded was one.
	ActionUpdate Action = "update"
	// ActionCreate adds a contact (Entry.Undoes names the removal it
	// re-creates when it is an undo).
	ActionCreate Action = "create"
	// ActionDelete removes a contact.
	ActionDelete Action = "delete"
)

// Actions lists every action, ActionUpdate first.
var Actions = []Action{ActionUpdate, ActionCreate, ActionDelete}

// Valid reports whether a is one of the actions in Actions.
func (a Action) Valid() bool {
	return slices.Contains(Actions, a)
}

// Source is where a change was made.
type Source string

// The sources of an entry.
const (
	// SourceApp: an attempt made through this app, by the person (or
	// bulk job) the entry names. Every entry Store.Begin records is one.
	SourceApp Source = "app"
	// SourceServiceTitan: a change made in ServiceTitan itself (its own
	// screens, another integration, the customer texting STOP or START),
	// learned by the tenant index from the export feeds. It names no
	// person: ServiceTitan does not say who made it (see External).
	SourceServiceTitan Source = "servicetitan"
)

// Sources lists every source, SourceApp first.
var Sources = []Source{SourceApp, SourceServiceTitan}

// Valid reports whether s is one of the sources in Sources.
func (s Source) Valid() bool {
	return slices.Contains(Sources, s)
}

// Change is one field changed by an attempt.
type Change struct {
	// Field is the API path of the field, e.g. "memo" or
	// "preferences.jobRemindersEnabled".
	Field string
	// Before is the value ServiceTitan held just before the attempt, as
	// the app read it then (never the browser's copy); empty when the
	// contact could not be read, as nothing was sent then.
	Before string
	// After is the value the attempt tried to save.
	After string
}

// Entry is one save attempt.
type Entry struct {
	// ID identifies the entry; assigned by Store.Begin.
	ID int64
	// Source is where the change was made: SourceApp for every attempt
	// Store.Begin records, SourceServiceTitan for a change the tenant
	// index saw in ServiceTitan (External.Record).
	Source Source
	// Time is when the attempt started, in UTC. Stored with microsecond
	// precision; Store.Begin uses the current time when it is zero. A
	// change made in ServiceTitan is dated as ServiceTitan dates it (its
	// modifiedOn).
	Time time.Time
	// ActorEmail is the email of the person who made the attempt
	// (required of an attempt; empty for a change made in ServiceTitan,
	// which names nobody).
	ActorEmail string
	// ActorName is the display name of that person, if known; for a
	// change made in ServiceTitan, ExternalActor.
	ActorName string
	// TenantID is the ServiceTitan tenant.
	TenantID int64
	// CustomerID is the ServiceTitan customer the contact belongs to.
	CustomerID int64
	// LocationID is the service location whose contact the attempt is
	// about (CustomerID is then the location's customer); 0 for a
	// customer's own contact.
	LocationID int64
	// ContactID is the ServiceTitan contact the attempt is about.
	ContactID int64
	// Action is what the attempt set out to do. Store.Begin stores an
	// empty Action as ActionUpdate, so List and Each never return one.
	Action Action
	// Undoes is the ID of the attempt (an ActionDelete) that this attempt,
	// an ActionCreate, undoes by re-creating the contact; 0 for any other
	// attempt. That attempt may since have been pruned.
	Undoes int64
	// Job is the bulk job (bulk_jobs.id) that made the attempt, for its
	// owner; 0 for a person's own edit.
	Job int64
	// Changes are the fields the attempt tried to change, in order.
	Changes []Change
	// Outcome is how the attempt ended; OutcomeUnknown until completed.
	Outcome Outcome
	// Messages are ServiceTitan's rejection messages or the failure reason.
	Messages []string
	// TraceID is the trace ID of the attempt (e.g. ServiceTitan's), if any.
	TraceID string
	// RequestID is this app's ID of the HTTP request that made the attempt.
	RequestID string
	// CompletedAt is when the outcome was recorded, in UTC; zero while the
	// outcome is unknown.
	CompletedAt time.Time
}

// Filter selects entries for Store.List and Store.Each. Zero fields do not
// filter.
type Filter struct {
	// ID selects the one entry with that ID when non-zero.
	ID int64
	// Actor matches ActorEmail exactly, ignoring case.
	Actor string
	// ActorLike matches entries whose ActorEmail or ActorName holds it,
	// ignoring case ("jordan", "@acme.example").
	ActorLike string
	// CustomerID matches Entry.CustomerID when non-zero.
	CustomerID int64
	// CustomerIDs matches an Entry.CustomerID among them, when not empty
	// (a customer found by name).
	CustomerIDs []int64
	// ContactID matches Entry.ContactID when non-zero.
	ContactID int64
	// LocationID matches Entry.LocationID when non-zero: the attempts on
	// one service location's contacts.
	LocationID int64
	// From and To select entries whose Time is in [From, To); a zero bound
	// is open, so To alone selects the entries begun before it.
	From, To time.Time
	// Outcome matches Entry.Outcome when not empty: OutcomeUnknown, for
	// instance, finds the attempts in flight or left unfinished by a crash.
	Outcome Outcome
	// Action matches Entry.Action when not empty.
	Action Action
	// Source matches Entry.Source when not empty.
	Source Source
	// Job matches Entry.Job when non-zero: the attempts of one bulk job.
	Job int64
	// Undoes matches the attempts that undo one of these removals (their
	// Entry.Undoes among them), when not empty.
	Undoes []int64
	// Limit is the maximum number of entries List returns; zero or less
	// means no limit. Each ignores it.
	Limit int
	// Offset is the number of matching entries List skips, newest first;
	// negative means zero. Each ignores it.
	Offset int
	// SkipTotal spares the count of all matching entries (List then
	// returns -1 as the total), for callers that only show a page.
	SkipTotal bool
}

// Store is where the audit trail is kept. Its methods are safe for
// concurrent use.
type Store interface {
	// Begin records an attempt before the PATCH is sent, with outcome
	// unknown, so a crash mid-save leaves a row. It stores e's Time (now
	// when zero), actor, IDs, action (ActionUpdate when empty), Undoes,
	// Job, LocationID, changes, TraceID and RequestID; e.ID, e.Outcome, e.Messages and
	// e.CompletedAt are ignored. It returns the new entry's ID.
	// e.ActorEmail and every Change.Field must be non-empty, e.Action empty
	// or valid, and e.Undoes 0 unless e.Action is ActionCreate.
	Begin(ctx context.Context, e Entry) (id int64, err error)
	// Complete sets the outcome of an attempt, its messages and its
	// completion time (now). An empty traceID keeps the trace ID given to
	// Begin. outcome must be valid and not OutcomeUnknown. Completing an
	// attempt again replaces its outcome. It returns an error wrapping
	// ErrNotFound when no attempt has that id. Callers
	// should pass a context that outlives the HTTP request (for instance
	// context.WithoutCancel) so that an abandoned request is still recorded.
	Complete(ctx context.Context, id int64, outcome Outcome, messages []string, traceID string) error
	// SetContact records the contact an attempt is about once it is
	// known: a create learns its contact's ID from ServiceTitan's answer.
	// It returns an error wrapping ErrNotFound when no attempt has that id.
	SetContact(ctx context.Context, id, contactID int64) error
	// List returns entries matching f, newest first, and the total count
	// matching f (ignoring Limit/Offset).
	List(ctx context.Context, f Filter) ([]Entry, int, error)
	// Each calls fn with every entry matching f, newest first, ignoring
	// f.Limit and f.Offset: it is List for any number of entries, holding
	// only a few hundred in memory at a time. It reads them a page at a
	// time, between calls to fn, so fn may take its time and may use the
	// store; the walk is not one snapshot (an attempt begun meanwhile with
	// an older Time may be visited or not, an outcome completed meanwhile
	// may be read before or after). It stops at the first error of fn and
	// returns it unwrapped.
	Each(ctx context.Context, f Filter, fn func(Entry) error) error
	// Prune deletes entries older than before; returns how many.
	Prune(ctx context.Context, before time.Time) (int64, error)
	// Ping checks that the database can be reached.
	Ping(ctx context.Context) error
	// Close releases the store's statements; the Store cannot be used
	// afterwards. The database handle stays open: its opener closes it.
	Close() error
}

// Lister lists entries: the Store's reads, as the pages use them.
type Lister interface {
	List(ctx context.Context, f Filter) ([]Entry, int, error)
}

// Get returns the entry with that id, or an error wrapping ErrNotFound.
func Get(ctx context.Context, s Lister, id int64) (Entry, error) {
	entries, _, err := s.List(ctx, Filter{ID: id, Limit: 1, SkipTotal: true})
	if err != nil {
		return Entry{}, err
	}
	if len(entries) == 0 {
		return Entry{}, fmt.Errorf("audit: attempt %d: %w", id, ErrNotFound)
	}
	return entries[0], nil
}

// Text keeps a value storable in both databases: PostgreSQL refuses NUL
// bytes and invalid UTF-8, and a change must not fail over how a value is
// written down.
func Text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// ErrNotFound is returned (wrapped) by Store.Complete for an unknown id.
var ErrNotFound = errors.New("audit: no such attempt")

// dialectNamed is the dialect of a db.SQLite or db.Postgres handle.
func dialectNamed(name string) (*dialect, error) {
	switch name {
	case db.SQLite:
		return sqliteDialect, nil
	case db.Postgres:
		return postgresDialect, nil
	}
	return nil, fmt.Errorf("audit: no dialect %q", name)
}

// New migrates the audit trail's tables on h and returns the Store over
// them. h stays the caller's: Close leaves it open.
func New(ctx context.Context, h *db.DB) (Store, error) {
	d, err := dialectNamed(h.Dialect)
	if err != nil {
		return nil, err
	}
	s, err := newSQLStore(ctx, h.DB, h.Reader(), d)
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", h.Where, err)
	}
	return s, nil
}
