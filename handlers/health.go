package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
)

// healthz answers 200 while the process is up.
func (a *App) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": a.Version})
}

// readyz answers 200 when a ServiceTitan token can be obtained and the
// audit trail can be written to. The token answer is cached briefly so a
// busy load balancer does not hammer the token endpoint.
func (a *App) readyz(c echo.Context) error {
	body := map[string]string{"status": "ready", "token": "ok", "audit": "ok", "version": a.Version}
	status := http.StatusOK
	if err := a.ready.check(c.Request().Context(), a.ST.CheckToken); err != nil {
		status, body["status"], body["token"] = http.StatusServiceUnavailable, "unavailable", web.Describe(err, "token").Title
	}
	if a.audit == nil {
		body["audit"] = "off"
	} else if err := a.audit.Ping(c.Request().Context()); err != nil {
		status, body["status"], body["audit"] = http.StatusServiceUnavailable, "unavailable", "the audit trail cannot be reached"
	}
	return c.JSON(status, body)
}

type readiness struct {
	ttl     time.Duration
	mu      sync.Mutex
	checked time.Time
	err     error
}

func (r *readiness) check(ctx context.Context, probe func(context.Context) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked.IsZero() && time.Since(r.checked) < r.ttl {
		return r.err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r.err = probe(ctx)
	r.checked = time.Now()
	return r.err
}
