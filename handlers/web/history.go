package web

import (
	"cmp"
	"strings"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// actionLabels name what an attempt did, as the History shows it.
var actionLabels = map[audit.Action]string{
	audit.ActionUpdate: "Edited",
	audit.ActionCreate: "Added",
	audit.ActionDelete: "Removed",
}

// externalActionLabels name what a change made in ServiceTitan did.
var externalActionLabels = map[audit.Action]string{
	audit.ActionUpdate: "Edited in ServiceTitan",
	audit.ActionCreate: "Added in ServiceTitan",
	audit.ActionDelete: "Removed in ServiceTitan",
}

var outcomeLabels = map[audit.Outcome]string{
	audit.OutcomeSaved:    "Saved",
	audit.OutcomeRejected: "Rejected by ServiceTitan",
	audit.OutcomeConflict: "Not saved: changed by someone else",
	audit.OutcomeNotFound: "Not saved: contact not found",
	audit.OutcomeFailed:   "Not saved: failed",
	audit.OutcomeUnknown:  "Unknown: the answer was lost",
}

// fieldLabels name the API paths of audited fields for people.
func FieldLabel(field string) string {
	switch field {
	case "type":
		return "Type"
	case "value":
		return "Value"
	case "memo":
		return "Memo"
	case client.FieldDoNotText:
		return "Texting"
	}
	for _, flag := range client.Flags {
		if field == flag.Path() {
			return flag.Label
		}
	}
	return field
}

// HistoryViews shows entries; names name their customers and contacts
// (the contact page, which shows one contact, passes none).
func (a *Web) HistoryViews(entries []audit.Entry, names EntryNames) []views.HistoryEntry {
	out := make([]views.HistoryEntry, 0, len(entries))
	for _, e := range entries {
		h := views.HistoryEntry{
			Time: a.TimeView(e.Time), Source: string(cmp.Or(e.Source, audit.SourceApp)), ActorEmail: e.ActorEmail, ActorName: e.ActorName,
			Outcome: string(e.Outcome), OutcomeLabel: OutcomeLabel(e),
			Action: string(e.Action), ActionLabel: cmp.Or(actionLabels[e.Action], string(e.Action)),
			CustomerID: e.CustomerID, ContactID: e.ContactID, ContactURL: OwnerOfEntry(e.CustomerID, e.LocationID).ContactURL(e.ContactID),
			Messages: e.Messages, TraceID: e.TraceID, Job: e.Job,
			CustomerName: names.Customers[e.CustomerID], ContactText: names.Contacts[e.ContactID],
		}
		if e.LocationID != 0 {
			h.LocationID, h.LocationName = e.LocationID, names.Locations[e.LocationID]
			h.LocationAuditURL = AuditURLOf(OwnerOfEntry(e.CustomerID, e.LocationID))
		}
		if e.Job != 0 {
			h.JobURL = BulkURL(e.Job)
		}
		if e.Undoes != 0 {
			h.Undoes, h.ActionLabel = e.Undoes, "Restored"
		}
		if e.Source == audit.SourceServiceTitan {
			h.ActionLabel = cmp.Or(externalActionLabels[e.Action], h.ActionLabel)
		}
		if e.Action == audit.ActionDelete && e.Outcome == audit.OutcomeSaved {
			if by, ok := names.Restored[e.ID]; ok {
				h.RestoredURL = OwnerOfEntry(e.CustomerID, e.LocationID).ContactURL(by.ContactID)
			} else {
				h.RestoreURL = RestoreURL(OwnerOfEntry(e.CustomerID, e.LocationID), e.ID)
			}
		}
		for _, ch := range e.Changes {
			h.Changes = append(h.Changes, views.ChangeView{Label: FieldLabel(ch.Field),
				Before: a.PlainValue(ch.Field, ch.Before), After: a.PlainValue(ch.Field, ch.After)})
		}
		out = append(out, h)
	}
	return out
}

// OutcomeLabel says why an attempt ended as it did, in words: a conflict
// is either someone else's change or a value the customer already had.
func OutcomeLabel(e audit.Entry) string {
	if e.Outcome == audit.OutcomeConflict && len(e.Messages) > 0 && e.Messages[0] != change.ConflictMessage {
		return "Not saved: the customer already has it"
	}
	if e.Outcome == audit.OutcomeFailed && len(e.Messages) > 0 {
		// The change service records a failure as "Title (status text)".
		switch m := e.Messages[0]; {
		case strings.Contains(m, "(429 "):
			return "Not saved: ServiceTitan's rate limit"
		case strings.Contains(m, "(5"), strings.Contains(m, "timed out"), strings.Contains(m, "did not answer"):
			return "Not saved: ServiceTitan down or slow"
		}
	}
	return cmp.Or(outcomeLabels[e.Outcome], string(e.Outcome))
}

// PlainValue shows a recorded value as the record page does: flags as
// On or Off, numbers formatted, types by their label.
func (a *Web) PlainValue(field, v string) string {
	switch {
	case v == "":
		return v
	case field == client.FieldDoNotText:
		return doNotTextText(v == "true")
	case field == client.FieldType:
		if t, ok := client.ParseContactType(v); ok {
			return t.Label()
		}
	case field == client.FieldValue:
		if d := client.Digits(v); len(d) == 10 && d == v {
			return a.DisplayValue(client.ContactPhone, v)
		}
	case v == "true", v == "false":
		return client.OnOff(v == "true")
	}
	return v
}

// EntryNames are the customers' names and the contacts as the record
// shows them ("Mobile (217) 555-0177"), from the search index when the
// app has one: audit entries hold ids only. restored are the undos of the
// removals among the entries, by removal: those offer no Restore.
type EntryNames struct {
	Customers map[int64]string
	Locations map[int64]string
	Contacts  map[int64]string
	Restored  map[int64]audit.Entry
}

// ContactText is a contact as lists show it: "Mobile (217) 555-0177".
func (a *Web) ContactText(kind, value string) string {
	t := client.ContactType(kind)
	return t.Label() + " " + a.DisplayValue(t, value)
}
