package change

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// Settled counts what ResolveUnknown found.
type Settled struct {
	Saved, NotSaved, Gone, StillUnknown int
}

// ResolveUnknown settles the attempts whose outcome was lost: the process
// stopped between the write and its outcome (a crash, a kill), or the
// outcome's write failed even when tried again. It reads each contact and
// records whether the change is there, instead of leaving "unknown" in the
// History for good. Only attempts begun before olderThan are looked at
// (see SettleAfter), so a change still under way on any instance is left
// alone; an attempt that was completed meanwhile is left as completed. An
// attempt whose contact cannot be read stays unknown for the next time.
func (s *Service) ResolveUnknown(ctx context.Context, olderThan time.Time) (Settled, error) {
	var pending []audit.Entry
	err := s.audit.Each(ctx, audit.Filter{Outcome: audit.OutcomeUnknown, To: olderThan}, func(e audit.Entry) error {
		pending = append(pending, e)
		return nil
	})
	if err != nil {
		return Settled{}, fmt.Errorf("change: find unknown attempts: %w", err)
	}
	var n Settled
	for _, e := range pending {
		outcome, message, err := s.settle(ctx, e)
		if err != nil {
			n.StillUnknown++
			s.log.WarnContext(ctx, "unknown attempt not settled", "audit_id", e.ID, "error", err)
			continue
		}
		if now, err := audit.Get(ctx, s.audit, e.ID); err != nil || now.Outcome != audit.OutcomeUnknown {
			continue // completed meanwhile (or pruned): its own outcome stands
		}
		if err := s.audit.Complete(ctx, e.ID, outcome, []string{message}, ""); err != nil {
			return n, fmt.Errorf("change: record the outcome of attempt %d: %w", e.ID, err)
		}
		switch outcome {
		case audit.OutcomeSaved:
			n.Saved++
		case audit.OutcomeNotFound:
			n.Gone++
		default:
			n.NotSaved++
		}
	}
	return n, nil
}

// SettleAfter is how old an unknown attempt must be before it is settled
// by reading its contact: by then its write, cut off or not, can no longer
// land (the change's budget, the request timeout, bounds it), and the
// process that made it, if alive, has read the contact after a lost answer
// and tried its outcome's write again.
func (s *Service) SettleAfter() time.Duration {
	return s.budget + confirmTimeout + audit.CompleteRetryTime
}

// settle reads the contact of an unknown attempt and says how it ended:
// an update or an add is there when the contact holds what it asked for,
// a removal when the contact is gone.
func (s *Service) settle(ctx context.Context, e audit.Entry) (audit.Outcome, string, error) {
	if e.Action == audit.ActionCreate && e.ContactID == 0 {
		return s.settleCreate(ctx, e)
	}
	current, err := s.st.GetContactOf(ctx, ownerOf(e), e.ContactID)
	switch {
	case e.Action == audit.ActionDelete && errors.Is(err, client.ErrNotFound):
		return audit.OutcomeSaved, "Checked afterwards: the contact is gone, so it was removed.", nil
	case e.Action == audit.ActionDelete && err == nil:
		return audit.OutcomeFailed, "Checked afterwards: the contact is still in ServiceTitan, so it was NOT removed.", nil
	case errors.Is(err, client.ErrNotFound):
		return audit.OutcomeNotFound, "Checked afterwards: the contact no longer exists.", nil
	case err != nil:
		return "", "", err
	case holds(current, e.Changes):
		return audit.OutcomeSaved, "Checked afterwards: the change is in ServiceTitan.", nil
	}
	return audit.OutcomeFailed, "Checked afterwards: the change is not in ServiceTitan.", nil
}

// settleCreate looks for the contact an add whose answer was lost would
// have made: one of the owner's contacts holding every value asked for.
// It records the contact found on the attempt.
func (s *Service) settleCreate(ctx context.Context, e audit.Entry) (audit.Outcome, string, error) {
	o := ownerOf(e)
	contacts, err := s.st.ListContactsOf(ctx, o)
	switch {
	case errors.Is(err, client.ErrNotFound) && o.IsLocation():
		return audit.OutcomeNotFound, "Checked afterwards: the location no longer exists.", nil
	case errors.Is(err, client.ErrNotFound):
		return audit.OutcomeNotFound, "Checked afterwards: the customer no longer exists.", nil
	case err != nil:
		return "", "", err
	}
	for _, ct := range contacts {
		if holds(ct, e.Changes) {
			if err := s.audit.SetContact(ctx, e.ID, ct.ID); err != nil {
				return "", "", err
			}
			return audit.OutcomeSaved, "Checked afterwards: the contact was added.", nil
		}
	}
	return audit.OutcomeFailed, "Checked afterwards: no such contact was added.", nil
}

// ownerOf is whose contact an attempt was about.
func ownerOf(e audit.Entry) client.Owner {
	return client.Owner{CustomerID: e.CustomerID, LocationID: e.LocationID}
}

// holds reports whether ct has every value the changes asked for.
func holds(ct client.Contact, changes []audit.Change) bool {
	for _, ch := range changes {
		if !Holds(ct, ch) {
			return false
		}
	}
	return true
}

// Holds reports whether ct has the value one change asked for (its After):
// its type, value, memo or a preference flag. Any other field (the
// texting status, which no request sets) is never held.
func Holds(ct client.Contact, ch audit.Change) bool {
	switch ch.Field {
	case client.FieldType:
		return string(ct.Type) == ch.After
	case client.FieldValue:
		return ct.Value == ch.After
	case client.FieldMemo:
		return ct.Memo == ch.After
	}
	flag, ok := flagByPath(ch.Field)
	want, err := strconv.ParseBool(ch.After)
	return ok && err == nil && ct.Preferences != nil && flag.In(*ct.Preferences) && flag.Get(*ct.Preferences) == want
}

func flagByPath(path string) (client.Flag, bool) {
	for _, f := range client.Flags {
		if f.Path() == path {
			return f, true
		}
	}
	return client.Flag{}, false
}
