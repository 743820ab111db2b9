package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/bulk"
	"github.com/contactdesk/contactdesk/metrics"
)

// CSRFField is the hidden form field that carries the CSRF token.
const CSRFField = "_csrf"

const CSRFContextKey = "csrf"

var crossOrigin = http.NewCrossOriginProtection()

// CSRF protects every state-changing request twice: the standard library's
// cross-origin check (Sec-Fetch-Site, then Origin against Host) and a
// per-session token in a hidden form field. Echo's CSRF middleware is not
// used because it skips the token whenever Sec-Fetch-Site is present.
func (a *Web) CSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if err := crossOrigin.Check(r); err != nil {
			return FailPage(http.StatusForbidden, "Not allowed", "This request came from another site and was blocked.", err)
		}
		token := a.CSRFToken(c)
		c.Set(CSRFContextKey, token)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if check := a.BeforeBody[c.Path()]; check != nil {
			if err := check(c); err != nil {
				// Unread, the body is thrown away as it comes, so the
				// browser still gets the answer.
				_, _ = io.Copy(io.Discard, r.Body) // the answer is the refusal anyway
				return err
			}
		}
		if err := parseForm(r); err != nil {
			var tooBig *http.MaxBytesError
			var he *echo.HTTPError
			if errors.As(err, &tooBig) || errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
				return FailPage(http.StatusRequestEntityTooLarge, http.StatusText(http.StatusRequestEntityTooLarge), "What you sent is too large.", err)
			}
			return FailPage(http.StatusBadRequest, http.StatusText(http.StatusBadRequest), "The form could not be read.", err)
		}
		sent := r.PostForm.Get(CSRFField)
		if sent == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
			if stale, ok := a.StaleForms[c.Path()]; ok && sent != "" {
				// Same origin, but the session the form was made in is gone
				// (expired, or the app restarted): the form comes back with
				// the input and a fresh token, and nothing is sent.
				return stale(c)
			}
			return FailPage(http.StatusForbidden, "Not allowed",
				"This form has expired or did not come from this app, so nothing was saved. Go back, reload the page and submit it again.",
				fmt.Errorf("csrf token missing or wrong (sent %d bytes)", len(sent)))
		}
		return next(c)
	}
}

// multipartMemory is how much of a multipart form (a bulk list upload)
// is held in memory; the route's body limit keeps the rest small too.
const multipartMemory = UploadLimit

// parseForm reads a posted form, URL-encoded or multipart (a file upload).
func parseForm(r *http.Request) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return r.ParseMultipartForm(multipartMemory)
	}
	return r.ParseForm()
}

// contentSecurityPolicy allows only this origin's files: no inline script
// or style, no eval. Forms may also post to the SSO origin, so a proxy whose
// session expired can send a POST to its login page.
func contentSecurityPolicy(ssoOrigin string) string {
	formAction := "'self'"
	if ssoOrigin != "" {
		formAction += " " + ssoOrigin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action " + formAction
}

// SecurityHeaders are the headers every response carries (HSTS is added
// when the request came over HTTPS).
func SecurityHeaders(ssoOrigin string) http.Header {
	return http.Header{
		"Content-Security-Policy":      {contentSecurityPolicy(ssoOrigin)},
		"X-Content-Type-Options":       {"nosniff"},
		"Referrer-Policy":              {"same-origin"},
		"Permissions-Policy":           {"camera=(), microphone=(), geolocation=(), payment=(), usb=()"},
		"Cross-Origin-Opener-Policy":   {"same-origin"},
		"Cross-Origin-Resource-Policy": {"same-origin"},
		"X-Frame-Options":              {"DENY"},
		"X-Xss-Protection":             {"0"},
	}
}

// SecurityHeaders sets the headers every response carries.
func (a *Web) SecurityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		for k, v := range a.Headers {
			h[k] = v
		}
		if a.isHTTPS(c.Request()) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		return next(c)
	}
}

// LogRequests writes one JSON line per request.
func (a *Web) LogRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // render the error page now so the status is known
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		} else if status >= 400 {
			level = slog.LevelWarn
		}
		route := c.Path()
		if !a.RouteNames[route] {
			route = "unmatched" // a metrics label must never be a raw path
		}
		took := time.Since(start)
		a.Metrics.Request(route, c.Request().Method, status, took)
		if !a.Log.Enabled(c.Request().Context(), level) {
			return nil // LOG_LEVEL filters it: spare building the line
		}
		who := ""
		if id, ok := Actor(c); ok {
			who = id.Email
		}
		a.Log.LogAttrs(c.Request().Context(), level, "request",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("actor", who),
			slog.String("ip", c.RealIP()),
			slog.String("method", metrics.MethodLabel(c.Request().Method)),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Duration("duration", took),
			slog.Int64("bytes", c.Response().Size),
		)
		return nil
	}
}

// RecoverPanics turns a panic into a 500 page and a log line with the cause.
func (a *Web) RecoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = FailPage(http.StatusInternalServerError, "", "", fmt.Errorf("panic: %v", r))
			}
		}()
		return next(c)
	}
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// UntrustedRequestIDs drops an X-Request-Id that does not come from a
// trusted proxy or does not look like an id, so the request id in logs and
// the audit trail is always ours or the proxy's.
func (a *Web) UntrustedRequestIDs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if id := r.Header.Get(echo.HeaderXRequestID); id != "" && (!a.Proxies.Trusts(r) || !requestIDPattern.MatchString(id)) {
			r.Header.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// UploadLimit is the largest body POST /bulk/preview takes.
const UploadLimit = bulk.MaxBytes + 1<<20

// FormPost registers a form's POST route with what answers it when the
// form comes from a session that no longer exists: stale shows the form
// again with what was typed, and sends nothing.
func (a *Web) FormPost(g *echo.Group, path string, h, stale echo.HandlerFunc) {
	g.POST(path, h)
	a.StaleForms[path] = stale
}

// BulkPreviewPath is where a list is posted; its body may be as large as
// a list may be, with room for the form around it.
const BulkPreviewPath = "/bulk/preview"
