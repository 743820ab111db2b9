package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/identity"
)

const identityKey = "identity"

// Authenticate puts the signed-in person on every request of the routes
// that need one. Identity comes only from the configured trusted source;
// there is no anonymous fallback.
func (a *Web) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := a.Identity.Identify(c.Request().Context(), c.Request())
		switch {
		case identity.IsUnavailable(err):
			return FailPage(http.StatusServiceUnavailable, "Sign-in check unavailable",
				"The app could not check your sign-in just now. Try again in a minute.", err)
		case err != nil:
			return FailPage(http.StatusUnauthorized, "You are not signed in",
				"This app only works through your company's sign-in. Open it from the usual link, sign in, and try again.", err)
		case !a.Policy.Allows(id):
			return FailPage(http.StatusForbidden, "Not allowed",
				"You are signed in as "+id.Display()+", but that account may not use this app. Ask your administrator for access, or sign out and sign in with another account.",
				errors.New("identity outside the allow-lists: "+id.Email))
		}
		c.Set(identityKey, id)
		a.bindToIdentity(c, id.Email)
		return next(c)
	}
}

// Actor is the signed-in person, if any.
func Actor(c echo.Context) (identity.Identity, bool) {
	id, ok := c.Get(identityKey).(identity.Identity)
	return id, ok
}

// isHTTPS reports whether the browser reached us over HTTPS: directly, or
// through a trusted proxy that says so. X-Forwarded-Proto from anyone else
// is ignored.
func (a *Web) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return a.Proxies.Trusts(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
