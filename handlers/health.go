package handlers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process is up.
func (a *App) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": a.version})
}

// readyz answers 200 when a ServiceTitan token can be obtained. The answer
// is cached briefly so a busy load balancer does not hammer the token
// endpoint.
func (a *App) readyz(c echo.Context) error {
	err := a.ready.check(c.Request().Context(), a.st.CheckToken)
	if err != nil {
		f := describe(err, "token")
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "token": f.Title})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready", "token": "ok"})
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
