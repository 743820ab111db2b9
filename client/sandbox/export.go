package sandbox

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"iter"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// The Data Export feeds, GET /export/customers,
// /export/customers/contacts, /export/locations and
// /export/locations/contacts, answer {"data": [...], "hasMore": bool,
// "continueFrom": "<token>"} with up to [Settings].ExportPageSize rows (5000,
// as ServiceTitan): customers as Customers_Get shows them, locations as
// Locations_Get (with active and mergedToId), contacts as the contact list
// shows them plus customerId (or locationId) and active. Every feed holds
// every row, active or not; a contact removed through the API comes back
// as a row with "active": false and modifiedOn the time it was removed.
//
// Each row has a place in its feed: when the sandbox last changed it
// (for a change made through the API, its modifiedOn; [Server.SetContact]
// may set any modifiedOn) or, for a row unchanged since the start, its
// modifiedOn. Rows come in order of (place, id), and every change is placed
// after every row there is, so reading on from the last token returns
// exactly the changes made since.
//
// The from parameter picks where a page starts: absent, at the first row;
// a date-time (RFC 3339, or ServiceTitan's zone-less form, read as UTC),
// at the first row placed at or after it; a continueFrom token, after the
// row it names. Anything else, a token of the other feed or of another
// Server included (tokens are signed with a key each Server draws when it
// is made, so a restarted app's tokens fail as expired ones would), is
// answered 400 with errors {"from": [...]}.
//
// With includeRecentChanges=true, a page that goes on from a token first
// repeats the rows up to the token that changed within the last second by
// the sandbox's clock (at most half a page): as ServiceTitan may send
// recent changes again, a reader must apply rows idempotently.

const defaultExportPageSize = 5000

type feed string

const (
	customersFeed        feed = "customers"
	contactsFeed         feed = "contacts"
	locationsFeed        feed = "locations"
	locationContactsFeed feed = "location-contacts"
)

// feedKey is a row's place in a feed.
type feedKey struct {
	at time.Time
	id int64
}

func (k feedKey) cmp(o feedKey) int {
	if c := k.at.Compare(o.at); c != 0 {
		return c
	}
	return cmp.Compare(k.id, o.id)
}

// feedStart is before every row.
var feedStart = feedKey{id: math.MinInt64}

// feedRow is a row of a feed: a customer, a location, or a contact of
// customerID (and of its location locationID, for a location's contact).
type feedRow struct {
	key        feedKey
	customer   *customerRecord
	location   *locationRecord
	contact    *client.Contact
	customerID int64
	locationID int64
	active     bool
}

type exportContactBody struct {
	contactBody
	CustomerID int64 `json:"customerId"`
	Active     bool  `json:"active"`
}

type exportLocationContactBody struct {
	contactBody
	LocationID int64 `json:"locationId"`
	Active     bool  `json:"active"`
}

type exportPageBody struct {
	Data         []any  `json:"data"`
	HasMore      bool   `json:"hasMore"`
	ContinueFrom string `json:"continueFrom"`
}

func (r feedRow) body() any {
	switch {
	case r.location != nil:
		return toLocationBody(r.location)
	case r.contact == nil:
		return toCustomerBody(r.customer)
	case r.locationID != 0:
		return exportLocationContactBody{contactBody: toContactBody(*r.contact), LocationID: r.locationID, Active: r.active}
	}
	return exportContactBody{contactBody: toContactBody(*r.contact), CustomerID: r.customerID, Active: r.active}
}

func (s *Server) handleExport(f feed) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := parseQuery(r)
		errs := map[string][]string{}
		after, fromToken := feedStart, false
		if v, ok := q.get("from"); ok {
			if k, ok := s.parseFeedToken(f, v); ok {
				after, fromToken = k, true
			} else if t, err := client.ParseTime(v); err == nil {
				after = feedKey{at: t, id: math.MinInt64}
			} else {
				addErr(errs, "from", notValid(v))
			}
		}
		recent := false
		if v, ok := q.get("includeRecentChanges"); ok {
			switch strings.ToLower(v) {
			case "true":
				recent = true
			case "false":
			default:
				addErr(errs, "includeRecentChanges", notValid(v))
			}
		}
		if len(errs) > 0 {
			writeValidation(w, errs)
			return
		}
		s.mu.Lock()
		page := s.exportPageLocked(f, after, recent && fromToken)
		switch s.stalls[f] {
		case FeedRepeatsToken:
			page.ContinueFrom, page.HasMore = s.feedToken(f, after), true
		case FeedEmptyPages:
			page.Data, page.HasMore = []any{}, true
			page.ContinueFrom = s.feedToken(f, feedKey{at: after.at, id: after.id + 1})
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, page)
	}
}

// exportPageLocked answers one page of f after the place after.
func (s *Server) exportPageLocked(f feed, after feedKey, repeatRecent bool) exportPageBody {
	stored := s.storedRowsLocked(f)
	var rows []feedRow
	if repeatRecent {
		rows = recentRows(stored, after, s.now().Add(-time.Second), s.exportPage/2)
	}
	page := exportPageBody{}
	last := after
	for row := range s.rowsAfterLocked(f, stored, after) {
		if len(rows) == s.exportPage {
			page.HasMore = true
			break
		}
		rows = append(rows, row)
		last = row.key
	}
	page.Data = make([]any, len(rows))
	for i, row := range rows {
		page.Data[i] = row.body()
	}
	page.ContinueFrom = s.feedToken(f, last)
	return page
}

// recentRows are the last rows of stored (sorted) up to after placed at or
// after since, at most limit of them, in order.
func recentRows(stored []feedRow, after feedKey, since time.Time, limit int) []feedRow {
	end := firstAfter(stored, after)
	start := end
	for start > 0 && end-start < limit && !stored[start-1].key.at.Before(since) {
		start--
	}
	return slices.Clone(stored[start:end])
}

// firstAfter is the index of the first row of rows (sorted) placed after
// after.
func firstAfter(rows []feedRow, after feedKey) int {
	i, _ := slices.BinarySearchFunc(rows, after, func(r feedRow, k feedKey) int {
		if r.key.cmp(k) <= 0 {
			return -1
		}
		return 1
	})
	return i
}

// storedRowsLocked are the rows of f that are stored (seed customers,
// generated ones that changed, tombstones), sorted by place.
func (s *Server) storedRowsLocked(f feed) []feedRow {
	var rows []feedRow
	for _, rec := range s.customers {
		rows = s.appendRowsLocked(rows, f, rec)
	}
	if f == contactsFeed || f == locationContactsFeed {
		for id, t := range s.tombstones {
			if (t.kind() == locationOwned) == (f == locationContactsFeed) {
				rows = append(rows, feedRow{key: feedKey{t.at, id}, contact: &t.contact, customerID: t.customerID, locationID: t.locationID})
			}
		}
		for _, row := range s.feedRows {
			if (row.locationID != 0) == (f == locationContactsFeed) {
				rows = append(rows, row)
			}
		}
	}
	slices.SortFunc(rows, func(a, b feedRow) int { return a.key.cmp(b.key) })
	return rows
}

// appendRowsLocked appends the rows of f that rec holds (as made: for a
// generated customer, with the contacts or locations f needs), in order
// for a generated one.
func (s *Server) appendRowsLocked(rows []feedRow, f feed, rec *customerRecord) []feedRow {
	switch f {
	case customersFeed:
		rows = append(rows, feedRow{key: feedKey{rec.customer.ModifiedOn, rec.customer.ID}, customer: rec})
	case contactsFeed:
		for i := range rec.contacts {
			rows = append(rows, s.contactRowLocked(&rec.contacts[i], rec.customer.ID, 0))
		}
	case locationsFeed:
		for _, loc := range rec.locations {
			rows = append(rows, feedRow{key: feedKey{loc.location.ModifiedOn, loc.location.ID}, location: loc})
		}
	case locationContactsFeed:
		for _, loc := range rec.locations {
			for i := range loc.contacts {
				rows = append(rows, s.contactRowLocked(&loc.contacts[i], rec.customer.ID, loc.location.ID))
			}
		}
	}
	return rows
}

func (s *Server) contactRowLocked(c *client.Contact, customerID, locationID int64) feedRow {
	at, changed := s.changedAt[c.ID]
	if !changed {
		at = c.ModifiedOn
	}
	return feedRow{key: feedKey{at, c.ID}, contact: c, customerID: customerID, locationID: locationID, active: true}
}

// rowsAfterLocked yields the rows of f placed after after, in order: the
// stored ones merged into the generated ones.
func (s *Server) rowsAfterLocked(f feed, stored []feedRow, after feedKey) iter.Seq[feedRow] {
	return func(yield func(feedRow) bool) {
		k := firstAfter(stored, after)
		for row := range s.generatedRowsLocked(f, after) {
			for ; k < len(stored) && stored[k].key.cmp(row.key) < 0; k++ {
				if !yield(stored[k]) {
					return
				}
			}
			if !yield(row) {
				return
			}
		}
		for ; k < len(stored); k++ {
			if !yield(stored[k]) {
				return
			}
		}
	}
}

// generatedRowsLocked yields the rows of f of the generated customers that
// are not stored, placed after after, in order. Their places grow with
// their ids (see generate.go), so it starts at the slot of after.
func (s *Server) generatedRowsLocked(f feed, after feedKey) iter.Seq[feedRow] {
	return func(yield func(feedRow) bool) {
		var rows []feedRow
		for i := max(s.gen.slotOf(after.at)-1, 0); i < s.gen.n; i++ {
			if _, stored := s.customers[s.gen.customerID(i)]; stored {
				continue
			}
			rec, r, place := s.gen.customer(i)
			switch f {
			case contactsFeed:
				s.gen.addContacts(rec, i, &r, place)
			case locationsFeed, locationContactsFeed:
				s.gen.addLocations(rec, i, place)
			}
			rows = s.appendRowsLocked(rows[:0], f, rec)
			for _, row := range rows {
				if row.key.cmp(after) > 0 && !yield(row) {
					return
				}
			}
		}
	}
}

// feedToken is the continueFrom token of the place k in f: the place,
// signed.
func (s *Server) feedToken(f feed, k feedKey) string {
	b := make([]byte, 0, 28)
	b = binary.BigEndian.AppendUint64(b, uint64(k.at.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(k.at.Nanosecond()))
	b = binary.BigEndian.AppendUint64(b, uint64(k.id))
	return base64.RawURLEncoding.EncodeToString(append(b, s.feedMAC(f, b)...))
}

// parseFeedToken reads a token feedToken made for f.
func (s *Server) parseFeedToken(f feed, v string) (feedKey, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) != 28 || !hmac.Equal(b[20:], s.feedMAC(f, b[:20])) {
		return feedKey{}, false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint32(b[8:]))).UTC()
	return feedKey{at: at, id: int64(binary.BigEndian.Uint64(b[12:]))}, true
}

func (s *Server) feedMAC(f feed, place []byte) []byte {
	mac := hmac.New(sha256.New, s.tokenKey)
	mac.Write([]byte(f))
	mac.Write(place)
	return mac.Sum(nil)[:8]
}

// AddContactRow puts a row in the contacts feed exactly as given, active
// or not, for any customer id (one that does not exist included), placed
// after every change so far. Only the feed shows it: the contact itself is
// neither stored nor changed. Tests use it for what a faulty feed sends: a
// removal dated 9999, a contact of a customer the customers feed never
// sends, a row without type or value, an 8 MiB memo.
func (s *Server) AddContactRow(customerID int64, c client.Contact, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = cloneContact(c)
	s.lastChange = laterOf(s.now(), s.lastChange.Add(100*time.Nanosecond))
	s.feedRows[c.ID] = feedRow{key: feedKey{s.lastChange, c.ID}, contact: &c, customerID: customerID, active: active}
}

// FeedStall is how a feed stops moving on (see [Server.StallFeed]).
type FeedStall int

// The ways a feed stalls.
const (
	// FeedMovesOn: the feed works (the default).
	FeedMovesOn FeedStall = iota
	// FeedRepeatsToken: every page's continueFrom is the place it was
	// read from, with hasMore true: the same page, for ever.
	FeedRepeatsToken
	// FeedEmptyPages: every page is empty and says more follow, each with
	// a token of its own.
	FeedEmptyPages
)

// StallFeed makes the export feed of the operation op (OpExportCustomers
// or OpExportContacts) stall as said, until FeedMovesOn or [Server.Reset].
func (s *Server) StallFeed(op string, stall FeedStall) {
	f := map[string]feed{OpExportCustomers: customersFeed, OpExportContacts: contactsFeed}[op]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalls[f] = stall
}
