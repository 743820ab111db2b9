package client_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

func TestExportLocationFeeds(t *testing.T) {
	at := time.Date(2026, 3, 4, 15, 4, 5, 0, time.UTC) // the sandbox's clock stands still: repeats are the same each run
	st, sb := againstSandbox(t, sandboxtest.WithExportPageSize(25), sandbox.WithGeneratedCustomers(40), sandboxtest.WithClock(func() time.Time { return at }))
	var queries []url.Values
	sb.Intercept(sandbox.OpExportLocationContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
		queries = append(queries, r.URL.Query())
		apply()
	})

	locations, _ := readAll(t, st.ExportLocations, "")
	contacts, last := readAll(t, st.ExportLocationContacts, "")

	t.Run("ok, every row once, with its owner", func(t *testing.T) {
		wantLocations, wantContacts := map[int64]client.Location{}, map[int64]int64{}
		for _, cu := range sb.Customers() {
			for _, l := range sb.Locations(cu.ID) {
				wantLocations[l.ID] = l
				for _, c := range sb.LocationContacts(l.ID) {
					wantContacts[c.ID] = l.ID
				}
			}
		}
		seen := map[int64]bool{}
		for _, l := range locations {
			w, ok := wantLocations[l.ID]
			if seen[l.ID] || !ok || l.CustomerID != w.CustomerID || l.Name != w.Name || l.Address != w.Address || l.Active != w.Active ||
				!l.ModifiedOn.Equal(w.ModifiedOn) || !l.CreatedOn.Equal(w.CreatedOn) || (l.MergedToID != 0) != (l.ID == sandbox.SeedMergedLocationID) {
				t.Errorf("location row %+v\nwant %+v", l, w)
			}
			seen[l.ID] = true
		}
		if len(seen) != len(wantLocations) {
			t.Errorf("%d locations of %d", len(seen), len(wantLocations))
		}
		clear(seen)
		for _, c := range contacts {
			if seen[c.ID] || wantContacts[c.ID] != c.LocationID || !c.Active {
				t.Errorf("contact row %+v", c)
			}
			seen[c.ID] = true
		}
		if len(seen) != len(wantContacts) || len(queries) < 2 || queries[0].Has("from") || queries[1].Get("from") == "" || queries[0].Get("includeRecentChanges") != "true" {
			t.Errorf("%d contacts of %d; queries %v", len(seen), len(wantContacts), queries)
		}
	})

	t.Run("ok, rows decoded whole, times in UTC", func(t *testing.T) {
		i := slices.IndexFunc(contacts, func(c client.ExportLocationContact) bool { return c.ID == sandbox.SeedLocationContactID })
		if i < 0 {
			t.Fatal("Ada's neighbor is not in the feed")
		}
		got, want := contacts[i], client.ExportLocationContact{
			ID: sandbox.SeedLocationContactID, LocationID: sandbox.SeedLocationID, Type: client.ContactMobilePhone,
			Value: sandbox.SeedLocationContactValue, Memo: "Neighbor - Charles Babbage, has a key",
			CreatedOn:  time.Date(2024, 3, 2, 10, 5, 0, 0, time.UTC),
			ModifiedOn: time.Date(2025, 9, 14, 16, 20, 11, 314159300, time.UTC), Active: true,
		}
		if got.PhoneSettings == nil || *got.PhoneSettings != (client.PhoneSettings{PhoneNumber: sandbox.SeedLocationContactValue}) ||
			got.Preferences == nil || *got.Preferences != (client.Preferences{JobRemindersEnabled: true}) {
			t.Errorf("settings %+v %+v", got.PhoneSettings, got.Preferences)
		}
		got.PhoneSettings, got.Preferences = nil, nil
		if got != want || got.ModifiedOn.Location() != time.UTC {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
		i = slices.IndexFunc(locations, func(l client.ExportLocation) bool { return l.ID == sandbox.SeedMergedLocationID })
		if l := locations[i]; l.MergedToID != sandbox.SeedMergedIntoLocationID || l.Active || l.CustomerID != sandbox.SeedManyLocationsCustomerID {
			t.Errorf("merged location %+v", l)
		}
	})

	t.Run("ok, a removed contact comes on from the last token, inactive, then again as a recent change", func(t *testing.T) {
		if err := st.DeleteLocationContact(t.Context(), sandbox.SeedLocationID, sandbox.SeedLocationGateContactID); err != nil {
			t.Fatal(err)
		}
		rows, next := readAll(t, st.ExportLocationContacts, last)
		if len(rows) != 1 || rows[0].ID != sandbox.SeedLocationGateContactID || rows[0].LocationID != sandbox.SeedLocationID || rows[0].Active {
			t.Fatalf("rows since the last token: %+v", rows)
		}
		again, _ := readAll(t, st.ExportLocationContacts, next)
		if len(again) != 1 || again[0].ID != rows[0].ID || again[0].Active || !again[0].ModifiedOn.Equal(rows[0].ModifiedOn) {
			t.Errorf("repeated %+v, want the removal again", again)
		}
		if customers, _ := readAll(t, st.ExportContacts, "2026-03-01T00:00:00Z"); len(customers) != 0 {
			t.Errorf("the customer contacts feed has %+v", customers)
		}
	})

	t.Run("nok, a token of another feed is a validation error", func(t *testing.T) {
		_, customersToken := readAll(t, st.ExportCustomers, "")
		called := false
		_, _, err := st.ExportLocations(t.Context(), customersToken, func(client.ExportLocation) error { called = true; return nil })
		var apiErr *client.APIError
		if !errors.Is(err, client.ErrValidation) || !errors.As(err, &apiErr) || len(apiErr.Errors["from"]) == 0 || called {
			t.Errorf("err = %v, row called %v", err, called)
		}
	})

	t.Run("ok, a gateway error is retried", func(t *testing.T) {
		before := sb.Requests(sandbox.OpExportLocations)
		sb.InjectFault(sandbox.Fault{Operation: sandbox.OpExportLocations, Times: 1, Status: http.StatusServiceUnavailable})
		if _, _, err := st.ExportLocations(t.Context(), "", func(client.ExportLocation) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := sb.Requests(sandbox.OpExportLocations) - before; n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
}

// A location feed page with a row that lacks what a row must carry fails
// as a whole, as a customer feed page does.
func TestExportLocationMalformedRows(t *testing.T) {
	const (
		location = `{"id":50,"customerId":5,"name":"Home","address":{"street":"1 Main St"},"modifiedOn":"2026-01-02T03:04:05Z","active":true,"mergedToId":null}`
		contact  = `{"id":70,"locationId":50,"type":"Phone","value":"2175550185","modifiedOn":"2026-01-02T03:04:05","active":false}`
		page     = `{"data":[%s],"hasMore":false,"continueFrom":"t"}`
	)
	tests := []struct {
		name, op, row, wantMissing string
	}{
		{"ok, a location", sandbox.OpExportLocations, location, ""},
		{"ok, a removed contact", sandbox.OpExportLocationContacts, contact, ""},
		{"nok, a location without its customer", sandbox.OpExportLocations, strings.Replace(location, `"customerId":5,`, "", 1), "customerId"},
		{"nok, a location without active", sandbox.OpExportLocations, strings.Replace(location, `,"active":true`, "", 1), "active"},
		{"nok, a contact without its location", sandbox.OpExportLocationContacts, strings.Replace(contact, `"locationId":50,`, "", 1), "locationId"},
		{"nok, a contact with a customer instead", sandbox.OpExportLocationContacts, strings.Replace(contact, `"locationId"`, `"customerId"`, 1), "locationId"},
		{"nok, a contact without modifiedOn", sandbox.OpExportLocationContacts, strings.Replace(contact, `"modifiedOn":"2026-01-02T03:04:05",`, "", 1), "modifiedOn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			f.Intercept(tt.op, func(w http.ResponseWriter, r *http.Request, _ func()) {
				writeJSON(w, http.StatusOK, strings.Replace(page, "%s", tt.row, 1))
			})
			c := f.client(t)
			var err error
			var got any
			if tt.op == sandbox.OpExportLocations {
				_, _, err = c.ExportLocations(t.Context(), "", func(l client.ExportLocation) error { got = l; return nil })
			} else {
				_, _, err = c.ExportLocationContacts(t.Context(), "", func(ct client.ExportLocationContact) error { got = ct; return nil })
			}
			if tt.wantMissing == "" {
				if err != nil || got == nil {
					t.Errorf("err = %v, row %+v", err, got)
				}
				if ct, ok := got.(client.ExportLocationContact); ok && (ct.Active || ct.LocationID != 50 || ct.ModifiedOn.Location() != time.UTC) {
					t.Errorf("row %+v", ct)
				}
				return
			}
			if !errors.Is(err, client.ErrMalformedResponse) || !strings.Contains(err.Error(), "lacks "+tt.wantMissing) || got != nil {
				t.Errorf("err = %v, row %+v", err, got)
			}
		})
	}
}
