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

// CreateRequest asks to add a contact to a customer, or to one of its
// service locations, as the add form does.
type CreateRequest struct {
	Actor      Actor
	CustomerID int64
	// LocationID names the service location (of customer CustomerID) the
	// contact is added to; 0 adds it to the customer.
	LocationID int64
	// Asked is the new contact: type, value, memo and the three preference
	// checkboxes of a new contact.
	Asked Fields
	// Form names this form instance; "" means not deduplicated.
	Form string
	// Undoes is the audit entry of the removal this create reverses (an
	// Undo), or 0.
	Undoes int64
	// textedStop: an Undo's number had texted STOP (the opt-out is not
	// carried over); marketingOff: the Undo turned marketing updates off
	// for that reason. Both are said in the audit entry.
	textedStop, marketingOff bool
}

// NewContactFlags are the preferences of a new contact as ServiceTitan's
// own UI sets them: job reminders on, marketing off, invoices and
// statements on.
func NewContactFlags() map[string]bool {
	return map[string]bool{"jobRemindersEnabled": true, "marketingUpdatesEnabled": false, "invoiceStatementNotification": true}
}

// owner is whose contact it is.
func (r CreateRequest) owner() client.Owner {
	return client.Owner{CustomerID: r.CustomerID, LocationID: r.LocationID}
}

// Create adds a contact through Customers_CreateContact (a location's
// through Locations_CreateContact): a read of the owner's contacts (a value already there is refused before anything
// is sent), the POST, and when ServiceTitan's answer drops preferences, an
// UpdateContact for them in the same attempt. A lost answer is settled by
// reading the contacts again, never by a second POST.
func (s *Service) Create(ctx context.Context, r CreateRequest) Outcome {
	value, errs := Check(r.Asked, Snapshot{}, s.region)
	if !errs.Empty() {
		s.metrics.Save("invalid")
		return Outcome{Result: Invalid, Errors: errs}
	}
	return s.once(ctx, r.Form, func(ctx context.Context) Outcome {
		return s.create(ctx, r, value, nil)
	})
}

// create sends a contact: value as checked, and prefs (nil: the three
// flags asked for a new contact).
func (s *Service) create(ctx context.Context, r CreateRequest, value string, prefs *client.Preferences) Outcome {
	what := describeOwner(r.owner())
	typ, _ := client.ParseContactType(r.Asked.Type)
	if prefs == nil {
		prefs = new(newPreferences(r.Asked.Flags))
	}
	req := client.CreateContactRequest{Type: typ, Value: value, Memo: r.Asked.Memo, Preferences: prefs}
	entry := audit.Entry{Action: audit.ActionCreate, CustomerID: r.CustomerID, LocationID: r.LocationID, Undoes: r.Undoes, Changes: added(req)}

	before, err := s.st.ListContactsOf(ctx, r.owner())
	if err != nil {
		at, auditErr := s.begin(ctx, entry, r.Actor)
		if auditErr != nil {
			return unrecorded()
		}
		return s.finish(ctx, at, failed(err), err, what)
	}
	if held, ok := holding(before, typ, value); ok {
		// Seen before anything is sent: the same answer as ServiceTitan's 409.
		s.metrics.Save("duplicate")
		return duplicate(r.owner(), held)
	}

	at, err := s.begin(ctx, entry, r.Actor)
	if err != nil {
		return unrecorded()
	}
	created, err := s.st.CreateContactOf(ctx, r.owner(), req)
	confirmed := false
	if errors.Is(err, client.ErrOutcomeUnknown) {
		created, err = s.confirmCreate(ctx, r.owner(), before, req, err)
		confirmed = true
	}
	switch {
	case errors.Is(err, client.ErrConflict):
		o := failed(err)
		if now, readErr := s.st.ListContactsOf(ctx, r.owner()); readErr == nil {
			if held, ok := holding(now, typ, value); ok {
				o.Contact = held // a link to it
			}
		}
		return s.finish(ctx, at, o, err, what)
	case err != nil:
		return s.finish(ctx, at, failed(err), err, what)
	}
	s.setContact(ctx, at, created.ID)

	// ServiceTitan's published spec for creates predates preferences, and
	// it has been seen to drop unknown fields with a 200: what it did not
	// take is sent again as an update, in the same attempt.
	o := Outcome{Result: Saved, Contact: created, Value: value, Confirmed: confirmed}
	if !Applied(client.UpdateContactRequest{Preferences: prefs}, created) {
		o.Contact, o.Unfinished = s.followUpPreferences(ctx, r.owner(), created, *prefs)
	}
	s.wrote(ctx, r.owner(), o.Contact)
	if r.textedStop {
		o.Notes = append(o.Notes, optOutNote(r.marketingOff, o.Unfinished != nil))
	}
	return s.finish(ctx, at, o, nil, what)
}

// optOutNote is what an undo's audit entry says of a number that had
// texted STOP: marketingOff when it turned marketing updates off for that
// reason, unfinished when the preferences it sent were not saved.
func optOutNote(marketingOff, unfinished bool) string {
	note := "The removed contact had texted STOP; ServiceTitan keeps that opt-out with the removed contact, so this one may be texted."
	switch {
	case unfinished:
		return note + " Its marketing updates were to be off, but its preferences were not saved."
	case marketingOff:
		return note + " Marketing updates were turned off on it for that reason."
	}
	return note + " Marketing updates stay off."
}

// followUpPreferences sends the preferences a create did not take. It
// returns the contact as it then is, and what could not be done.
func (s *Service) followUpPreferences(ctx context.Context, o client.Owner, created client.Contact, prefs client.Preferences) (client.Contact, *client.Problem) {
	req := client.UpdateContactRequest{Preferences: &prefs}
	updated, err := s.st.UpdateContactOf(ctx, o, created.ID, req)
	if errors.Is(err, client.ErrOutcomeUnknown) {
		updated, err = s.confirmUpdate(ctx, UpdateRequest{CustomerID: o.CustomerID, LocationID: o.LocationID, ContactID: created.ID}, req, err)
	}
	if err != nil {
		s.log.WarnContext(ctx, "a new contact's preferences were not saved", "contact_id", created.ID, "error", err)
		p := client.Classify(err)
		return created, &p
	}
	return updated, nil
}

// confirmCreate reads the owner's contacts after a POST whose answer
// was lost and looks for the contact it sent among those that were not
// there before.
func (s *Service) confirmCreate(ctx context.Context, o client.Owner, before []client.Contact, req client.CreateContactRequest, lost error) (client.Contact, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), confirmTimeout)
	defer cancel()
	now, err := s.st.ListContactsOf(ctx, o)
	if err != nil {
		return client.Contact{}, &unconfirmed{lost: lost, check: err}
	}
	known := map[int64]bool{}
	for _, ct := range before {
		known[ct.ID] = true
	}
	for _, ct := range now {
		if !known[ct.ID] && sameValue(ct, req.Type, req.Value) {
			return ct, nil
		}
	}
	return client.Contact{}, &notThere{lost: lost}
}

// setContact records the new contact on the attempt, so its History finds
// it; a failure is logged (the attempt itself is recorded).
func (s *Service) setContact(ctx context.Context, at *attempt, contactID int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := s.audit.SetContact(ctx, at.id, contactID); err != nil {
		s.log.ErrorContext(ctx, "the new contact's id was not recorded on its attempt", "audit_id", at.id, "error", err)
	}
}

// holding finds the customer's contact that already holds value (a phone
// number as digits, an email whatever its case).
func holding(contacts []client.Contact, typ client.ContactType, value string) (client.Contact, bool) {
	for _, ct := range contacts {
		if sameValue(ct, typ, value) {
			return ct, true
		}
	}
	return client.Contact{}, false
}

// sameValue reports whether ct holds value: phone numbers (landline,
// mobile, fax) compare by digits, emails ignoring case.
func sameValue(ct client.Contact, typ client.ContactType, value string) bool {
	switch {
	case typ == client.ContactEmail && ct.Type == client.ContactEmail:
		return strings.EqualFold(ct.Value, value)
	case typ.IsPhoneNumber() && ct.Type.IsPhoneNumber():
		return client.Digits(ct.Value) == client.Digits(value) && client.Digits(value) != ""
	}
	return false
}

// duplicate is the outcome of a value the owner already holds: the
// message next to the value, and the contact that holds it.
func duplicate(o client.Owner, held client.Contact) Outcome {
	var errs FieldErrors
	whose := "customer"
	if o.IsLocation() {
		whose = "location"
	}
	errs.Add("value", fmt.Sprintf("This %s already has %s as a contact.", whose, describeValue(held)))
	return Outcome{Result: Duplicate, Contact: held, Errors: errs}
}

func describeValue(ct client.Contact) string {
	if ct.Type.IsPhoneNumber() {
		return "this number"
	}
	return "this email address"
}

// newPreferences are the three flags of a new contact, as asked.
func newPreferences(flags map[string]bool) client.Preferences {
	return client.Preferences{
		JobRemindersEnabled:          flags["jobRemindersEnabled"],
		MarketingUpdatesEnabled:      flags["marketingUpdatesEnabled"],
		InvoiceStatementNotification: flags["invoiceStatementNotification"],
	}
}

// added lists the fields of a new contact, as the audit trail records a
// create: no old values, the new ones.
func added(req client.CreateContactRequest) []audit.Change {
	out := []audit.Change{
		{Field: client.FieldType, After: string(req.Type)},
		{Field: client.FieldValue, After: auditText(req.Value)},
	}
	if req.Memo != "" {
		out = append(out, audit.Change{Field: client.FieldMemo, After: auditText(req.Memo)})
	}
	if p := req.Preferences; p != nil {
		for _, flag := range client.Carried(*p) {
			out = append(out, audit.Change{Field: flag.Path(), After: strconv.FormatBool(flag.Get(*p))})
		}
	}
	return out
}
