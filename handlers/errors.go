package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// failure is what people are told about an error: a status, a heading and
// a plain sentence. It never carries err.Error().
type failure struct {
	Status  int
	Title   string
	Body    string
	TraceID string
}

// describe turns an error from ServiceTitan (or on the way to it) into a
// failure. what names the thing that was asked for, e.g. "customer 12".
func describe(err error, what string) failure {
	var apiErr *client.APIError
	traceID := ""
	if errors.As(err, &apiErr) {
		traceID = apiErr.TraceID
	}
	f := failure{TraceID: traceID}
	switch {
	case errors.Is(err, client.ErrBadCredentials):
		f.Status, f.Title = http.StatusServiceUnavailable, "The app cannot sign in to ServiceTitan"
		f.Body = "ServiceTitan refused the app's credentials. Tell your administrator; nothing you did caused this."
	case errors.Is(err, client.ErrNotFound):
		f.Status, f.Title = http.StatusNotFound, "Not found"
		f.Body = fmt.Sprintf("ServiceTitan has no %s. It may have been deleted or merged into another record.", what)
	case errors.Is(err, client.ErrRateLimited):
		f.Status, f.Title = http.StatusServiceUnavailable, "ServiceTitan is busy"
		f.Body = "ServiceTitan asked us to slow down. Wait a moment and try again."
		if apiErr != nil && apiErr.RetryAfter > 0 {
			f.Status = http.StatusTooManyRequests
			f.Body = fmt.Sprintf("ServiceTitan asked us to slow down. Try again in %s.", waitText(apiErr.RetryAfter))
		}
	case errors.Is(err, client.ErrConflict):
		f.Status, f.Title = http.StatusConflict, "ServiceTitan refused the change"
		f.Body = "The change conflicts with another record."
		if apiErr != nil && apiErr.Title != "" {
			f.Body = apiErr.Title
		}
	case errors.Is(err, context.DeadlineExceeded):
		f.Status, f.Title = http.StatusGatewayTimeout, "ServiceTitan did not answer in time"
		f.Body = "ServiceTitan is slow or unreachable right now. Try again in a minute."
	case errors.Is(err, client.ErrUnauthorized), errors.Is(err, client.ErrForbidden):
		f.Status, f.Title = http.StatusBadGateway, "ServiceTitan refused the app's access"
		f.Body = "The app is not allowed to do this in ServiceTitan. Tell your administrator."
	case errors.Is(err, client.ErrUnavailable):
		f.Status, f.Title = http.StatusBadGateway, "ServiceTitan is unavailable"
		f.Body = "ServiceTitan did not answer properly. Try again in a minute."
		if apiErr == nil && !errors.Is(err, client.ErrMalformedResponse) {
			f.Status = http.StatusServiceUnavailable // could not connect at all
		}
	case errors.Is(err, context.Canceled):
		f.Status, f.Title = 499, "Request cancelled"
		f.Body = "The request was cancelled."
	case apiErr != nil:
		// Any other answer from ServiceTitan (a 414, a 405 from a gateway)
		// is its failure to answer, not this app's.
		f.Status, f.Title = http.StatusBadGateway, "ServiceTitan could not answer"
		f.Body = fmt.Sprintf("ServiceTitan answered %d %s. Try again; if it keeps happening, tell your administrator.", apiErr.StatusCode, http.StatusText(apiErr.StatusCode))
	default:
		f.Status, f.Title = http.StatusInternalServerError, "Something went wrong"
		f.Body = "The app hit an unexpected problem. Try again; if it keeps happening, tell your administrator."
	}
	return f
}

// waitText says a Retry-After in words people read quickly.
func waitText(d time.Duration) string {
	secs := int(d.Round(time.Second) / time.Second)
	switch {
	case secs <= 1:
		return "1 second"
	case secs < 90:
		return fmt.Sprintf("%d seconds", secs)
	default:
		return fmt.Sprintf("%d minutes", (secs+59)/60)
	}
}

// upstreamError wraps a ServiceTitan error for the central error handler.
func upstreamError(err error, what string) error {
	f := describe(err, what)
	return &pageError{failure: f, cause: err}
}

// pageError is an error with a prepared failure for the error page.
type pageError struct {
	failure
	cause error
}

func (e *pageError) Error() string { return e.cause.Error() }
func (e *pageError) Unwrap() error { return e.cause }

// handleError is Echo's central error handler: it logs the cause once and
// renders an HTML page with a safe message.
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var f failure
	var pe *pageError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &pe):
		f = pe.failure
	case errors.As(err, &he):
		f = failure{Status: he.Code, Title: http.StatusText(he.Code)}
		if msg, ok := he.Message.(string); ok && he.Internal != nil {
			f.Body = msg // our own sentences come with an internal cause
		}
		switch he.Code {
		case http.StatusNotFound:
			f.Title = "Not found"
			if f.Body == "" {
				f.Title, f.Body = "Page not found", "There is no page at this address. Check the link or start from the search."
			}
		case http.StatusForbidden:
			f.Title = "Not allowed"
		case http.StatusRequestEntityTooLarge:
			f.Body = "What you sent is too large."
		case http.StatusMethodNotAllowed:
			f.Body = "This address does not accept that kind of request."
		}
		if f.Body == "" {
			f.Body = "The request could not be handled."
		}
		if he.Internal != nil {
			err = he.Internal
		}
	default:
		f = describe(err, "record")
	}
	level := slog.LevelWarn
	if f.Status >= 500 {
		level = slog.LevelError
	}
	a.log.LogAttrs(c.Request().Context(), level, "request failed",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.Int("status", f.Status), slog.String("error", err.Error()))

	if c.Request().Method == http.MethodHead {
		c.NoContent(f.Status)
		return
	}
	page := views.ErrorPage{
		Layout:  a.layout(c, f.Title),
		Status:  f.Status,
		Heading: f.Title,
		Message: f.Body,
		TraceID: f.TraceID,
		BackURL: backURL(c),
		Back:    "Back",
	}
	if page.BackURL == "/" {
		page.Back = "Back to search"
	}
	if err := a.render(c, f.Status, views.Error(page)); err != nil {
		a.log.ErrorContext(c.Request().Context(), "error page failed", "error", err)
		c.String(http.StatusInternalServerError, "Something went wrong.")
	}
}

// backURL is the nearest page above the current one that exists.
func backURL(c echo.Context) string {
	p := c.Request().URL.Path
	if i := strings.Index(p, "/contacts/"); i > 0 && strings.HasPrefix(p, "/customers/") {
		return p[:i]
	}
	return "/"
}
