package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/contactdesk/contactdesk/handlers/web"
)

// health answers the load balancer's checks.
type health struct {
	version string
	st      interface {
		CheckToken(ctx context.Context) error
	}
	audit interface {
		Ping(ctx context.Context) error
	}
	ready *readiness
}

// healthz answers 200 while the process is up.
func (a *health) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": a.version})
}

// readyz answers 200 when a ServiceTitan token can be obtained and the
// audit trail can be written to. The token answer is cached briefly so a
// busy load balancer does not hammer the token endpoint.
func (a *health) readyz(c echo.Context) error {
	body := map[string]string{"status": "ready", "token": "ok", "audit": "ok", "version": a.version}
	status := http.StatusOK
	if err := a.ready.check(c.Request().Context(), a.st.CheckToken); err != nil {
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
