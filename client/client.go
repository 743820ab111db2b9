// Package client talks to ServiceTitan's CRM v2 API: customers, their
// service locations, and the contacts of both. It owns authentication
// (OAuth 2.0 client credentials with one shared, cached token), retries
// that are safe for each method, and typed errors that callers inspect
// with errors.Is and errors.As.
package client

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Environment selects ServiceTitan's base URLs.
type Environment string

// ServiceTitan's environments.
const (
	Production  Environment = "production"
	Integration Environment = "integration"
)

var environments = map[Environment]struct{ api, auth string }{
	Production:  {"https://api.servicetitan.io", "https://auth.servicetitan.io/connect/token"},
	Integration: {"https://api-integration.servicetitan.io", "https://auth-integration.servicetitan.io/connect/token"},
}

// Defaults for Config fields left zero.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultUserAgent    = "contactdesk"
	DefaultMaxRetryWait = 5 * time.Second
)

// Config says where ServiceTitan is and who we are to it.
type Config struct {
	// Environment picks the base URLs; APIURL and AuthURL override it.
	Environment Environment
	// APIURL is the API host root, e.g. https://api.servicetitan.io; the
	// client appends /crm/v2/tenant/{tenant}/...
	APIURL string
	// AuthURL is the full token URL.
	AuthURL      string
	TenantID     int64
	ClientID     string
	ClientSecret string
	AppKey       string
	// Timeout bounds each HTTP attempt (default 15 s).
	Timeout   time.Duration
	UserAgent string
}

// Client is a ServiceTitan CRM v2 client. It is safe for concurrent use.
type Client struct {
	apiBase      string // .../crm/v2/tenant/{tenant}
	appKey       string
	userAgent    string
	timeout      time.Duration
	maxRetryWait time.Duration
	backoff      time.Duration
	http         *http.Client
	tokens       *tokenCache
	log          *slog.Logger
	observe      Observer
	now          func() time.Time
	// budget keeps calls within the tenant's rate (nil: no limit).
	budget *rate.Limiter
}

// Observer is told what the client does, for metrics.
type Observer interface {
	// Call reports one HTTP attempt; status is 0 when no response arrived.
	Call(operation string, status int, took time.Duration)
	// Retry reports that an attempt is repeated, and why.
	Retry(operation, reason string)
	// TokenFetch reports one request to the token endpoint.
	TokenFetch(ok bool)
}

type noObserver struct{}

func (noObserver) Call(string, int, time.Duration) {}
func (noObserver) Retry(string, string)            {}
func (noObserver) TokenFetch(bool)                 {}

// Settings are how a client behaves beyond what Config says: what it
// reports, how it retries and how fast it may call. New starts from the
// defaults (nothing logged or observed, a Retry-After of up to 5 s waited
// out, retries from 200 ms, no rate limit) and lets each Option change
// them.
type Settings struct {
	// Logger gets one line per upstream attempt (see [WithLogger]).
	Logger *slog.Logger
	// Observer is told of every attempt, retry and token fetch.
	Observer Observer
	// MaxRetryWait is the longest Retry-After that is waited out (once)
	// before retrying; longer waits are returned to the caller (0: none
	// is waited out).
	MaxRetryWait time.Duration
	// Backoff is the base delay between retries of failed reads, doubled
	// each time, with jitter.
	Backoff time.Duration
	// RateLimit is the most calls a second (see [WithRateLimit]; 0: no
	// limit).
	RateLimit float64
}

func defaultSettings() Settings {
	return Settings{
		Logger:       slog.New(slog.DiscardHandler),
		Observer:     noObserver{},
		MaxRetryWait: DefaultMaxRetryWait,
		Backoff:      200 * time.Millisecond,
	}
}

// Option changes a client's Settings.
type Option func(*Settings)

// WithLogger logs one line per upstream attempt (operation, status,
// duration) at info level; an answer that is not a success at warn, with
// its status, traceId and cleaned title; a call with no answer at warn.
func WithLogger(l *slog.Logger) Option { return func(s *Settings) { s.Logger = l } }

// WithObserver reports every HTTP attempt, e.g. to Prometheus.
func WithObserver(o Observer) Option { return func(s *Settings) { s.Observer = o } }

// New checks cfg and returns a Client. It makes no network call.
func New(cfg Config, opts ...Option) (*Client, error) {
	apiURL, authURL := cfg.APIURL, cfg.AuthURL
	if env, ok := environments[cfg.Environment]; ok {
		apiURL = cmp.Or(apiURL, env.api)
		authURL = cmp.Or(authURL, env.auth)
	} else if cfg.Environment != "" {
		return nil, fmt.Errorf("client: unknown environment %q (want production or integration)", cfg.Environment)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"API URL", apiURL}, {"auth URL", authURL}, {"client id", cfg.ClientID},
		{"client secret", cfg.ClientSecret}, {"app key", cfg.AppKey},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if cfg.TenantID <= 0 {
		missing = append(missing, "tenant id")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("client: missing %s", strings.Join(missing, ", "))
	}
	for _, u := range []string{apiURL, authURL} {
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			return nil, fmt.Errorf("client: %q is not an http(s) URL", u)
		}
	}
	set := defaultSettings()
	for _, o := range opts {
		o(&set)
	}
	c := &Client{
		apiBase:      strings.TrimRight(apiURL, "/") + "/crm/v2/tenant/" + strconv.FormatInt(cfg.TenantID, 10),
		appKey:       cfg.AppKey,
		userAgent:    cmp.Or(cfg.UserAgent, DefaultUserAgent),
		timeout:      cfg.Timeout,
		maxRetryWait: set.MaxRetryWait,
		backoff:      set.Backoff,
		http:         &http.Client{Transport: newTransport()},
		log:          set.Logger,
		observe:      set.Observer,
		now:          time.Now,
		budget:       newBudget(set.RateLimit),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	c.tokens = newTokenCache(authURL, cfg.ClientID, cfg.ClientSecret, c.http, c.timeout, c.userAgent, c.observe)
	return c, nil
}

// maxIdleConns is how many connections to ServiceTitan are kept open
// between calls: about as many as staff make calls at once.
const maxIdleConns = 64

// newTransport is http.DefaultTransport's configuration with room for
// maxIdleConns idle connections to the one host the client talks to. The
// default keeps 2 per host, so as soon as three saves overlap, connections
// are closed after use and opened again (with a TLS handshake each) for
// calls that could have reused them.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleConns
	t.MaxIdleConnsPerHost = maxIdleConns
	return t
}

// Operation names, as in ServiceTitan's reference; they appear in errors,
// logs and metrics.
const (
	OpGetCustomers    = "Customers_GetList"
	OpGetCustomer     = "Customers_Get"
	OpGetContactList  = "Customers_GetContactList"
	OpUpdateContact   = "Customers_UpdateContact"
	OpCreateContact   = "Customers_CreateContact"
	OpDeleteContact   = "Customers_DeleteContact"
	OpExportCustomers = "Export_Customers"
	OpExportContacts  = "Export_CustomerContacts"

	OpGetLocations           = "Locations_GetList"
	OpGetLocation            = "Locations_Get"
	OpGetLocationContactList = "Locations_GetContactList"
	OpUpdateLocationContact  = "Locations_UpdateContact"
	OpCreateLocationContact  = "Locations_CreateContact"
	OpDeleteLocationContact  = "Locations_DeleteContact"
	OpExportLocations        = "Export_Locations"
	OpExportLocationContacts = "Export_LocationContacts"
	opToken                  = "token"
	listPagesLimit           = 100 // pages followed at most, so a broken hasMore cannot loop forever
)

// listPageSize keeps a typical customer's contacts, or its locations, in
// one round trip.
const listPageSize = 100

// UpdateContact PATCHes a contact and returns it as ServiceTitan stored it.
// Only the fields set in req are sent. A PATCH is retried only when it
// provably never reached ServiceTitan; when its answer is lost the error
// matches ErrOutcomeUnknown and the caller must re-read.
func (c *Client) UpdateContact(ctx context.Context, customerID, contactID int64, req UpdateContactRequest) (Contact, error) {
	return c.updateContact(ctx, customerContacts(customerID), contactID, req)
}

// CreateContact adds a contact to a customer and returns it as
// ServiceTitan stored it. A POST is retried only when it provably never
// reached ServiceTitan; when its answer is lost the error matches
// ErrOutcomeUnknown and the caller must re-read (a resend could add the
// contact twice). ServiceTitan's published spec for it predates
// preferences, and unknown fields have been seen dropped with a 200:
// compare the answer's preferences with those sent.
func (c *Client) CreateContact(ctx context.Context, customerID int64, req CreateContactRequest) (Contact, error) {
	return c.createContact(ctx, customerContacts(customerID), req)
}

// DeleteContact removes a contact (ServiceTitan answers 200 with no body).
// Like every write, it is never resent after a lost answer: the error then
// matches ErrOutcomeUnknown and the caller re-reads.
func (c *Client) DeleteContact(ctx context.Context, customerID, contactID int64) error {
	return c.deleteContact(ctx, customerContacts(customerID), contactID)
}

// ListContacts returns all of a customer's contacts, following hasMore.
func (c *Client) ListContacts(ctx context.Context, customerID int64) ([]Contact, error) {
	return c.listContacts(ctx, customerContacts(customerID))
}

// GetContact finds one contact of a customer. ServiceTitan has no endpoint
// for a single contact, so it reads the customer's list.
func (c *Client) GetContact(ctx context.Context, customerID, contactID int64) (Contact, error) {
	return c.getContact(ctx, customerContacts(customerID), contactID)
}

// GetCustomer reads one customer.
func (c *Client) GetCustomer(ctx context.Context, id int64) (Customer, error) {
	var out customerWire
	err := c.do(ctx, OpGetCustomer, http.MethodGet, fmt.Sprintf("/customers/%d", id), nil, nil, &out)
	return out.customer(), err
}

// SearchCustomers returns one page of customers matching q.
func (c *Client) SearchCustomers(ctx context.Context, q CustomerQuery) (Page[Customer], error) {
	v := url.Values{}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if q.Phone != "" {
		v.Set("phone", q.Phone)
	}
	if len(q.IDs) > 0 {
		v.Set("ids", joinIDs(q.IDs))
	}
	v.Set("page", strconv.Itoa(max(q.Page, 1)))
	if q.PageSize > 0 {
		v.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	var wire Page[customerWire]
	err := c.do(ctx, OpGetCustomers, http.MethodGet, "/customers", v, nil, &wire)
	out := Page[Customer]{Page: wire.Page, PageSize: wire.PageSize, HasMore: wire.HasMore, TotalCount: wire.TotalCount}
	if wire.Data != nil {
		out.Data = make([]Customer, len(wire.Data))
		for i, w := range wire.Data {
			out.Data[i] = w.customer()
		}
	}
	return out, err
}

// CheckToken obtains a token (or reuses the cached one). Readiness checks
// use it to tell whether the app can sign in to ServiceTitan.
func (c *Client) CheckToken(ctx context.Context) error {
	_, err := c.tokens.token(ctx)
	return err
}

// maxSuccessBody caps a success body; the largest page of contacts is far
// smaller.
const maxSuccessBody = 16 << 20

// do sends one logical call with the retries that are safe for its method
// and decodes a success body into out (nil: the body is not read).
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body, out any) error {
	return c.call(ctx, op, method, path, query, body, func(r io.Reader) error { return decodeSuccess(r, out) })
}

// call is do with the success body read by read, as it arrives. An error
// from read is the answer's: it matches ErrMalformedResponse (and, for a
// write, ErrOutcomeUnknown), and the call is not repeated.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body any, read func(io.Reader) error) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("servicetitan: %s: encode request: %w", op, err)
		}
	}
	u := c.apiBase + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	isRead := method == http.MethodGet
	var refreshedToken, waitedOut bool
	retries := 0
	for {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return err
		}
		resp, cancel, err := c.send(ctx, op, method, u, payload, tok)
		if err != nil {
			neverSent := isDialError(err)
			if (isRead || neverSent) && ctx.Err() == nil && retries < 2 && !isTimeout(err) {
				retries++
				c.observe.Retry(op, "connection")
				if c.sleep(ctx, c.jitter(retries)) == nil {
					continue
				}
			}
			return c.transportError(op, isRead || neverSent, err)
		}
		status := resp.StatusCode
		if status >= 200 && status < 300 {
			err := read(resp.Body)
			resp.Body.Close()
			cancel()
			if err != nil {
				if isRead {
					return fmt.Errorf("servicetitan: %s: %w: %w: %w", op, ErrMalformedResponse, ErrUnavailable, err)
				}
				return fmt.Errorf("servicetitan: %s: %w: %w: %w: %w", op, ErrOutcomeUnknown, ErrMalformedResponse, ErrUnavailable, err)
			}
			return nil
		}
		errBody, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		cancel()
		apiErr := newAPIError(op, resp, errBody, c.now())
		c.log.LogAttrs(ctx, slog.LevelWarn, "servicetitan error",
			slog.String("op", op), slog.Int("status", status), slog.String("traceId", apiErr.TraceID),
			slog.String("title", cmp.Or(apiErr.Title, apiErr.Detail)))
		switch {
		case status == http.StatusUnauthorized && !refreshedToken:
			// The token may have been revoked or expired early: fetch a new
			// one and try once more. ServiceTitan did not process the call.
			refreshedToken = true
			c.observe.Retry(op, "unauthorized")
			c.tokens.invalidate(tok)
			continue
		case status == http.StatusTooManyRequests && !waitedOut && apiErr.RetryAfter <= c.maxRetryWait:
			// Rejected before processing, so even a PATCH may be retried.
			waitedOut = true
			c.observe.Retry(op, "rate_limited")
			wait := apiErr.RetryAfter
			if wait == 0 {
				wait = c.jitter(1)
			}
			if c.sleep(ctx, wait) != nil {
				return apiErr
			}
			continue
		case isRead && retries < 2 && (status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout):
			retries++
			c.observe.Retry(op, "gateway")
			if c.sleep(ctx, max(c.jitter(retries), min(apiErr.RetryAfter, c.maxRetryWait))) != nil {
				return apiErr
			}
			continue
		}
		if !isRead && status >= 500 {
			// A server or gateway error on a write says nothing about
			// whether ServiceTitan applied it (a gateway may time out after
			// the backend saved): the caller must re-read, never resend.
			return fmt.Errorf("%w: %w", ErrOutcomeUnknown, apiErr)
		}
		return apiErr
	}
}

// send makes one HTTP attempt bounded by the per-call timeout. The caller
// must close the body and call cancel when err is nil.
func (c *Client) send(ctx context.Context, op, method, u string, payload []byte, token string) (*http.Response, context.CancelFunc, error) {
	if err := c.waitTurn(ctx); err != nil {
		return nil, nil, err
	}
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(attemptCtx, method, u, body)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("servicetitan: %s: %w", op, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("ST-App-Key", c.appKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	took := time.Since(start)
	if err != nil {
		cancel()
		c.observe.Call(op, 0, took)
		c.log.LogAttrs(ctx, slog.LevelWarn, "servicetitan call failed",
			slog.String("op", op), slog.String("method", method), slog.Duration("took", took), slog.String("error", redact(withoutURL(err).Error(), token)))
		return nil, nil, err
	}
	c.observe.Call(op, resp.StatusCode, took)
	c.log.LogAttrs(ctx, slog.LevelInfo, "servicetitan call",
		slog.String("op", op), slog.String("method", method), slog.Int("status", resp.StatusCode), slog.Duration("took", took))
	return resp, cancel, nil
}

func decodeSuccess(r io.Reader, out any) error {
	b, err := io.ReadAll(io.LimitReader(r, maxSuccessBody))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}

// transportError describes a call that got no HTTP answer. For a write
// that may have reached ServiceTitan (even one the caller cancelled) the
// error also matches ErrOutcomeUnknown. The request URL is left out: its
// query may hold a customer's name or phone number.
func (c *Client) transportError(op string, safe bool, err error) error {
	err = withoutURL(err)
	switch {
	case !safe:
		return fmt.Errorf("servicetitan: %s: %w: %w: %w", op, ErrOutcomeUnknown, ErrUnavailable, err)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("servicetitan: %s: %w", op, err)
	}
	return fmt.Errorf("servicetitan: %s: %w: %w", op, ErrUnavailable, err)
}

// withoutURL unwraps a *url.Error to its cause, dropping the URL.
func withoutURL(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("%s: %w", uerr.Op, uerr.Err)
	}
	return err
}

// isDialError reports whether the request failed before a connection was
// made, so ServiceTitan cannot have seen it.
func isDialError(err error) bool {
	if errors.Is(err, errNoTurn) {
		return true // still waiting for its turn: never sent
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (c *Client) jitter(attempt int) time.Duration {
	ceiling := c.backoff << (attempt - 1)
	if ceiling <= 0 {
		return 0
	}
	return ceiling/2 + rand.N(ceiling/2+1)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// redact removes a secret from a string that is about to be logged or
// returned, in case a transport error echoes a header.
func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[redacted]")
}
