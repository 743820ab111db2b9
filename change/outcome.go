package change

import (
	"github.com/contactdesk/contactdesk/client"
)

// Result is how a change ended.
type Result string

// The results of a change.
const (
	// Saved: ServiceTitan holds the change; Outcome.Contact is the record
	// as stored. Outcome.Confirmed is set when the answer was lost and a
	// read found the change there.
	Saved Result = "saved"
	// NoChange: what was asked is what ServiceTitan holds; nothing was sent.
	NoChange Result = "no_change"
	// Invalid: our checks or ServiceTitan (400) refused the values;
	// Outcome.Errors says why, per field.
	Invalid Result = "invalid"
	// Conflict: the contact changed since the form was opened; nothing was
	// written. Outcome.Contact is the record as it is now.
	Conflict Result = "conflict"
	// Duplicate: ServiceTitan refused the value as already held (409);
	// Outcome.Errors says so next to the value.
	Duplicate Result = "duplicate"
	// NotFound: the customer or contact does not exist (any more).
	NotFound Result = "not_found"
	// AlreadyRestored: the removal an undo names was undone already;
	// nothing was sent. Outcome.AuditID is that undo's entry and
	// Outcome.Contact.ID the contact it re-created.
	AlreadyRestored Result = "already_restored"
	// Stale: a bulk row's contact no longer holds the type and value its
	// preview matched (a colleague changed it since); nothing was written
	// or recorded. Outcome.Contact is the contact as it is now.
	Stale Result = "stale"
	// Unrecorded: the attempt could not be written to the audit trail, so
	// nothing was sent.
	Unrecorded Result = "unrecorded"
	// NotSaved: ServiceTitan did not make the change (down, slow, busy, or
	// its answer was lost and a read shows the change is not there:
	// Outcome.Confirmed). Outcome.Problem says why.
	NotSaved Result = "not_saved"
	// Unknown: the answer was lost and reading the contact failed too; the
	// change may or may not be there.
	Unknown Result = "unknown"
	// Abandoned: an earlier post of the same form was being worked on by
	// an instance of the app that died before it finished (a crash, a
	// kill): its change may or may not be there, and nothing was sent for
	// this post. Nothing is ServiceTitan's fault.
	Abandoned Result = "abandoned"
)

// Outcome is what a change came to. It is plain data: a repeated post of
// the same form gets the first post's Outcome, possibly from another
// instance, and renders its page from it.
type Outcome struct {
	Result Result `json:"result"`
	// Contact is the record as stored (Saved) or as it is now (Conflict).
	Contact client.Contact `json:"contact"`
	// Value is the asked value as it is sent (a phone number as 10 digits).
	Value string `json:"value,omitempty"`
	// Confirmed: the answer to the write was lost and a read settled it.
	Confirmed bool        `json:"confirmed,omitempty"`
	Errors    FieldErrors `json:"errors"`
	// Problem is why ServiceTitan did not (or may not have) made the change.
	Problem client.Problem `json:"problem"`
	// Unfinished is what a Saved change could not complete, and why: a new
	// contact whose preferences ServiceTitan did not take.
	Unfinished *client.Problem `json:"unfinished,omitempty"`
	// AuditID is the attempt's entry in the audit trail, when there is one.
	AuditID int64 `json:"auditId,omitempty"`
	// Notes are said in the audit entry of a Saved change, beside it.
	Notes []string `json:"notes,omitempty"`
	// TextingOptOutLost: an undone removal's number had texted STOP, and
	// the contact re-created for it has no opt-out (the API cannot set
	// one). MarketingTurnedOff: the undo turned marketing updates off on
	// it for that reason (they were on when it was removed).
	TextingOptOutLost  bool `json:"textingOptOutLost,omitempty"`
	MarketingTurnedOff bool `json:"marketingTurnedOff,omitempty"`
	// Replayed: this post repeated a form already posted; the outcome is
	// the first post's.
	Replayed bool `json:"-"`
}

// OK reports whether ServiceTitan holds what was asked.
func (o Outcome) OK() bool { return o.Result == Saved || o.Result == NoChange }

// FieldErrors are messages per form field ("type", "value", "memo", a flag
// name, or "preferences" for the group) and messages that belong to none.
type FieldErrors struct {
	ByField map[string][]string `json:"byField,omitempty"`
	Other   []string            `json:"other,omitempty"`
}

// Add appends a message to a field.
func (e *FieldErrors) Add(field, msg string) {
	if e.ByField == nil {
		e.ByField = map[string][]string{}
	}
	e.ByField[field] = append(e.ByField[field], msg)
}

// Empty reports whether there is no message at all.
func (e FieldErrors) Empty() bool { return len(e.ByField) == 0 && len(e.Other) == 0 }
