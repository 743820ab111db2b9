package change

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// DeleteRequest asks to remove a contact, as the confirmation page does.
type DeleteRequest struct {
	Actor      Actor
	CustomerID int64
	// LocationID names the service location whose contact this is (of
	// customer CustomerID); 0 for the customer's own contact.
	LocationID int64
	ContactID  int64
	// Shown is the contact as the confirmation page showed it: its
	// ModifiedOn is the conflict check.
	Shown Snapshot
	Form  string
	// Job is the bulk job making the removal (its audit entry names it);
	// a job's row has no Shown: the contact is removed as long as it
	// holds what its preview matched (Matched).
	Job     int64
	Matched *Matched
}

// Matched is the contact a bulk row's preview matched, as the index held
// it: its type and value. The row changes the contact only while
// ServiceTitan holds the same.
type Matched struct {
	Type  client.ContactType
	Value string
}

// heldBy reports whether ct still holds what was matched: the same type,
// and the same value (a phone number by its digits, an email whatever its
// case). A number without a digit (an invalid value the hygiene report
// lists, "call office") is compared as written, spaces around it and case
// aside: by its digits it would match nothing, and the row would say the
// contact had changed when it had not. A nil Matched matches any contact.
func (m *Matched) heldBy(ct client.Contact) bool {
	switch {
	case m == nil:
		return true
	case ct.Type != m.Type:
		return false
	case m.Type.IsPhoneNumber() && client.Digits(m.Value) == "":
		return client.Digits(ct.Value) == "" && strings.EqualFold(strings.TrimSpace(ct.Value), strings.TrimSpace(m.Value))
	}
	return sameValue(ct, m.Type, m.Value)
}

// owner is whose contact it is.
func (r DeleteRequest) owner() client.Owner {
	return client.Owner{CustomerID: r.CustomerID, LocationID: r.LocationID}
}

// Delete removes a contact through Customers_DeleteContact (a location's
// through Locations_DeleteContact): a read (the
// record the audit trail keeps, so an Undo can bring it back, and the
// conflict check), then the DELETE. A lost answer is settled by reading.
// Outcome.Contact is the contact as it was removed.
func (s *Service) Delete(ctx context.Context, r DeleteRequest) Outcome {
	return s.once(ctx, r.Form, func(ctx context.Context) Outcome {
		return s.remove(ctx, r)
	})
}

func (s *Service) remove(ctx context.Context, r DeleteRequest) Outcome {
	what := describe(r.ContactID)
	entry := audit.Entry{Action: audit.ActionDelete, CustomerID: r.CustomerID, LocationID: r.LocationID, ContactID: r.ContactID, Job: r.Job}

	current, err := s.st.GetContactOf(ctx, r.owner(), r.ContactID)
	if err != nil {
		at, auditErr := s.begin(ctx, entry, r.Actor)
		if auditErr != nil {
			return unrecorded()
		}
		return s.finish(ctx, at, failed(err), err, what)
	}
	s.read(ctx, r.owner(), current)
	if !r.Matched.heldBy(current) {
		s.metrics.Save("stale")
		return Outcome{Result: Stale, Contact: current}
	}
	entry.Changes = RemovedFields(current)
	at, err := s.begin(ctx, entry, r.Actor)
	if err != nil {
		return unrecorded()
	}
	if r.Job == 0 && r.Shown.ChangedIn(current) {
		return s.finish(ctx, at, Outcome{Result: Conflict, Contact: current}, nil, what)
	}
	err = s.st.DeleteContactOf(ctx, r.owner(), r.ContactID)
	confirmed := false
	if errors.Is(err, client.ErrOutcomeUnknown) {
		err = s.confirmDelete(ctx, r.owner(), r.ContactID, err)
		confirmed = true
	}
	if err != nil {
		return s.finish(ctx, at, failed(err), err, what)
	}
	s.removedFromCaches(ctx, r.owner(), r.ContactID)
	return s.finish(ctx, at, Outcome{Result: Saved, Contact: current, Confirmed: confirmed}, nil, what)
}

// confirmDelete reads after a DELETE whose answer was lost: gone means
// removed.
func (s *Service) confirmDelete(ctx context.Context, o client.Owner, contactID int64, lost error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	_, err := s.st.GetContactOf(ctx, o, contactID)
	switch {
	case errors.Is(err, client.ErrNotFound):
		return nil
	case err != nil:
		return &unconfirmed{lost: lost, check: err}
	}
	return &notThere{lost: lost}
}

// removedFromCaches forgets a removed contact.
func (s *Service) removedFromCaches(ctx context.Context, o client.Owner, contactID int64) {
	s.written.forget(o, contactID)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheTime)
	defer cancel()
	for _, c := range s.caches {
		if r, ok := c.(RemovalCache); ok {
			if err := r.Removed(ctx, o, contactID); err != nil {
				s.log.WarnContext(ctx, "a cache (the search index) did not forget a removed contact; it shows it until the next sync",
					"contact_id", contactID, "error", err)
			}
		}
	}
}

// RemovalCache is a Cache that is also told about removed contacts.
type RemovalCache interface {
	Cache
	Removed(ctx context.Context, o client.Owner, contactID int64) error
}

// RemovedFields lists the fields of a contact being removed, as the
// audit trail records a delete (the app's, or one made in ServiceTitan):
// the old values, no new ones. An Undo or a Restore re-creates the
// contact from them. A number's texting status is recorded too: a number
// that texted STOP comes back without its opt-out, and the Undo must know.
func RemovedFields(ct client.Contact) []audit.Change {
	out := []audit.Change{
		{Field: client.FieldType, Before: string(ct.Type)},
		{Field: client.FieldValue, Before: auditText(ct.Value)},
		{Field: client.FieldMemo, Before: auditText(ct.Memo)},
	}
	if ct.PhoneSettings != nil {
		out = append(out, audit.Change{Field: client.FieldDoNotText, Before: strconv.FormatBool(ct.PhoneSettings.DoNotText)})
	}
	if p := ct.Preferences; p != nil {
		for _, flag := range client.Carried(*p) {
			out = append(out, audit.Change{Field: flag.Path(), Before: strconv.FormatBool(flag.Get(*p))})
		}
	}
	return out
}

// UndoRequest asks to re-create a contact a removal took away: the Undo
// offered right after a removal, or Restore from the History. Who may undo
// which removal is the caller's to decide.
type UndoRequest struct {
	Actor      Actor
	CustomerID int64
	// LocationID names the service location the removal was of (of
	// customer CustomerID); 0 for the customer's own contacts.
	LocationID int64
	// Removal is the audit entry of the removal (an id: the values come
	// from the trail, never from the browser).
	Removal int64
	Form    string
}

// ErrNotUndoable: the removal named cannot be undone (no such removal of
// this customer's, or this location's, or it did not succeed).
var ErrNotUndoable = errors.New("change: that removal cannot be undone")

// Undo re-creates the contact a removal took away, with the same type,
// value, memo and preferences, read from the audit trail. It is a create,
// recorded as undoing the removal.
//
// A number that had texted STOP comes back without its opt-out:
// ServiceTitan keeps it with the removed contact and the API cannot set
// it. So the new contact gets marketing updates off (recorded in the same
// entry, with why), and the outcome says the opt-out was not carried over
// (TextingOptOutLost) for the page to say what to do.
func (s *Service) Undo(ctx context.Context, r UndoRequest) (Outcome, error) {
	e, err := audit.Get(ctx, s.audit, r.Removal)
	if err != nil || e.Action != audit.ActionDelete || e.Outcome != audit.OutcomeSaved || e.CustomerID != r.CustomerID || e.LocationID != r.LocationID {
		return Outcome{}, fmt.Errorf("%w: attempt %d", ErrNotUndoable, r.Removal)
	}
	removal := RemovalOf(e)
	value, errs := Check(removal.Fields, Snapshot{}, s.region)
	if !errs.Empty() {
		// A value ServiceTitan held that our rules reject: send it as held.
		value = removal.Fields.Value
	}
	prefs, marketingOff := removal.Preferences, false
	if removal.TextedStop {
		if prefs == nil {
			prefs = new(NewContactPreferences())
		}
		marketingOff = prefs.MarketingUpdatesEnabled
		prefs.MarketingUpdatesEnabled = false
	}
	return s.once(ctx, r.Form, func(ctx context.Context) Outcome {
		if by, found, err := s.RestoredBy(ctx, r.Removal); err != nil {
			s.log.ErrorContext(ctx, "undo refused: its removal's undos cannot be read", "removal", r.Removal, "error", err)
			return Outcome{Result: NotSaved, Problem: client.Problem{Kind: client.ProblemInternal}}
		} else if found {
			s.metrics.Save(string(AlreadyRestored))
			return Outcome{Result: AlreadyRestored, AuditID: by.ID, Contact: client.Contact{ID: by.ContactID}}
		}
		o := s.create(ctx, CreateRequest{Actor: r.Actor, CustomerID: r.CustomerID, LocationID: r.LocationID, Asked: removal.Fields, Undoes: r.Removal,
			textedStop: removal.TextedStop, marketingOff: marketingOff}, value, prefs)
		if o.OK() {
			o.TextingOptOutLost, o.MarketingTurnedOff = removal.TextedStop, marketingOff && o.Unfinished == nil
		}
		return o
	}), nil
}

// RestoredBy finds the undo that brought back what a removal took away.
func (s *Service) RestoredBy(ctx context.Context, removal int64) (audit.Entry, bool, error) {
	by, err := s.Restorations(ctx, []int64{removal})
	e, found := by[removal]
	return e, found, err
}

// Restorations finds, in one query, the undos that brought back what the
// removals took away, by removal: the newest saved one of each (an undo
// whose outcome is unknown or failed restored nothing known).
func (s *Service) Restorations(ctx context.Context, removals []int64) (map[int64]audit.Entry, error) {
	out := map[int64]audit.Entry{}
	if len(removals) == 0 {
		return out, nil
	}
	undos, _, err := s.audit.List(ctx, audit.Filter{Undoes: removals, Outcome: audit.OutcomeSaved, SkipTotal: true})
	if err != nil {
		return out, fmt.Errorf("change: find the undos of removals: %w", err)
	}
	for _, u := range undos {
		if _, seen := out[u.Undoes]; !seen {
			out[u.Undoes] = u
		}
	}
	return out, nil
}

// Removal is a removed contact as its audit entry recorded it.
type Removal struct {
	// Fields are its type, value, memo and flags.
	Fields Fields
	// Preferences are its flags as ServiceTitan held them (nil: none).
	Preferences *client.Preferences
	// TextedStop: the customer had texted STOP to the number (a removal
	// recorded before texting status was does not say, and reads false).
	TextedStop bool
}

// RemovalOf reads a removed contact back from its removal's audit entry.
func RemovalOf(e audit.Entry) Removal {
	f, p := fieldsOfRemoval(e.Changes)
	r := Removal{Fields: f, Preferences: p}
	for _, ch := range e.Changes {
		if ch.Field == client.FieldDoNotText {
			r.TextedStop = ch.Before == "true"
		}
	}
	return r
}

// fieldsOfRemoval reads a removed contact back from its audit changes.
func fieldsOfRemoval(changes []audit.Change) (Fields, *client.Preferences) {
	f := Fields{Flags: map[string]bool{}}
	var p client.Preferences
	hasPrefs := false
	for _, ch := range changes {
		switch ch.Field {
		case client.FieldType:
			f.Type = ch.Before
		case client.FieldValue:
			f.Value = ch.Before
		case client.FieldMemo:
			f.Memo = ch.Before
		default:
			flag, ok := flagByPath(ch.Field)
			v, err := strconv.ParseBool(ch.Before)
			if !ok || err != nil {
				continue
			}
			hasPrefs = true
			if flag.Split && !p.HasSplitInvoiceFlags() {
				p.InvoiceNotification, p.StatementNotification = new(false), new(false)
			}
			flag.Set(&p, v)
			f.Flags[flag.Name] = v
		}
	}
	if !hasPrefs {
		return f, nil
	}
	return f, &p
}
