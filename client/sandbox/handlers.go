package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactdesk/contactdesk/client"
)

// Problem types ServiceTitan (ASP.NET Core) puts in RFC 7807 bodies.
const (
	problemTypeBadRequest = "https://tools.ietf.org/html/rfc7231#section-6.5.1"
	problemTypeForbidden  = "https://tools.ietf.org/html/rfc7231#section-6.5.3"
	problemTypeNotFound   = "https://tools.ietf.org/html/rfc7231#section-6.5.4"
	problemTypeConflict   = "https://tools.ietf.org/html/rfc7231#section-6.5.8"

	// TitleValidation is the title of every 400 problem body.
	TitleValidation = "One or more validation errors occurred."
	// TitleDuplicate is the title of the 409 answer to a PATCH whose value
	// another contact of the same customer already has.
	TitleDuplicate = "A contact with this value already exists for this customer."
	// TitleLocationDuplicate is the title of the 409 of a location's contact.
	TitleLocationDuplicate = "A contact with this value already exists for this location."
	// TitleCustomerNotFound, TitleLocationNotFound and TitleContactNotFound
	// are the titles of 404s.
	TitleCustomerNotFound = "Customer not found"
	TitleLocationNotFound = "Location not found"
	TitleContactNotFound  = "Contact not found"
	// TitleTenantNotConnected is the title of the 403 for another tenant.
	TitleTenantNotConnected = "The tenant has not connected this application"
)

// Keys of the "errors" object of 400 bodies, in ASP.NET style. KeyBody is
// used for an empty (or null) body, KeyMalformedBody for a body that is not a
// JSON object; the others name the offending request field. Query and path
// parameters use their own names: "page", "pageSize", "includeTotal", "ids",
// "active", "id", "contactId".
const (
	KeyBody                         = ""
	KeyMalformedBody                = "$"
	KeyType                         = "Type"
	KeyValue                        = "Value"
	KeyMemo                         = "Memo"
	KeyPreferences                  = "Preferences"
	KeyJobRemindersEnabled          = "Preferences.JobRemindersEnabled"
	KeyMarketingUpdatesEnabled      = "Preferences.MarketingUpdatesEnabled"
	KeyInvoiceStatementNotification = "Preferences.InvoiceStatementNotification"
	KeyInvoiceNotification          = "Preferences.InvoiceNotification"
	KeyStatementNotification        = "Preferences.StatementNotification"
)

// ---- wire format ----

// Timestamp layouts: contacts carry ServiceTitan's seven fractional digits
// and no zone designator (UTC); customers the same with a Z.
const (
	contactTimeLayout  = "2006-01-02T15:04:05.0000000"
	customerTimeLayout = "2006-01-02T15:04:05.0000000Z"
)

type problemBody struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors"`
	Data    map[string]any      `json:"data"`
}

type pageBody[T any] struct {
	Page       int  `json:"page"`
	PageSize   int  `json:"pageSize"`
	HasMore    bool `json:"hasMore"`
	TotalCount *int `json:"totalCount"`
	Data       []T  `json:"data"`
}

type contactBody struct {
	ID            int64                 `json:"id"`
	Type          client.ContactType    `json:"type"`
	Value         string                `json:"value"`
	Memo          *string               `json:"memo"`
	ModifiedOn    string                `json:"modifiedOn"`
	PhoneSettings *client.PhoneSettings `json:"phoneSettings"`
	CreatedOn     string                `json:"createdOn"`
	Preferences   *client.Preferences   `json:"preferences"`
}

type addressBody struct {
	Street    string  `json:"street"`
	Unit      *string `json:"unit"`
	City      string  `json:"city"`
	State     string  `json:"state"`
	Zip       string  `json:"zip"`
	Country   string  `json:"country"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

type customerBody struct {
	ID           int64       `json:"id"`
	Active       bool        `json:"active"`
	Name         string      `json:"name"`
	Type         string      `json:"type"`
	Address      addressBody `json:"address"`
	CustomFields []any       `json:"customFields"`
	Balance      float64     `json:"balance"`
	TagTypeIDs   []int64     `json:"tagTypeIds"`
	DoNotMail    bool        `json:"doNotMail"`
	DoNotService bool        `json:"doNotService"`
	CreatedOn    string      `json:"createdOn"`
	CreatedByID  int64       `json:"createdById"`
	ModifiedOn   string      `json:"modifiedOn"`
	MergedToID   *int64      `json:"mergedToId"`
	ExternalData []any       `json:"externalData"`
}

func toContactBody(c client.Contact) contactBody {
	c = cloneContact(c)
	b := contactBody{
		ID:            c.ID,
		Type:          c.Type,
		Value:         c.Value,
		ModifiedOn:    c.ModifiedOn.UTC().Format(contactTimeLayout),
		PhoneSettings: c.PhoneSettings,
		CreatedOn:     c.CreatedOn.UTC().Format(contactTimeLayout),
		Preferences:   c.Preferences,
	}
	if c.Memo != "" { // ServiceTitan sends null for a contact without a memo
		b.Memo = &c.Memo
	}
	return b
}

func toAddressBody(a client.Address, latitude, longitude float64) addressBody {
	b := addressBody{
		Street: a.Street, City: a.City, State: a.State, Zip: a.Zip, Country: a.Country,
		Latitude: latitude, Longitude: longitude,
	}
	if a.Unit != "" {
		b.Unit = &a.Unit
	}
	return b
}

func toCustomerBody(rec *customerRecord) customerBody {
	c := rec.customer
	return customerBody{
		ID: c.ID, Active: c.Active, Name: c.Name, Type: c.Type, Address: toAddressBody(c.Address, rec.latitude, rec.longitude),
		CustomFields: []any{}, TagTypeIDs: []int64{},
		CreatedOn:   c.CreatedOn.UTC().Format(customerTimeLayout),
		CreatedByID: rec.createdByID,
		ModifiedOn:  c.ModifiedOn.UTC().Format(customerTimeLayout),
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen with the types above
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", textContentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg)
}

func newProblem(status int, title string, errs map[string][]string) problemBody {
	typ := problemTypeBadRequest
	switch status {
	case http.StatusForbidden:
		typ = problemTypeForbidden
	case http.StatusNotFound:
		typ = problemTypeNotFound
	case http.StatusConflict:
		typ = problemTypeConflict
	}
	if errs == nil {
		errs = map[string][]string{}
	}
	return problemBody{Type: typ, Title: title, Status: status, TraceID: traceID(), Errors: errs, Data: map[string]any{}}
}

func writeProblem(w http.ResponseWriter, status int, title string, errs map[string][]string) {
	writeJSON(w, status, newProblem(status, title, errs))
}

func writeValidation(w http.ResponseWriter, errs map[string][]string) {
	writeProblem(w, http.StatusBadRequest, TitleValidation, errs)
}

func traceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- token endpoint and authentication ----

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
		id, secret = formUnescape(user), formUnescape(pass)
	}
	if id == "" || id != s.creds.ClientID || secret != s.creds.ClientSecret {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	token := s.accessToken
	if token == "" {
		token = rand.Text() + rand.Text()
	}
	now := s.now()
	s.mu.Lock()
	for t, exp := range s.tokens {
		if !now.Before(exp) {
			delete(s.tokens, t)
		}
	}
	s.tokens[token] = now.Add(s.tokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"expires_in":   int(s.tokenLifetime.Seconds()),
		"token_type":   "Bearer",
		"scope":        tokenScope,
	})
}

func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// authorize checks the bearer token, the app key and the tenant, answering
// the request itself when one is wrong.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	const scheme = "Bearer "
	valid := false
	if len(auth) > len(scheme) && strings.EqualFold(auth[:len(scheme)], scheme) {
		token := strings.TrimSpace(auth[len(scheme):])
		now := s.now()
		s.mu.Lock()
		exp, ok := s.tokens[token]
		s.mu.Unlock()
		valid = ok && now.Before(exp)
	}
	if !valid {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeText(w, http.StatusUnauthorized, "Unauthorized")
		return false
	}
	if r.Header.Get("ST-App-Key") != s.creds.AppKey {
		writeText(w, http.StatusUnauthorized, "App key is missing or invalid")
		return false
	}
	tenant, err := strconv.ParseInt(r.PathValue("tenant"), 10, 64)
	if err != nil {
		writeProblem(w, http.StatusNotFound, "Not Found", nil)
		return false
	}
	if tenant != s.creds.TenantID {
		writeProblem(w, http.StatusForbidden, TitleTenantNotConnected, nil)
		return false
	}
	return true
}

// ---- query parsing ----

// query reads query parameters case-insensitively, as ASP.NET does.
type query map[string]string

func parseQuery(r *http.Request) query {
	q := query{}
	for k, vs := range r.URL.Query() {
		lk := strings.ToLower(k)
		if _, seen := q[lk]; !seen && len(vs) > 0 {
			q[lk] = vs[0]
		}
	}
	return q
}

func (q query) get(name string) (string, bool) {
	v, ok := q[strings.ToLower(name)]
	return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
}

func notValid(v string) string { return fmt.Sprintf("The value '%s' is not valid.", v) }

func addErr(errs map[string][]string, key, msg string) { errs[key] = append(errs[key], msg) }

type paging struct {
	page, size   int
	includeTotal bool
}

// parsePaging reads page, pageSize and includeTotal; no page is larger
// than maxSize.
func parsePaging(q query, errs map[string][]string, maxSize int) paging {
	p := paging{page: 1, size: min(defaultPageSize, maxSize)}
	if v, ok := q.get("page"); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			addErr(errs, "page", notValid(v))
		case n < 1:
			addErr(errs, "page", "The field page must be between 1 and 2147483647.")
		default:
			p.page = n
		}
	}
	if v, ok := q.get("pageSize"); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			addErr(errs, "pageSize", notValid(v))
		case n < 1:
			addErr(errs, "pageSize", "The field pageSize must be between 1 and 2147483647.")
		default:
			p.size = min(n, maxSize)
		}
	}
	if v, ok := q.get("includeTotal"); ok {
		switch strings.ToLower(v) {
		case "true":
			p.includeTotal = true
		case "false":
		default:
			addErr(errs, "includeTotal", notValid(v))
		}
	}
	return p
}

func paginate[T any](items []T, p paging) pageBody[T] {
	page := newPageCollector[T](p)
	for _, item := range items {
		if !page.add(func() T { return item }) {
			break
		}
	}
	return page.body()
}

// pageCollector makes one page of a list from its items as they come, in
// order, keeping only those on the page: a list of generated customers is
// never held whole.
type pageCollector[T any] struct {
	p    paging
	seen int
	out  pageBody[T]
}

func newPageCollector[T any](p paging) *pageCollector[T] {
	return &pageCollector[T]{p: p, out: pageBody[T]{Page: p.page, PageSize: p.size, Data: []T{}}}
}

// add counts the next item and keeps it, made by item, when it is on the
// page. It reports whether more items are wanted: past the page, only for
// the total.
func (c *pageCollector[T]) add(item func() T) bool {
	start := (c.p.page - 1) * c.p.size
	switch {
	case start < 0: // overflow: no such page
	case c.seen >= start+c.p.size:
		c.out.HasMore = true
	case c.seen >= start:
		c.out.Data = append(c.out.Data, item())
	}
	c.seen++
	return !c.out.HasMore || c.p.includeTotal
}

func (c *pageCollector[T]) body() pageBody[T] {
	if c.p.includeTotal {
		n := c.seen
		c.out.TotalCount = &n
	}
	return c.out
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---- customers ----

func (s *Server) handleListCustomers(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r)
	errs := map[string][]string{}
	p := parsePaging(q, errs, s.pageSizeCap())

	ids := parseIDs(q, errs)
	active := parseActive(q, errs)
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	name, _ := q.get("name")
	name = strings.ToLower(name)
	phoneQuery, hasPhone := q.get("phone")
	phone := digitsOf(phoneQuery)
	if len(phone) == 11 && phone[0] == '1' {
		phone = phone[1:] // +1 country code
	}
	street, _ := q.get("street")
	city, _ := q.get("city")
	zip, _ := q.get("zip")

	s.mu.Lock()
	page := newPageCollector[customerBody](p)
	customers := s.allCustomersLocked(hasPhone, false)
	if ids != nil {
		customers = s.customersByIDLocked(ids)
	}
	for rec := range customers {
		c := rec.customer
		switch {
		case !active(c.Active):
			continue
		case ids != nil && !ids[c.ID]:
			continue
		case name != "" && !strings.Contains(strings.ToLower(c.Name), name):
			continue
		case !containsFold(c.Address.Street, street), !containsFold(c.Address.City, city), !containsFold(c.Address.Zip, zip):
			continue
		case hasPhone && !rec.hasPhoneDigits(phone):
			continue
		}
		if !page.add(func() customerBody { return toCustomerBody(rec) }) {
			break
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, page.body())
}

// parseIDs reads the ids parameter (nil: not given).
func parseIDs(q query, errs map[string][]string) map[int64]bool {
	v, ok := q.get("ids")
	if !ok {
		return nil
	}
	ids := map[int64]bool{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			addErr(errs, "ids", notValid(v))
			break
		}
		ids[id] = true
	}
	return ids
}

// parseActive reads the active parameter (True, the default, Any or
// False) as the test a record's active flag must pass.
func parseActive(q query, errs map[string][]string) func(active bool) bool {
	v, ok := q.get("active")
	if !ok {
		v = "true"
	}
	switch strings.ToLower(v) {
	case "true":
		return func(active bool) bool { return active }
	case "false":
		return func(active bool) bool { return !active }
	case "any":
	default:
		addErr(errs, "active", notValid(v))
	}
	return func(bool) bool { return true }
}

// customersByIDLocked yields the customers with the given ids that exist,
// in id order, without going through all of them.
func (s *Server) customersByIDLocked(ids map[int64]bool) iter.Seq[*customerRecord] {
	return func(yield func(*customerRecord) bool) {
		for _, id := range slices.Sorted(maps.Keys(ids)) {
			if rec, ok := s.recordLocked(id); ok && !yield(rec) {
				return
			}
		}
	}
}

func containsFold(s, sub string) bool {
	return sub == "" || strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// hasPhoneDigits reports whether one of the customer's phone, mobile or fax
// numbers contains the digits d. A query without digits matches nothing.
func (rec *customerRecord) hasPhoneDigits(d string) bool {
	if d == "" {
		return false
	}
	for _, c := range rec.contacts {
		if c.Type.IsPhoneNumber() && strings.Contains(digitsOf(c.Value), d) {
			return true
		}
	}
	return false
}

// pathIDs parses the named path parameters as int64 ids; on failure it
// answers 400 and returns false.
func pathIDs(w http.ResponseWriter, r *http.Request, names ...string) ([]int64, bool) {
	errs := map[string][]string{}
	ids := make([]int64, len(names))
	for i, name := range names {
		v := r.PathValue(name)
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			addErr(errs, name, notValid(v))
		}
		ids[i] = id
	}
	if len(errs) > 0 {
		writeValidation(w, errs)
		return nil, false
	}
	return ids, true
}

func (s *Server) handleGetCustomer(w http.ResponseWriter, r *http.Request) {
	serveOne(s, w, r, TitleCustomerNotFound, func(id int64) (customerBody, bool) {
		rec, found := s.recordLocked(id)
		if !found {
			return customerBody{}, false
		}
		return toCustomerBody(rec), true
	})
}

// serveOne answers a GET of the record whose id is in the path with the
// body find makes of it (under the lock), or a 404 titled notFound.
func serveOne[T any](s *Server, w http.ResponseWriter, r *http.Request, notFound string, find func(id int64) (T, bool)) {
	ids, ok := pathIDs(w, r, "id")
	if !ok {
		return
	}
	s.mu.Lock()
	body, found := find(ids[0])
	s.mu.Unlock()
	if !found {
		writeProblem(w, http.StatusNotFound, notFound, nil)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// readBody reads a request's JSON body, or answers 400 when it cannot be
// read (over maxRequestBody, or cut off).
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeValidation(w, map[string][]string{KeyMalformedBody: {"The request body could not be read."}})
		return nil, false
	}
	return body, true
}

// ---- contacts ----

// handleListContacts answers Customers_GetContactList or
// Locations_GetContactList.
func (s *Server) handleListContacts(kind ownerKind, w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id")
	if !ok {
		return
	}
	errs := map[string][]string{}
	p := parsePaging(parseQuery(r), errs, s.pageSizeCap())
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	s.mu.Lock()
	o, found := s.ownerLocked(kind, ids[0])
	var all []contactBody
	if found {
		all = make([]contactBody, len(*o.contacts))
		for i, c := range *o.contacts {
			all[i] = toContactBody(c)
		}
	}
	s.mu.Unlock()
	if !found {
		writeProblem(w, http.StatusNotFound, kind.notFound(), nil)
		return
	}
	writeJSON(w, http.StatusOK, paginate(all, p))
}

// patchRequest is a decoded UpdateCustomerContactRequest; nil is "not sent".
type patchRequest struct {
	typ   *client.ContactType
	value *string
	memo  *string
	prefs *prefsRequest
}

type prefsRequest struct {
	jobReminders, marketing, invoiceStatement bool
	invoice, statement                        *bool
}

const (
	msgNotString  = "The JSON value could not be converted to System.String."
	msgNotBoolean = "The JSON value could not be converted to System.Boolean."
)

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// decodeString decodes an optional string field, recording a type error.
func decodeString(raw json.RawMessage, key string, errs map[string][]string) *string {
	if isAbsent(raw) {
		return nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		addErr(errs, key, msgNotString)
		return nil
	}
	return &v
}

// decodeBool decodes a preferences flag; required flags that are absent are
// reported as ASP.NET reports a missing [Required] property.
func decodeBool(raw json.RawMessage, name string, required bool, errs map[string][]string) *bool {
	key := KeyPreferences + "." + name
	if isAbsent(raw) {
		if required {
			addErr(errs, key, fmt.Sprintf("The %s field is required.", name))
		}
		return nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		addErr(errs, key, msgNotBoolean)
		return nil
	}
	return &v
}

// decodePatch does what ASP.NET model binding does with the body: JSON
// syntax, field types, the contact type enum, required preference flags and
// the memo length. Unknown fields are ignored; field names match
// case-insensitively.
func decodePatch(body []byte) (patchRequest, map[string][]string) {
	errs := map[string][]string{}
	var req patchRequest
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		addErr(errs, KeyBody, "A non-empty request body is required.")
		return req, errs
	}
	var raw struct {
		Type        json.RawMessage `json:"type"`
		Value       json.RawMessage `json:"value"`
		Memo        json.RawMessage `json:"memo"`
		Preferences json.RawMessage `json:"preferences"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		addErr(errs, KeyMalformedBody, jsonErrorMessage(err))
		return req, errs
	}
	if !isAbsent(raw.Type) {
		var s string
		if err := json.Unmarshal(raw.Type, &s); err != nil {
			addErr(errs, KeyType, "The JSON value could not be converted to Crm.V2.ContactType.")
		} else if t, ok := client.ParseContactType(s); !ok {
			addErr(errs, KeyType, fmt.Sprintf("The value '%s' is not a valid contact type. Valid types are Phone, MobilePhone, Email and Fax.", s))
		} else {
			req.typ = &t
		}
	}
	req.value = decodeString(raw.Value, KeyValue, errs)
	req.memo = decodeString(raw.Memo, KeyMemo, errs)
	if req.memo != nil && utf8.RuneCountInString(*req.memo) > maxMemoLength {
		addErr(errs, KeyMemo, fmt.Sprintf("The field Memo must be a string with a maximum length of %d.", maxMemoLength))
	}
	if !isAbsent(raw.Preferences) {
		var p struct {
			JobRemindersEnabled          json.RawMessage `json:"jobRemindersEnabled"`
			MarketingUpdatesEnabled      json.RawMessage `json:"marketingUpdatesEnabled"`
			InvoiceStatementNotification json.RawMessage `json:"invoiceStatementNotification"`
			InvoiceNotification          json.RawMessage `json:"invoiceNotification"`
			StatementNotification        json.RawMessage `json:"statementNotification"`
		}
		if err := json.Unmarshal(raw.Preferences, &p); err != nil || !bytes.HasPrefix(bytes.TrimSpace(raw.Preferences), []byte("{")) {
			addErr(errs, KeyPreferences, "The JSON value could not be converted to Crm.V2.Customers.ContactPreferencesRequest.")
		} else {
			job := decodeBool(p.JobRemindersEnabled, "JobRemindersEnabled", true, errs)
			mkt := decodeBool(p.MarketingUpdatesEnabled, "MarketingUpdatesEnabled", true, errs)
			inv := decodeBool(p.InvoiceStatementNotification, "InvoiceStatementNotification", true, errs)
			pr := &prefsRequest{
				invoice:   decodeBool(p.InvoiceNotification, "InvoiceNotification", false, errs),
				statement: decodeBool(p.StatementNotification, "StatementNotification", false, errs),
			}
			if job != nil && mkt != nil && inv != nil {
				pr.jobReminders, pr.marketing, pr.invoiceStatement = *job, *mkt, *inv
				req.prefs = pr
			}
		}
	}
	return req, errs
}

func jsonErrorMessage(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("The request body is not valid JSON: %s (byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		return "The JSON value could not be converted to Crm.V2.Customers.UpdateCustomerContactRequest."
	}
	return "The request body is not valid JSON."
}

var emailPattern = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@.]{2,}$`)

// validateValue checks a contact's value against its type, as ServiceTitan
// stores it: phone numbers as exactly ten digits, emails as addresses.
func validateValue(t client.ContactType, v string) string {
	switch {
	case strings.TrimSpace(v) == "":
		return "The Value field is required."
	case t == client.ContactEmail:
		if !emailPattern.MatchString(v) {
			return fmt.Sprintf("'%s' is not a valid email address.", v)
		}
	case t.IsPhoneNumber():
		if len(v) != 10 || digitsOf(v) != v {
			kind := "phone"
			if t == client.ContactFax {
				kind = "fax"
			}
			return fmt.Sprintf("A %s number must be exactly 10 digits, with no spaces or punctuation.", kind)
		}
	}
	return ""
}

// sameValue reports whether two contacts hold the same number or address:
// phone, mobile and fax numbers compare by digits, emails case-insensitively.
func sameValue(t1 client.ContactType, v1 string, t2 client.ContactType, v2 string) bool {
	switch {
	case t1.IsPhoneNumber() && t2.IsPhoneNumber():
		return digitsOf(v1) != "" && digitsOf(v1) == digitsOf(v2)
	case t1 == client.ContactEmail && t2 == client.ContactEmail:
		return strings.EqualFold(strings.TrimSpace(v1), strings.TrimSpace(v2))
	}
	return false
}

// applyPreferences builds the stored preferences from the request. A split
// 2026 flag the request omits follows invoiceStatementNotification when the
// record has it ("setting this will update both").
func applyPreferences(old *client.Preferences, req *prefsRequest) *client.Preferences {
	p := &client.Preferences{
		JobRemindersEnabled:          req.jobReminders,
		MarketingUpdatesEnabled:      req.marketing,
		InvoiceStatementNotification: req.invoiceStatement,
	}
	var oldInvoice, oldStatement *bool
	if old != nil {
		oldInvoice, oldStatement = old.InvoiceNotification, old.StatementNotification
	}
	pick := func(sent, had *bool) *bool {
		switch {
		case sent != nil:
			return cloneBool(sent)
		case had != nil:
			v := req.invoiceStatement
			return &v
		}
		return nil
	}
	p.InvoiceNotification = pick(req.invoice, oldInvoice)
	p.StatementNotification = pick(req.statement, oldStatement)
	return p
}

// handleUpdateContact answers Customers_UpdateContact or
// Locations_UpdateContact.
func (s *Server) handleUpdateContact(kind ownerKind, w http.ResponseWriter, r *http.Request) {
	ids, ok := pathIDs(w, r, "id", "contactId")
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, errs := decodePatch(body)
	if _, ok := errs[KeyBody]; ok {
		writeValidation(w, errs)
		return
	}
	if _, ok := errs[KeyMalformedBody]; ok {
		writeValidation(w, errs)
		return
	}
	now := s.now()

	s.mu.Lock()
	status, resp := s.updateContactLocked(kind, ids[0], ids[1], req, errs, now)
	s.mu.Unlock()
	writeJSON(w, status, resp)
}

// updateContactLocked validates and applies a PATCH to a contact of the
// customer or location ownerID, returning the status and body to answer
// with. errs holds the field errors model binding found; they win over a
// 404, as in ASP.NET, and are reported together with the errors that need
// the stored record (the value against the resulting type).
func (s *Server) updateContactLocked(kind ownerKind, ownerID, contactID int64, req patchRequest, errs map[string][]string, now time.Time) (int, any) {
	o, ok := s.ownerLocked(kind, ownerID)
	i := -1
	if ok {
		i = contactIndex(*o.contacts, contactID)
	}
	switch {
	case i < 0 && len(errs) > 0:
		return http.StatusBadRequest, newProblem(http.StatusBadRequest, TitleValidation, errs)
	case !ok:
		return http.StatusNotFound, newProblem(http.StatusNotFound, kind.notFound(), nil)
	case i < 0:
		return http.StatusNotFound, newProblem(http.StatusNotFound, TitleContactNotFound, nil)
	}
	cur := (*o.contacts)[i]
	newType, newValue := cur.Type, cur.Value
	if req.typ != nil {
		newType = *req.typ
	}
	if req.value != nil {
		newValue = *req.value
	}
	_, badType := errs[KeyType]
	_, badValue := errs[KeyValue]
	identityChanged := req.typ != nil || req.value != nil
	if identityChanged && !badType && !badValue {
		if msg := validateValue(newType, newValue); msg != "" {
			addErr(errs, KeyValue, msg)
		}
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, newProblem(http.StatusBadRequest, TitleValidation, errs)
	}
	if identityChanged {
		if p, dup := o.duplicate(cur.ID, newType, newValue); dup {
			return http.StatusConflict, p
		}
	}

	c := cloneContact(cur)
	c.Type, c.Value = newType, newValue
	if req.memo != nil {
		c.Memo = *req.memo
	}
	if req.prefs != nil {
		c.Preferences = applyPreferences(cur.Preferences, req.prefs)
	}
	if newType.IsPhoneNumber() {
		doNotText := cur.PhoneSettings != nil && cur.PhoneSettings.DoNotText
		c.PhoneSettings = &client.PhoneSettings{PhoneNumber: newValue, DoNotText: doNotText}
	} else {
		c.PhoneSettings = nil
	}
	c.ModifiedOn = modifiedAfter(now, cur.ModifiedOn)
	s.changedLocked(o.customer, c.ID)
	(*o.contacts)[i] = c
	return http.StatusOK, toContactBody(c)
}

// modifiedAfter is the modifiedOn of a change made at now to a record
// last modified at prev: now, or later than prev if the clock is behind
// it, so that modifiedOn always moves forward.
func modifiedAfter(now, prev time.Time) time.Time {
	if !now.After(prev) {
		return prev.Add(modifiedOnBumpGap)
	}
	return now
}
