package change

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// PreferencesRequest asks to set some of a contact's notification
// preferences and nothing else, as a bulk job's row does.
type PreferencesRequest struct {
	Actor      Actor
	CustomerID int64
	// LocationID names the service location whose contact this is (of
	// customer CustomerID); 0 for the customer's own contact.
	LocationID int64
	ContactID  int64
	// Set are the flags to set (client.Flags names) and their values; a
	// flag not named keeps the value ServiceTitan holds.
	Set map[string]bool
	// Job is the bulk job making the change (its audit entries name it).
	Job int64
	// Matched is what the job's preview matched: a contact that no longer
	// holds it is left alone (Stale). nil: any.
	Matched *Matched
}

// ErrFlagNotHeld: a flag was asked of a record that does not carry it (a
// separate invoice or statement flag of a record with only the combined
// one).
var ErrFlagNotHeld = errors.New("change: the contact does not carry that flag")

// WithFlags is p with the flags in set applied, every other flag as held
// (client.Preferences.Reconcile): the combined "Invoices and statements"
// flag asked of a record that carries the separate flags sets all three;
// the separate flags asked of a record that carries only the
// combined one set it when they agree, and are refused (ErrFlagNotHeld)
// otherwise. A record without preferences (nil) gets ServiceTitan's
// defaults for the flags not asked. changed reports whether any value
// differs from p.
func WithFlags(p *client.Preferences, set map[string]bool) (out client.Preferences, changed bool, err error) {
	read := NewContactPreferences()
	if p != nil {
		read = *p
	}
	out = read.Clone()
	split := out.HasSplitInvoiceFlags()
	for _, flag := range client.Flags {
		v, asked := set[flag.Name]
		if !asked {
			continue
		}
		switch {
		case flag.Split && !split:
			other := map[string]string{"invoiceNotification": "statementNotification", "statementNotification": "invoiceNotification"}[flag.Name]
			if w, both := set[other]; !both || w != v {
				return out, false, fmt.Errorf("%w: %s (this contact has one flag for invoices and statements together)", ErrFlagNotHeld, flag.Label)
			}
			combined, _ := client.FlagNamed("invoiceStatementNotification")
			if combined.Set(&out, v) {
				changed = true
			}
		case flag.Name == "invoiceStatementNotification" && split:
			for _, name := range []string{"invoiceStatementNotification", "invoiceNotification", "statementNotification"} {
				f, _ := client.FlagNamed(name)
				if f.Set(&out, v) {
					changed = true
				}
			}
		default:
			if flag.Set(&out, v) {
				changed = true
			}
		}
	}
	out.Reconcile(read)
	return out, changed || p == nil, nil
}

// NewContactPreferences are the preferences ServiceTitan's UI gives a new
// contact (client.NewContactPreferences).
var NewContactPreferences = client.NewContactPreferences

// SetPreferences sets the flags asked of one contact: a read (the base of
// the change and of its audit entry: a colleague may have changed the
// contact since the list was matched; one that no longer holds what was
// matched is left alone), then, only when a flag differs, one
// PATCH of the preferences as just read with the asked flags changed
// (ServiceTitan requires them all; a flag nobody asked about keeps its
// value). So one call for a contact already as asked (NoChange, nothing
// recorded) and two for a change; a lost answer is settled by a third, a
// read, never by sending again. A contact that is gone is NotFound.
func (s *Service) SetPreferences(ctx context.Context, r PreferencesRequest) Outcome {
	return s.detached(ctx, func(ctx context.Context) Outcome {
		return s.setPreferences(ctx, r)
	})
}

func (s *Service) setPreferences(ctx context.Context, r PreferencesRequest) Outcome {
	what := describe(r.ContactID)
	owner := client.Owner{CustomerID: r.CustomerID, LocationID: r.LocationID}
	entry := audit.Entry{CustomerID: r.CustomerID, LocationID: r.LocationID, ContactID: r.ContactID, Job: r.Job}

	current, err := s.st.GetContactOf(ctx, owner, r.ContactID)
	if err != nil {
		// Nothing is sent; the attempt is still recorded, with the flags
		// it asked for and their old values unknown (not read).
		for _, flag := range client.Flags {
			if v, ok := r.Set[flag.Name]; ok {
				entry.Changes = append(entry.Changes, audit.Change{Field: flag.Path(), After: strconv.FormatBool(v)})
			}
		}
		at, auditErr := s.begin(ctx, entry, r.Actor)
		if auditErr != nil {
			return unrecorded()
		}
		return s.finish(ctx, at, failed(err), err, what)
	}
	if !r.Matched.heldBy(current) {
		s.metrics.Save("stale")
		return Outcome{Result: Stale, Contact: current}
	}
	prefs, changed, err := WithFlags(current.Preferences, r.Set)
	if err != nil {
		s.metrics.Save("invalid")
		var errs FieldErrors
		errs.Add(client.FieldPreferences, err.Error())
		return Outcome{Result: Invalid, Errors: errs, Contact: current}
	}
	if !changed {
		s.metrics.Save("no_change")
		return Outcome{Result: NoChange, Contact: current}
	}
	base := SnapshotOf(current)
	req := client.UpdateContactRequest{Preferences: &prefs}
	entry.Changes = Diff(base, req)
	at, err := s.begin(ctx, entry, r.Actor)
	if err != nil {
		return unrecorded()
	}
	updated, err := s.st.UpdateContactOf(ctx, owner, r.ContactID, req)
	confirmed := false
	if errors.Is(err, client.ErrOutcomeUnknown) {
		updated, err = s.confirmUpdate(ctx, UpdateRequest{CustomerID: r.CustomerID, LocationID: r.LocationID, ContactID: r.ContactID}, req, err)
		confirmed = true
	}
	if err != nil {
		return s.finish(ctx, at, failed(err), err, what)
	}
	s.wrote(ctx, owner, updated)
	return s.finish(ctx, at, Outcome{Result: Saved, Contact: updated, Confirmed: confirmed}, nil, what)
}

// Settle tells how an attempt ended when its outcome was lost (a crash
// between the write and its record, or an answer lost with the read after
// it failing): it reads the contact and records whether the change is
// there. An attempt already settled is returned as recorded; one whose
// contact cannot be read stays unknown and the error says why.
func (s *Service) Settle(ctx context.Context, auditID int64) (audit.Outcome, error) {
	e, err := audit.Get(ctx, s.audit, auditID)
	if err != nil {
		return "", fmt.Errorf("change: settle attempt %d: %w", auditID, err)
	}
	if e.Outcome != audit.OutcomeUnknown {
		return e.Outcome, nil
	}
	outcome, message, err := s.settle(ctx, e)
	if err != nil {
		return audit.OutcomeUnknown, fmt.Errorf("change: settle attempt %d: %w", auditID, err)
	}
	if err := s.audit.Complete(context.WithoutCancel(ctx), e.ID, outcome, []string{message}, ""); err != nil {
		return audit.OutcomeUnknown, fmt.Errorf("change: record the outcome of attempt %d: %w", auditID, err)
	}
	return outcome, nil
}
