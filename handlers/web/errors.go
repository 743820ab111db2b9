package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/change"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/views"
)

// failure is what people are told about an error: a status, a heading and
// a plain sentence. It never carries err.Error().
type failure = change.Explanation

// Describe words an error from ServiceTitan (or on the way to it). what
// names the thing that was asked for, e.g. "customer with ID 12".
func Describe(err error, what string) failure {
	return change.Explain(client.Classify(err), what)
}

// UpstreamError is the error page for a failed read from ServiceTitan.
func UpstreamError(err error, what string) error {
	return &pageError{failure: Describe(err, what), cause: err}
}

// FailPage is the one constructor of an error page: its status, heading
// and sentence, and the cause that is logged (never shown). An empty title
// takes the status's name.
func FailPage(status int, title, body string, cause error) error {
	return &pageError{failure: failure{Status: status, Title: title, Body: body}, cause: cause}
}

// FailPageTo is FailPage whose page links to where the person can do what
// was refused (instead of back up the path).
func FailPageTo(status int, title, body, linkURL, linkText string, cause error) error {
	return &pageError{failure: failure{Status: status, Title: title, Body: body}, cause: cause, link: linkURL, linkText: linkText}
}

// pageError is an error with a prepared failure for the error page.
type pageError struct {
	failure
	cause          error
	link, linkText string
}

func (e *pageError) Error() string {
	if e.cause == nil {
		return http.StatusText(e.Status)
	}
	return e.cause.Error()
}

func (e *pageError) Unwrap() error { return e.cause }

// HandleError is Echo's central error handler: it logs the cause once and
// renders an HTML page with a safe message. Our own pages come as
// pageErrors; Echo's HTTPError only for what Echo answers itself (no such
// route, a method the route does not take, a body over the limit).
func (a *Web) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var f failure
	var pe *pageError
	var he *echo.HTTPError
	back, backText := backURL(c), "Back"
	switch {
	case errors.As(err, &pe):
		f = pe.failure
		if pe.link != "" {
			back, backText = pe.link, pe.linkText
		}
	case errors.As(err, &he):
		f = failure{Status: he.Code}
		switch he.Code {
		case http.StatusNotFound:
			f.Title, f.Body = "Page not found", "There is no page at this address. Check the link or start from the search."
		case http.StatusRequestEntityTooLarge:
			f.Body = "What you sent is too large."
		case http.StatusMethodNotAllowed:
			f.Body = "This address does not accept that kind of request."
		}
		if he.Internal != nil {
			err = he.Internal
		}
	default:
		f = Describe(err, "record")
	}
	if f.Title == "" {
		f.Title = http.StatusText(f.Status)
	}
	if f.Body == "" {
		f.Body = "The request could not be handled."
	}
	level := slog.LevelWarn
	if f.Status >= 500 {
		level = slog.LevelError
	}
	a.Log.LogAttrs(c.Request().Context(), level, "request failed",
		slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		slog.Int("status", f.Status), slog.String("error", err.Error()))

	if c.Request().Method == http.MethodHead {
		if err := c.NoContent(f.Status); err != nil {
			a.Log.ErrorContext(c.Request().Context(), "error answer failed", "error", err)
		}
		return
	}
	page := views.ErrorPage{
		Layout:  a.Layout(c, f.Title),
		Status:  f.Status,
		Heading: f.Title,
		Message: f.Body,
		TraceID: f.TraceID,
		BackURL: back,
		Back:    backText,
	}
	if page.BackURL == "/" {
		page.Back = "Back to search"
	}
	if err := a.Render(c, f.Status, views.Error(page)); err != nil {
		a.Log.ErrorContext(c.Request().Context(), "error page failed", "error", err)
		if err := c.String(http.StatusInternalServerError, "Something went wrong."); err != nil {
			a.Log.ErrorContext(c.Request().Context(), "error answer failed", "error", err)
		}
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

// Unreadable is the one "cannot be read just now" page: what could not be
// read ("The audit trail", "Bulk jobs"), 503, and the cause that is logged.
func Unreadable(what string, cause error) error {
	return FailPage(http.StatusServiceUnavailable, "", what+" cannot be read just now. Try again in a minute.", cause)
}
