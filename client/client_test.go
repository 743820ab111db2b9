// The client's tests run it against the sandbox, the one ServiceTitan
// double. The sandbox imports this package, so they are in client_test and
// dot-import client to read as if they were inside it.
package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/clienttest"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// The sandbox is mounted under a non-empty base path, and its token
// endpoint under another, so a client that drops or doubles the base is
// caught.
const (
	basePath  = "/st-root"
	tokenPath = "/auth/connect/token"
)

// fakeST is the sandbox as these tests use it: tenant 42; customer 1 with
// no contacts; customer 5 with contact 7 (contactJSON); customer 9 with 60
// email contacts.
type fakeST struct {
	*sandbox.Server
	srv        *httptest.Server
	tokenCalls requestCount
}

// requestCount reads the sandbox's count of requests for one operation.
type requestCount struct {
	sb *sandbox.Server
	op string
}

func (c requestCount) Load() int32 { return int32(c.sb.Requests(c.op)) }

func newFakeST(t *testing.T, opts ...sandbox.Option) *fakeST {
	t.Helper()
	var contact7 Contact
	if err := json.Unmarshal([]byte(contactJSON), &contact7); err != nil {
		t.Fatal(err)
	}
	many := make([]Contact, 60)
	for i := range many {
		many[i] = Contact{ID: int64(900 + i), Type: ContactEmail, Value: fmt.Sprintf("c%d@example.com", i)}
	}
	sb := sandbox.New(append([]sandbox.Option{
		sandboxtest.WithCredentials(sandbox.Credentials{TenantID: 42, ClientID: "cid", ClientSecret: "s3cret-value", AppKey: "app-key"}),
		sandboxtest.WithSeed(
			sandbox.Record{Customer: Customer{ID: 1, Name: "Ada", Active: true}},
			sandbox.Record{Customer: Customer{ID: 5, Name: "Ada Lovelace", Active: true}, Contacts: []Contact{contact7}},
			sandbox.Record{Customer: Customer{ID: 9, Name: "Many Contacts Inc", Active: true}, Contacts: many},
		),
	}, opts...)...)
	root := http.NewServeMux()
	root.Handle("POST "+tokenPath, http.StripPrefix("/auth", sb))
	root.Handle(basePath+"/", http.StripPrefix(basePath, sb))
	f := &fakeST{Server: sb, srv: httptest.NewServer(root), tokenCalls: requestCount{sb, sandbox.OpToken}}
	t.Cleanup(f.srv.Close)
	return f
}

// requests counts the requests for one operation (an Op constant).
func (f *fakeST) requests(op string) requestCount { return requestCount{f.Server, op} }

func (f *fakeST) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	opts = append([]Option{clienttest.WithBackoff(time.Millisecond)}, opts...)
	c, err := New(Config{
		APIURL: f.srv.URL + basePath, AuthURL: f.srv.URL + tokenPath, TenantID: 42,
		ClientID: "cid", ClientSecret: "s3cret-value", AppKey: "app-key", Timeout: 2 * time.Second,
		UserAgent: "contactdesk-test",
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const contactJSON = `{"id":7,"type":"MobilePhone","value":"2175550177","memo":"Cell",
	"modifiedOn":"2026-03-04T15:04:05.1234567","createdOn":"2025-01-02T03:04:05Z",
	"phoneSettings":{"phoneNumber":"2175550177","doNotText":true},
	"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true}}`

func TestUpdateContactSendsOnlyWhatWasSet(t *testing.T) {
	memo := "Front desk"
	typ := ContactEmail
	value := "ada@example.com"
	yes, no := true, false
	tests := []struct {
		name string
		req  UpdateContactRequest
		want string
	}{
		{"ok, memo only", UpdateContactRequest{Memo: &memo}, `{"memo":"Front desk"}`},
		{"ok, empty memo is still sent", UpdateContactRequest{Memo: new("")}, `{"memo":""}`},
		{"ok, type and value", UpdateContactRequest{Type: &typ, Value: &value}, `{"type":"Email","value":"ada@example.com"}`},
		{"ok, three-flag preferences", UpdateContactRequest{Preferences: &Preferences{JobRemindersEnabled: true}},
			`{"preferences":{"jobRemindersEnabled":true,"marketingUpdatesEnabled":false,"invoiceStatementNotification":false}}`},
		{"ok, five-flag preferences keep the 2026 flags", UpdateContactRequest{Preferences: &Preferences{
			InvoiceStatementNotification: true, InvoiceNotification: &yes, StatementNotification: &no}},
			`{"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":false,"invoiceStatementNotification":true,"invoiceNotification":true,"statementNotification":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t, sandboxtest.WithAccessToken("tok-1"))
			var calls atomic.Int32
			// The sandbox checks the token, app key and tenant; this checks
			// the rest and answers with contactJSON, whatever was sent.
			f.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, _ func()) {
				calls.Add(1)
				if r.Method != http.MethodPatch {
					t.Errorf("method = %s, want PATCH", r.Method)
				}
				if r.URL.Path != "/crm/v2/tenant/42/customers/5/contacts/7" {
					t.Errorf("path = %s", r.URL.Path)
				}
				for h, want := range map[string]string{
					"Authorization": "Bearer tok-1", "ST-App-Key": "app-key", "Content-Type": "application/json",
					"Accept": "application/json", "User-Agent": "contactdesk-test",
				} {
					if got := r.Header.Get(h); got != want {
						t.Errorf("header %s = %q, want %q", h, got, want)
					}
				}
				body, _ := io.ReadAll(r.Body)
				if string(body) != tt.want {
					t.Errorf("body = %s\nwant   %s", body, tt.want)
				}
				writeJSON(w, http.StatusOK, contactJSON)
			})
			got, err := f.client(t).UpdateContact(context.Background(), 5, 7, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != 7 || got.Type != ContactMobilePhone || got.Memo != "Cell" {
				t.Errorf("contact = %+v", got)
			}
			if calls.Load() != 1 {
				t.Errorf("PATCH calls = %d, want 1", calls.Load())
			}
		})
	}
}

func TestContactDecoding(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, c Contact)
	}{
		{"ok, zone-less 7-digit times are UTC", contactJSON, func(t *testing.T, c Contact) {
			want := time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC)
			if !c.ModifiedOn.Equal(want) || c.ModifiedOn.Location() != time.UTC {
				t.Errorf("modifiedOn = %v, want %v", c.ModifiedOn, want)
			}
			if !c.CreatedOn.Equal(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)) {
				t.Errorf("createdOn = %v", c.CreatedOn)
			}
			if c.PhoneSettings == nil || !c.PhoneSettings.DoNotText {
				t.Errorf("phoneSettings = %+v", c.PhoneSettings)
			}
			if c.Preferences == nil || c.Preferences.HasSplitInvoiceFlags() {
				t.Errorf("preferences = %+v, want three flags", c.Preferences)
			}
		}},
		{"ok, null phoneSettings and preferences", `{"id":1,"type":"Email","value":"a@example.com","memo":null,
			"modifiedOn":"2026-01-01T00:00:00","createdOn":"2026-01-01T00:00:00+02:00","phoneSettings":null,"preferences":null}`,
			func(t *testing.T, c Contact) {
				if c.PhoneSettings != nil || c.Preferences != nil {
					t.Errorf("want nil settings, got %+v %+v", c.PhoneSettings, c.Preferences)
				}
				if c.CreatedOn.Hour() != 22 || c.CreatedOn.Location() != time.UTC {
					t.Errorf("createdOn = %v, want 22:00 UTC", c.CreatedOn)
				}
			}},
		{"ok, five flags", `{"id":1,"type":"LandlinePhone","value":"2175550100","modifiedOn":"2026-01-01T00:00:00.1Z","createdOn":"2026-01-01T00:00:00",
			"preferences":{"jobRemindersEnabled":false,"marketingUpdatesEnabled":true,"invoiceStatementNotification":false,"invoiceNotification":true,"statementNotification":false}}`,
			func(t *testing.T, c Contact) {
				if c.Type != ContactPhone {
					t.Errorf("LandlinePhone decoded as %q, want Phone", c.Type)
				}
				p := c.Preferences
				if p == nil || !p.HasSplitInvoiceFlags() || !*p.InvoiceNotification || *p.StatementNotification || !p.MarketingUpdatesEnabled {
					t.Errorf("preferences = %+v", p)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Contact
			if err := json.Unmarshal([]byte(tt.body), &c); err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
	var c Contact
	if err := json.Unmarshal([]byte(`{"modifiedOn":"yesterday"}`), &c); err == nil {
		t.Error("nok, an unknown time format must fail to decode")
	}
}

func TestTokenSharedByConcurrentCallers(t *testing.T) {
	f := newFakeST(t)
	f.Intercept(sandbox.OpToken, func(w http.ResponseWriter, r *http.Request, issue func()) {
		time.Sleep(50 * time.Millisecond) // keep the first fetch in flight while the others arrive
		issue()
	})
	c := f.client(t)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			if _, err := c.GetCustomer(context.Background(), 1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := f.tokenCalls.Load(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	tests := []struct {
		name       string
		expiresIn  int
		wantTokens int32
	}{
		{"ok, long-lived token is reused", 900, 1},
		{"ok, token within the renewal margin is replaced", int(RenewBefore / time.Second), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t, sandboxtest.WithTokenLifetime(time.Duration(tt.expiresIn)*time.Second))
			c := f.client(t)
			for range 3 {
				if err := c.CheckToken(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.tokenCalls.Load(); got != tt.wantTokens {
				t.Errorf("token requests = %d, want %d", got, tt.wantTokens)
			}
		})
	}
}

func TestUnauthorizedRefreshesTokenOnce(t *testing.T) {
	tests := []struct {
		name       string
		rejectAll  bool
		wantErr    error
		wantCalls  int32
		wantTokens int32
	}{
		{"ok, stale token replaced and call retried", false, nil, 2, 2},
		{"nok, still refused after a fresh token", true, ErrUnauthorized, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			calls := f.requests(sandbox.OpUpdateContact)
			c := f.client(t)
			if err := c.CheckToken(context.Background()); err != nil { // the client holds a token
				t.Fatal(err)
			}
			f.RevokeTokens() // which ServiceTitan no longer takes
			if tt.rejectAll {
				f.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Status: http.StatusUnauthorized, Body: "Unauthorized"})
			}
			_, err := c.UpdateContact(context.Background(), 5, 7, UpdateContactRequest{Memo: new("x")})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls || f.tokenCalls.Load() != tt.wantTokens {
				t.Errorf("PATCH calls = %d, token calls = %d; want %d, %d", calls.Load(), f.tokenCalls.Load(), tt.wantCalls, tt.wantTokens)
			}
		})
	}
}

func TestBadCredentials(t *testing.T) {
	tests := []struct {
		name    string
		fault   *sandbox.Fault // of the token endpoint
		secret  string
		wantErr error
	}{
		{"nok, invalid_client is bad credentials", nil, "wrong-secret", ErrBadCredentials},
		{"nok, 401 from the token endpoint is bad credentials", &sandbox.Fault{Status: http.StatusUnauthorized},
			"s3cret-value", ErrBadCredentials},
		{"nok, token endpoint down is unavailable", &sandbox.Fault{Status: http.StatusBadGateway, ContentType: "text/html",
			Body: "<html><title>502 Bad Gateway</title></html>"}, "s3cret-value", ErrUnavailable},
		{"nok, token endpoint answers garbage", &sandbox.Fault{Status: http.StatusOK, ContentType: "application/json",
			Body: `{"access_token":`}, "s3cret-value", ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			if tt.fault != nil {
				fault := *tt.fault
				fault.Operation = sandbox.OpToken
				f.InjectFault(fault)
			}
			c, err := New(Config{APIURL: f.srv.URL + basePath, AuthURL: f.srv.URL + tokenPath, TenantID: 42,
				ClientID: "cid", ClientSecret: tt.secret, AppKey: "app-key"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetCustomer(context.Background(), 1)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != ErrBadCredentials && errors.Is(err, ErrBadCredentials) {
				t.Errorf("err = %v must not claim bad credentials", err)
			}
			if strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q leaks the client secret", err)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		wantErr    error
		wantCalls  int32
		wantWait   time.Duration
	}{
		{"ok, short Retry-After in seconds is waited out once", "1", nil, 2, 0},
		{"ok, short Retry-After as an HTTP date is waited out once", now.Add(time.Second).Format(http.TimeFormat), nil, 2, 0},
		{"nok, long Retry-After is returned to the caller", "120", ErrRateLimited, 1, 120 * time.Second},
		{"nok, long Retry-After as an HTTP date", now.Add(10 * time.Minute).Format(http.TimeFormat), ErrRateLimited, 1, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			calls := f.requests(sandbox.OpUpdateContact)
			f.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Times: 1, Status: http.StatusTooManyRequests,
				RetryAfter: tt.retryAfter, Body: `{"title":"Too many requests","status":429}`})
			c := f.client(t)
			c.SetNow(func() time.Time { return now })
			_, err := c.UpdateContact(context.Background(), 5, 7, UpdateContactRequest{Memo: new("x")})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("PATCH calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
			var apiErr *APIError
			if tt.wantErr != nil && (!errors.As(err, &apiErr) || apiErr.RetryAfter != tt.wantWait) {
				t.Errorf("RetryAfter = %v, want %v", apiErr, tt.wantWait)
			}
		})
	}
}

func TestRateLimitWaitIsBoundedByContext(t *testing.T) {
	f := newFakeST(t)
	// Retry-After asks far more than the caller's time: the client gives
	// up at the deadline, saying it was rate limited, not a minute later.
	// The deadline leaves a busy machine time for the token and the first
	// answer (100 ms did not, once, at load 10).
	f.InjectFault(sandbox.Fault{Operation: sandbox.OpGetCustomer, Status: http.StatusTooManyRequests, RetryAfter: "60", Body: `{}`})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := f.client(t).GetCustomer(ctx, 1)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("waited %v past the caller's deadline", time.Since(start))
	}
}

func TestPatchIsNeverRetriedOnceItMayHaveArrived(t *testing.T) {
	tests := []struct {
		name     string
		fault    sandbox.Fault // of the PATCH
		wantErrs []error
	}{
		{"nok, timeout", sandbox.Fault{Hang: true},
			[]error{ErrOutcomeUnknown, ErrUnavailable, context.DeadlineExceeded}},
		{"nok, dropped connection", sandbox.Fault{DropConnection: true}, []error{ErrOutcomeUnknown, ErrUnavailable}},
		{"nok, 503 with an HTML page", sandbox.Fault{Status: http.StatusServiceUnavailable, ContentType: "text/html",
			Body: "<html><head><title>Service Unavailable</title></head><body><h1>503</h1></body></html>"},
			[]error{ErrUnavailable, ErrOutcomeUnknown}},
		{"nok, 200 with malformed JSON", sandbox.Fault{Status: http.StatusOK, Body: `{"id": 7, "type": "Pho`},
			[]error{ErrOutcomeUnknown, ErrMalformedResponse, ErrUnavailable}},
		{"nok, 200 with an HTML body", sandbox.Fault{Status: http.StatusOK, ContentType: "text/html", Body: "<html>Login</html>"},
			[]error{ErrOutcomeUnknown, ErrMalformedResponse}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			calls := f.requests(sandbox.OpUpdateContact)
			tt.fault.Operation = sandbox.OpUpdateContact
			f.InjectFault(tt.fault)
			c, err := New(Config{APIURL: f.srv.URL + basePath, AuthURL: f.srv.URL + tokenPath, TenantID: 42,
				ClientID: "cid", ClientSecret: "s3cret-value", AppKey: "app-key", Timeout: 100 * time.Millisecond},
				clienttest.WithBackoff(time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.UpdateContact(context.Background(), 5, 7, UpdateContactRequest{Memo: new("x")})
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to match %v", err, want)
				}
			}
			if calls.Load() != 1 {
				t.Errorf("PATCH calls = %d, want exactly 1", calls.Load())
			}
		})
	}
}

func TestRefusedConnectionIsSafeToRetry(t *testing.T) {
	// A port nobody listens on: the request never reaches ServiceTitan, so
	// a write's outcome is known (not applied).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	f := newFakeST(t)
	c, err := New(Config{APIURL: dead, AuthURL: f.srv.URL + tokenPath, TenantID: 42,
		ClientID: "cid", ClientSecret: "s3cret-value", AppKey: "app-key"}, clienttest.WithBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateContact(context.Background(), 5, 7, UpdateContactRequest{Memo: new("x")})
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("err = %v, want ErrUnavailable without ErrOutcomeUnknown", err)
	}
}

func TestReadsRetryGatewayErrors(t *testing.T) {
	tests := []struct {
		name      string
		failures  int32
		wantErr   error
		wantCalls int32
	}{
		{"ok, two 503s then success", 2, nil, 3},
		{"nok, gives up after two retries", 5, ErrUnavailable, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			calls := f.requests(sandbox.OpGetCustomer)
			f.InjectFault(sandbox.Fault{Operation: sandbox.OpGetCustomer, Times: int(tt.failures), Status: http.StatusServiceUnavailable})
			_, err := f.client(t).GetCustomer(context.Background(), 1)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("GET calls = %d, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantErr     error
		check       func(t *testing.T, e *APIError)
	}{
		{"nok, 400 problem with field errors", 400, "application/problem+json",
			`{"type":"https://tools.ietf.org/html/rfc7231#section-6.5.1","title":"One or more validation errors occurred.","status":400,"traceId":"abc123","errors":{"Value":["Phone must be 10 digits."],"":["Request is invalid."]},"data":{}}`,
			ErrValidation, func(t *testing.T, e *APIError) {
				if e.TraceID != "abc123" || e.Title != "One or more validation errors occurred." {
					t.Errorf("got %+v", e)
				}
				fields, other := e.FieldErrors()
				if len(fields["value"]) != 1 || len(other) != 1 {
					t.Errorf("fields = %v, other = %v", fields, other)
				}
			}},
		{"nok, 404 problem", 404, "application/json", `{"title":"Contact not found","status":404,"traceId":"t1"}`, ErrNotFound, nil},
		{"nok, 404 HTML from a gateway", 404, "text/html", `<!DOCTYPE html><html><head><title>Not Found</title></head><body>nope</body></html>`,
			ErrNotFound, func(t *testing.T, e *APIError) {
				if e.Detail != "Not Found" {
					t.Errorf("Detail = %q", e.Detail)
				}
			}},
		{"nok, 409 problem", 409, "application/json", `{"title":"Duplicate","status":409}`, ErrConflict, nil},
		{"nok, 422 is a validation error too", 422, "application/json", `{"title":"Unprocessable","errors":{"memo":["too long"]}}`, ErrValidation, nil},
		{"nok, 400 that is not JSON", 400, "text/plain", "Bad Request\r\n", ErrValidation, func(t *testing.T, e *APIError) {
			if e.Detail != "Bad Request" {
				t.Errorf("Detail = %q", e.Detail)
			}
		}},
		{"nok, truncated JSON body", 400, "application/json", `{"title":"One or more","errors":{"Val`, ErrValidation, func(t *testing.T, e *APIError) {
			if !strings.HasPrefix(e.Detail, `{"title":"One or more"`) {
				t.Errorf("Detail = %q", e.Detail)
			}
		}},
		{"nok, other JSON shape", 403, "application/json", `{"message":"Tenant not connected"}`, ErrForbidden, func(t *testing.T, e *APIError) {
			// Not the error object's title: kept for logs, never shown.
			if e.Title != "" || e.Detail != "Tenant not connected" {
				t.Errorf("Title = %q, Detail = %q", e.Title, e.Detail)
			}
		}},
		{"nok, 500 HTML without a title", 500, "text/html", "<html><body><h1>Oops</h1><script>x()</script></body></html>", ErrUnavailable, func(t *testing.T, e *APIError) {
			if e.Detail != "Oops" {
				t.Errorf("Detail = %q", e.Detail)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			f.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateContact, Status: tt.status, ContentType: tt.contentType, Body: tt.body})
			_, err := f.client(t).UpdateContact(context.Background(), 5, 7, UpdateContactRequest{Memo: new("x")})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("want *APIError with status %d, got %v", tt.status, err)
			}
			if tt.check != nil {
				tt.check(t, apiErr)
			}
		})
	}
}

func TestErrorBodyIsCapped(t *testing.T) {
	f := newFakeST(t)
	f.InjectFault(sandbox.Fault{Operation: sandbox.OpGetCustomer, Status: http.StatusBadRequest, ContentType: "text/plain", Body: strings.Repeat("x", 3<<20)})
	_, err := f.client(t).GetCustomer(context.Background(), 1)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || len(apiErr.Detail) > 300 {
		t.Fatalf("err = %v", err)
	}
}

func TestListContactsFollowsPages(t *testing.T) {
	f := newFakeST(t)
	f.SetMaxPageSize(25) // customer 9's 60 contacts come in pages of 25, 25 and 10
	var pages []string
	f.Intercept(sandbox.OpListContacts, func(w http.ResponseWriter, r *http.Request, list func()) {
		pages = append(pages, r.URL.Query().Get("page"))
		list()
	})
	got, err := f.client(t).ListContacts(context.Background(), 9)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Errorf("contacts = %d, want 60", len(got))
	}
	if strings.Join(pages, ",") != "1,2,3" {
		t.Errorf("pages requested = %v", pages)
	}
}

func TestGetContact(t *testing.T) {
	f := newFakeST(t) // customer 5 has contact 7 only
	c := f.client(t)
	if got, err := c.GetContact(context.Background(), 5, 7); err != nil || got.Value != "2175550177" {
		t.Errorf("ok, found: %+v, %v", got, err)
	}
	if _, err := c.GetContact(context.Background(), 5, 8); !errors.Is(err, ErrNotFound) {
		t.Errorf("nok, missing contact: err = %v, want ErrNotFound", err)
	}
}

func TestSearchCustomersQuery(t *testing.T) {
	f := newFakeST(t)
	// This checks the query and answers a page of its own: the second
	// page, with more after it, holding one customer.
	f.Intercept(sandbox.OpListCustomers, func(w http.ResponseWriter, r *http.Request, _ func()) {
		if got, want := r.URL.RawQuery, "ids=1%2C2&name=Ada+L&page=2&pageSize=10&phone=2175550177"; got != want {
			t.Errorf("query = %s, want %s", got, want)
		}
		writeJSON(w, http.StatusOK, `{"page":2,"pageSize":10,"hasMore":true,"totalCount":null,"data":[{"id":1,"name":"Ada L","address":{"street":"1 Main St","city":"Springfield","state":"IL","zip":"62701"}}]}`)
	})
	p, err := f.client(t).SearchCustomers(context.Background(), CustomerQuery{Name: "Ada L", Phone: "2175550177", IDs: []int64{1, 2}, Page: 2, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasMore || len(p.Data) != 1 || p.Data[0].Address.String() != "1 Main St, Springfield, IL 62701" {
		t.Errorf("page = %+v", p)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	ok := Config{Environment: Integration, TenantID: 1, ClientID: "a", ClientSecret: "b", AppKey: "c"}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"ok, integration", func(*Config) {}, ""},
		{"ok, explicit URLs", func(c *Config) {
			c.Environment = ""
			c.APIURL = "http://127.0.0.1:1"
			c.AuthURL = "http://127.0.0.1:1/t"
		}, ""},
		{"nok, unknown environment", func(c *Config) { c.Environment = "staging" }, "unknown environment"},
		{"nok, no URLs", func(c *Config) { c.Environment = "" }, "missing API URL, auth URL"},
		{"nok, missing secret", func(c *Config) { c.ClientSecret = "" }, "missing client secret"},
		{"nok, missing tenant", func(c *Config) { c.TenantID = 0 }, "missing tenant id"},
		{"nok, bad URL", func(c *Config) { c.APIURL = "ftp://x" }, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mutate(&cfg)
			_, err := New(cfg)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTokenWaitIsBoundedByEachCaller(t *testing.T) {
	f := newFakeST(t)
	release := make(chan struct{})
	f.Intercept(sandbox.OpToken, func(w http.ResponseWriter, r *http.Request, issue func()) { <-release; issue() })
	t.Cleanup(func() { close(release) })
	c := f.client(t)
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			if err := c.CheckToken(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want the caller's deadline", err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took > time.Second {
		t.Errorf("4 callers with 300ms deadlines took %v: they must not queue behind each other", took)
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("token requests = %d, want 1 shared", n)
	}
}

func TestTokenFailureIsRememberedBriefly(t *testing.T) {
	f := newFakeST(t)
	f.InjectFault(sandbox.Fault{Operation: sandbox.OpToken, Status: http.StatusBadGateway})
	c := f.client(t)
	for range 10 {
		if err := c.CheckToken(context.Background()); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := f.tokenCalls.Load(); n != 1 {
		t.Errorf("token requests = %d, want 1 while the failure is remembered", n)
	}
}

func TestTransportErrorsHideTheURL(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	f := newFakeST(t)
	c, _ := New(Config{APIURL: dead, AuthURL: f.srv.URL + tokenPath, TenantID: 42, ClientID: "cid", ClientSecret: "s3cret-value", AppKey: "app-key"},
		clienttest.WithBackoff(time.Millisecond))
	_, err := c.SearchCustomers(context.Background(), CustomerQuery{Phone: "2175550177", Name: "Ada"})
	if err == nil || strings.Contains(err.Error(), "2175550177") || strings.Contains(err.Error(), "Ada") {
		t.Errorf("err = %v: must not carry the query", err)
	}
}

// Calls that overlap keep their connections for the next calls: a second
// wave of concurrent reads opens none (with the default transport's two
// idle connections per host, it opened all but two again).
func TestConcurrentCallsReuseConnections(t *testing.T) {
	f := newFakeST(t)
	const wave = 12
	var inFlight sync.WaitGroup
	var release atomic.Pointer[chan struct{}] // the current wave's gate
	var mu sync.Mutex
	conns := map[string]bool{} // client address of every connection seen
	fresh := 0
	f.Intercept(sandbox.OpGetCustomer, func(w http.ResponseWriter, r *http.Request, get func()) {
		mu.Lock()
		if !conns[r.RemoteAddr] {
			conns[r.RemoteAddr] = true
			fresh++
		}
		mu.Unlock()
		gate := *release.Load()
		inFlight.Done()
		<-gate // hold every call of the wave open at once
		get()
	})
	c := f.client(t)
	runWave := func() int {
		mu.Lock()
		fresh = 0
		mu.Unlock()
		inFlight.Add(wave)
		gate := make(chan struct{})
		release.Store(&gate)
		var done sync.WaitGroup
		for range wave {
			done.Go(func() {
				if _, err := c.GetCustomer(context.Background(), 1); err != nil {
					t.Error(err)
				}
			})
		}
		inFlight.Wait()
		close(gate)
		done.Wait()
		mu.Lock()
		defer mu.Unlock()
		return fresh
	}
	if n := runWave(); n < wave-1 { // the token's connection may be reused
		t.Fatalf("first wave used %d new connections, want at least %d (the calls did not overlap)", n, wave-1)
	}
	if n := runWave(); n != 0 {
		t.Errorf("second wave opened %d new connections, want 0: idle connections were closed", n)
	}
}
