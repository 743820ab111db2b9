package web

import (
	"bytes"
	"context"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/static"
	"github.com/contactdesk/contactdesk/views"
)

// Render writes a component with the given status. It renders into a
// buffer first, so a failing component never leaves half a page, and saves
// the session before the headers go out.
func (a *Web) Render(c echo.Context, status int, comp templ.Component) error {
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	// Rendering is quick and local; an expired request deadline (the error
	// page is rendered after ContextTimeout has cancelled it) must not stop it.
	if err := comp.Render(context.WithoutCancel(c.Request().Context()), buf); err != nil {
		putRenderBuffer(buf)
		return err
	}
	a.saveSession(c)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	err := c.HTMLBlob(status, buf.Bytes())
	// The response's writers copy what they are given (io.Writer), so the
	// page's bytes are free again.
	putRenderBuffer(buf)
	return err
}

// renderBuffers lends each page a buffer that has grown to a page's size
// before: a new one grows from 64 bytes by doubling, about 16 KB allocated
// and copied for a 4 KB edit form (docs/profile-edit-page.md).
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledRender keeps a rare large page (a long audit trail) from
// pinning its buffer in the pool.
const maxPooledRender = 64 << 10

func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledRender {
		renderBuffers.Put(buf)
	}
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
