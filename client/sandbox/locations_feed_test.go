package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

const (
	locationsFeedPath        = "/export/locations"
	locationContactsFeedPath = "/export/locations/contacts"
)

// wantEveryLocationRowOnce checks that rows are the server's locations (or
// every location's contact, when contacts) once each, with their owner.
func wantEveryLocationRowOnce(t *testing.T, s *Server, rows []feedRowJSON, contacts bool) {
	t.Helper()
	want := map[int64]int64{} // id -> customer id, or location id for a contact
	for _, cu := range s.Customers() {
		for _, l := range s.Locations(cu.ID) {
			if !contacts {
				want[l.ID] = cu.ID
				continue
			}
			for _, c := range s.LocationContacts(l.ID) {
				want[c.ID] = l.ID
			}
		}
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.ID] {
			t.Errorf("row %d repeated", r.ID)
		}
		seen[r.ID] = true
		owner := r.CustomerID
		if contacts {
			owner = r.LocationID
			if r.CustomerID != 0 {
				t.Errorf("location contact row %d carries customerId %d", r.ID, r.CustomerID)
			}
		}
		if o, ok := want[r.ID]; !ok || o != owner || r.Active == nil {
			t.Errorf("row %+v: not a row of the server (owner %d)", r, o)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d rows, want %d", len(seen), len(want))
	}
}

func TestLocationFeedRows(t *testing.T) {
	h := newHarness(t)
	resp, body := h.call(http.MethodGet, locationContactsFeedPath, "")
	wantStatus(t, resp, body, http.StatusOK)
	var contacts struct {
		Data []map[string]json.RawMessage `json:"data"`
	}
	mustUnmarshal(t, body, &contacts)
	keys := []string{"active", "createdOn", "id", "locationId", "memo", "modifiedOn", "phoneSettings", "preferences", "type", "value"}
	found := false
	for _, row := range contacts.Data {
		if got := slices.Sorted(func(yield func(string) bool) {
			for k := range row {
				if !yield(k) {
					return
				}
			}
		}); !slices.Equal(got, keys) {
			t.Fatalf("location contact row has %v, want %v", got, keys)
		}
		if string(row["id"]) == fmt.Sprint(SeedLocationContactID) {
			found = true
			if string(row["locationId"]) != fmt.Sprint(SeedLocationID) || string(row["active"]) != "true" || string(row["value"]) != `"`+SeedLocationContactValue+`"` ||
				string(row["modifiedOn"]) != `"2025-09-14T16:20:11.3141593"` {
				t.Errorf("Ada's neighbor: %v", row)
			}
		}
	}
	if len(contacts.Data) == 0 || !found {
		t.Errorf("%d rows, Ada's neighbor among them: %v", len(contacts.Data), found)
	}

	resp, body = h.call(http.MethodGet, locationsFeedPath, "")
	wantStatus(t, resp, body, http.StatusOK)
	var locations struct {
		Data []locationBody `json:"data"`
	}
	mustUnmarshal(t, body, &locations)
	inactive := 0
	for _, l := range locations.Data {
		if !l.Active {
			inactive++
		}
		if merged := l.MergedToID != nil; merged != (l.ID == SeedMergedLocationID) || merged && *l.MergedToID != SeedMergedIntoLocationID {
			t.Errorf("location %d mergedToId %v", l.ID, l.MergedToID)
		}
	}
	if len(locations.Data) != SeedLocationCount || inactive == 0 {
		t.Errorf("%d locations, %d inactive", len(locations.Data), inactive)
	}
}

func TestLocationFeedRefusals(t *testing.T) {
	h := newHarness(t)
	tokens := map[string]string{}
	for _, path := range []string{customersFeedPath, contactsFeedPath, locationsFeedPath, locationContactsFeedPath} {
		tokens[path] = *h.exportPage(path, "", false).ContinueFrom
	}
	for _, path := range []string{locationsFeedPath, locationContactsFeedPath} {
		for other, token := range tokens {
			if other == path {
				continue
			}
			t.Run(fmt.Sprintf("nok, %s's token on %s", other, path), func(t *testing.T) {
				resp, body := h.call(http.MethodGet, path+"?from="+token, "")
				if p := wantProblem(t, resp, body, http.StatusBadRequest, TitleValidation); len(p.Errors["from"]) == 0 {
					t.Errorf("errors %v", p.Errors)
				}
			})
		}
		t.Run("ok, its own token on "+path, func(t *testing.T) {
			h.exportPage(path, tokens[path], true)
		})
	}
}

// Changes to location contacts go to the end of their feed, and of theirs
// only: reading on from the last token gets exactly them, a removed one as
// a row with active false.
func TestLocationFeedIncremental(t *testing.T) {
	clock := newFakeClock()
	h := newHarness(t, WithGeneratedCustomers(300), func(s *Settings) { s.Clock, s.ExportPageSize = clock.Now, 50 })
	_, last := h.readFeed(locationContactsFeedPath, "", true)
	_, customerContactsLast := h.readFeed(contactsFeedPath, "", true)
	_, locationsLast := h.readFeed(locationsFeedPath, "", true)

	// A generated location with two contacts or more.
	var site int64
	for i := range h.s.gen.n {
		for _, l := range h.s.Locations(h.s.gen.customerID(i)) {
			if site == 0 && len(h.s.LocationContacts(l.ID)) >= 2 {
				site = l.ID
			}
		}
	}
	gcs := h.s.LocationContacts(site)
	resp, body := h.call(http.MethodPatch, h.locationContactPath(site, gcs[0].ID), `{"memo":"Gate code changed to 9090#"}`)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = h.call(http.MethodDelete, h.locationContactPath(site, gcs[1].ID), "")
	wantStatus(t, resp, body, http.StatusOK)
	removed := h.locationContact(SeedLocationID, SeedLocationGateContactID)
	resp, body = h.call(http.MethodDelete, h.locationContactPath(SeedLocationID, SeedLocationGateContactID), "")
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = h.call(http.MethodPost, fmt.Sprintf("/locations/%d/contacts", SeedLocationID), `{"type":"Phone","value":"2175550186","memo":"New gate call box"}`)
	wantStatus(t, resp, body, http.StatusOK)
	var created contactBody
	mustUnmarshal(t, body, &created)
	old := h.s.LocationContacts(SeedRentalLocationID)[0]
	old.Memo = "Changed elsewhere"
	h.s.SetLocationContact(SeedRentalLocationID, old)

	changes, next := h.readFeed(locationContactsFeedPath, last, false)
	want := []int64{gcs[0].ID, gcs[1].ID, SeedLocationGateContactID, created.ID, old.ID}
	if !slices.Equal(rowIDs(changes), want) {
		t.Fatalf("changes %v, want %v", rowIDs(changes), want)
	}
	for _, r := range changes {
		gone := r.ID == gcs[1].ID || r.ID == SeedLocationGateContactID
		if *r.Active == gone || r.LocationID == 0 || r.CustomerID != 0 {
			t.Errorf("row %+v", r)
		}
		if r.ID == SeedLocationGateContactID && (r.LocationID != SeedLocationID || r.Value != removed.Value || !r.modified(t).After(removed.ModifiedOn)) {
			t.Errorf("tombstone %+v", r)
		}
	}
	if rows, _ := h.readFeed(contactsFeedPath, customerContactsLast, false); len(rows) != 0 {
		t.Errorf("the customer contacts feed shows %v", rowIDs(rows))
	}
	if rows, _ := h.readFeed(locationsFeedPath, locationsLast, false); len(rows) != 0 {
		t.Errorf("the locations feed shows %v", rowIDs(rows))
	}

	t.Run("ok, includeRecentChanges repeats the last second's changes", func(t *testing.T) {
		again, _ := h.readFeed(locationContactsFeedPath, next, true)
		if !slices.Equal(rowIDs(again), want) {
			t.Errorf("repeated %v, want %v", rowIDs(again), want)
		}
		clock.Advance(2 * time.Second)
		if again, _ := h.readFeed(locationContactsFeedPath, next, true); len(again) != 0 {
			t.Errorf("a second later, repeated %v", rowIDs(again))
		}
	})
	t.Run("ok, a full read still has every row once", func(t *testing.T) {
		rows, _ := h.readFeed(locationContactsFeedPath, "", false)
		live := slices.DeleteFunc(slices.Clone(rows), func(r feedRowJSON) bool { return !*r.Active })
		wantEveryLocationRowOnce(t, h.s, live, true)
		if len(rows)-len(live) != 2 {
			t.Errorf("%d tombstones", len(rows)-len(live))
		}
		customers, _ := h.readFeed(contactsFeedPath, "", false)
		for _, r := range customers {
			if !*r.Active || r.ID >= SeedLocationContactID {
				t.Errorf("customer contacts feed row %+v", r)
			}
		}
	})
}
