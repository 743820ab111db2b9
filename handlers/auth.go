package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/identity"
)

const identityKey = "identity"

// authenticate puts the signed-in person on every page request. Identity
// comes only from the configured trusted source; there is no anonymous
// fallback. Health checks and static files need no identity.
func (a *App) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Request().URL.Path
		if p == "/healthz" || p == "/readyz" || p == "/metrics" || p == "/favicon.ico" || strings.HasPrefix(p, "/static/") {
			return next(c)
		}
		id, err := a.identity.Identify(c.Request().Context(), c.Request())
		switch {
		case identity.IsUnavailable(err):
			return &pageError{failure: failure{Status: http.StatusServiceUnavailable, Title: "Sign-in check unavailable",
				Body: "The app could not check your sign-in just now. Try again in a minute."}, cause: err}
		case err != nil:
			return &pageError{failure: failure{Status: http.StatusUnauthorized, Title: "You are not signed in",
				Body: "This app only works through your company's sign-in. Open it from the usual link, sign in, and try again."}, cause: err}
		case !a.policy.Allows(id):
			return &pageError{failure: failure{Status: http.StatusForbidden, Title: "Not allowed",
				Body: "You are signed in as " + id.Display() + ", but that account may not use this app. Ask your administrator for access, or sign out and sign in with another account."},
				cause: errors.New("identity outside the allow-lists: " + id.Email)}
		}
		c.Set(identityKey, id)
		a.bindToIdentity(c, id.Email)
		return next(c)
	}
}

// actor is the signed-in person, if any.
func actor(c echo.Context) (identity.Identity, bool) {
	id, ok := c.Get(identityKey).(identity.Identity)
	return id, ok
}

// isHTTPS reports whether the browser reached us over HTTPS: directly, or
// through a trusted proxy that says so. X-Forwarded-Proto from anyone else
// is ignored.
func (a *App) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return a.proxies.Trusts(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
