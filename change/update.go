package change

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// UpdateRequest asks to change one contact, as a person's form does.
type UpdateRequest struct {
	Actor      Actor
	CustomerID int64
	// LocationID names the service location whose contact this is (of
	// customer CustomerID); 0 for the customer's own contact.
	LocationID int64
	ContactID  int64
	// Opened is the contact as the form was opened with it (the browser's
	// copy): its ModifiedOn is the conflict check.
	Opened Snapshot
	// Asked is what the person wants the contact to be.
	Asked Fields
	// Form names this form instance (a nonce bound to the person's session
	// and the contact); "" means the post is not deduplicated.
	Form string
}

// owner is whose contact it is.
func (r UpdateRequest) owner() client.Owner {
	return client.Owner{CustomerID: r.CustomerID, LocationID: r.LocationID}
}

// Update changes a contact through Customers_UpdateContact (a location's
// through Locations_UpdateContact): at most two
// calls to ServiceTitan (the re-read and the PATCH), three when the
// PATCH's answer is lost (a read settles it).
func (s *Service) Update(ctx context.Context, r UpdateRequest) Outcome {
	// What the form itself shows to be wrong or unchanged costs no call.
	value, errs := Check(r.Asked, r.Opened, s.region)
	if !errs.Empty() {
		s.metrics.Save("invalid")
		return Outcome{Result: Invalid, Errors: errs}
	}
	if Patch(r.Asked, r.Opened, value).IsEmpty() {
		s.metrics.Save("no_change")
		return Outcome{Result: NoChange, Value: value}
	}
	return s.once(ctx, r.Form, func(ctx context.Context) Outcome {
		return s.update(ctx, r, value)
	})
}

func (s *Service) update(ctx context.Context, r UpdateRequest, openedValue string) Outcome {
	what := describe(r.ContactID)
	entry := audit.Entry{CustomerID: r.CustomerID, LocationID: r.LocationID, ContactID: r.ContactID}

	current, err := s.st.GetContactOf(ctx, r.owner(), r.ContactID)
	if err != nil {
		// Nothing is sent; the attempt is still recorded, with the fields it
		// asked to change and their old values unknown (not read).
		entry.Changes = unread(Diff(r.Opened, Patch(r.Asked, r.Opened, openedValue)))
		at, auditErr := s.begin(ctx, entry, r.Actor)
		if auditErr != nil {
			return unrecorded()
		}
		return s.finish(ctx, at, failed(err), err, what)
	}
	if r.Opened.ChangedIn(current) {
		s.read(ctx, r.owner(), current)
		if o, ok := s.alreadyAsked(ctx, r, current); ok {
			return o
		}
		// Recorded as what "Save mine anyway" would send: the person's own
		// changes against the current record, not reverts of someone else's.
		base := SnapshotOf(current)
		mine := Rebase(r.Asked, r.Opened, openedValue, current)
		entry.Changes = Diff(base, Patch(mine, base, mine.Value))
		at, auditErr := s.begin(ctx, entry, r.Actor)
		if auditErr != nil {
			return unrecorded()
		}
		return s.finish(ctx, at, Outcome{Result: Conflict, Contact: current, Value: openedValue}, nil, what)
	}

	// Judged again on the stored record: a value is exempt from our rules
	// only when it is the one ServiceTitan really holds.
	base := SnapshotOf(current)
	value, errs := Check(r.Asked, base, s.region)
	if !errs.Empty() {
		s.read(ctx, r.owner(), current)
		s.metrics.Save("invalid")
		return Outcome{Result: Invalid, Errors: errs}
	}
	req := Patch(r.Asked, base, value)
	if req.IsEmpty() {
		s.read(ctx, r.owner(), current)
		s.metrics.Save("no_change")
		return Outcome{Result: NoChange, Contact: current, Value: value}
	}

	entry.Changes = Diff(base, req)
	at, err := s.begin(ctx, entry, r.Actor)
	if err != nil {
		s.read(ctx, r.owner(), current)
		return unrecorded()
	}
	// The caches hear of the re-read while the PATCH is on its way (it
	// waits for ServiceTitan; their write waits for no one), and before
	// they hear of the write or the outcome is recorded.
	told := s.readAside(ctx, r.owner(), current)
	updated, err := s.st.UpdateContactOf(ctx, r.owner(), r.ContactID, req)
	confirmed := false
	if errors.Is(err, client.ErrOutcomeUnknown) {
		// Never sent again: read, and see whether the change is there.
		updated, err = s.confirmUpdate(ctx, r, req, err)
		confirmed = true
	}
	if err != nil {
		told()
		o := failed(err)
		o.Value = value
		return s.finish(ctx, at, o, err, what)
	}
	// The record page shows the contact as written at once (Written). The
	// re-read's report is in before the outcome; the search index's copy of
	// the saved contact comes after it, both after the answer where the
	// audit trail writes outcomes in the background (one instance on
	// SQLite): the History waits for the outcome, a search for the copy too
	// (audit.CompleteAfter).
	s.written.put(r.owner(), updated)
	return s.finishAfter(ctx, at, Outcome{Result: Saved, Contact: updated, Value: value, Confirmed: confirmed}, nil, what,
		func(context.Context) { told() },
		func(ctx context.Context) { s.tellCaches(ctx, r.owner(), updated) })
}

// alreadyAsked answers a post that finds the contact changed since its
// form was opened yet holding every value the form asks for. That is the
// person's own change when an earlier post of theirs made it and its
// answer was lost (the browser sent the form again after a timeout, or
// after the app crashed): their attempt on the contact that asked for
// those values, unknown, is settled as saved, and the answer is "saved" —
// never a conflict with themselves. With no such attempt someone else
// made the same change: nothing is sent (NoChange). ok is false when the
// contact does not hold what the form asks.
func (s *Service) alreadyAsked(ctx context.Context, r UpdateRequest, current client.Contact) (o Outcome, ok bool) {
	base := SnapshotOf(current)
	value, errs := Check(r.Asked, base, s.region)
	if !errs.Empty() || !Patch(r.Asked, base, value).IsEmpty() {
		return Outcome{}, false
	}
	earlier, _, err := s.audit.List(ctx, audit.Filter{ContactID: r.ContactID, LocationID: r.LocationID, Actor: r.Actor.Email, Action: audit.ActionUpdate,
		From: time.Now().Add(-FormTTL), Limit: 10, SkipTotal: true})
	if err != nil {
		s.log.WarnContext(ctx, "the person's earlier attempts could not be read", "request_id", r.Actor.RequestID, "error", err)
	}
	for _, e := range earlier {
		if len(e.Changes) == 0 || !holds(current, e.Changes) {
			continue
		}
		o := Outcome{Result: Saved, Contact: current, Value: value, AuditID: e.ID}
		switch e.Outcome {
		case audit.OutcomeUnknown:
			s.complete(ctx, e.ID, audit.OutcomeSaved, []string{"Checked when the form was sent again: the change is in ServiceTitan."}, "")
			o.Confirmed = true
		case audit.OutcomeSaved:
		default:
			continue
		}
		s.metrics.Save("replayed")
		s.wrote(ctx, r.owner(), current)
		return o, true
	}
	s.metrics.Save("no_change")
	return Outcome{Result: NoChange, Contact: current, Value: value}, true
}

// confirmUpdate re-reads a contact after a PATCH whose answer was lost and
// tells whether the change is there.
func (s *Service) confirmUpdate(ctx context.Context, r UpdateRequest, req client.UpdateContactRequest, lost error) (client.Contact, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	current, err := s.st.GetContactOf(ctx, r.owner(), r.ContactID)
	if err != nil {
		return client.Contact{}, &unconfirmed{lost: lost, check: err}
	}
	if !Applied(req, current) {
		return client.Contact{}, &notThere{lost: lost}
	}
	return current, nil
}

// notThere: the answer to a write was lost and a read shows the change is
// not there.
type notThere struct{ lost error }

func (e *notThere) Error() string { return "change not applied after a lost answer: " + e.lost.Error() }
func (e *notThere) Unwrap() error { return e.lost }

// unconfirmed: the answer was lost and the read failed too.
type unconfirmed struct{ lost, check error }

func (e *unconfirmed) Error() string {
	return fmt.Sprintf("outcome unknown: %v; re-read failed: %v", e.lost, e.check)
}
func (e *unconfirmed) Unwrap() []error { return []error{e.lost, e.check} }

// failed maps an error from a write (or the reads around it) to its outcome.
func failed(err error) Outcome {
	p := client.Classify(err)
	var nt *notThere
	var unc *unconfirmed
	switch {
	case errors.As(err, &unc):
		return Outcome{Result: Unknown, Problem: p}
	case errors.As(err, &nt):
		// The answer was lost (a timeout), or ServiceTitan failed in a way
		// that might have saved it anyway; the read showed it did not.
		return Outcome{Result: NotSaved, Confirmed: true, Problem: p}
	case p.Kind == client.ProblemInvalid:
		var apiErr *client.APIError
		errors.As(err, &apiErr)
		errs := PlaceErrors(apiErr)
		if errs.Empty() {
			// Only the error object's title is shown: any other text in
			// the body (a gateway's) is not ServiceTitan's word to staff.
			errs.Other = []string{cmp.Or(p.Title, fmt.Sprintf("ServiceTitan rejected the change (%d %s).", p.Status, http.StatusText(p.Status)))}
		}
		return Outcome{Result: Invalid, Errors: errs, Problem: p}
	case p.Kind == client.ProblemConflict:
		var apiErr *client.APIError
		errors.As(err, &apiErr)
		return Outcome{Result: Duplicate, Errors: PlaceErrors(apiErr), Problem: p}
	case p.Kind == client.ProblemNotFound:
		return Outcome{Result: NotFound, Problem: p}
	}
	return Outcome{Result: NotSaved, Problem: p}
}

// PlaceErrors puts ServiceTitan's `errors` on form fields: top-level paths
// as they are, a flag under its name, and "preferences" for the group.
// Keys that name no field go to Other; nothing is dropped.
func PlaceErrors(apiErr *client.APIError) FieldErrors {
	var errs FieldErrors
	if apiErr == nil {
		return errs
	}
	byPath, other := apiErr.FieldErrors()
	for _, path := range fieldOrder {
		field := path
		if flag, ok := flagByPath(path); ok {
			field = flag.Name
		}
		for _, m := range byPath[path] {
			errs.Add(field, m)
		}
	}
	errs.Other = other
	return errs
}

// Diff lists each field req changes, with the value base holds and the
// value asked for, as the audit trail records them.
func Diff(base Snapshot, req client.UpdateContactRequest) []audit.Change {
	var out []audit.Change
	if req.Type != nil {
		out = append(out, audit.Change{Field: client.FieldType, Before: string(base.Type), After: string(*req.Type)})
	}
	if req.Value != nil {
		out = append(out, audit.Change{Field: client.FieldValue, Before: auditText(base.Value), After: auditText(*req.Value)})
	}
	if req.Memo != nil {
		out = append(out, audit.Change{Field: client.FieldMemo, Before: auditText(base.Memo), After: auditText(*req.Memo)})
	}
	if p := req.Preferences; p != nil {
		var before client.Preferences
		if base.Preferences != nil {
			before = *base.Preferences
		}
		for _, flag := range client.Carried(*p) {
			old, now := flag.Get(before), flag.Get(*p)
			if old != now || base.Preferences == nil {
				out = append(out, audit.Change{Field: flag.Path(), Before: flagText(base.Preferences != nil, old), After: strconv.FormatBool(now)})
			}
		}
	}
	return out
}

// unread blanks the old values of changes: for an attempt whose contact
// could not be read they are unknown (the form's copy is not evidence).
func unread(changes []audit.Change) []audit.Change {
	for i := range changes {
		changes[i].Before = ""
	}
	return changes
}

func flagText(present, v bool) string {
	if !present {
		return "" // the record had no preferences
	}
	return strconv.FormatBool(v)
}
