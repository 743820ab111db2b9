package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

const (
	customersFeedPath = "/export/customers"
	contactsFeedPath  = "/export/customers/contacts"
)

// feedRowJSON is what the tests read of a row of either feed.
type feedRowJSON struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customerId"`
	LocationID int64  `json:"locationId"`
	Active     *bool  `json:"active"`
	Name       string `json:"name"`
	Value      string `json:"value"`
	ModifiedOn string `json:"modifiedOn"`
}

func (r feedRowJSON) modified(t *testing.T) time.Time {
	t.Helper()
	at, err := client.ParseTime(r.ModifiedOn)
	if err != nil || at.IsZero() {
		t.Fatalf("row %d modifiedOn %q: %v", r.ID, r.ModifiedOn, err)
	}
	return at
}

type feedPage struct {
	Data         []feedRowJSON `json:"data"`
	HasMore      *bool         `json:"hasMore"`
	ContinueFrom *string       `json:"continueFrom"`
}

// exportPage reads one page of a feed, from "" (the start), a date or a
// token, with includeRecentChanges when recent.
func (h *harness) exportPage(path, from string, recent bool) feedPage {
	h.t.Helper()
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if recent {
		q.Set("includeRecentChanges", "true")
	}
	resp, body := h.call(http.MethodGet, path+"?"+q.Encode(), "")
	wantStatus(h.t, resp, body, http.StatusOK)
	var p feedPage
	mustUnmarshal(h.t, body, &p)
	if p.HasMore == nil || p.ContinueFrom == nil || *p.ContinueFrom == "" || p.Data == nil {
		h.t.Fatalf("not a feed page: %s", body)
	}
	return p
}

// readFeed reads a feed from from to its end and returns the rows and the
// last token.
func (h *harness) readFeed(path, from string, recent bool) ([]feedRowJSON, string) {
	h.t.Helper()
	var rows []feedRowJSON
	for pages := 0; ; pages++ {
		if pages > 10000 {
			h.t.Fatal("the feed does not end")
		}
		p := h.exportPage(path, from, recent)
		rows = append(rows, p.Data...)
		from = *p.ContinueFrom
		if !*p.HasMore {
			return rows, from
		}
		if len(p.Data) == 0 {
			h.t.Fatal("hasMore with an empty page")
		}
	}
}

func rowIDs(rows []feedRowJSON) []int64 {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// wantEveryRowOnce checks that rows are the server's customers (or every
// contact, when contacts) once each.
func wantEveryRowOnce(t *testing.T, s *Server, rows []feedRowJSON, contacts bool) {
	t.Helper()
	want := map[int64]int64{} // id -> customer id
	for _, cu := range s.Customers() {
		if !contacts {
			want[cu.ID] = cu.ID
			continue
		}
		for _, c := range s.Contacts(cu.ID) {
			want[c.ID] = cu.ID
		}
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			t.Errorf("row %d repeated", r.ID)
		}
		seen[r.ID] = true
		if cid, ok := want[r.ID]; !ok || (contacts && cid != r.CustomerID) || r.Active == nil {
			t.Errorf("row %+v: not a row of the server (customer %d)", r, cid)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d rows, want %d", len(seen), len(want))
	}
}

func TestExportFeedsPaging(t *testing.T) {
	h := newHarness(t, WithGeneratedCustomers(500), func(s *Settings) { s.ExportPageSize = 97 })
	for _, tt := range []struct {
		name, path string
		contacts   bool
		every      func(t *testing.T, s *Server, rows []feedRowJSON, contacts bool)
	}{
		{"ok, customers", customersFeedPath, false, wantEveryRowOnce},
		{"ok, contacts", contactsFeedPath, true, wantEveryRowOnce},
		{"ok, locations", locationsFeedPath, false, wantEveryLocationRowOnce},
		{"ok, location contacts", locationContactsFeedPath, true, wantEveryLocationRowOnce},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rows, last := h.readFeed(tt.path, "", true)
			tt.every(t, h.s, rows, tt.contacts)
			for i := 1; i < len(rows); i++ {
				if r, prev := rows[i], rows[i-1]; r.modified(t).Before(prev.modified(t)) {
					t.Errorf("row %d (%s) after row %d (%s)", r.ID, r.ModifiedOn, prev.ID, prev.ModifiedOn)
				}
			}

			// From the first page's token, the rest of the feed.
			first := h.exportPage(tt.path, "", false)
			if len(first.Data) != 97 || !*first.HasMore {
				t.Fatalf("first page: %d rows, hasMore %v", len(first.Data), *first.HasMore)
			}
			rest, _ := h.readFeed(tt.path, *first.ContinueFrom, false)
			if !slices.Equal(rowIDs(rest), rowIDs(rows[97:])) {
				t.Error("resuming from a token does not continue where the page ended")
			}

			// From a date, the rows modified on or after it.
			since := rows[len(rows)/2].modified(t)
			fromDate, _ := h.readFeed(tt.path, since.Format(time.RFC3339Nano), false)
			k := slices.IndexFunc(rows, func(r feedRowJSON) bool { return !r.modified(t).Before(since) })
			if !slices.Equal(rowIDs(fromDate), rowIDs(rows[k:])) {
				t.Errorf("from %s: %d rows, want %d", since, len(fromDate), len(rows)-k)
			}

			// At the end, nothing more.
			end := h.exportPage(tt.path, last, true)
			if len(end.Data) != 0 || *end.HasMore || *end.ContinueFrom != last {
				t.Errorf("after the end: %d rows, hasMore %v", len(end.Data), *end.HasMore)
			}
		})
	}
}

func TestExportFeedRows(t *testing.T) {
	h := newHarness(t)
	resp, body := h.call(http.MethodGet, contactsFeedPath, "")
	wantStatus(t, resp, body, http.StatusOK)
	var page struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	mustUnmarshal(t, body, &page)
	for _, row := range page.Data {
		for _, k := range []string{"id", "customerId", "type", "value", "memo", "phoneSettings", "preferences", "createdOn", "modifiedOn", "active"} {
			if _, ok := row[k]; !ok {
				t.Fatalf("contact row lacks %q: %v", k, row)
			}
		}
	}
	var ada exportContactBody
	for _, row := range page.Data {
		b, _ := json.Marshal(row)
		mustUnmarshal(t, b, &ada)
		if ada.ID == SeedMobileContactID {
			break
		}
	}
	if ada.CustomerID != SeedCustomerID || !ada.Active || ada.Value != SeedMobileValue || ada.ModifiedOn != "2025-11-02T09:30:00.7654321" {
		t.Errorf("Ada's mobile: %+v", ada)
	}

	resp, body = h.call(http.MethodGet, customersFeedPath, "")
	wantStatus(t, resp, body, http.StatusOK)
	var customers struct {
		Data []customerBody `json:"data"`
	}
	mustUnmarshal(t, body, &customers)
	inactive := 0
	for _, c := range customers.Data {
		if !c.Active {
			inactive++
		}
	}
	if len(customers.Data) != SeedCustomerCount || inactive != SeedCustomerCount-SeedActiveCustomerCount {
		t.Errorf("%d customers, %d inactive", len(customers.Data), inactive)
	}
}

func TestExportFeedRefusals(t *testing.T) {
	h := newHarness(t)
	customersToken := *h.exportPage(customersFeedPath, "", false).ContinueFrom
	other := newHarness(t)
	otherToken := *other.exportPage(contactsFeedPath, "", false).ContinueFrom
	for _, tt := range []struct {
		name, query, key string
	}{
		{"nok, not a token", "from=garbage", "from"},
		{"nok, a token of the other feed", "from=" + customersToken, "from"},
		{"nok, a token of another sandbox", "from=" + otherToken, "from"},
		{"nok, a token changed", "from=A" + otherToken[1:], "from"},
		{"nok, includeRecentChanges not a boolean", "includeRecentChanges=yes", "includeRecentChanges"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := h.call(http.MethodGet, contactsFeedPath+"?"+tt.query, "")
			p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation)
			if len(p.Errors[tt.key]) == 0 {
				t.Errorf("errors = %v, want %q", p.Errors, tt.key)
			}
		})
	}
	t.Run("ok, a date without a zone is UTC", func(t *testing.T) {
		p := h.exportPage(contactsFeedPath, "2025-11-02T09:30:00.7654321", false)
		if len(p.Data) == 0 || p.Data[0].modified(t).Before(time.Date(2025, 11, 2, 9, 30, 0, 765432100, time.UTC)) {
			t.Errorf("from a zone-less date: %+v", p.Data)
		}
	})
	t.Run("nok, unauthorized and counted", func(t *testing.T) {
		before := h.s.Requests(OpExportContacts)
		req := h.newRequest(t.Context(), http.MethodGet, contactsFeedPath, "")
		req.Header.Set("Authorization", "Bearer nope")
		resp, body := h.send(req)
		wantStatus(t, resp, body, http.StatusUnauthorized)
		if h.s.Requests(OpExportContacts) != before+1 {
			t.Error("not counted")
		}
	})
}

// Changes go to the end of the contacts feed: reading on from the last
// token gets exactly them, a removed contact as a row with active false.
func TestExportFeedIncremental(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, WithGeneratedCustomers(300), func(s *Settings) { s.Clock, s.ExportPageSize = clock.Now, 50 })
	_, last := h.readFeed(contactsFeedPath, "", true)

	generated := SeedCustomerID + SeedCustomerCount + 120
	gcs := h.s.Contacts(generated)
	resp, body := h.patch(generated, gcs[0].ID, `{"memo":"Gate code 4411"}`)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = h.call(http.MethodDelete, fmt.Sprintf("/customers/%d/contacts/%d", generated, gcs[len(gcs)-1].ID), "")
	wantStatus(t, resp, body, http.StatusOK)
	removed := h.contact(SeedCustomerID, SeedEmailContactID)
	resp, body = h.call(http.MethodDelete, fmt.Sprintf("/customers/%d/contacts/%d", SeedCustomerID, SeedEmailContactID), "")
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = h.create(SeedCustomerID, `{"type":"Email","value":"ada.new@example.com"}`)
	wantStatus(t, resp, body, http.StatusOK)
	var created contactBody
	mustUnmarshal(t, body, &created)
	// Another person's edit, stored with an old modifiedOn, still comes
	// after the token.
	old := h.contact(SeedFiveFlagCustomerID, SeedFiveFlagContactID)
	old.Memo = "Changed elsewhere"
	h.s.SetContact(SeedFiveFlagCustomerID, old)

	changes, next := h.readFeed(contactsFeedPath, last, false)
	want := []int64{gcs[0].ID, gcs[len(gcs)-1].ID, SeedEmailContactID, created.ID, SeedFiveFlagContactID}
	if !slices.Equal(rowIDs(changes), want) {
		t.Fatalf("changes %v, want %v", rowIDs(changes), want)
	}
	for _, r := range changes {
		gone := r.ID == SeedEmailContactID || r.ID == gcs[len(gcs)-1].ID
		if *r.Active == gone {
			t.Errorf("row %+v: active %v", r, *r.Active)
		}
		if r.ID == SeedEmailContactID && (r.CustomerID != SeedCustomerID || r.Value != removed.Value || !r.modified(t).After(removed.ModifiedOn)) {
			t.Errorf("tombstone %+v", r)
		}
	}

	t.Run("ok, includeRecentChanges repeats the last second's changes", func(t *testing.T) {
		again, _ := h.readFeed(contactsFeedPath, next, true)
		if !slices.Equal(rowIDs(again), want) {
			t.Errorf("repeated %v, want %v", rowIDs(again), want)
		}
		clock.Advance(2 * time.Second)
		if again, _ := h.readFeed(contactsFeedPath, next, true); len(again) != 0 {
			t.Errorf("a second later, repeated %v", rowIDs(again))
		}
	})
	t.Run("ok, a full read still has every row once", func(t *testing.T) {
		rows, _ := h.readFeed(contactsFeedPath, "", false)
		live := slices.DeleteFunc(slices.Clone(rows), func(r feedRowJSON) bool { return !*r.Active })
		wantEveryRowOnce(t, h.s, live, true)
		if len(rows)-len(live) != 2 {
			t.Errorf("%d tombstones", len(rows)-len(live))
		}
	})
	t.Run("ok, repeats leave room on every page for new rows", func(t *testing.T) {
		// 60 changes in the same second, read 50 a page.
		for _, c := range h.s.Contacts(SeedManyContactsCustomerID) {
			resp, body := h.patch(SeedManyContactsCustomerID, c.ID, `{"memo":"Moved to suite 200"}`)
			wantStatus(t, resp, body, http.StatusOK)
		}
		seen, rows := map[int64]bool{}, 0
		from := next
		for range 10 {
			p := h.exportPage(contactsFeedPath, from, true)
			if len(p.Data) > 50 {
				t.Errorf("a page of %d rows", len(p.Data))
			}
			for _, r := range p.Data {
				seen[r.ID] = true
			}
			rows += len(p.Data)
			if from = *p.ContinueFrom; !*p.HasMore {
				break
			}
		}
		// The second page repeated up to 25 of the first's.
		if len(seen) != SeedManyContactsCount || rows <= SeedManyContactsCount {
			t.Errorf("%d rows, %d of them distinct; want %d distinct and some repeated", rows, len(seen), SeedManyContactsCount)
		}
	})
}
