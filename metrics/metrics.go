// Package metrics exposes what the app does as Prometheus metrics: requests
// by route and status, ServiceTitan calls by operation and status, saves by
// outcome, token fetches and retries.
package metrics

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the app's collectors in their own registry. It implements
// client.Observer.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.HistogramVec
	upstream  *prometheus.HistogramVec
	saves     *prometheus.CounterVec
	tokens    *prometheus.CounterVec
	retries   *prometheus.CounterVec
	buildInfo *prometheus.GaugeVec
	indexRows *prometheus.GaugeVec
	indexLag  prometheus.Gauge
	bulkRows  *prometheus.CounterVec
}

// New registers the collectors, plus the Go runtime and process ones.
func New(version string) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactdesk_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15, 30},
		}, []string{"route", "method", "status"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactdesk_servicetitan_call_duration_seconds",
			Help:    "Time of each ServiceTitan HTTP attempt, by operation and status (0: no response).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15, 30},
		}, []string{"operation", "status"}),
		saves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactdesk_saves_total",
			Help: "Contact save attempts by outcome.",
		}, []string{"outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactdesk_servicetitan_token_fetches_total",
			Help: "Requests to ServiceTitan's token endpoint, by result.",
		}, []string{"result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactdesk_servicetitan_retries_total",
			Help: "ServiceTitan attempts repeated, by operation and reason.",
		}, []string{"operation", "reason"}),
		indexRows: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "contactdesk_index_rows",
			Help: "Rows the tenant index holds, by kind (customers, contacts).",
		}, []string{"kind"}),
		indexLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contactdesk_index_lag_seconds",
			Help: "Seconds since the tenant index last read both feeds to their end.",
		}),
		bulkRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactdesk_bulk_rows_total",
			Help: "Contacts bulk jobs worked, by outcome (changed, unchanged, skipped, failed; retried: put back to try again).",
		}, []string{"outcome"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "contactdesk_build_info",
			Help: "Always 1; the version label says which build runs.",
		}, []string{"version"}),
	}
	m.registry.MustRegister(m.requests, m.upstream, m.saves, m.tokens, m.retries, m.buildInfo, m.indexRows, m.indexLag, m.bulkRows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.buildInfo.WithLabelValues(version).Set(1)
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	// Compression is left to the router's gzip middleware: doing it here too
	// would compress twice.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, DisableCompression: true})
}

// Request records one answered HTTP request. route must be a route
// template (never a raw path); method and status are mapped onto closed
// sets here, since any client, signed in or not, chooses its method: each
// new label value would be a new series kept forever.
func (m *Metrics) Request(route, method string, status int, took time.Duration) {
	m.requests.WithLabelValues(route, MethodLabel(method), StatusLabel(status)).Observe(took.Seconds())
}

// methods are the request methods counted by name; any other is "other".
var methods = []string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace,
}

// MethodLabel is method when it is a standard one, else "other".
func MethodLabel(method string) string {
	if slices.Contains(methods, method) {
		return method
	}
	return "other"
}

// statuses are the codes the app answers with, counted by number; any
// other is counted by its class ("4xx").
var statuses = []int{200, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 431, 499, 500, 502, 503, 504}

// StatusLabel is the status code when it is one the app uses, else its
// class, so the label has a fixed set of values.
func StatusLabel(status int) string {
	if slices.Contains(statuses, status) {
		return strconv.Itoa(status)
	}
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Save records the outcome of one save attempt.
func (m *Metrics) Save(outcome string) { m.saves.WithLabelValues(outcome).Inc() }

// Index records how much the tenant index holds and how far behind it is.
func (m *Metrics) Index(customers, contacts int64, lag time.Duration) {
	m.indexRows.WithLabelValues("customers").Set(float64(customers))
	m.indexRows.WithLabelValues("contacts").Set(float64(contacts))
	m.indexLag.Set(lag.Seconds())
}

// BulkRow records a contact a bulk job worked (bulk.RowRecorder).
func (m *Metrics) BulkRow(outcome string) { m.bulkRows.WithLabelValues(outcome).Inc() }

// Call implements client.Observer.
func (m *Metrics) Call(operation string, status int, took time.Duration) {
	m.upstream.WithLabelValues(operation, strconv.Itoa(status)).Observe(took.Seconds())
}

// Retry implements client.Observer.
func (m *Metrics) Retry(operation, reason string) { m.retries.WithLabelValues(operation, reason).Inc() }

// TokenFetch implements client.Observer.
func (m *Metrics) TokenFetch(ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.tokens.WithLabelValues(result).Inc()
}
