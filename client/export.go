package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ServiceTitan's Data Export feeds hold every customer, location and
// contact of the tenant, active, inactive and removed, for keeping a copy
// of them. A feed is read a page at a time (up to 5000 rows): each page
// says whether more follow and where to go on from; the last page's token,
// stored, later returns only what changed since.

// ExportCursor is where a feed goes on from: the continueFrom token of the
// last page. "" is the first record; an RFC 3339 date-time starts at the
// rows modified since then.
type ExportCursor = string

// ExportCustomer is a row of GET /export/customers.
type ExportCustomer struct {
	ID         int64
	Name, Type string
	Address    Address
	Active     bool
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// ExportContact is a row of GET /export/customers/contacts. A contact that
// was removed comes as a row with Active false.
type ExportContact struct {
	ID, CustomerID int64
	Type           ContactType
	Value, Memo    string
	PhoneSettings  *PhoneSettings
	Preferences    *Preferences
	CreatedOn      time.Time
	ModifiedOn     time.Time
	Active         bool
}

// ExportLocation is a row of GET /export/locations: every location,
// active or not. A location merged into another comes with MergedToID, the
// location it now lives on (0 when it was not merged).
type ExportLocation struct {
	ID, CustomerID int64
	Name           string
	Address        Address
	Active         bool
	MergedToID     int64
	CreatedOn      time.Time
	ModifiedOn     time.Time
}

// ExportLocationContact is a row of GET /export/locations/contacts: a
// location's contact, as ExportContact is a customer's. A removed one comes
// as a row with Active false.
type ExportLocationContact struct {
	ID, LocationID int64
	Type           ContactType
	Value, Memo    string
	PhoneSettings  *PhoneSettings
	Preferences    *Preferences
	CreatedOn      time.Time
	ModifiedOn     time.Time
	Active         bool
}

// maxExportBody caps one page of a feed. A page is decoded as it arrives
// and never held, so this only stops an answer that does not end.
const maxExportBody = 256 << 20

// ExportCustomers reads one page of the customers feed from `from` ("" =
// the first record; an RFC 3339 date = rows modified since; else a
// continueFrom token), with includeRecentChanges=true, so rows already
// read may come again: apply them by id and modifiedOn. It calls row for
// each row as it is decoded from the answer (a page of 5000 rows is never
// held), and returns the page's continueFrom and hasMore.
//
// When err is not nil the page failed, whatever row was already given:
// discard those rows, and keep the cursor where it was. The page is then
// malformed (err matches ErrMalformedResponse: not JSON, cut off, or a
// row without its id, active flag or modifiedOn), or row returned err (it
// is returned as is, and no more rows are read), or ServiceTitan refused
// the call: a bad or expired token is a 400 matching ErrValidation, after
// which the caller starts again from a date. The call is a read, retried
// as any other before the page begins; row runs while the answer is being
// read, within the client's per-call timeout (Config.Timeout), so it
// should only collect the rows.
func (c *Client) ExportCustomers(ctx context.Context, from ExportCursor, row func(ExportCustomer) error) (next ExportCursor, hasMore bool, err error) {
	return readExport(ctx, c, OpExportCustomers, "/export/customers", from, exportCustomerWire.row, row)
}

// ExportContacts reads one page of the contacts feed as ExportCustomers
// reads the customers feed. Rows carry their customer's id; a removed
// contact comes as a row with Active false.
func (c *Client) ExportContacts(ctx context.Context, from ExportCursor, row func(ExportContact) error) (next ExportCursor, hasMore bool, err error) {
	return readExport(ctx, c, OpExportContacts, "/export/customers/contacts", from, exportContactWire.row, row)
}

// ExportLocations reads one page of the locations feed as ExportCustomers
// reads the customers feed. Rows carry their customer's id, and MergedToID
// for a location merged into another.
func (c *Client) ExportLocations(ctx context.Context, from ExportCursor, row func(ExportLocation) error) (next ExportCursor, hasMore bool, err error) {
	return readExport(ctx, c, OpExportLocations, "/export/locations", from, exportLocationWire.row, row)
}

// ExportLocationContacts reads one page of the location contacts feed as
// ExportContacts reads the customer contacts feed. Rows carry their
// location's id; a removed contact comes as a row with Active false.
func (c *Client) ExportLocationContacts(ctx context.Context, from ExportCursor, row func(ExportLocationContact) error) (next ExportCursor, hasMore bool, err error) {
	return readExport(ctx, c, OpExportLocationContacts, "/export/locations/contacts", from, exportLocationContactWire.row, row)
}

func readExport[W, T any](ctx context.Context, c *Client, op, path string, from ExportCursor, check func(W) (T, error), row func(T) error) (ExportCursor, bool, error) {
	q := url.Values{"includeRecentChanges": {"true"}}
	if from != "" {
		q.Set("from", from)
	}
	var next ExportCursor
	var hasMore bool
	var rowErr error
	err := c.call(ctx, op, http.MethodGet, path, q, nil, func(body io.Reader) error {
		var err error
		next, hasMore, err = decodeExportPage(io.LimitReader(body, maxExportBody), check, func(t T) error {
			rowErr = row(t)
			return rowErr
		})
		return err
	})
	if rowErr != nil {
		return "", false, rowErr
	}
	if err != nil {
		return "", false, err
	}
	return next, hasMore, nil
}

// decodeExportPage reads {"data": [...], "hasMore": ..., "continueFrom":
// ...} from r, in any order and ignoring other fields, decoding each row
// into a W, checking it and passing it to row as it comes. An error from
// row is returned as is; any other error says the page is malformed.
func decodeExportPage[W, T any](r io.Reader, check func(W) (T, error), row func(T) error) (next string, hasMore bool, err error) {
	dec := json.NewDecoder(r)
	if err := wantDelim(dec, '{'); err != nil {
		return "", false, err
	}
	var sawData, sawHasMore, sawNext bool
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", false, err
		}
		switch name, _ := key.(string); {
		case strings.EqualFold(name, "data"):
			if err := wantDelim(dec, '['); err != nil {
				return "", false, fmt.Errorf("data: %w", err)
			}
			for n := 0; dec.More(); n++ {
				var w W
				if err := dec.Decode(&w); err != nil {
					return "", false, fmt.Errorf("data[%d]: %w", n, err)
				}
				t, err := check(w)
				if err != nil {
					return "", false, fmt.Errorf("data[%d]: %w", n, err)
				}
				if err := row(t); err != nil {
					return "", false, err
				}
			}
			if err := wantDelim(dec, ']'); err != nil {
				return "", false, fmt.Errorf("data: %w", err)
			}
			sawData = true
		case strings.EqualFold(name, "hasMore"):
			var v *bool
			if err := dec.Decode(&v); err != nil {
				return "", false, fmt.Errorf("hasMore: %w", err)
			}
			if v == nil {
				return "", false, errors.New("hasMore is null")
			}
			hasMore, sawHasMore = *v, true
		case strings.EqualFold(name, "continueFrom"):
			var v *string
			if err := dec.Decode(&v); err != nil {
				return "", false, fmt.Errorf("continueFrom: %w", err)
			}
			if v == nil || *v == "" { // as a cursor, it would start the feed over
				return "", false, errors.New("continueFrom is empty")
			}
			next, sawNext = *v, true
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", false, err
			}
		}
	}
	if err := wantDelim(dec, '}'); err != nil {
		return "", false, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "", false, errors.New("data after the page")
	}
	if !sawData || !sawHasMore || !sawNext {
		return "", false, fmt.Errorf("the page lacks %s", missing(map[string]bool{"data": sawData, "hasMore": sawHasMore, "continueFrom": sawNext}))
	}
	return next, hasMore, nil
}

func wantDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v where %v belongs", tok, want)
	}
	return nil
}

// missing names the fields that are not there, in a stable order.
func missing(present map[string]bool) string {
	var names []string
	for _, name := range []string{"id", "customerId", "locationId", "active", "modifiedOn", "data", "hasMore", "continueFrom"} {
		if ok, asked := present[name]; asked && !ok {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// exportedContactWire is what a row of either contacts feed holds besides
// its owner's id; the pointers tell a missing field from a zero one.
type exportedContactWire struct {
	contactWire
	Active     *bool    `json:"active"`
	ModifiedOn *apiTime `json:"modifiedOn"`
}

// contact checks the row, whose owner's id (owner: its field's name) is
// ownerID, and returns its contact and active flag.
func (w exportedContactWire) contact(owner string, ownerID int64) (Contact, bool, error) {
	if w.ID <= 0 || ownerID <= 0 || w.Active == nil || w.ModifiedOn == nil {
		return Contact{}, false, fmt.Errorf("contact row %d lacks %s", w.ID, missing(map[string]bool{
			"id": w.ID > 0, owner: ownerID > 0, "active": w.Active != nil, "modifiedOn": w.ModifiedOn != nil,
		}))
	}
	c := w.contactWire.contact()
	c.ModifiedOn = time.Time(*w.ModifiedOn)
	return c, *w.Active, nil
}

// exportContactWire is a customer contacts feed row as ServiceTitan sends it.
type exportContactWire struct {
	exportedContactWire
	CustomerID int64 `json:"customerId"`
}

func (w exportContactWire) row() (ExportContact, error) {
	c, active, err := w.contact("customerId", w.CustomerID)
	if err != nil {
		return ExportContact{}, err
	}
	return ExportContact{
		ID: c.ID, CustomerID: w.CustomerID, Type: c.Type, Value: c.Value, Memo: c.Memo,
		PhoneSettings: c.PhoneSettings, Preferences: c.Preferences,
		CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn, Active: active,
	}, nil
}

// exportLocationContactWire is a location contacts feed row.
type exportLocationContactWire struct {
	exportedContactWire
	LocationID int64 `json:"locationId"`
}

func (w exportLocationContactWire) row() (ExportLocationContact, error) {
	c, active, err := w.contact("locationId", w.LocationID)
	if err != nil {
		return ExportLocationContact{}, err
	}
	return ExportLocationContact{
		ID: c.ID, LocationID: w.LocationID, Type: c.Type, Value: c.Value, Memo: c.Memo,
		PhoneSettings: c.PhoneSettings, Preferences: c.Preferences,
		CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn, Active: active,
	}, nil
}

// exportLocationWire is a locations feed row.
type exportLocationWire struct {
	locationWire
	Active     *bool    `json:"active"`
	ModifiedOn *apiTime `json:"modifiedOn"`
	MergedToID *int64   `json:"mergedToId"`
}

func (w exportLocationWire) row() (ExportLocation, error) {
	if w.ID <= 0 || w.CustomerID <= 0 || w.Active == nil || w.ModifiedOn == nil {
		return ExportLocation{}, fmt.Errorf("location row %d lacks %s", w.ID, missing(map[string]bool{
			"id": w.ID > 0, "customerId": w.CustomerID > 0, "active": w.Active != nil, "modifiedOn": w.ModifiedOn != nil,
		}))
	}
	l := w.location()
	out := ExportLocation{
		ID: l.ID, CustomerID: l.CustomerID, Name: l.Name, Address: l.Address, Active: *w.Active,
		CreatedOn: l.CreatedOn, ModifiedOn: time.Time(*w.ModifiedOn),
	}
	if w.MergedToID != nil {
		out.MergedToID = *w.MergedToID
	}
	return out, nil
}

// exportCustomerWire is a customers feed row as ServiceTitan sends it.
type exportCustomerWire struct {
	customerWire
	Active     *bool    `json:"active"`
	ModifiedOn *apiTime `json:"modifiedOn"`
}

func (w exportCustomerWire) row() (ExportCustomer, error) {
	if w.ID <= 0 || w.Active == nil || w.ModifiedOn == nil {
		return ExportCustomer{}, fmt.Errorf("customer row %d lacks %s", w.ID, missing(map[string]bool{
			"id": w.ID > 0, "active": w.Active != nil, "modifiedOn": w.ModifiedOn != nil,
		}))
	}
	c := w.customer()
	return ExportCustomer{
		ID: c.ID, Name: c.Name, Type: c.Type, Address: c.Address, Active: *w.Active,
		CreatedOn: c.CreatedOn, ModifiedOn: time.Time(*w.ModifiedOn),
	}, nil
}
