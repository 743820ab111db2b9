package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// readAll reads a feed from from to its end with read (ExportCustomers or
// ExportContacts) and returns the rows and the last token.
func readAll[T any](t *testing.T, read func(context.Context, client.ExportCursor, func(T) error) (client.ExportCursor, bool, error), from client.ExportCursor) ([]T, client.ExportCursor) {
	t.Helper()
	var rows []T
	for pages := 0; pages < 1000; pages++ {
		next, more, err := read(t.Context(), from, func(row T) error {
			rows = append(rows, row)
			return nil
		})
		if err != nil {
			t.Fatalf("page %d from %q: %v", pages, from, err)
		}
		if from = next; !more {
			return rows, from
		}
	}
	t.Fatal("the feed does not end")
	return nil, ""
}

func TestExportFeeds(t *testing.T) {
	f := newFakeST(t, sandboxtest.WithExportPageSize(25), sandbox.WithGeneratedCustomers(40))
	c := f.client(t)
	var queries []url.Values
	f.Intercept(sandbox.OpExportContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
		queries = append(queries, r.URL.Query())
		apply()
	})
	if client.OpExportContacts != sandbox.OpExportContacts || client.OpExportCustomers != sandbox.OpExportCustomers {
		t.Fatal("the client and the sandbox name the feeds differently")
	}

	customers, _ := readAll(t, c.ExportCustomers, "")
	contacts, last := readAll(t, c.ExportContacts, "")

	t.Run("ok, every row once, pages asked for as ServiceTitan wants", func(t *testing.T) {
		want := map[int64]int64{} // contact -> customer
		for _, cu := range f.Customers() {
			for _, ct := range f.Contacts(cu.ID) {
				want[ct.ID] = cu.ID
			}
		}
		seen := map[int64]bool{}
		for _, ct := range contacts {
			if seen[ct.ID] || want[ct.ID] != ct.CustomerID || !ct.Active {
				t.Errorf("row %+v", ct)
			}
			seen[ct.ID] = true
		}
		if len(seen) != len(want) || len(customers) != len(f.Customers()) {
			t.Errorf("%d contacts of %d, %d customers of %d", len(seen), len(want), len(customers), len(f.Customers()))
		}
		if len(queries) < 2 || queries[0].Has("from") || queries[1].Get("from") == "" || queries[0].Get("includeRecentChanges") != "true" {
			t.Errorf("queries %v", queries)
		}
	})

	t.Run("ok, rows decoded whole, times in UTC", func(t *testing.T) {
		var got client.ExportContact
		for _, ct := range contacts {
			if ct.ID == 7 {
				got = ct
			}
		}
		want := client.ExportContact{
			ID: 7, CustomerID: 5, Type: client.ContactMobilePhone, Value: "2175550177", Memo: "Cell",
			PhoneSettings: &client.PhoneSettings{PhoneNumber: "2175550177", DoNotText: true},
			Preferences:   &client.Preferences{JobRemindersEnabled: true, InvoiceStatementNotification: true},
			CreatedOn:     time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
			ModifiedOn:    time.Date(2026, 3, 4, 15, 4, 5, 123456700, time.UTC), Active: true,
		}
		if fmt.Sprint(got.PhoneSettings, got.Preferences) != fmt.Sprint(want.PhoneSettings, want.Preferences) {
			t.Errorf("settings %v %v", got.PhoneSettings, got.Preferences)
		}
		got.PhoneSettings, got.Preferences, want.PhoneSettings, want.Preferences = nil, nil, nil, nil
		if got != want || got.ModifiedOn.Location() != time.UTC {
			t.Errorf("contact 7:\n got %+v\nwant %+v", got, want)
		}
		var ada client.ExportCustomer
		for _, cu := range customers {
			if cu.ID == 5 {
				ada = cu
			}
		}
		if ada.Name != "Ada Lovelace" || !ada.Active {
			t.Errorf("customer 5: %+v", ada)
		}
	})

	t.Run("ok, from a date", func(t *testing.T) {
		rows, _ := readAll(t, c.ExportContacts, "2026-01-01T00:00:00Z")
		if len(rows) != 1 || rows[0].ID != 7 {
			t.Errorf("rows modified since 2026: %+v", rows)
		}
	})

	t.Run("ok, a removed contact comes on from the last token, inactive", func(t *testing.T) {
		if err := c.DeleteContact(t.Context(), 5, 7); err != nil {
			t.Fatal(err)
		}
		rows, _ := readAll(t, c.ExportContacts, last)
		if len(rows) != 1 || rows[0].ID != 7 || rows[0].CustomerID != 5 || rows[0].Active {
			t.Errorf("rows since the last token: %+v", rows)
		}
	})

	t.Run("nok, a bad token is a validation error", func(t *testing.T) {
		called := false
		_, _, err := c.ExportContacts(t.Context(), "not-a-token", func(client.ExportContact) error { called = true; return nil })
		var apiErr *client.APIError
		if !errors.Is(err, client.ErrValidation) || !errors.As(err, &apiErr) || len(apiErr.Errors["from"]) == 0 || called {
			t.Errorf("err = %v (%+v), row called %v", err, apiErr, called)
		}
	})

	t.Run("nok, row's error stops the page and comes back as is", func(t *testing.T) {
		stop := errors.New("disk full")
		calls := 0
		next, more, err := c.ExportContacts(t.Context(), "", func(client.ExportContact) error {
			if calls++; calls == 3 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 3 || next != "" || more {
			t.Errorf("err = %v after %d rows; next %q, hasMore %v", err, calls, next, more)
		}
	})

	t.Run("ok, a gateway error is retried", func(t *testing.T) {
		before := f.Requests(sandbox.OpExportCustomers)
		f.InjectFault(sandbox.Fault{Operation: sandbox.OpExportCustomers, Times: 1, Status: http.StatusServiceUnavailable})
		if _, _, err := c.ExportCustomers(t.Context(), "", func(client.ExportCustomer) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if n := f.Requests(sandbox.OpExportCustomers) - before; n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
}

// A page that is not a valid page fails as a whole: the rows given before
// the fault belong to it, and the error says so.
func TestExportMalformedPage(t *testing.T) {
	const (
		row1 = `{"id":1,"customerId":5,"type":"Email","value":"a@example.com","modifiedOn":"2026-01-02T03:04:05","active":true}`
		row2 = `{"id":2,"customerId":5,"type":"Phone","value":"2175550100","modifiedOn":"2026-01-02T03:04:06","active":false}`
	)
	tests := []struct {
		name, body string
		rows       int
		wantErr    bool
	}{
		{"ok, fields in any order, unknown ones ignored", `{"hasMore":true,"continueFrom":"t1","page":1,"data":[` + row1 + `,` +
			strings.Replace(row2, `"id":2`, `"id":2,"extra":{"x":[1,2]}`, 1) + `],"totalCount":null}`, 2, false},
		{"nok, cut off in a row", `{"data":[` + row1 + `,` + row2 + `,{"id":3,"cust`, 2, true},
		{"nok, a row without customerId", `{"data":[` + row1 + `,{"id":3,"active":true,"modifiedOn":"2026-01-02T03:04:05"}],"hasMore":false,"continueFrom":"t"}`, 1, true},
		{"nok, a row without active", `{"data":[` + strings.Replace(row1, `,"active":true`, "", 1) + `],"hasMore":false,"continueFrom":"t"}`, 0, true},
		{"nok, a row with modifiedOn null", `{"data":[` + strings.Replace(row1, `"2026-01-02T03:04:05"`, "null", 1) + `],"hasMore":false,"continueFrom":"t"}`, 0, true},
		{"nok, a row with a bad time", `{"data":[` + strings.Replace(row1, "2026-01-02T03:04:05", "yesterday", 1) + `],"hasMore":false,"continueFrom":"t"}`, 0, true},
		{"nok, no continueFrom", `{"data":[` + row1 + `],"hasMore":false}`, 1, true},
		{"nok, an empty continueFrom", `{"data":[],"hasMore":false,"continueFrom":""}`, 0, true},
		{"nok, hasMore null", `{"data":[],"hasMore":null,"continueFrom":"t"}`, 0, true},
		{"nok, no data", `{"hasMore":false,"continueFrom":"t"}`, 0, true},
		{"nok, data not a list", `{"data":{},"hasMore":false,"continueFrom":"t"}`, 0, true},
		{"nok, two pages", `{"data":[],"hasMore":false,"continueFrom":"t"}{}`, 0, true},
		{"nok, not JSON", `<html><title>Bad gateway</title></html>`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeST(t)
			f.Intercept(sandbox.OpExportContacts, func(w http.ResponseWriter, r *http.Request, apply func()) {
				writeJSON(w, http.StatusOK, tt.body)
			})
			rows := 0
			next, more, err := f.client(t).ExportContacts(t.Context(), "", func(client.ExportContact) error { rows++; return nil })
			if rows != tt.rows {
				t.Errorf("%d rows given, want %d", rows, tt.rows)
			}
			if !tt.wantErr {
				if err != nil || next != "t1" || !more {
					t.Errorf("next %q, hasMore %v, err %v", next, more, err)
				}
				return
			}
			if !errors.Is(err, client.ErrMalformedResponse) || next != "" || more {
				t.Errorf("err = %v; next %q, hasMore %v", err, next, more)
			}
			if n := f.Requests(sandbox.OpExportContacts); n != 1 {
				t.Errorf("%d requests: a malformed page is the caller's to retry", n)
			}
		})
	}
}

// BenchmarkExportDecode reads a page of 5000 contacts: "decode" decodes
// it from memory (the decode-only baseline of a backfill), "call" asks the
// sandbox for it over loopback HTTP (the sandbox making the page included).
func BenchmarkExportDecode(b *testing.B) {
	sb := sandboxtest.Start(b, sandbox.WithGeneratedCustomers(1500), sandboxtest.WithAccessToken("bench-token"))
	// The client's own timeout, not againstSandbox's 300 ms: a 5,000-row page
	// on a busy machine takes longer than that, and the benchmark measures
	// decoding, not a timeout.
	c, err := client.New(sb.ClientConfig())
	if err != nil {
		b.Fatal(err)
	}
	if err := c.CheckToken(b.Context()); err != nil { // issues bench-token
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, sb.TenantURL()+"/export/customers/contacts", nil)
	req.Header.Set("Authorization", "Bearer bench-token")
	req.Header.Set("ST-App-Key", sb.Credentials().AppKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%d %v", resp.StatusCode, err)
	}

	run := func(b *testing.B, read func(row func(client.ExportContact) error) error) {
		b.ReportAllocs()
		b.SetBytes(int64(len(page)))
		rows := 0
		for b.Loop() {
			n := 0
			if err := read(func(client.ExportContact) error { n++; return nil }); err != nil || n != 5000 {
				b.Fatalf("%d rows, %v", n, err)
			}
			rows += n
		}
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("decode", func(b *testing.B) {
		run(b, func(row func(client.ExportContact) error) error {
			_, _, err := client.DecodeExportContacts(bytes.NewReader(page), row)
			return err
		})
	})
	b.Run("call", func(b *testing.B) {
		run(b, func(row func(client.ExportContact) error) error {
			_, _, err := c.ExportContacts(b.Context(), "", row)
			return err
		})
	})
}
