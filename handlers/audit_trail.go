package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
)

// errAuditUnavailable refuses a save whose attempt could not be recorded:
// no change goes to ServiceTitan without an audit row.
var errAuditUnavailable = errors.New("audit trail could not be written")

// attempt is one save attempt on its way through the audit trail and the
// metrics. The row is written before ServiceTitan is called and completed
// after, so a crash mid-save leaves an "unknown" row, never nothing.
type attempt struct {
	a   *App
	c   echo.Context
	id  int64
	log *slog.Logger
}

// beginAttempt records the attempt with the fields it means to change,
// before anything is sent. Everything taken from c is read here.
func (a *App) beginAttempt(c echo.Context, customerID, contactID int64, changes []audit.Change) (*attempt, error) {
	at := &attempt{a: a, c: c}
	if a.audit == nil {
		return at, nil
	}
	who, _ := actor(c)
	entry := audit.Entry{
		Time:       time.Now().UTC(),
		ActorEmail: auditText(who.Email),
		ActorName:  auditText(who.Name),
		TenantID:   a.tenantID,
		CustomerID: customerID,
		ContactID:  contactID,
		Changes:    changes,
		RequestID:  c.Response().Header().Get(echo.HeaderXRequestID),
	}
	// A stuck store must not hold the save (and the person) forever.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	id, err := a.audit.Begin(ctx, entry)
	if err != nil {
		return nil, errors.Join(errAuditUnavailable, err)
	}
	at.id = id
	return at, nil
}

// complete records how the attempt ended, in the audit trail, the metrics
// and one log line (without field values: those stay in the audit store).
func (at *attempt) complete(outcome audit.Outcome, messages []string, traceID string) {
	a, c := at.a, at.c
	a.metrics.Save(string(outcome))
	a.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "save attempt",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.String("outcome", string(outcome)), slog.Int64("audit_id", at.id), slog.String("traceId", traceID))
	if a.audit == nil || outcome == audit.OutcomeUnknown {
		return // unknown stays as Begin wrote it
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 5*time.Second)
	defer cancel()
	if err := a.audit.Complete(ctx, at.id, outcome, messages, traceID); err != nil {
		a.log.ErrorContext(ctx, "audit outcome not recorded", "audit_id", at.id, "error", err)
	}
}

// completeWith maps the error of a save to its audit outcome.
func (at *attempt) completeWith(err error, f failure) {
	var apiErr *client.APIError
	traceID := ""
	if errors.As(err, &apiErr) {
		traceID = apiErr.TraceID
	}
	var unconfirmed *unconfirmedSave
	switch {
	case err == nil:
		at.complete(audit.OutcomeSaved, nil, "")
	case errors.As(err, &unconfirmed):
		at.complete(audit.OutcomeUnknown, nil, traceID)
	case errors.Is(err, client.ErrValidation) && apiErr != nil:
		byField, other := apiErr.FieldErrors()
		var msgs []string
		for field, ms := range byField {
			for _, m := range ms {
				msgs = append(msgs, field+": "+m)
			}
		}
		msgs = append(msgs, other...)
		if len(msgs) == 0 {
			msgs = []string{cmp.Or(apiErr.Title, apiErr.Detail)}
		}
		at.complete(audit.OutcomeRejected, msgs, traceID)
	case errors.Is(err, client.ErrConflict):
		at.complete(audit.OutcomeConflict, []string{f.Body}, traceID)
	case errors.Is(err, client.ErrNotFound):
		at.complete(audit.OutcomeNotFound, []string{f.Body}, traceID)
	default:
		reason := f.Title
		if f.Status != 0 {
			reason += " (" + strconv.Itoa(f.Status) + " " + http.StatusText(f.Status) + ")"
		}
		at.complete(audit.OutcomeFailed, []string{reason}, traceID)
	}
}

// auditChanges lists each field req changes, with the value ServiceTitan
// held just before (was, as the app read it) and the value asked for.
func auditChanges(was loadedContact, req client.UpdateContactRequest) []audit.Change {
	var out []audit.Change
	if req.Type != nil {
		out = append(out, audit.Change{Field: "type", Before: string(was.Type), After: string(*req.Type)})
	}
	if req.Value != nil {
		out = append(out, audit.Change{Field: "value", Before: auditText(was.Value), After: auditText(*req.Value)})
	}
	if req.Memo != nil {
		out = append(out, audit.Change{Field: "memo", Before: auditText(was.Memo), After: auditText(*req.Memo)})
	}
	if p := req.Preferences; p != nil {
		var before client.Preferences
		if was.Preferences != nil {
			before = *was.Preferences
		}
		for _, pref := range preferences {
			if pref.split && !p.HasSplitInvoiceFlags() {
				continue
			}
			old, now := pref.get(before), pref.get(*p)
			if old != now || was.Preferences == nil {
				out = append(out, audit.Change{Field: "preferences." + pref.Name, Before: flagText(was.Preferences != nil, old), After: strconv.FormatBool(now)})
			}
		}
	}
	return out
}

// auditText keeps a value storable everywhere: PostgreSQL refuses NUL bytes
// and invalid UTF-8, and a save must not fail over how a value is written down.
func auditText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// unread blanks the old values of changes: for an attempt whose contact
// could not be read, they are unknown (the form's copy is not evidence).
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
