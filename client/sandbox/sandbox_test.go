package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// ---- harness ----

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t     *testing.T
	s     *Server
	base  string
	hc    *http.Client
	token string
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	s := New(opts...)
	base, stop, err := s.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(stop)
	// No keep-alives: a dropped connection must not be retried on a new one.
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	h := &harness{t: t, s: s, base: base, hc: &http.Client{Transport: tr}}
	h.token = h.fetchToken()
	return h
}

func (h *harness) fetchToken() string {
	h.t.Helper()
	c := h.s.Credentials()
	resp, body := h.postForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "")
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustUnmarshal(h.t, body, &tok)
	return tok.AccessToken
}

func (h *harness) postForm(form url.Values, basic string) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic != "" {
		req.Header.Set("Authorization", "Basic "+basic)
	}
	return h.send(req)
}

func (h *harness) send(req *http.Request) (*http.Response, []byte) {
	h.t.Helper()
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read body: %v", err)
	}
	return resp, body
}

// tenantPath turns "/customers/..." into the full API URL.
func (h *harness) tenantPath(path string) string {
	return fmt.Sprintf("%s/crm/v2/tenant/%d%s", h.base, h.s.Credentials().TenantID, path)
}

func (h *harness) newRequest(ctx context.Context, method, path, body string) *http.Request {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.tenantPath(path), rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("ST-App-Key", h.s.Credentials().AppKey)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func (h *harness) call(method, path, body string) (*http.Response, []byte) {
	h.t.Helper()
	return h.send(h.newRequest(context.Background(), method, path, body))
}

// callErr sends a request that is expected to fail at the transport level.
func (h *harness) callErr(ctx context.Context, method, path, body string) error {
	h.t.Helper()
	resp, err := h.hc.Do(h.newRequest(ctx, method, path, body))
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h.t.Fatalf("%s %s: want transport error, got %d %s", method, path, resp.StatusCode, b)
	}
	return err
}

func (h *harness) patch(customerID, contactID int64, body string) (*http.Response, []byte) {
	h.t.Helper()
	return h.call(http.MethodPatch, fmt.Sprintf("/customers/%d/contacts/%d", customerID, contactID), body)
}

func (h *harness) contact(customerID, contactID int64) client.Contact {
	h.t.Helper()
	c, ok := h.s.Contact(customerID, contactID)
	if !ok {
		h.t.Fatalf("contact %d/%d not found", customerID, contactID)
	}
	return c
}

func mustUnmarshal(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, want, body)
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// wantProblem checks an RFC 7807 answer and returns it.
func wantProblem(t *testing.T, resp *http.Response, body []byte, status int, title string) problemBody {
	t.Helper()
	wantStatus(t, resp, body, status)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var raw map[string]json.RawMessage
	mustUnmarshal(t, body, &raw)
	for _, k := range []string{"type", "title", "status", "traceId", "errors", "data"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("problem lacks %q: %s", k, body)
		}
	}
	var p problemBody
	mustUnmarshal(t, body, &p)
	if p.Status != status || p.Title != title || !strings.HasPrefix(p.Type, "https://tools.ietf.org/html/rfc7231#section-6.5.") {
		t.Errorf("problem = %+v, want status %d title %q", p, status, title)
	}
	if !hex32.MatchString(p.TraceID) {
		t.Errorf("traceId = %q", p.TraceID)
	}
	if p.Errors == nil || p.Data == nil {
		t.Errorf("errors and data must be objects: %s", body)
	}
	return p
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- token endpoint ----

func TestToken(t *testing.T) {
	h := newHarness(t)
	c := h.s.Credentials()
	basic := func(id, secret string) string {
		return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	}
	tests := []struct {
		name      string
		form      url.Values
		basic     string
		wantError string
	}{
		{"ok, form credentials", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", ""},
		{"ok, basic auth", url.Values{"grant_type": {"client_credentials"}}, basic(c.ClientID, c.ClientSecret), ""},
		{"ok, scope is ignored", url.Values{"grant_type": {"client_credentials"}, "scope": {"anything"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", ""},
		{"nok, bad secret", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {"wrong"}}, "", "invalid_client"},
		{"nok, unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"someone"}, "client_secret": {c.ClientSecret}}, "", "invalid_client"},
		{"nok, missing credentials", url.Values{"grant_type": {"client_credentials"}}, "", "invalid_client"},
		{"nok, bad basic auth secret", url.Values{"grant_type": {"client_credentials"}}, basic(c.ClientID, "nope"), "invalid_client"},
		{"nok, wrong grant type", url.Values{"grant_type": {"password"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", "unsupported_grant_type"},
		{"nok, missing grant type", url.Values{"client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "", "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.postForm(tt.form, tt.basic)
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tt.wantError != "" {
				wantStatus(t, resp, body, http.StatusBadRequest)
				var e map[string]string
				mustUnmarshal(t, body, &e)
				if e["error"] != tt.wantError {
					t.Errorf("error = %q, want %q", e["error"], tt.wantError)
				}
				return
			}
			wantStatus(t, resp, body, http.StatusOK)
			var tok struct {
				AccessToken string `json:"access_token"`
				ExpiresIn   int    `json:"expires_in"`
				TokenType   string `json:"token_type"`
				Scope       string `json:"scope"`
			}
			mustUnmarshal(t, body, &tok)
			if len(tok.AccessToken) < 32 || tok.ExpiresIn != 900 || tok.TokenType != "Bearer" || tok.Scope == "" {
				t.Errorf("token = %+v", tok)
			}
			if tok.AccessToken == h.token {
				t.Error("tokens must differ")
			}
		})
	}

	t.Run("nok, GET is not allowed", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, h.base+"/connect/token", nil)
		resp, body := h.send(req)
		wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	})
	t.Run("nok, unparseable form", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, h.base+"/connect/token", strings.NewReader("%zz"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := h.send(req)
		wantStatus(t, resp, body, http.StatusBadRequest)
	})
}

func TestTokenLifetimeOption(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.TokenLifetime = 90 * time.Second })
	c := h.s.Credentials()
	resp, body := h.postForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "")
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"expires_in":90`) {
		t.Errorf("body = %s", body)
	}
}

func TestCustomCredentials(t *testing.T) {
	creds := Credentials{TenantID: 42, ClientID: "id", ClientSecret: "s3cret", AppKey: "key"}
	h := newHarness(t, func(s *Settings) { s.Credentials = creds })
	if h.s.Credentials() != creds {
		t.Fatalf("Credentials() = %+v", h.s.Credentials())
	}
	resp, body := h.call(http.MethodGet, "/customers/10000001", "")
	wantStatus(t, resp, body, http.StatusOK)
}

// ---- authentication ----

func TestAuth(t *testing.T) {
	clk := newFakeClock()
	h := newHarness(t, func(s *Settings) { s.Clock = clk.Now })
	expired := h.fetchToken()
	clk.Advance(901 * time.Second)
	h.token = h.fetchToken()

	tests := []struct {
		name       string
		path       string
		edit       func(*http.Request)
		wantStatus int
		wantBody   string // for text answers
		wantTitle  string // for problem answers
	}{
		{"ok, bearer token and app key", "/customers/10000001", func(*http.Request) {}, 200, "", ""},
		{"ok, scheme is case-insensitive", "/customers/10000001", func(r *http.Request) { r.Header.Set("Authorization", "bearer "+h.token) }, 200, "", ""},
		{"nok, no authorization header", "/customers/10000001", func(r *http.Request) { r.Header.Del("Authorization") }, 401, "Unauthorized", ""},
		{"nok, basic instead of bearer", "/customers/10000001", func(r *http.Request) { r.Header.Set("Authorization", "Basic abc") }, 401, "Unauthorized", ""},
		{"nok, unknown token", "/customers/10000001", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401, "Unauthorized", ""},
		{"nok, expired token", "/customers/10000001", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+expired) }, 401, "Unauthorized", ""},
		{"nok, no app key", "/customers/10000001", func(r *http.Request) { r.Header.Del("ST-App-Key") }, 401, "App key is missing or invalid", ""},
		{"nok, wrong app key", "/customers/10000001", func(r *http.Request) { r.Header.Set("ST-App-Key", "other") }, 401, "App key is missing or invalid", ""},
		{"nok, other tenant", "/customers/10000001", func(r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/tenant/1000001/", "/tenant/999/", 1)
		}, 403, "", TitleTenantNotConnected},
		{"nok, non-numeric tenant", "/customers/10000001", func(r *http.Request) {
			r.URL.Path = strings.Replace(r.URL.Path, "/tenant/1000001/", "/tenant/abc/", 1)
		}, 404, "", "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := h.newRequest(context.Background(), http.MethodGet, tt.path, "")
			tt.edit(req)
			resp, body := h.send(req)
			switch {
			case tt.wantTitle != "":
				wantProblem(t, resp, body, tt.wantStatus, tt.wantTitle)
			case tt.wantBody != "":
				wantStatus(t, resp, body, tt.wantStatus)
				if string(body) != tt.wantBody || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
					t.Errorf("body = %q (%s), want %q", body, resp.Header.Get("Content-Type"), tt.wantBody)
				}
			default:
				wantStatus(t, resp, body, tt.wantStatus)
			}
		})
	}

	t.Run("nok, revoked token", func(t *testing.T) {
		h.s.RevokeTokens()
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, http.StatusUnauthorized)
		h.token = h.fetchToken()
		resp, body = h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, http.StatusOK)
	})
}

// ---- customers ----

func TestListCustomers(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name      string
		query     string
		wantIDs   []int64 // nil: only check wantCount
		wantCount int
		wantMore  bool
		wantKey   string // 400 error key
	}{
		{"ok, default is active customers", "", nil, SeedActiveCustomerCount, false, ""},
		{"ok, name is a case-insensitive substring", "?name=gONZALEZ", []int64{10000002, 10000025}, 2, false, ""},
		{"ok, name with accents", "?name=ram%C3%ADrez", []int64{10000022}, 1, false, ""},
		{"ok, phone digits", "?phone=217-555-0177", []int64{SeedCustomerID}, 1, false, ""},
		{"ok, phone with country code", "?phone=%2B1%20(217)%20555-0177", []int64{SeedCustomerID}, 1, false, ""},
		{"ok, phone matches a landline too", "?phone=2175550123", []int64{SeedCustomerID}, 1, false, ""},
		{"ok, phone without digits matches nothing", "?phone=abc", []int64{}, 0, false, ""},
		{"ok, ids", "?ids=10000003,%2010000001,", []int64{SeedCustomerID, SeedManyContactsCustomerID}, 2, false, ""},
		{"ok, active Any", "?active=Any", nil, SeedCustomerCount, false, ""},
		{"ok, active False", "?active=False", []int64{SeedInactiveCustomerID, 10000028}, 2, false, ""},
		{"ok, inactive hidden by default", "?ids=10000027", []int64{}, 0, false, ""},
		{"ok, paging", "?pageSize=10&page=2", nil, 10, true, ""},
		{"ok, last page", "?pageSize=10&page=3", nil, SeedActiveCustomerCount - 20, false, ""},
		{"ok, page beyond the end", "?page=9", []int64{}, 0, false, ""},
		{"ok, query names are case-insensitive", "?PageSize=5", nil, 5, true, ""},
		{"ok, city and zip", "?city=springfield&zip=62701&street=analytical", []int64{SeedCustomerID}, 1, false, ""},
		{"nok, malformed ids", "?ids=1,x", nil, 0, false, "ids"},
		{"nok, malformed page", "?page=x", nil, 0, false, "page"},
		{"nok, page zero", "?page=0", nil, 0, false, "page"},
		{"nok, malformed pageSize", "?pageSize=1.5", nil, 0, false, "pageSize"},
		{"nok, negative pageSize", "?pageSize=-1", nil, 0, false, "pageSize"},
		{"nok, malformed includeTotal", "?includeTotal=yes", nil, 0, false, "includeTotal"},
		{"nok, malformed active", "?active=maybe", nil, 0, false, "active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodGet, "/customers"+tt.query, "")
			if tt.wantKey != "" {
				p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
				if got := sortedKeys(p.Errors); !slices.Equal(got, []string{tt.wantKey}) {
					t.Errorf("error keys = %q, want [%q]", got, tt.wantKey)
				}
				return
			}
			wantStatus(t, resp, body, http.StatusOK)
			var page client.Page[client.Customer]
			mustUnmarshal(t, body, &page)
			if len(page.Data) != tt.wantCount || page.HasMore != tt.wantMore {
				t.Fatalf("got %d customers, hasMore %v; want %d, %v", len(page.Data), page.HasMore, tt.wantCount, tt.wantMore)
			}
			if page.TotalCount != nil {
				t.Errorf("totalCount = %d without includeTotal", *page.TotalCount)
			}
			if tt.wantIDs != nil {
				var got []int64
				for _, c := range page.Data {
					got = append(got, c.ID)
				}
				if !slices.Equal(got, tt.wantIDs) && !(len(got) == 0 && len(tt.wantIDs) == 0) {
					t.Errorf("ids = %v, want %v", got, tt.wantIDs)
				}
			}
		})
	}

	t.Run("ok, includeTotal and pageSize cap", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers?includeTotal=True&pageSize=1000&active=Any", "")
		wantStatus(t, resp, body, http.StatusOK)
		var page client.Page[client.Customer]
		mustUnmarshal(t, body, &page)
		if page.TotalCount == nil || *page.TotalCount != SeedCustomerCount || page.PageSize != 500 || page.Page != 1 {
			t.Errorf("page = %+v", page)
		}
	})
}

func TestGetCustomer(t *testing.T) {
	h := newHarness(t)
	t.Run("ok, wire format", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, http.StatusOK)
		var raw map[string]any
		mustUnmarshal(t, body, &raw)
		for _, k := range []string{"id", "active", "name", "type", "address", "customFields", "createdOn", "modifiedOn", "mergedToId"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("customer lacks %q", k)
			}
		}
		if raw["mergedToId"] != nil || raw["type"] != "Residential" {
			t.Errorf("customer = %s", body)
		}
		addr := raw["address"].(map[string]any)
		if addr["latitude"] == nil || addr["zip"] != "62701" || addr["country"] != "USA" {
			t.Errorf("address = %v", addr)
		}
		if !strings.HasSuffix(raw["createdOn"].(string), "Z") {
			t.Errorf("createdOn = %v", raw["createdOn"])
		}
		var c client.Customer
		mustUnmarshal(t, body, &c)
		want, _ := h.s.Customer(SeedCustomerID)
		if !reflect.DeepEqual(c, want) {
			t.Errorf("decoded %+v, stored %+v", c, want)
		}
	})
	t.Run("ok, commercial with unit", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers/10000003", "")
		wantStatus(t, resp, body, http.StatusOK)
		var c client.Customer
		mustUnmarshal(t, body, &c)
		if c.Type != "Commercial" || c.Name != "Harbor View Dental" || c.Address.Unit != "Suite 110" {
			t.Errorf("customer = %+v", c)
		}
	})
	t.Run("nok, unknown customer", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers/1", "")
		wantProblem(t, resp, body, http.StatusNotFound, TitleCustomerNotFound)
	})
	t.Run("nok, malformed id", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers/abc", "")
		p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
		if _, ok := p.Errors["id"]; !ok {
			t.Errorf("errors = %v", p.Errors)
		}
	})
	t.Run("nok, unknown path", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/nothing", "")
		wantStatus(t, resp, body, http.StatusNotFound)
	})
}

// ---- contacts ----

func TestListContactsPaging(t *testing.T) {
	h := newHarness(t)
	path := fmt.Sprintf("/customers/%d/contacts", SeedManyContactsCustomerID)

	var all []client.Contact
	for page, wantLen := range []int{25, 25, 10} {
		resp, body := h.call(http.MethodGet, fmt.Sprintf("%s?page=%d&pageSize=25&includeTotal=true", path, page+1), "")
		wantStatus(t, resp, body, http.StatusOK)
		var p client.Page[client.Contact]
		mustUnmarshal(t, body, &p)
		if len(p.Data) != wantLen || p.HasMore != (page < 2) || p.Page != page+1 || p.PageSize != 25 {
			t.Fatalf("page %d: len %d hasMore %v (%d/%d)", page+1, len(p.Data), p.HasMore, p.Page, p.PageSize)
		}
		if p.TotalCount == nil || *p.TotalCount != SeedManyContactsCount {
			t.Fatalf("totalCount = %v", p.TotalCount)
		}
		all = append(all, p.Data...)
	}
	if !reflect.DeepEqual(all, h.s.Contacts(SeedManyContactsCustomerID)) {
		t.Error("paged contacts differ from stored contacts")
	}

	tests := []struct {
		name     string
		path     string
		maxPage  int // SetMaxPageSize; 0 for the default
		wantLen  int
		wantMore bool
		wantNull bool // totalCount null
	}{
		{"ok, default page size is 50", path, 0, 50, true, true},
		{"ok, second default page", path + "?page=2", 0, 10, false, true},
		{"ok, beyond the end", path + "?page=4&pageSize=25", 0, 0, false, true},
		{"ok, small customer", "/customers/10000001/contacts", 0, 3, false, true},
		{"ok, includeTotal=false", path + "?includeTotal=false&pageSize=60", 0, 60, false, true},
		{"ok, a larger pageSize is cut to the cap", path + "?pageSize=100", 25, 25, true, true},
		{"ok, so is the default", path, 25, 25, true, true},
		{"ok, the last capped page", path + "?page=3&pageSize=100", 25, 10, false, true},
		{"ok, a smaller pageSize stays", path + "?pageSize=10", 25, 10, true, true},
		{"ok, no cap after a cap below one", path + "?pageSize=60", -1, 60, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.s.SetMaxPageSize(tt.maxPage)
			resp, body := h.call(http.MethodGet, tt.path, "")
			wantStatus(t, resp, body, http.StatusOK)
			var p client.Page[client.Contact]
			mustUnmarshal(t, body, &p)
			if len(p.Data) != tt.wantLen || p.HasMore != tt.wantMore {
				t.Errorf("len %d hasMore %v", len(p.Data), p.HasMore)
			}
			if tt.maxPage > 0 && tt.wantMore && p.PageSize != len(p.Data) { // a full page says its size
				t.Errorf("pageSize %d for a page of %d", p.PageSize, len(p.Data))
			}
			if tt.wantNull != strings.Contains(string(body), `"totalCount":null`) {
				t.Errorf("totalCount in %s", body[:min(len(body), 80)])
			}
			if !strings.Contains(string(body), `"data":[`) {
				t.Error("data must be an array")
			}
		})
	}

	nok := []struct {
		name, path, key string
		status          int
		title           string
	}{
		{"nok, unknown customer", "/customers/10009999/contacts", "", 404, TitleCustomerNotFound},
		{"nok, malformed customer id", "/customers/x/contacts", "id", 400, TitleValidation},
		{"nok, malformed page", path + "?page=two", "page", 400, TitleValidation},
		{"nok, malformed pageSize", path + "?pageSize=0", "pageSize", 400, TitleValidation},
	}
	for _, tt := range nok {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodGet, tt.path, "")
			p := wantProblem(t, resp, body, tt.status, tt.title)
			if tt.key != "" {
				if _, ok := p.Errors[tt.key]; !ok {
					t.Errorf("errors = %v, want key %q", p.Errors, tt.key)
				}
			}
		})
	}
}

var contactTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$`)

func TestContactWireFormat(t *testing.T) {
	h := newHarness(t)
	get := func(customerID int64) map[int64]map[string]json.RawMessage {
		resp, body := h.call(http.MethodGet, fmt.Sprintf("/customers/%d/contacts", customerID), "")
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		var p struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		mustUnmarshal(t, body, &p)
		out := map[int64]map[string]json.RawMessage{}
		for _, c := range p.Data {
			var id int64
			mustUnmarshal(t, c["id"], &id)
			out[id] = c
		}
		return out
	}
	ada := get(SeedCustomerID)
	maria := get(SeedFiveFlagCustomerID)

	for id, c := range ada {
		for _, k := range []string{"createdOn", "modifiedOn"} {
			var s string
			mustUnmarshal(t, c[k], &s)
			if !contactTime.MatchString(s) {
				t.Errorf("contact %d %s = %q, want 7 fractional digits and no zone", id, k, s)
			}
		}
	}
	tests := []struct {
		name    string
		c       map[string]json.RawMessage
		field   string
		want    string
		contain bool
	}{
		{"ok, mobile", ada[SeedMobileContactID], "phoneSettings", `{"phoneNumber":"2175550177","doNotText":false}`, false},
		{"ok, do not text", ada[SeedDoNotTextContactID], "phoneSettings", `{"phoneNumber":"2175550123","doNotText":true}`, false},
		{"ok, email has null phoneSettings", ada[SeedEmailContactID], "phoneSettings", `null`, false},
		{"ok, three-flag preferences", ada[SeedMobileContactID], "preferences", `{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}`, false},
		{"ok, five-flag preferences", maria[SeedFiveFlagContactID], "preferences", `{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true,"invoiceNotification":true,"statementNotification":false}`, false},
		{"ok, null preferences", maria[SeedNullPreferencesContactID], "preferences", `null`, false},
		{"ok, empty memo is null", maria[SeedNullPreferencesContactID], "memo", `null`, false},
		{"ok, memo", ada[SeedMobileContactID], "memo", `"Cell"`, false},
		{"ok, type", ada[SeedDoNotTextContactID], "type", `"Phone"`, false},
		{"ok, fixed timestamp", ada[SeedMobileContactID], "modifiedOn", `"2025-11-02T09:30:00.7654321"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(tt.c[tt.field]); got != tt.want {
				t.Errorf("%s = %s, want %s", tt.field, got, tt.want)
			}
		})
	}

	t.Run("ok, decodes into client types exactly", func(t *testing.T) {
		resp, body := h.call(http.MethodGet, "/customers/10000002/contacts", "")
		wantStatus(t, resp, body, http.StatusOK)
		var p client.Page[client.Contact]
		mustUnmarshal(t, body, &p)
		if !reflect.DeepEqual(p.Data, h.s.Contacts(SeedFiveFlagCustomerID)) {
			t.Errorf("decoded %+v\nstored %+v", p.Data, h.s.Contacts(SeedFiveFlagCustomerID))
		}
	})
}

// ---- PATCH ----

func TestUpdateContact(t *testing.T) {
	type check func(t *testing.T, before, after client.Contact)
	unchanged := func(fields ...string) check {
		return func(t *testing.T, before, after client.Contact) {
			t.Helper()
			for _, f := range fields {
				b := reflect.ValueOf(before).FieldByName(f).Interface()
				a := reflect.ValueOf(after).FieldByName(f).Interface()
				if !reflect.DeepEqual(a, b) {
					t.Errorf("%s changed: %v -> %v", f, b, a)
				}
			}
		}
	}
	prefs := func(want client.Preferences) check {
		return func(t *testing.T, _, after client.Contact) {
			t.Helper()
			if after.Preferences == nil || !reflect.DeepEqual(*after.Preferences, want) {
				t.Errorf("preferences = %s, want %s", jsonOf(after.Preferences), jsonOf(want))
			}
		}
	}
	tr, fa := true, false
	tests := []struct {
		name                string
		customerID, contact int64
		body                string
		checks              []check
	}{
		{"ok, memo only", SeedCustomerID, SeedMobileContactID, `{"memo":"Personal cell"}`, []check{
			unchanged("Type", "Value", "Preferences", "PhoneSettings", "CreatedOn"),
			func(t *testing.T, _, a client.Contact) {
				if a.Memo != "Personal cell" {
					t.Errorf("memo = %q", a.Memo)
				}
			},
		}},
		{"ok, clear memo", SeedCustomerID, SeedMobileContactID, `{"memo":""}`, []check{
			unchanged("Type", "Value", "Preferences"),
			func(t *testing.T, _, a client.Contact) {
				if a.Memo != "" {
					t.Errorf("memo = %q", a.Memo)
				}
			},
		}},
		{"ok, memo of 255 multibyte characters", SeedCustomerID, SeedMobileContactID, `{"memo":"` + strings.Repeat("é", 255) + `"}`, []check{unchanged("Value")}},
		{"ok, value only", SeedCustomerID, SeedMobileContactID, `{"value":"2175550199"}`, []check{
			unchanged("Type", "Memo", "Preferences"),
			func(t *testing.T, _, a client.Contact) {
				if a.Value != "2175550199" || a.PhoneSettings == nil || a.PhoneSettings.PhoneNumber != "2175550199" || a.PhoneSettings.DoNotText {
					t.Errorf("contact = %s", jsonOf(a))
				}
			},
		}},
		{"ok, doNotText survives a new number", SeedCustomerID, SeedDoNotTextContactID, `{"value":"2175550100"}`, []check{
			func(t *testing.T, _, a client.Contact) {
				if a.PhoneSettings == nil || !a.PhoneSettings.DoNotText || a.PhoneSettings.PhoneNumber != "2175550100" {
					t.Errorf("phoneSettings = %s", jsonOf(a.PhoneSettings))
				}
			},
		}},
		{"ok, mobile becomes email", SeedCustomerID, SeedMobileContactID, `{"type":"Email","value":"ada.l@example.org"}`, []check{
			unchanged("Memo", "Preferences"),
			func(t *testing.T, _, a client.Contact) {
				if a.Type != client.ContactEmail || a.PhoneSettings != nil {
					t.Errorf("contact = %s", jsonOf(a))
				}
			},
		}},
		{"ok, email becomes mobile", SeedCustomerID, SeedEmailContactID, `{"type":"MobilePhone","value":"2175550111"}`, []check{
			func(t *testing.T, _, a client.Contact) {
				if a.Type != client.ContactMobilePhone || a.PhoneSettings == nil || a.PhoneSettings.PhoneNumber != "2175550111" || a.PhoneSettings.DoNotText {
					t.Errorf("contact = %s", jsonOf(a))
				}
			},
		}},
		{"ok, type only, landline to fax", SeedCustomerID, SeedDoNotTextContactID, `{"type":"Fax"}`, []check{
			unchanged("Value", "Memo", "PhoneSettings"),
			func(t *testing.T, _, a client.Contact) {
				if a.Type != client.ContactFax {
					t.Errorf("type = %s", a.Type)
				}
			},
		}},
		{"ok, LandlinePhone is Phone", SeedCustomerID, SeedMobileContactID, `{"type":"LandlinePhone"}`, []check{
			func(t *testing.T, _, a client.Contact) {
				if a.Type != client.ContactPhone {
					t.Errorf("type = %s", a.Type)
				}
			},
		}},
		{"ok, email case kept", SeedCustomerID, SeedEmailContactID, `{"value":"Ada.Lovelace@Example.com"}`, []check{
			func(t *testing.T, _, a client.Contact) {
				if a.Value != "Ada.Lovelace@Example.com" {
					t.Errorf("value = %q", a.Value)
				}
			},
		}},
		{"ok, three-flag preferences", SeedCustomerID, SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":true,"invoiceStatementNotification":false}}`, []check{
			unchanged("Value", "Memo", "Type", "PhoneSettings"),
			prefs(client.Preferences{MarketingUpdatesEnabled: true}),
		}},
		{"ok, five-flag record, legacy flag updates both", SeedFiveFlagCustomerID, SeedFiveFlagContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}}`, []check{
			prefs(client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true, InvoiceNotification: &tr, StatementNotification: &tr}),
		}},
		{"ok, five-flag record, split flags applied", SeedFiveFlagCustomerID, SeedFiveFlagContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true,"invoiceNotification":true,"statementNotification":false}}`, []check{
			unchanged("Preferences"),
		}},
		{"ok, five-flag record, one split flag sent", SeedFiveFlagCustomerID, SeedFiveFlagContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":false,"invoiceNotification":true}}`, []check{
			prefs(client.Preferences{JobRemindersEnabled: true, InvoiceNotification: &tr, StatementNotification: &fa}),
		}},
		{"ok, preferences on a null-preferences record", SeedNullPreferencesCustomerID, SeedNullPreferencesContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":false}}`, []check{
			prefs(client.Preferences{JobRemindersEnabled: true, MarketingUpdatesEnabled: true}),
		}},
		{"ok, split flags on a three-flag record", SeedCustomerID, SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true,"invoiceNotification":false,"statementNotification":true}}`, []check{
			prefs(client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true, InvoiceNotification: &fa, StatementNotification: &tr}),
		}},
		{"ok, null preferences leaves them alone", SeedCustomerID, SeedMobileContactID, `{"preferences":null,"memo":"x"}`, []check{unchanged("Preferences")}},
		{"ok, unknown fields are ignored", SeedCustomerID, SeedMobileContactID, `{"valeu":"2175550100","doNotText":true}`, []check{
			unchanged("Type", "Value", "Memo", "Preferences", "PhoneSettings"),
		}},
		{"ok, field names are case-insensitive", SeedCustomerID, SeedMobileContactID, `{"Memo":"Upper"}`, []check{
			func(t *testing.T, _, a client.Contact) {
				if a.Memo != "Upper" {
					t.Errorf("memo = %q", a.Memo)
				}
			},
		}},
		{"ok, empty object", SeedCustomerID, SeedMobileContactID, `{}`, []check{unchanged("Type", "Value", "Memo", "Preferences", "PhoneSettings")}},
		{"ok, own value again is no conflict", SeedCustomerID, SeedMobileContactID, `{"value":"2175550177","type":"Phone"}`, []check{unchanged("Value")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			before := h.contact(tt.customerID, tt.contact)
			resp, body := h.patch(tt.customerID, tt.contact, tt.body)
			wantStatus(t, resp, body, http.StatusOK)
			if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got client.Contact
			mustUnmarshal(t, body, &got)
			after := h.contact(tt.customerID, tt.contact)
			if !reflect.DeepEqual(got, after) {
				t.Errorf("response %s\nstored %s", jsonOf(got), jsonOf(after))
			}
			if !after.ModifiedOn.After(before.ModifiedOn) {
				t.Errorf("modifiedOn did not move: %v -> %v", before.ModifiedOn, after.ModifiedOn)
			}
			if !after.CreatedOn.Equal(before.CreatedOn) || after.ID != before.ID {
				t.Error("id or createdOn changed")
			}
			var raw map[string]json.RawMessage
			mustUnmarshal(t, body, &raw)
			var mod string
			mustUnmarshal(t, raw["modifiedOn"], &mod)
			if !contactTime.MatchString(mod) {
				t.Errorf("modifiedOn = %q", mod)
			}
			for _, c := range tt.checks {
				c(t, before, after)
			}
		})
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateContactValidation(t *testing.T) {
	long := strings.Repeat("m", 256)
	tests := []struct {
		name     string
		contact  int64
		body     string
		wantKeys []string
	}{
		{"nok, empty body", SeedMobileContactID, ``, []string{KeyBody}},
		{"nok, null body", SeedMobileContactID, `null`, []string{KeyBody}},
		{"nok, not JSON", SeedMobileContactID, `{"memo":`, []string{KeyMalformedBody}},
		{"nok, JSON array", SeedMobileContactID, `[]`, []string{KeyMalformedBody}},
		{"nok, trailing garbage", SeedMobileContactID, `{"memo":"a"} x`, []string{KeyMalformedBody}},
		{"nok, unknown type", SeedMobileContactID, `{"type":"Pager"}`, []string{KeyType}},
		{"nok, numeric type", SeedMobileContactID, `{"type":1}`, []string{KeyType}},
		{"nok, empty value", SeedMobileContactID, `{"value":""}`, []string{KeyValue}},
		{"nok, blank value", SeedEmailContactID, `{"value":"   "}`, []string{KeyValue}},
		{"nok, numeric value", SeedMobileContactID, `{"value":2175550100}`, []string{KeyValue}},
		{"nok, email without at", SeedEmailContactID, `{"value":"ada.example.com"}`, []string{KeyValue}},
		{"nok, email without tld", SeedEmailContactID, `{"value":"ada@example"}`, []string{KeyValue}},
		{"nok, email with space", SeedEmailContactID, `{"value":"ada lovelace@example.com"}`, []string{KeyValue}},
		{"nok, phone with punctuation", SeedMobileContactID, `{"value":"217-555-0100"}`, []string{KeyValue}},
		{"nok, phone too short", SeedDoNotTextContactID, `{"value":"217555010"}`, []string{KeyValue}},
		{"nok, fax too long", SeedDoNotTextContactID, `{"type":"Fax","value":"12175550100"}`, []string{KeyValue}},
		{"nok, type change makes value invalid", SeedMobileContactID, `{"type":"Email"}`, []string{KeyValue}},
		{"nok, type change to phone keeps email value", SeedEmailContactID, `{"type":"Phone"}`, []string{KeyValue}},
		{"nok, memo too long", SeedMobileContactID, `{"memo":"` + long + `"}`, []string{KeyMemo}},
		{"nok, numeric memo", SeedMobileContactID, `{"memo":42}`, []string{KeyMemo}},
		{"nok, empty preferences", SeedMobileContactID, `{"preferences":{}}`, []string{KeyInvoiceStatementNotification, KeyJobRemindersEnabled, KeyMarketingUpdatesEnabled}},
		{"nok, preferences missing one flag", SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true}}`, []string{KeyInvoiceStatementNotification}},
		{"nok, preferences flag is null", SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":null,"marketingUpdatesEnabled":true,"invoiceStatementNotification":true}}`, []string{KeyJobRemindersEnabled}},
		{"nok, preferences flag is a string", SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":"yes","invoiceStatementNotification":true}}`, []string{KeyMarketingUpdatesEnabled}},
		{"nok, split flag is a string", SeedMobileContactID, `{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true,"invoiceStatementNotification":true,"invoiceNotification":"x","statementNotification":1}}`, []string{KeyInvoiceNotification, KeyStatementNotification}},
		{"nok, preferences not an object", SeedMobileContactID, `{"preferences":true}`, []string{KeyPreferences}},
		{"nok, preferences an array", SeedMobileContactID, `{"preferences":[]}`, []string{KeyPreferences}},
		{"nok, value and memo errors together", SeedMobileContactID, `{"value":"217-555-0100","memo":"` + long + `"}`, []string{KeyMemo, KeyValue}},
		{"nok, type error skips the value check", SeedMobileContactID, `{"type":"Pager","value":"nope"}`, []string{KeyType}},
		{"nok, several errors at once", SeedMobileContactID, `{"type":"Pager","memo":"` + long + `","preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":true}}`, []string{KeyInvoiceStatementNotification, KeyMemo, KeyType}},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.contact(SeedCustomerID, tt.contact)
			resp, body := h.patch(SeedCustomerID, tt.contact, tt.body)
			p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
			if p.Type != "https://tools.ietf.org/html/rfc7231#section-6.5.1" {
				t.Errorf("type = %q", p.Type)
			}
			want := slices.Clone(tt.wantKeys)
			slices.Sort(want)
			if got := sortedKeys(p.Errors); !slices.Equal(got, want) {
				t.Errorf("error keys = %q, want %q (%s)", got, want, body)
			}
			for k, msgs := range p.Errors {
				if len(msgs) == 0 || msgs[0] == "" {
					t.Errorf("key %q has no message", k)
				}
			}
			if after := h.contact(SeedCustomerID, tt.contact); !reflect.DeepEqual(before, after) {
				t.Errorf("a rejected PATCH changed the contact: %s", jsonOf(after))
			}
		})
	}

	t.Run("nok, required message names the field", func(t *testing.T) {
		resp, body := h.patch(SeedCustomerID, SeedMobileContactID, `{"preferences":{"marketingUpdatesEnabled":true,"invoiceStatementNotification":true}}`)
		p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
		if got := p.Errors[KeyJobRemindersEnabled]; !slices.Equal(got, []string{"The JobRemindersEnabled field is required."}) {
			t.Errorf("message = %q", got)
		}
	})
	t.Run("nok, trace ids differ", func(t *testing.T) {
		_, b1 := h.patch(SeedCustomerID, SeedMobileContactID, `{"value":""}`)
		_, b2 := h.patch(SeedCustomerID, SeedMobileContactID, `{"value":""}`)
		var p1, p2 problemBody
		mustUnmarshal(t, b1, &p1)
		mustUnmarshal(t, b2, &p2)
		if p1.TraceID == p2.TraceID {
			t.Error("traceId repeated")
		}
	})
}

func TestUpdateContactNotFound(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name       string
		path       string
		body       string
		wantStatus int
		wantTitle  string
	}{
		{"nok, unknown customer", "/customers/10009999/contacts/20000001", `{"memo":"x"}`, 404, TitleCustomerNotFound},
		{"nok, unknown contact", "/customers/10000001/contacts/29999999", `{"memo":"x"}`, 404, TitleContactNotFound},
		{"nok, contact of another customer", "/customers/10000002/contacts/20000001", `{"memo":"x"}`, 404, TitleContactNotFound},
		{"nok, malformed contact id", "/customers/10000001/contacts/abc", `{"memo":"x"}`, 400, TitleValidation},
		{"nok, malformed JSON comes before 404", "/customers/10009999/contacts/1", `{`, 400, TitleValidation},
		{"nok, field errors come before 404", "/customers/10000001/contacts/1", `{"memo":` + `"` + strings.Repeat("m", 300) + `"}`, 400, TitleValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodPatch, tt.path, tt.body)
			wantProblem(t, resp, body, tt.wantStatus, tt.wantTitle)
		})
	}
	t.Run("nok, POST is not allowed", func(t *testing.T) {
		resp, body := h.call(http.MethodPost, "/customers/10000001/contacts/20000001", `{}`)
		wantStatus(t, resp, body, http.StatusMethodNotAllowed)
	})
}

func TestUpdateContactConflict(t *testing.T) {
	tests := []struct {
		name                string
		customerID, contact int64
		body                string
		wantStatus          int
		wantExisting        int64
	}{
		{"nok, same number as the landline", SeedCustomerID, SeedMobileContactID, `{"value":"2175550123"}`, 409, SeedDoNotTextContactID},
		{"nok, same number as a mobile, as fax", SeedCustomerID, SeedDoNotTextContactID, `{"type":"Fax","value":"2175550177"}`, 409, SeedMobileContactID},
		{"nok, same email in another case", SeedCustomerID, SeedMobileContactID, `{"type":"Email","value":"ADA@example.COM"}`, 409, SeedEmailContactID},
		{"ok, a phone number equal to nothing", SeedCustomerID, SeedMobileContactID, `{"value":"5125550142"}`, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			before := h.contact(tt.customerID, tt.contact)
			resp, body := h.patch(tt.customerID, tt.contact, tt.body)
			if tt.wantStatus == http.StatusOK {
				wantStatus(t, resp, body, http.StatusOK)
				return
			}
			p := wantProblem(t, resp, body, http.StatusConflict, TitleDuplicate)
			if id, _ := p.Data["existingContactId"].(float64); int64(id) != tt.wantExisting {
				t.Errorf("data = %v, want existingContactId %d", p.Data, tt.wantExisting)
			}
			if _, ok := p.Errors[KeyValue]; !ok {
				t.Errorf("errors = %v", p.Errors)
			}
			if after := h.contact(tt.customerID, tt.contact); !reflect.DeepEqual(before, after) {
				t.Error("a conflicting PATCH changed the contact")
			}
		})
	}
}

func TestModifiedOnStrictlyIncreasing(t *testing.T) {
	clk := newFakeClock()
	h := newHarness(t, func(s *Settings) { s.Clock = clk.Now })
	var stamps []time.Time
	for i := range 3 {
		resp, body := h.patch(SeedCustomerID, SeedMobileContactID, fmt.Sprintf(`{"memo":"save %d"}`, i))
		wantStatus(t, resp, body, http.StatusOK)
		var c client.Contact
		mustUnmarshal(t, body, &c)
		stamps = append(stamps, c.ModifiedOn)
	}
	if !stamps[0].Equal(clk.Now()) {
		t.Errorf("first save = %v, want the clock %v", stamps[0], clk.Now())
	}
	for i := 1; i < len(stamps); i++ {
		if got := stamps[i].Sub(stamps[i-1]); got != time.Millisecond {
			t.Errorf("save %d is %v after the previous one, want 1ms", i, got)
		}
	}

	t.Run("ok, clock behind the record", func(t *testing.T) {
		h := newHarness(t, func(s *Settings) { s.Clock = func() time.Time { return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC) } })
		before := h.contact(SeedCustomerID, SeedMobileContactID)
		resp, body := h.patch(SeedCustomerID, SeedMobileContactID, `{"memo":"x"}`)
		wantStatus(t, resp, body, http.StatusOK)
		if after := h.contact(SeedCustomerID, SeedMobileContactID); after.ModifiedOn.Sub(before.ModifiedOn) != time.Millisecond {
			t.Errorf("modifiedOn %v -> %v", before.ModifiedOn, after.ModifiedOn)
		}
	})
}

// ---- faults, latency, counters ----

func TestFaults(t *testing.T) {
	getPath := "/customers/10000001"
	tests := []struct {
		name       string
		faults     []Fault
		method     string
		path       string
		wantStatus []int // answers to consecutive requests
		check      func(t *testing.T, resp *http.Response, body []byte)
	}{
		{"nok, status and body then normal", []Fault{{Operation: OpGetCustomer, Times: 1, Status: 503, Body: "<html>Service Unavailable</html>", ContentType: "text/html", RetryAfter: "7"}},
			http.MethodGet, getPath, []int{503, 200}, func(t *testing.T, resp *http.Response, body []byte) {
				if resp.StatusCode == 503 && (string(body) != "<html>Service Unavailable</html>" || resp.Header.Get("Retry-After") != "7" || resp.Header.Get("Content-Type") != "text/html") {
					t.Errorf("answer %q %v", body, resp.Header)
				}
			}},
		{"nok, JSON body gets a JSON content type", []Fault{{Operation: OpGetCustomer, Times: 1, Status: 429, Body: `{"title":"slow down"}`}},
			http.MethodGet, getPath, []int{429}, func(t *testing.T, resp *http.Response, _ []byte) {
				if resp.Header.Get("Content-Type") != "application/json; charset=utf-8" {
					t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
				}
			}},
		{"nok, default status is 500", []Fault{{Operation: OpGetCustomer, Times: 1}}, http.MethodGet, getPath, []int{500, 200}, nil},
		{"nok, consumed in order", []Fault{{Operation: OpGetCustomer, Times: 1, Status: 429}, {Operation: OpGetCustomer, Times: 2, Status: 502}},
			http.MethodGet, getPath, []int{429, 502, 502, 200}, nil},
		{"nok, times zero lasts", []Fault{{Operation: OpGetCustomer, Status: 502}}, http.MethodGet, getPath, []int{502, 502, 502}, nil},
		{"nok, empty operation matches any", []Fault{{Times: 1, Status: 418}}, http.MethodGet, "/customers", []int{418, 200}, nil},
		{"ok, other operation is untouched", []Fault{{Operation: OpListContacts, Status: 500}}, http.MethodGet, getPath, []int{200}, nil},
		{"ok, other method is untouched", []Fault{{Operation: OpGetCustomer, Method: http.MethodPost, Status: 500}}, http.MethodGet, getPath, []int{200}, nil},
		{"nok, method matches", []Fault{{Operation: OpUpdateContact, Method: "patch", Times: 1, Status: 409}}, http.MethodPatch, "/customers/10000001/contacts/20000001", []int{409, 200}, nil},
		{"nok, fault comes before authentication", []Fault{{Operation: OpGetCustomer, Times: 1, Status: 401, Body: "Unauthorized"}}, http.MethodGet, getPath, []int{401, 200}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			for _, f := range tt.faults {
				h.s.InjectFault(f)
			}
			for i, want := range tt.wantStatus {
				body := ""
				if tt.method == http.MethodPatch {
					body = fmt.Sprintf(`{"memo":"try %d"}`, i)
				}
				resp, b := h.call(tt.method, tt.path, body)
				if resp.StatusCode != want {
					t.Fatalf("request %d: status %d, want %d (%s)", i+1, resp.StatusCode, want, b)
				}
				if tt.check != nil {
					tt.check(t, resp, b)
				}
			}
		})
	}

	t.Run("ok, ClearFaults", func(t *testing.T) {
		h := newHarness(t)
		h.s.InjectFault(Fault{Status: 500})
		resp, body := h.call(http.MethodGet, getPath, "")
		wantStatus(t, resp, body, 500)
		h.s.ClearFaults()
		resp, body = h.call(http.MethodGet, getPath, "")
		wantStatus(t, resp, body, 200)
	})

	t.Run("nok, token endpoint fault", func(t *testing.T) {
		h := newHarness(t)
		h.s.InjectFault(Fault{Operation: OpToken, Times: 1, Status: 503})
		c := h.s.Credentials()
		resp, body := h.postForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "")
		wantStatus(t, resp, body, 503)
		if h.fetchToken() == "" {
			t.Error("no token after the fault")
		}
	})

	t.Run("nok, hang respects the request context", func(t *testing.T) {
		h := newHarness(t)
		h.s.InjectFault(Fault{Operation: OpGetCustomer, Times: 1, Hang: true})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := h.callErr(ctx, http.MethodGet, getPath, "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
		resp, body := h.call(http.MethodGet, getPath, "")
		wantStatus(t, resp, body, 200)
	})

	t.Run("nok, drop connection", func(t *testing.T) {
		h := newHarness(t)
		h.s.InjectFault(Fault{Operation: OpGetCustomer, Times: 1, DropConnection: true})
		err := h.callErr(context.Background(), http.MethodGet, getPath, "")
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Errorf("err = %v", err)
		}
		if n := h.s.Requests(OpGetCustomer); n != 1 {
			t.Errorf("requests = %d, want 1 (no transparent retry)", n)
		}
	})

	t.Run("nok, drop connection without a hijackable writer", func(t *testing.T) {
		s := New()
		s.InjectFault(Fault{Operation: OpGetCustomer, DropConnection: true})
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want http.ErrAbortHandler", r)
			}
		}()
		s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/crm/v2/tenant/1000001/customers/10000001", nil))
	})

	afterApply := []struct {
		name  string
		fault Fault
		ctx   time.Duration // request timeout; 0 for none
	}{
		{"nok, after apply: status", Fault{Operation: OpUpdateContact, Times: 1, Status: 504, Body: "Gateway Timeout", AfterApply: true}, 0},
		{"nok, after apply: drop", Fault{Operation: OpUpdateContact, Times: 1, DropConnection: true, AfterApply: true}, 0},
		{"nok, after apply: hang", Fault{Operation: OpUpdateContact, Times: 1, Hang: true, AfterApply: true}, 100 * time.Millisecond},
	}
	for _, tt := range afterApply {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.s.InjectFault(tt.fault)
			before := h.contact(SeedCustomerID, SeedMobileContactID)
			body := `{"memo":"lost response"}`
			path := fmt.Sprintf("/customers/%d/contacts/%d", SeedCustomerID, SeedMobileContactID)
			if tt.fault.Status != 0 {
				resp, b := h.call(http.MethodPatch, path, body)
				wantStatus(t, resp, b, tt.fault.Status)
				if string(b) != tt.fault.Body {
					t.Errorf("body = %q", b)
				}
			} else {
				ctx := context.Background()
				if tt.ctx > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctx)
					defer cancel()
				}
				h.callErr(ctx, http.MethodPatch, path, body)
			}
			after := h.contact(SeedCustomerID, SeedMobileContactID)
			if after.Memo != "lost response" || !after.ModifiedOn.After(before.ModifiedOn) {
				t.Errorf("change not applied: %s", jsonOf(after))
			}
		})
	}
}

func TestLatency(t *testing.T) {
	t.Run("ok, WithLatency delays answers", func(t *testing.T) {
		h := newHarness(t, WithLatency(30*time.Millisecond))
		start := time.Now()
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, 200)
		if took := time.Since(start); took < 30*time.Millisecond {
			t.Errorf("took %v", took)
		}
	})
	t.Run("nok, latency honours cancellation", func(t *testing.T) {
		h := newHarness(t)
		h.s.SetLatency(10 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		h.callErr(ctx, http.MethodGet, "/customers/10000001", "")
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
		h.s.SetLatency(0)
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, 200)
	})
}

func TestCounters(t *testing.T) {
	h := newHarness(t)
	if n := h.s.Requests(OpToken); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	h.s.ResetCounters()
	h.s.InjectFault(Fault{Operation: OpGetCustomer, Times: 1, Status: 500})
	h.call(http.MethodGet, "/customers/10000001", "")          // faulted
	h.call(http.MethodGet, "/customers/10000001", "")          // ok
	h.call(http.MethodGet, "/customers", "")                   // ok
	h.call(http.MethodGet, "/customers/10000001/contacts", "") // ok
	h.call(http.MethodGet, "/customers/10009999/contacts", "") // 404
	h.call(http.MethodPatch, "/customers/10000001/contacts/20000001", `{"memo":"a"}`)
	req := h.newRequest(context.Background(), http.MethodGet, "/customers", "")
	req.Header.Del("Authorization")
	h.send(req) // 401, still counted
	want := map[string]int{OpToken: 0, OpGetCustomer: 2, OpListCustomers: 2, OpListContacts: 2, OpUpdateContact: 1}
	for op, n := range want {
		if got := h.s.Requests(op); got != n {
			t.Errorf("Requests(%s) = %d, want %d", op, got, n)
		}
	}
	h.s.ResetCounters()
	for op := range want {
		if got := h.s.Requests(op); got != 0 {
			t.Errorf("after reset Requests(%s) = %d", op, got)
		}
	}
}

func TestIntercept(t *testing.T) {
	path := fmt.Sprintf("/customers/%d/contacts/%d", SeedCustomerID, SeedMobileContactID)
	tests := []struct {
		name        string
		intercept   Interceptor
		wantStatus  int
		wantBody    string // "" for the sandbox's own answer, a contact
		wantApplied bool
	}{
		{"ok, an answer of its own, nothing applied", func(w http.ResponseWriter, r *http.Request, apply func()) {
			writeText(w, http.StatusTeapot, "mine")
		}, http.StatusTeapot, "mine", false},
		{"ok, applied, then an answer of its own", func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			writeText(w, http.StatusGatewayTimeout, "lost")
		}, http.StatusGatewayTimeout, "lost", true},
		{"ok, applied without an answer passes the sandbox's through", func(w http.ResponseWriter, r *http.Request, apply func()) {
			w.Header().Set("X-Seen", "yes")
			apply()
		}, http.StatusOK, "", true},
		{"ok, the body can be read and still applied", func(w http.ResponseWriter, r *http.Request, apply func()) {
			if b, _ := io.ReadAll(r.Body); string(b) != `{"memo":"intercepted"}` {
				t.Errorf("interceptor read %q", b)
			}
			apply()
		}, http.StatusOK, "", true},
		{"ok, neither answer nor apply is an empty 200", func(w http.ResponseWriter, r *http.Request, apply func()) {}, http.StatusOK, "-", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.s.Intercept(OpUpdateContact, tt.intercept)
			resp, body := h.call(http.MethodPatch, path, `{"memo":"intercepted"}`)
			wantStatus(t, resp, body, tt.wantStatus)
			switch tt.wantBody {
			case "":
				var c client.Contact
				mustUnmarshal(t, body, &c)
				if c.Memo != "intercepted" || resp.Header.Get("Content-Type") != jsonContentType {
					t.Errorf("answer %s %v", body, resp.Header)
				}
			case "-":
				if len(body) != 0 {
					t.Errorf("body = %q", body)
				}
			default:
				if string(body) != tt.wantBody {
					t.Errorf("body = %q, want %q", body, tt.wantBody)
				}
			}
			if applied := h.contact(SeedCustomerID, SeedMobileContactID).Memo == "intercepted"; applied != tt.wantApplied {
				t.Errorf("applied = %v, want %v", applied, tt.wantApplied)
			}
			if n := h.s.Requests(OpUpdateContact); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}

	t.Run("ok, applied, then the connection dropped", func(t *testing.T) {
		h := newHarness(t)
		h.s.Intercept(OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
			apply()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			conn.Close()
		})
		h.callErr(context.Background(), http.MethodPatch, path, `{"memo":"dropped"}`)
		if got := h.contact(SeedCustomerID, SeedMobileContactID).Memo; got != "dropped" {
			t.Errorf("memo = %q, want the change applied", got)
		}
	})

	t.Run("ok, the token endpoint can be intercepted", func(t *testing.T) {
		h := newHarness(t)
		h.s.Intercept(OpToken, func(w http.ResponseWriter, r *http.Request, apply func()) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		})
		c := h.s.Credentials()
		resp, body := h.postForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}, "")
		wantStatus(t, resp, body, http.StatusBadRequest)
	})

	t.Run("nok, faults and authentication come first", func(t *testing.T) {
		h := newHarness(t)
		var reached int
		h.s.Intercept(OpGetCustomer, func(w http.ResponseWriter, r *http.Request, apply func()) { reached++; apply() })
		h.s.InjectFault(Fault{Operation: OpGetCustomer, Times: 1, Status: 503})
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, 503)
		req := h.newRequest(context.Background(), http.MethodGet, "/customers/10000001", "")
		req.Header.Set("Authorization", "Bearer revoked")
		resp, body = h.send(req)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		resp, body = h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, http.StatusOK)
		if reached != 1 {
			t.Errorf("interceptor reached %d times, want 1", reached)
		}
	})

	t.Run("ok, nil and Reset remove interceptors", func(t *testing.T) {
		h := newHarness(t)
		refuse := func(w http.ResponseWriter, r *http.Request, apply func()) { w.WriteHeader(http.StatusTeapot) }
		for _, remove := range []func(){func() { h.s.Intercept(OpGetCustomer, nil) }, h.s.Reset} {
			h.s.Intercept(OpGetCustomer, refuse)
			resp, body := h.call(http.MethodGet, "/customers/10000001", "")
			wantStatus(t, resp, body, http.StatusTeapot)
			remove()
			resp, body = h.call(http.MethodGet, "/customers/10000001", "")
			wantStatus(t, resp, body, http.StatusOK)
		}
	})
}

func TestLastBody(t *testing.T) {
	h := newHarness(t)
	if got := h.s.LastBody(OpUpdateContact); got != "" {
		t.Errorf("before any PATCH: %q", got)
	}
	h.patch(SeedCustomerID, SeedMobileContactID, `{"memo":"first"}`)
	h.s.InjectFault(Fault{Operation: OpUpdateContact, Times: 1, Status: 503})
	h.patch(SeedCustomerID, SeedMobileContactID, `{"memo":"faulted"}`)
	if got := h.s.LastBody(OpUpdateContact); got != `{"memo":"faulted"}` {
		t.Errorf("LastBody = %q, want the faulted request's body", got)
	}
	h.call(http.MethodGet, "/customers/10000001", "")
	if got := h.s.LastBody(OpGetCustomer); got != "" {
		t.Errorf("GET body = %q", got)
	}
	h.s.ResetCounters()
	if got := h.s.LastBody(OpUpdateContact); got != "" {
		t.Errorf("after ResetCounters: %q", got)
	}
}

func TestSetMaxPageSizeCapsCustomerLists(t *testing.T) {
	h := newHarness(t)
	h.s.SetMaxPageSize(10)
	resp, body := h.call(http.MethodGet, "/customers?active=Any&pageSize=100", "")
	wantStatus(t, resp, body, http.StatusOK)
	var p client.Page[json.RawMessage]
	mustUnmarshal(t, body, &p)
	if len(p.Data) != 10 || p.PageSize != 10 || !p.HasMore {
		t.Errorf("len %d pageSize %d hasMore %v", len(p.Data), p.PageSize, p.HasMore)
	}
}

func TestWithSeed(t *testing.T) {
	at := time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)
	records := []Record{
		{Customer: client.Customer{ID: 5, Active: true, Name: "Ada Lovelace", Type: "Residential"},
			Contacts: []client.Contact{
				{ID: 9, Type: client.ContactPhone, Value: "2175550123", CreatedOn: at, ModifiedOn: at},
				{ID: 7, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell", CreatedOn: at, ModifiedOn: at,
					PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177", DoNotText: true}},
			}},
		{Customer: client.Customer{ID: 6, Active: false, Name: "Inactive Ltd"}},
	}
	h := newHarness(t, func(s *Settings) { s.Seed = records })
	records[0].Contacts[1].PhoneSettings.DoNotText = false // the server keeps its own copy

	if cs := h.s.Customers(); len(cs) != 2 || cs[0].Name != "Ada Lovelace" || cs[1].ID != 6 {
		t.Fatalf("customers = %+v", cs)
	}
	cs := h.s.Contacts(5)
	if len(cs) != 2 || cs[0].ID != 7 || cs[1].ID != 9 || !cs[0].PhoneSettings.DoNotText {
		t.Fatalf("contacts = %s", jsonOf(cs))
	}
	resp, body := h.call(http.MethodGet, "/customers?phone=2175550177", "")
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(string(body), `"name":"Ada Lovelace"`) || strings.Contains(string(body), "Inactive") {
		t.Errorf("search: %s", body)
	}
	resp, body = h.patch(5, 7, `{"memo":"Work cell"}`)
	wantStatus(t, resp, body, http.StatusOK)
	h.s.Reset()
	if got := h.contact(5, 7); got.Memo != "Cell" || !got.ModifiedOn.Equal(at) {
		t.Errorf("after Reset: %s", jsonOf(got))
	}
	if _, ok := h.s.Customer(SeedCustomerID); ok {
		t.Error("the built-in seed is there too")
	}

	for name, bad := range map[string][]Record{
		"nok, a customer twice": {{Customer: client.Customer{ID: 5}}, {Customer: client.Customer{ID: 5}}},
		"nok, a contact twice":  {{Customer: client.Customer{ID: 5}, Contacts: []client.Contact{{ID: 7}, {ID: 7}}}},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			New(func(s *Settings) { s.Seed = bad })
		})
	}
}

func TestWithAccessToken(t *testing.T) {
	h := newHarness(t, func(s *Settings) { s.AccessToken = "known-token" })
	if h.token != "known-token" {
		t.Fatalf("token = %q", h.token)
	}
	h.s.RevokeTokens()
	resp, body := h.call(http.MethodGet, "/customers/10000001", "")
	wantStatus(t, resp, body, http.StatusUnauthorized)
	if h.fetchToken() != "known-token" {
		t.Error("a second token differs")
	}
	resp, body = h.call(http.MethodGet, "/customers/10000001", "")
	wantStatus(t, resp, body, http.StatusOK)
}

func TestConcurrentPatches(t *testing.T) {
	h := newHarness(t)
	h.hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	t.Cleanup(h.hc.CloseIdleConnections)
	contacts := h.s.Contacts(SeedManyContactsCustomerID)
	const workers = 16
	var wg sync.WaitGroup
	stamps := make(chan time.Time, workers*4)
	for w := range workers {
		wg.Go(func() {
			for i := range 4 {
				// Half the writers share one contact; the others have their own.
				c := contacts[0]
				if w%2 == 1 {
					c = contacts[w]
				}
				req := h.newRequest(context.Background(), http.MethodPatch,
					fmt.Sprintf("/customers/%d/contacts/%d", SeedManyContactsCustomerID, c.ID),
					fmt.Sprintf(`{"memo":"worker %d save %d"}`, w, i))
				resp, err := h.hc.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				var got client.Contact
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("status %d, err %v", resp.StatusCode, err)
					return
				}
				if c.ID == contacts[0].ID {
					stamps <- got.ModifiedOn
				}
				// Readers race with writers.
				_ = h.s.Contacts(SeedManyContactsCustomerID)
				_, _ = h.s.Contact(SeedManyContactsCustomerID, c.ID)
				_ = h.s.Customers()
				_ = h.s.Requests(OpUpdateContact)
			}
		})
	}
	wg.Wait()
	close(stamps)
	seen := map[time.Time]bool{}
	for ts := range stamps {
		if seen[ts] {
			t.Errorf("modifiedOn %v returned twice for one contact", ts)
		}
		seen[ts] = true
	}
	if n := h.s.Requests(OpUpdateContact); n != workers*4 {
		t.Errorf("requests = %d", n)
	}
}

// ---- state access, seed, start/stop ----

func TestStateAccess(t *testing.T) {
	h := newHarness(t)
	t.Run("ok, SetContact stores exactly what is passed", func(t *testing.T) {
		c := h.contact(SeedCustomerID, SeedMobileContactID)
		c.Value = "2175550188"
		c.Memo = "Changed elsewhere"
		c.ModifiedOn = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)
		if !h.s.SetContact(SeedCustomerID, c) {
			t.Fatal("SetContact failed")
		}
		c.Preferences.JobRemindersEnabled = false // the store keeps its own copy
		stored := h.contact(SeedCustomerID, SeedMobileContactID)
		if stored.Memo != "Changed elsewhere" || !stored.ModifiedOn.Equal(c.ModifiedOn) || !stored.Preferences.JobRemindersEnabled {
			t.Errorf("stored = %s", jsonOf(stored))
		}
		resp, body := h.call(http.MethodGet, "/customers/10000001/contacts", "")
		wantStatus(t, resp, body, 200)
		if !strings.Contains(string(body), `"modifiedOn":"2026-02-01T12:00:00.0000000"`) {
			t.Errorf("API does not show the change: %s", body)
		}
	})
	t.Run("ok, SetContact adds a contact in id order", func(t *testing.T) {
		if !h.s.SetContact(SeedCustomerID, client.Contact{ID: 19999999, Type: client.ContactEmail, Value: "new@example.com"}) {
			t.Fatal("SetContact failed")
		}
		cs := h.s.Contacts(SeedCustomerID)
		if len(cs) != 4 || cs[0].ID != 19999999 {
			t.Errorf("contacts = %v", cs)
		}
	})
	t.Run("nok, SetContact on unknown customer", func(t *testing.T) {
		if h.s.SetContact(1, client.Contact{ID: 1}) {
			t.Error("SetContact succeeded")
		}
	})
	t.Run("nok, unknown lookups", func(t *testing.T) {
		if _, ok := h.s.Contact(1, 1); ok {
			t.Error("Contact(1,1) found")
		}
		if _, ok := h.s.Contact(SeedCustomerID, 1); ok {
			t.Error("Contact(seed,1) found")
		}
		if _, ok := h.s.Customer(1); ok {
			t.Error("Customer(1) found")
		}
		if h.s.Contacts(1) != nil {
			t.Error("Contacts(1) not nil")
		}
	})
	t.Run("ok, Customers sorted", func(t *testing.T) {
		cs := h.s.Customers()
		if len(cs) != SeedCustomerCount || !slices.IsSortedFunc(cs, func(a, b client.Customer) int { return cmpInt64(a.ID, b.ID) }) {
			t.Errorf("customers = %d, sorted %v", len(cs), cs)
		}
		if cs[0].ID != SeedCustomerID || cs[0].Name != "Ada Lovelace" {
			t.Errorf("first customer = %+v", cs[0])
		}
	})
	t.Run("ok, Reset restores the seed", func(t *testing.T) {
		h.s.InjectFault(Fault{Status: 500})
		h.s.Reset()
		if !reflect.DeepEqual(h.s.Contacts(SeedCustomerID), New().Contacts(SeedCustomerID)) {
			t.Error("seed not restored")
		}
		resp, body := h.call(http.MethodGet, "/customers/10000001", "")
		wantStatus(t, resp, body, 200) // faults cleared, token kept
	})
}

func TestSeed(t *testing.T) {
	a, b := New(), New()
	if !reflect.DeepEqual(a.Customers(), b.Customers()) {
		t.Fatal("customers differ between servers")
	}
	phonePattern := regexp.MustCompile(`^\d{3}55501\d{2}$`)
	ids := map[int64]bool{}
	var types = map[client.ContactType]int{}
	var nullPrefs, fiveFlags, doNotText, emptyMemo, active int
	for _, cu := range a.Customers() {
		if cu.Active {
			active++
		}
		if cu.Name == "" || cu.Address.Street == "" || cu.Address.Zip == "" || (cu.Type != "Residential" && cu.Type != "Commercial") {
			t.Errorf("customer %+v", cu)
		}
		cs := a.Contacts(cu.ID)
		if !reflect.DeepEqual(cs, b.Contacts(cu.ID)) {
			t.Errorf("contacts of %d differ between servers", cu.ID)
		}
		if cu.ID == SeedManyContactsCustomerID {
			if len(cs) != SeedManyContactsCount {
				t.Errorf("many-contacts customer has %d", len(cs))
			}
		} else if len(cs) < 1 || len(cs) > 12 {
			t.Errorf("customer %d has %d contacts", cu.ID, len(cs))
		}
		for i, c := range cs {
			if ids[c.ID] {
				t.Errorf("contact id %d repeated", c.ID)
			}
			ids[c.ID] = true
			types[c.Type]++
			if msg := validateValue(c.Type, c.Value); msg != "" {
				t.Errorf("contact %d %q: %s", c.ID, c.Value, msg)
			}
			if c.Type.IsPhoneNumber() {
				if !phonePattern.MatchString(c.Value) || c.PhoneSettings == nil || c.PhoneSettings.PhoneNumber != c.Value {
					t.Errorf("phone contact %s", jsonOf(c))
				}
				if c.PhoneSettings.DoNotText {
					doNotText++
				}
			} else {
				domain := c.Value[strings.LastIndex(c.Value, "@")+1:]
				if !slices.Contains([]string{"example.com", "example.org", "example.net"}, domain) || c.PhoneSettings != nil {
					t.Errorf("email contact %s", jsonOf(c))
				}
			}
			switch {
			case c.Preferences == nil:
				nullPrefs++
			case c.Preferences.HasSplitInvoiceFlags():
				fiveFlags++
			}
			if c.Memo == "" {
				emptyMemo++
			}
			if c.ModifiedOn.Before(c.CreatedOn) || c.ModifiedOn.After(seedNow) || c.ModifiedOn.Nanosecond()%100 != 0 {
				t.Errorf("contact %d times %v %v", c.ID, c.CreatedOn, c.ModifiedOn)
			}
			for _, o := range cs[i+1:] {
				if sameValue(c.Type, c.Value, o.Type, o.Value) {
					t.Errorf("customer %d: contacts %d and %d duplicate %q", cu.ID, c.ID, o.ID, c.Value)
				}
			}
		}
	}
	if len(a.Customers()) < 24 || active != SeedActiveCustomerCount {
		t.Errorf("%d customers, %d active", len(a.Customers()), active)
	}
	for _, ct := range client.ContactTypes() {
		if types[ct] == 0 {
			t.Errorf("no %s contact", ct)
		}
	}
	if nullPrefs == 0 || fiveFlags == 0 || doNotText == 0 || emptyMemo == 0 {
		t.Errorf("null prefs %d, five flags %d, doNotText %d, empty memo %d", nullPrefs, fiveFlags, doNotText, emptyMemo)
	}

	memorable := []struct {
		name                string
		customerID, contact int64
		check               func(c client.Contact) bool
	}{
		{"ok, mobile", SeedCustomerID, SeedMobileContactID, func(c client.Contact) bool {
			return c.Type == client.ContactMobilePhone && c.Value == "2175550177" && c.Memo == "Cell" && !c.PhoneSettings.DoNotText && c.Preferences != nil && !c.Preferences.HasSplitInvoiceFlags()
		}},
		{"ok, email", SeedCustomerID, SeedEmailContactID, func(c client.Contact) bool {
			return c.Type == client.ContactEmail && c.Value == "ada@example.com" && c.PhoneSettings == nil
		}},
		{"ok, do not text", SeedCustomerID, SeedDoNotTextContactID, func(c client.Contact) bool {
			return c.Type == client.ContactPhone && c.PhoneSettings.DoNotText
		}},
		{"ok, five flags", SeedFiveFlagCustomerID, SeedFiveFlagContactID, func(c client.Contact) bool {
			return c.Preferences.HasSplitInvoiceFlags() && *c.Preferences.InvoiceNotification != *c.Preferences.StatementNotification
		}},
		{"ok, null preferences", SeedNullPreferencesCustomerID, SeedNullPreferencesContactID, func(c client.Contact) bool {
			return c.Preferences == nil && c.Memo == ""
		}},
	}
	for _, tt := range memorable {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := a.Contact(tt.customerID, tt.contact)
			if !ok || !tt.check(c) {
				t.Errorf("contact %d/%d = %s", tt.customerID, tt.contact, jsonOf(c))
			}
		})
	}
	if cs := a.Contacts(SeedCustomerID); len(cs) != 3 {
		t.Errorf("customer %d has %d contacts, want 3", SeedCustomerID, len(cs))
	}
}

func TestStartStop(t *testing.T) {
	s := New()
	if s.URL() != "" || s.APIURL() != "" || s.TokenURL() != "" || s.TenantURL() != "" {
		t.Error("URLs before Start")
	}
	base, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || s.APIURL() != base || s.TokenURL() != base+"/connect/token" ||
		s.TenantURL() != base+"/crm/v2/tenant/1000001" {
		t.Errorf("base %q api %q token %q tenant %q", base, s.APIURL(), s.TokenURL(), s.TenantURL())
	}

	// A hanging request ends when the server stops.
	s.InjectFault(Fault{Operation: OpGetCustomer, Hang: true})
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(s.TenantURL() + "/customers/10000001")
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	for s.Requests(OpGetCustomer) == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan struct{})
	go func() { stop(); stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("stop blocked")
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("hanging request got an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hanging request did not end")
	}
	if _, err := http.Get(base + "/connect/token"); err == nil {
		t.Error("server still answers after stop")
	}
}
