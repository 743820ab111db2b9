package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/handlers"
	. "github.com/contactdesk/contactdesk/handlers/internal/handlertest"
	"github.com/contactdesk/contactdesk/metrics"
)

func TestMetricsEndpoint(t *testing.T) {
	up := NewUpstream(t)
	m := metrics.New("test")
	srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
		c.Metrics, c.MetricsHandler = m, m.Handler()
	})
	b := NewBrowser(t, srv.URL)
	form := b.OpenForm(7)
	form.Set("memo", "metered")
	if p := b.Post("/customers/5/contacts/7", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", p.Status)
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

// Anyone who reaches the port chooses a request's method and path; neither
// may become a label value, or each request grows /metrics for good.
func TestMetricLabelsAreAClosedSet(t *testing.T) {
	up := NewUpstream(t)
	m := metrics.New("test")
	srv := up.AppWith(t, time.Second, nil, func(c *handlers.Config) {
		c.Metrics, c.MetricsHandler = m, m.Handler()
	})
	size := func() int {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return len(body)
	}
	http.Get(srv.URL + "/healthz")
	before := size()
	for i := range 300 {
		method := fmt.Sprintf("M%s%d", strings.Repeat("X", 200), i)
		req, _ := http.NewRequest(method, fmt.Sprintf("%s/no/such/%d/%s", srv.URL, i, strings.Repeat("p", 100)), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		req, _ = http.NewRequest(http.MethodGet, fmt.Sprintf("%s/customers/%d/contacts/x%d", srv.URL, i, i), nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	resp, _ := http.Get(srv.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if after := len(body); after > before+8<<10 {
		t.Errorf("/metrics grew from %d to %d bytes after 600 made-up requests", before, after)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.Contains(line, "XXXX") || strings.Contains(line, "/no/such") || strings.Contains(line, "pppp") {
			t.Fatalf("a client-chosen value became a label: %s", line)
		}
	}
	if !strings.Contains(string(body), `method="other",route="unmatched"`) {
		t.Errorf("made-up methods are not counted as other/unmatched:\n%s", body)
	}
}
