package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// locationSeed is customer 5 with location 50 (contact 70, contactJSON's
// fields) and inactive location 51, for the tests that check requests.
func locationSeed() sandbox.Option {
	at := time.Date(2026, 3, 4, 15, 4, 5, 0, time.UTC)
	return sandboxtest.WithSeed(sandbox.Record{
		Customer: Customer{ID: 5, Name: "Ada Lovelace", Active: true},
		Locations: []sandbox.LocationRecord{
			{Location: Location{ID: 50, Active: true, Name: "Home", Address: Address{Street: "12 Analytical Way", City: "Springfield", State: "IL", Zip: "62701", Country: "USA"},
				CreatedOn: at, ModifiedOn: at},
				Contacts: []Contact{{ID: 70, Type: ContactPhone, Value: "2175550185", Memo: "Gate", CreatedOn: at, ModifiedOn: at,
					PhoneSettings: &PhoneSettings{PhoneNumber: "2175550185"}}}},
			{Location: Location{ID: 51, Active: false, Name: "Old shop", CreatedOn: at, ModifiedOn: at}},
		},
	})
}

// Every location operation sends ServiceTitan's method, path, query and
// body, under the API's base path, with the headers of every call.
func TestLocationRequests(t *testing.T) {
	memo := "Gate code 4411#"
	tests := []struct {
		name, op            string
		call                func(c *Client) error
		method, path, query string
		body                string
	}{
		{"ok, Locations_Get", sandbox.OpGetLocation, func(c *Client) error {
			l, err := c.GetLocation(context.Background(), 50)
			if err == nil && (l.Name != "Home" || l.CustomerID != 5 || l.Address.Street != "12 Analytical Way" || !l.Active) {
				t.Errorf("location %+v", l)
			}
			return err
		}, http.MethodGet, "/crm/v2/tenant/42/locations/50", "", ""},
		{"ok, Locations_GetList", sandbox.OpListLocations, func(c *Client) error {
			ls, err := c.ListLocations(context.Background(), LocationQuery{CustomerID: 5, IDs: []int64{50, 51}, Name: "Ho me", Street: "12 Anal", IncludeInactive: true})
			if err == nil && len(ls) != 0 { // the name and street match nothing
				t.Errorf("locations %+v", ls)
			}
			return err
		}, http.MethodGet, "/crm/v2/tenant/42/locations", "active=Any&customerId=5&ids=50%2C51&name=Ho+me&page=1&pageSize=100&street=12+Anal", ""},
		{"ok, Locations_GetContactList", sandbox.OpListLocationContacts, func(c *Client) error {
			cs, err := c.ListLocationContacts(context.Background(), 50)
			if err == nil && (len(cs) != 1 || cs[0].ID != 70 || cs[0].Memo != "Gate") {
				t.Errorf("contacts %+v", cs)
			}
			return err
		}, http.MethodGet, "/crm/v2/tenant/42/locations/50/contacts", "page=1&pageSize=100", ""},
		{"ok, Locations_CreateContact", sandbox.OpCreateLocationContact, func(c *Client) error {
			ct, err := c.CreateLocationContact(context.Background(), 50, CreateContactRequest{Type: ContactMobilePhone, Value: "2175550164", Memo: "Neighbor - has a key"})
			if err == nil && (ct.ID <= 70 || ct.Value != "2175550164") {
				t.Errorf("created %+v", ct)
			}
			return err
		}, http.MethodPost, "/crm/v2/tenant/42/locations/50/contacts", "", `{"type":"MobilePhone","value":"2175550164","memo":"Neighbor - has a key"}`},
		{"ok, Locations_UpdateContact", sandbox.OpUpdateLocationContact, func(c *Client) error {
			ct, err := c.UpdateLocationContact(context.Background(), 50, 70, UpdateContactRequest{Memo: &memo})
			if err == nil && (ct.Memo != memo || ct.Value != "2175550185") {
				t.Errorf("updated %+v", ct)
			}
			return err
		}, http.MethodPatch, "/crm/v2/tenant/42/locations/50/contacts/70", "", `{"memo":"Gate code 4411#"}`},
		{"ok, Locations_DeleteContact", sandbox.OpDeleteLocationContact, func(c *Client) error {
			return c.DeleteLocationContact(context.Background(), 50, 70)
		}, http.MethodDelete, "/crm/v2/tenant/42/locations/50/contacts/70", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t, locationSeed(), sandboxtest.WithAccessToken("tok-1"))
			calls := 0
			f.Intercept(tt.op, func(w http.ResponseWriter, r *http.Request, apply func()) {
				calls++
				body, _ := io.ReadAll(r.Body)
				if r.Method != tt.method || r.URL.Path != tt.path || r.URL.RawQuery != tt.query || string(body) != tt.body {
					t.Errorf("%s %s?%s %s\nwant %s %s?%s %s", r.Method, r.URL.Path, r.URL.RawQuery, body, tt.method, tt.path, tt.query, tt.body)
				}
				for h, want := range map[string]string{"Authorization": "Bearer tok-1", "ST-App-Key": "app-key", "Accept": "application/json", "User-Agent": "contactdesk-test"} {
					if got := r.Header.Get(h); got != want {
						t.Errorf("header %s = %q, want %q", h, got, want)
					}
				}
				apply()
			})
			if err := tt.call(f.client(t)); err != nil {
				t.Fatal(err)
			}
			if calls != 1 {
				t.Errorf("%d calls, want 1", calls)
			}
		})
	}
}

func TestLocationsAgainstSandbox(t *testing.T) {
	st, sb := againstSandbox(t)
	ctx := context.Background()

	t.Run("ok, a location as the sandbox holds it", func(t *testing.T) {
		l, err := st.GetLocation(ctx, sandbox.SeedLocationID)
		if want, _ := sb.Location(sandbox.SeedLocationID); err != nil || l != want || l.CustomerID != sandbox.SeedCustomerID || l.Address.String() != "12 Analytical Way, Springfield, IL 62701" {
			t.Errorf("got %+v, %v\nwant %+v", l, err, want)
		}
		_, err = st.GetLocation(ctx, 100999999)
		var apiErr *APIError
		if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Operation != OpGetLocation || apiErr.Title != sandbox.TitleLocationNotFound {
			t.Errorf("unknown location: %v", err)
		}
	})

	t.Run("ok, lists by customer, ids, name and street", func(t *testing.T) {
		all := sb.Locations(sandbox.SeedManyLocationsCustomerID)
		for _, tt := range []struct {
			name string
			q    LocationQuery
			want int
		}{
			{"a customer's active ones", LocationQuery{CustomerID: sandbox.SeedManyLocationsCustomerID}, sandbox.SeedManyLocationsCount - 2},
			{"inactive ones too", LocationQuery{CustomerID: sandbox.SeedManyLocationsCustomerID, IncludeInactive: true}, sandbox.SeedManyLocationsCount},
			{"by ids", LocationQuery{IDs: []int64{all[1].ID, all[2].ID, sandbox.SeedLocationID}}, 3},
			{"by name", LocationQuery{Name: "maple", IncludeInactive: true}, 2},
			{"by street", LocationQuery{Street: "Bluebonnet"}, 1},
		} {
			got, err := st.ListLocations(ctx, tt.q)
			if err != nil || len(got) != tt.want {
				t.Errorf("%s: %d locations, %v; want %d", tt.name, len(got), err, tt.want)
			}
		}
	})

	t.Run("ok, pages followed to the end", func(t *testing.T) {
		sb.SetMaxPageSize(3)
		defer sb.SetMaxPageSize(0)
		before := sb.Requests(sandbox.OpListLocations)
		got, err := st.ListLocations(ctx, LocationQuery{CustomerID: sandbox.SeedManyLocationsCustomerID, IncludeInactive: true})
		if err != nil || len(got) != sandbox.SeedManyLocationsCount {
			t.Fatalf("%d locations, %v", len(got), err)
		}
		if n := sb.Requests(sandbox.OpListLocations) - before; n != 4 {
			t.Errorf("%d pages asked for 10 locations 3 a page, want 4", n)
		}
		before = sb.Requests(sandbox.OpListLocationContacts)
		cs, err := st.ListLocationContacts(ctx, sandbox.SeedLocationID)
		if err != nil || len(cs) != 2 || sb.Requests(sandbox.OpListLocationContacts)-before != 1 {
			t.Errorf("%d contacts, %v", len(cs), err)
		}
	})

	t.Run("nok, a list of the whole tenant is refused before any call", func(t *testing.T) {
		before := sb.Requests(sandbox.OpListLocations)
		if _, err := st.ListLocations(ctx, LocationQuery{IncludeInactive: true}); err == nil || sb.Requests(sandbox.OpListLocations) != before {
			t.Errorf("err = %v", err)
		}
	})

	t.Run("ok, one contact, read from the list", func(t *testing.T) {
		ct, err := st.GetLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationGateContactID)
		if want, _ := sb.LocationContact(sandbox.SeedLocationID, sandbox.SeedLocationGateContactID); err != nil || ct.Value != sandbox.SeedLocationGateValue ||
			!ct.ModifiedOn.Equal(want.ModifiedOn) || ct.Memo != want.Memo {
			t.Errorf("got %+v, %v", ct, err)
		}
		_, err = st.GetLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedMobileContactID) // a customer's contact
		var apiErr *APIError
		if !errors.Is(err, ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Operation != OpGetLocationContactList {
			t.Errorf("another's contact: %v", err)
		}
		if _, err := st.ListLocationContacts(ctx, 100999999); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown location: %v", err)
		}
	})

	t.Run("ok, a memo-only PATCH sends the memo and keeps the rest", func(t *testing.T) {
		before, _ := sb.LocationContact(sandbox.SeedLocationID, sandbox.SeedLocationContactID)
		after, err := st.UpdateLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationContactID, UpdateContactRequest{Memo: new("Neighbor - Charles, spare key")})
		if err != nil {
			t.Fatal(err)
		}
		if after.Memo != "Neighbor - Charles, spare key" || after.Value != before.Value || *after.Preferences != *before.Preferences || !after.ModifiedOn.After(before.ModifiedOn) {
			t.Errorf("before %+v\nafter  %+v", before, after)
		}
		if body := sb.LastBody(sandbox.OpUpdateLocationContact); body != `{"memo":"Neighbor - Charles, spare key"}` {
			t.Errorf("PATCH body %s", body)
		}
	})

	t.Run("ok, preferences sent whole keep the flags nobody touched", func(t *testing.T) {
		five := Contact{ID: 300999001, Type: ContactEmail, Value: "tenant@example.com", Preferences: &Preferences{
			JobRemindersEnabled: true, InvoiceStatementNotification: true, InvoiceNotification: new(true), StatementNotification: new(false)}}
		sb.SetLocationContact(sandbox.SeedLocationID, five)
		p := *five.Preferences
		p.MarketingUpdatesEnabled = true
		got, err := st.UpdateLocationContact(ctx, sandbox.SeedLocationID, five.ID, UpdateContactRequest{Preferences: &p})
		if err != nil {
			t.Fatal(err)
		}
		if g := got.Preferences; !g.MarketingUpdatesEnabled || !g.JobRemindersEnabled || !*g.InvoiceNotification || *g.StatementNotification {
			t.Errorf("preferences %+v", g)
		}
	})

	t.Run("nok, writes refused with typed errors", func(t *testing.T) {
		_, err := st.UpdateLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationGateContactID, UpdateContactRequest{Value: new("555-0185")})
		var apiErr *APIError
		if !errors.Is(err, ErrValidation) || !errors.As(err, &apiErr) {
			t.Fatalf("bad value: %v", err)
		}
		if fields, other := apiErr.FieldErrors(); len(fields[FieldValue]) == 0 || len(other) != 0 || apiErr.Operation != OpUpdateLocationContact {
			t.Errorf("fields %v, other %v", fields, other)
		}
		_, err = st.UpdateLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationGateContactID, UpdateContactRequest{Type: new(ContactMobilePhone), Value: new(sandbox.SeedLocationContactValue)})
		if !errors.Is(err, ErrConflict) {
			t.Errorf("the value of another contact of the location: %v", err)
		}
		if _, err := st.UpdateLocationContact(ctx, sandbox.SeedLocationID, 300999999, UpdateContactRequest{Memo: new("x")}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown contact: %v", err)
		}
		if _, err := st.CreateLocationContact(ctx, sandbox.SeedLocationID, CreateContactRequest{Type: ContactPhone, Value: sandbox.SeedLocationGateValue}); !errors.Is(err, ErrConflict) {
			t.Errorf("create a duplicate: %v", err)
		}
		_, err = st.CreateLocationContact(ctx, sandbox.SeedLocationID, CreateContactRequest{Type: ContactEmail, Value: "not an email"})
		if !errors.As(err, &apiErr) || !errors.Is(err, ErrValidation) || len(apiErr.Errors) == 0 {
			t.Errorf("create a bad email: %v", err)
		}
		if _, err := st.CreateLocationContact(ctx, 100999999, CreateContactRequest{Type: ContactPhone, Value: "2175550100"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("create on an unknown location: %v", err)
		}
	})

	t.Run("ok, create then delete", func(t *testing.T) {
		ct, err := st.CreateLocationContact(ctx, sandbox.SeedRentalLocationID, CreateContactRequest{Type: ContactEmail, Value: "kelly.tenant@example.org", Memo: "Tenant - Kelly"})
		if err != nil || ct.ID < sandbox.SeedLocationContactID || ct.Memo != "Tenant - Kelly" {
			t.Fatalf("created %+v, %v", ct, err)
		}
		if err := st.DeleteLocationContact(ctx, sandbox.SeedRentalLocationID, ct.ID); err != nil {
			t.Fatal(err)
		}
		if _, ok := sb.LocationContact(sandbox.SeedRentalLocationID, ct.ID); ok {
			t.Error("still there")
		}
		if err := st.DeleteLocationContact(ctx, sandbox.SeedRentalLocationID, ct.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete again: %v", err)
		}
	})
}

// The location operations retry and fail as the customer contact ones:
// a short 429 is waited out by every call, a long one is returned; reads
// retry gateway errors, writes never do; a write whose answer is lost may
// have been applied.
func TestLocationErrorPaths(t *testing.T) {
	ctx := context.Background()
	type call struct {
		op    string
		write bool
		run   func(c *Client) error
	}
	calls := []call{
		{sandbox.OpGetLocation, false, func(c *Client) error { _, err := c.GetLocation(ctx, sandbox.SeedLocationID); return err }},
		{sandbox.OpListLocations, false, func(c *Client) error {
			_, err := c.ListLocations(ctx, LocationQuery{CustomerID: sandbox.SeedCustomerID})
			return err
		}},
		{sandbox.OpListLocationContacts, false, func(c *Client) error { _, err := c.ListLocationContacts(ctx, sandbox.SeedLocationID); return err }},
		{sandbox.OpListLocationContacts, false, func(c *Client) error {
			_, err := c.GetLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationContactID)
			return err
		}},
		{sandbox.OpCreateLocationContact, true, func(c *Client) error {
			_, err := c.CreateLocationContact(ctx, sandbox.SeedLocationID, CreateContactRequest{Type: ContactFax, Value: "2175550100"})
			return err
		}},
		{sandbox.OpUpdateLocationContact, true, func(c *Client) error {
			_, err := c.UpdateLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationContactID, UpdateContactRequest{Memo: new("Changed")})
			return err
		}},
		{sandbox.OpDeleteLocationContact, true, func(c *Client) error {
			return c.DeleteLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationContactID)
		}},
	}
	applied := func(sb *sandbox.Server, op string) bool {
		cs := sb.LocationContacts(sandbox.SeedLocationID)
		switch op {
		case sandbox.OpCreateLocationContact:
			return len(cs) == 3
		case sandbox.OpUpdateLocationContact:
			return cs[0].Memo == "Changed"
		}
		return len(cs) == 1
	}
	for _, c := range calls {
		t.Run("nok, "+c.op+", a long Retry-After is the caller's", func(t *testing.T) {
			st, sb := againstSandbox(t)
			sb.InjectFault(sandbox.Fault{Operation: c.op, Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "120", Body: `{"title":"Too many requests","status":429}`})
			err := c.run(st)
			var apiErr *APIError
			if !errors.Is(err, ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RetryAfter != 120*time.Second || errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("err = %v", err)
			}
			if sb.Requests(c.op) != 1 || applied(sb, c.op) {
				t.Errorf("%d requests, applied %v", sb.Requests(c.op), applied(sb, c.op))
			}
		})
		t.Run("ok, "+c.op+", a short Retry-After is waited out once", func(t *testing.T) {
			st, sb := againstSandbox(t)
			sb.InjectFault(sandbox.Fault{Operation: c.op, Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "0"})
			if err := c.run(st); err != nil || sb.Requests(c.op) != 2 || c.write && !applied(sb, c.op) {
				t.Errorf("err = %v after %d requests", err, sb.Requests(c.op))
			}
		})
		t.Run("nok, "+c.op+", two gateway errors", func(t *testing.T) {
			st, sb := againstSandbox(t)
			sb.InjectFault(sandbox.Fault{Operation: c.op, Times: 2, Status: http.StatusBadGateway})
			err := c.run(st)
			switch {
			case !c.write && (err != nil || sb.Requests(c.op) != 3):
				t.Errorf("a read: err = %v after %d requests, want success on the third", err, sb.Requests(c.op))
			case c.write && (!errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrUnavailable) || sb.Requests(c.op) != 1):
				t.Errorf("a write: err = %v after %d requests, want one and an unknown outcome", err, sb.Requests(c.op))
			}
		})
		t.Run("nok, "+c.op+", the answer is lost", func(t *testing.T) {
			st, sb := againstSandbox(t)
			sb.InjectFault(sandbox.Fault{Operation: c.op, Times: 1, AfterApply: true, DropConnection: true})
			err := c.run(st)
			switch {
			case !c.write && (err != nil || sb.Requests(c.op) != 2):
				t.Errorf("a read: err = %v after %d requests, want it read again", err, sb.Requests(c.op))
			case c.write && (!errors.Is(err, ErrOutcomeUnknown) || sb.Requests(c.op) != 1 || !applied(sb, c.op)):
				t.Errorf("a write: err = %v after %d requests, applied %v", err, sb.Requests(c.op), applied(sb, c.op))
			}
		})
	}
	t.Run("nok, a write with no answer in time", func(t *testing.T) {
		st, sb := againstSandbox(t)
		sb.InjectFault(sandbox.Fault{Operation: sandbox.OpUpdateLocationContact, Hang: true})
		_, err := st.UpdateLocationContact(ctx, sandbox.SeedLocationID, sandbox.SeedLocationContactID, UpdateContactRequest{Memo: new("x")})
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) || sb.Requests(sandbox.OpUpdateLocationContact) != 1 {
			t.Errorf("err = %v after %d requests", err, sb.Requests(sandbox.OpUpdateLocationContact))
		}
	})
}

// opRecorder records the operation names the client reports.
type opRecorder struct {
	mu  sync.Mutex
	ops map[string]bool
}

func (o *opRecorder) Call(op string, _ int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops[op] = true
}
func (o *opRecorder) Retry(op, _ string) { o.Call(op, 0, 0) }
func (o *opRecorder) TokenFetch(bool)    {}

// The operation names in logs and metric labels are ServiceTitan's, the
// sandbox's, and a closed set: whatever is asked for, a location call is
// labelled with one of them, never with an id or a query.
func TestLocationOperationNames(t *testing.T) {
	pairs := [][2]string{
		{OpGetLocations, sandbox.OpListLocations}, {OpGetLocation, sandbox.OpGetLocation},
		{OpGetLocationContactList, sandbox.OpListLocationContacts}, {OpCreateLocationContact, sandbox.OpCreateLocationContact},
		{OpUpdateLocationContact, sandbox.OpUpdateLocationContact}, {OpDeleteLocationContact, sandbox.OpDeleteLocationContact},
		{OpExportLocations, sandbox.OpExportLocations}, {OpExportLocationContacts, sandbox.OpExportLocationContacts},
	}
	known := []string{}
	for _, p := range pairs {
		if p[0] != p[1] || !strings.HasPrefix(p[0], "Locations_") && !strings.HasPrefix(p[0], "Export_Location") {
			t.Errorf("client %q, sandbox %q", p[0], p[1])
		}
		known = append(known, p[0])
	}
	rec := &opRecorder{ops: map[string]bool{}}
	sb := newFakeST(t) // any answer will do: 404s included
	c := sb.client(t, WithObserver(rec))
	ctx := context.Background()
	for _, id := range []int64{1, 50, 1 << 40} {
		c.GetLocation(ctx, id)
		c.ListLocations(ctx, LocationQuery{CustomerID: id, Name: "x' OR 1=1", Street: strings.Repeat("a", 300)})
		c.ListLocationContacts(ctx, id)
		c.GetLocationContact(ctx, id, id)
		c.CreateLocationContact(ctx, id, CreateContactRequest{Type: ContactPhone, Value: "2175550100"})
		c.UpdateLocationContact(ctx, id, id, UpdateContactRequest{Memo: new("x")})
		c.DeleteLocationContact(ctx, id, id)
		c.ExportLocations(ctx, "", func(ExportLocation) error { return nil })
		c.ExportLocationContacts(ctx, "bad token", func(ExportLocationContact) error { return nil })
	}
	var seen []string
	for op := range rec.ops {
		seen = append(seen, op)
	}
	slices.Sort(seen)
	slices.Sort(known)
	if !slices.Equal(seen, known) {
		t.Errorf("operations reported %v, want %v", seen, known)
	}
}
