package client

import (
	"context"
	"errors"
	"time"
)

// ProblemKind says why a call to ServiceTitan failed, in the terms a page
// or a job needs to decide what to tell people and whether to try again.
type ProblemKind string

// The kinds of problem, from Classify.
const (
	ProblemCredentials ProblemKind = "credentials"  // the token endpoint refused the app's credentials
	ProblemNotFound    ProblemKind = "not_found"    // 404
	ProblemRateLimited ProblemKind = "rate_limited" // 429; see RetryAfter
	ProblemConflict    ProblemKind = "conflict"     // 409
	ProblemInvalid     ProblemKind = "invalid"      // 400 or 422
	ProblemTimeout     ProblemKind = "timeout"      // no answer in time
	ProblemRefused     ProblemKind = "refused"      // 401 or 403: the app may not do this
	ProblemUnavailable ProblemKind = "unavailable"  // a 5xx or an unreadable answer
	ProblemUnreachable ProblemKind = "unreachable"  // no connection at all
	ProblemCancelled   ProblemKind = "cancelled"    // the caller gave up
	ProblemUnexpected  ProblemKind = "unexpected"   // another status (a 414, a gateway's 405)
	ProblemInternal    ProblemKind = "internal"     // not ServiceTitan's answer: a bug or a local failure
)

// Problem is an error from the client reduced to what outlives it: its
// kind and what ServiceTitan said. It is plain data (it can be stored and
// shown again later); Title holds only the error object's cleaned title.
type Problem struct {
	Kind       ProblemKind   `json:"kind"`
	Status     int           `json:"status,omitempty"`
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	TraceID    string        `json:"traceId,omitempty"`
	Title      string        `json:"title,omitempty"`
}

// Classify reduces an error from the client (or on the way to it) to a
// Problem.
func Classify(err error) Problem {
	var p Problem
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		p.Status, p.TraceID, p.Title, p.RetryAfter = apiErr.StatusCode, apiErr.TraceID, apiErr.Title, apiErr.RetryAfter
	}
	switch {
	case errors.Is(err, ErrBadCredentials):
		p.Kind = ProblemCredentials
	case errors.Is(err, ErrNotFound):
		p.Kind = ProblemNotFound
	case errors.Is(err, ErrRateLimited):
		p.Kind = ProblemRateLimited
	case errors.Is(err, ErrConflict):
		p.Kind = ProblemConflict
	case errors.Is(err, ErrValidation):
		p.Kind = ProblemInvalid
	case errors.Is(err, context.DeadlineExceeded):
		p.Kind = ProblemTimeout
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrForbidden):
		p.Kind = ProblemRefused
	case errors.Is(err, ErrUnavailable):
		p.Kind = ProblemUnavailable
		if apiErr == nil && !errors.Is(err, ErrMalformedResponse) {
			p.Kind = ProblemUnreachable
		}
	case errors.Is(err, context.Canceled):
		p.Kind = ProblemCancelled
	case apiErr != nil:
		p.Kind = ProblemUnexpected
	default:
		p.Kind = ProblemInternal
	}
	return p
}
