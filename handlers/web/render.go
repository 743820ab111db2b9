package web

import (
	"bytes"
	"context"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/views"
)

// Render writes a component with the given status. It renders into a
// buffer first, so a failing component never leaves half a page, and saves
// the session before the headers go out.
func (a *Web) Render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	// Rendering is quick and local; an expired request deadline (the error
	// page is rendered after ContextTimeout has cancelled it) must not stop it.
	if err := comp.Render(context.WithoutCancel(c.Request().Context()), &buf); err != nil {
		return err
	}
	a.saveSession(c)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// Redirect answers 303 See Other (post/redirect/get), saving the session.
func (a *Web) Redirect(c echo.Context, url string) error {
	a.saveSession(c)
	return c.Redirect(http.StatusSeeOther, url)
}

// Layout fills what every page needs, taking one-time messages.
func (a *Web) Layout(c echo.Context, title string) views.Layout {
	user := ""
	if id, ok := Actor(c); ok {
		user = id.Display()
	}
	return views.Layout{
		User:       user,
		SignOutURL: a.SignOut,
		Title:      title,
		Sandbox:    a.Sandbox,
		CSSURL:     static.URL("app.css"),
		JSURL:      static.URL("app.js"),
		FaviconURL: static.URL("favicon.svg"),
		Flash:      a.takeFlash(c, FlashOK),
		Notice:     a.takeFlash(c, FlashNote),
		OptOut:     a.takeFlash(c, FlashOptOut),
		Version:    a.Version,
		LocalTimes: a.LocalTimes,
		// Every page but the search page (which has its own box).
		HeaderSearch: true,
	}
}
