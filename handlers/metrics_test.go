package handlers_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/metrics"
)

func TestMetricsEndpoint(t *testing.T) {
	up := newUpstream(t)
	m := metrics.New("test")
	srv := up.appWith(t, time.Second, nil, func(c *handlers.Config) {
		c.Metrics, c.MetricsHandler = m, m.Handler()
	})
	b := newBrowser(t, srv.URL)
	form := b.openForm(7)
	form.Set("memo", "metered")
	if p := b.post("/customers/5/contacts/7", form); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.status)
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`contactdesk_http_request_duration_seconds_count{method="GET",route="/customers/:id/contacts/:contactId/edit",status="200"} 1`,
		`contactdesk_http_request_duration_seconds_count{method="POST",route="/customers/:id/contacts/:contactId",status="303"} 1`,
		`contactdesk_saves_total{outcome="saved"} 1`,
		`contactdesk_build_info{version="test"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
