// Package sandbox is an in-process fake of ServiceTitan's CRM v2 API: an
// http.Handler that speaks ServiceTitan's wire format (OAuth client
// credentials token endpoint, paged customer and contact lists, the
// Customers_UpdateContact PATCH, Customers_CreateContact POST and
// Customers_DeleteContact DELETE with their validation and RFC 7807 problem
// bodies, the Data Export feeds of customers and contacts), so the real
// client runs against it unchanged.
//
// It serves three purposes: the app's one-command demo backend when no
// credentials are configured, a backend for Go tests, and a backend for
// browser end-to-end tests. Tests can inject faults (error statuses, hangs,
// dropped connections, lost PATCH responses), answer an operation
// themselves with [Server.Intercept], count requests per operation, read
// the last body an operation received, start from their own data
// ([Settings].Seed) and read or overwrite the stored data directly.
//
// Routes (the same paths as ServiceTitan):
//
//	POST   /connect/token
//	GET    /crm/v2/tenant/{tenant}/customers
//	GET    /crm/v2/tenant/{tenant}/customers/{id}
//	GET    /crm/v2/tenant/{tenant}/customers/{id}/contacts
//	PATCH  /crm/v2/tenant/{tenant}/customers/{id}/contacts/{contactId}
//	POST   /crm/v2/tenant/{tenant}/customers/{id}/contacts
//	DELETE /crm/v2/tenant/{tenant}/customers/{id}/contacts/{contactId}
//	GET    /crm/v2/tenant/{tenant}/export/customers
//	GET    /crm/v2/tenant/{tenant}/export/customers/contacts
//	GET    /crm/v2/tenant/{tenant}/locations
//	GET    /crm/v2/tenant/{tenant}/locations/{id}
//	GET    /crm/v2/tenant/{tenant}/locations/{id}/contacts
//	PATCH  /crm/v2/tenant/{tenant}/locations/{id}/contacts/{contactId}
//	POST   /crm/v2/tenant/{tenant}/locations/{id}/contacts
//	DELETE /crm/v2/tenant/{tenant}/locations/{id}/contacts/{contactId}
//	GET    /crm/v2/tenant/{tenant}/export/locations
//	GET    /crm/v2/tenant/{tenant}/export/locations/contacts
//
// The export feeds (Data Export, for keeping a copy of the tenant) are
// described in export.go; service locations and their contacts, which
// have the customer contacts' contract, in locations.go. [WithGeneratedCustomers] adds any number of
// generated customers to the seed ones without holding them in memory
// (generate.go).
//
// A client is configured with APIURL = the server root (it appends
// /crm/v2/tenant/{tenant}/...) and AuthURL = root + "/connect/token", using
// the values of [Server.Credentials]. The seed data is described in seed.go
// (see [SeedCustomerID] and the other Seed constants); it is the same on
// every start, unless [Settings].Seed replaces it.
//
// A Server is safe for concurrent use.
package sandbox

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"iter"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactdesk/contactdesk/client"
)

// Operation names, as in ServiceTitan's API reference. They identify
// operations in [Fault], [Server.Intercept], [Server.Requests] and
// [Server.LastBody].
const (
	OpToken         = "token"
	OpListCustomers = "Customers_GetList"
	OpGetCustomer   = "Customers_Get"
	OpListContacts  = "Customers_GetContactList"
	OpUpdateContact = "Customers_UpdateContact"
	OpCreateContact = "Customers_CreateContact"
	OpDeleteContact = "Customers_DeleteContact"
	// The Data Export feeds (see export.go).
	OpExportCustomers = "Export_Customers"
	OpExportContacts  = "Export_CustomerContacts"
)

const (
	defaultPageSize    = 50
	defaultMaxPageSize = 500
	maxRequestBody     = 1 << 20
	maxMemoLength      = 255
	tokenScope         = "tn.crm.customers:r tn.crm.customers:w"
	jsonContentType    = "application/json; charset=utf-8"
	textContentType    = "text/plain; charset=utf-8"
	defaultTokenLife   = 900 * time.Second
	modifiedOnBumpGap  = time.Millisecond
)

// Credentials are what a client needs to talk to the sandbox: the tenant in
// the API path, the OAuth client id and secret, and the ST-App-Key header.
type Credentials struct {
	TenantID     int64
	ClientID     string
	ClientSecret string
	AppKey       string
}

// DefaultCredentials are the credentials a Server accepts unless its
// [Settings] say otherwise.
var DefaultCredentials = Credentials{
	TenantID:     1000001,
	ClientID:     "sandbox-client",
	ClientSecret: "sandbox-secret",
	AppKey:       "sandbox-app-key",
}

// Settings are what a Server starts with. New starts from the defaults
// (DefaultCredentials, no latency, tokens valid 900 s, the real clock, a
// new random token each time, the seed data of seed.go, no generated
// customers, export pages of 5000 rows) and lets each Option change them.
// The app sets the latency and the generated customers; tests set the
// rest through sandboxtest.
type Settings struct {
	// Credentials are the tenant, client id/secret and app key the server
	// accepts.
	Credentials Credentials
	// Latency delays every API and token answer (see [Server.SetLatency]).
	Latency time.Duration
	// TokenLifetime is how long issued access tokens stay valid (<= 0: 900
	// s, as ServiceTitan). expires_in reports it in whole seconds.
	TokenLifetime time.Duration
	// Clock is used for token expiry and for createdOn and modifiedOn
	// stamps. Latency and hangs always use real time.
	Clock func() time.Time
	// AccessToken, when set, is issued every time instead of a new random
	// token, so that a test can look for it (in logs, in error messages)
	// or check the Authorization header. Revoked, it is valid again once
	// issued again.
	AccessToken string
	// Seed, when not nil, replaces the seed data of seed.go: the server
	// starts with exactly these customers and contacts, stored as given
	// (copies, contacts sorted by id), and [Server.Reset] restores them. A
	// customer id given twice, a contact id given twice for one customer
	// or location, or a location id given twice, panics.
	Seed []Record
	// GeneratedCustomers is how many generated customers follow the seed
	// ones (see [WithGeneratedCustomers]).
	GeneratedCustomers int
	// ExportPageSize is the most rows a page of an export feed holds (< 1:
	// 5000, as ServiceTitan).
	ExportPageSize int
}

// Option changes a Server's Settings.
type Option func(*Settings)

// WithLatency delays every API and token answer by d (see [Server.SetLatency]).
func WithLatency(d time.Duration) Option { return func(s *Settings) { s.Latency = d } }

// A Record is a customer with its contacts and its service locations, for
// [Settings].Seed.
type Record struct {
	Customer  client.Customer
	Contacts  []client.Contact
	Locations []LocationRecord
}

func recordsToCustomers(records []Record) map[int64]*customerRecord {
	out := make(map[int64]*customerRecord, len(records))
	for _, r := range records {
		if _, dup := out[r.Customer.ID]; dup {
			panic(fmt.Sprintf("sandbox: Seed: customer %d given twice", r.Customer.ID))
		}
		rec := &customerRecord{customer: r.Customer, contacts: seedContacts(r.Contacts, "customer", r.Customer.ID)}
		for _, l := range r.Locations {
			l.Location.CustomerID = r.Customer.ID
			rec.locations = append(rec.locations, &locationRecord{location: l.Location, contacts: seedContacts(l.Contacts, "location", l.Location.ID)})
		}
		slices.SortFunc(rec.locations, func(a, b *locationRecord) int { return cmpInt64(a.location.ID, b.location.ID) })
		out[r.Customer.ID] = rec
	}
	seen := map[int64]bool{}
	for _, rec := range out {
		for _, l := range rec.locations {
			if seen[l.location.ID] {
				panic(fmt.Sprintf("sandbox: Seed: location %d given twice", l.location.ID))
			}
			seen[l.location.ID] = true
		}
	}
	return out
}

// seedContacts are copies of the contacts of a record given as Seed,
// sorted by id.
func seedContacts(given []client.Contact, owner string, ownerID int64) []client.Contact {
	contacts := make([]client.Contact, len(given))
	for i, c := range given {
		contacts[i] = cloneContact(c)
	}
	slices.SortFunc(contacts, func(a, b client.Contact) int { return cmpInt64(a.ID, b.ID) })
	for i := 1; i < len(contacts); i++ {
		if contacts[i].ID == contacts[i-1].ID {
			panic(fmt.Sprintf("sandbox: Seed: contact %d of %s %d given twice", contacts[i].ID, owner, ownerID))
		}
	}
	return contacts
}

// Fault makes the server misbehave for matching requests, for tests. Faults
// are matched in the order they were injected; the first matching one is
// used (and consumed when Times > 0).
type Fault struct {
	// Method matches the HTTP method ("" matches any).
	Method string
	// Operation is one of the Op constants ("" matches any operation).
	Operation string
	// Times is how many requests the fault applies to; 0 means until
	// [Server.ClearFaults].
	Times int
	// Status is the status to answer with (500 when zero and neither Hang
	// nor DropConnection is set).
	Status int
	// Body is the response body, sent verbatim (may be empty).
	Body string
	// ContentType of the body; when empty it is JSON for a body starting
	// with '{' or '[' and plain text otherwise.
	ContentType string
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Hang blocks without answering until the request's context is done
	// (the client gave up or the server was stopped).
	Hang bool
	// DropConnection closes the connection without answering.
	DropConnection bool
	// AfterApply runs the real operation first (for UpdateContact: the change
	// is stored) and then fails, hangs or drops instead of sending its
	// answer, whatever that answer was: a lost response.
	AfterApply bool
}

type activeFault struct {
	Fault
	remaining int
}

// An Interceptor answers an operation in the sandbox's place (see
// [Server.Intercept]). apply runs the real operation, with the request's
// body as received, and stores its effect (for UpdateContact: the change).
// Its answer is sent only if the interceptor sends none of its own (writes
// nothing, hijacks nothing): to pass a request through unchanged, call
// apply and return; to lose the answer of an applied change, call apply
// and then hang or drop the connection.
type Interceptor func(w http.ResponseWriter, r *http.Request, apply func())

// Server is the fake ServiceTitan. Create it with [New]; it is an
// http.Handler, and [Server.Start] serves it on a loopback port.
type Server struct {
	creds         Credentials
	tokenLifetime time.Duration
	accessToken   string // issued every time when set
	clock         func() time.Time
	seed          func() map[int64]*customerRecord
	gen           generator
	exportPage    int    // rows per export feed page
	tokenKey      []byte // signs continueFrom tokens
	mux           *http.ServeMux

	mu           sync.Mutex
	latency      time.Duration
	maxPageSize  int
	faults       []*activeFault
	interceptors map[string]Interceptor
	counts       map[string]int
	lastBodies   map[string]string
	tokens       map[string]time.Time // access token -> expiry
	// customers are the seed customers and the generated ones that have
	// changed (see generate.go), by id.
	customers map[int64]*customerRecord
	// tombstones are the contacts removed since the start, by id, as the
	// contacts feed shows them.
	tombstones map[int64]tombstone
	// feedRows are rows added to the contacts feed as given (see
	// [Server.AddContactRow]), by contact id.
	feedRows map[int64]feedRow
	// stalls make a feed stop moving on (see [Server.StallFeed]).
	stalls map[feed]FeedStall
	// changedAt is when the sandbox last changed a contact, by id: its
	// place in the contacts feed (see export.go). Contacts not in it are
	// placed by their modifiedOn.
	changedAt map[int64]time.Time
	// lastChange is the latest place in the feeds; a change goes after it.
	lastChange time.Time
	// lastContactID is the highest contact id given so far (0: not yet
	// worked out from the stored contacts), and lastLocationContactID the
	// same of location contacts.
	lastContactID         int64
	lastLocationContactID int64
	// locationCustomers are the customers of the seed locations, by
	// location id (generated ones are found from their id).
	locationCustomers map[int64]int64
	baseURL           string
}

// tombstone is a removed contact, as the contacts feed (or, with a
// locationID, the location contacts feed) shows it.
type tombstone struct {
	customerID int64
	locationID int64
	contact    client.Contact // as it was, with modifiedOn the time it was removed
	at         time.Time      // its place in the feed
}

// customerRecord is a stored customer with its contacts and its
// locations, sorted by id.
type customerRecord struct {
	customer    client.Customer
	latitude    float64
	longitude   float64
	createdByID int64
	contacts    []client.Contact
	locations   []*locationRecord
}

// New returns a Server loaded with the seed data.
func New(opts ...Option) *Server {
	set := Settings{
		Credentials:    DefaultCredentials,
		TokenLifetime:  defaultTokenLife,
		Clock:          time.Now,
		ExportPageSize: defaultExportPageSize,
	}
	for _, o := range opts {
		o(&set)
	}
	if set.TokenLifetime <= 0 {
		set.TokenLifetime = defaultTokenLife
	}
	if set.ExportPageSize < 1 {
		set.ExportPageSize = defaultExportPageSize
	}
	seed := seedCustomers
	if records := set.Seed; records != nil {
		seed = func() map[int64]*customerRecord { return recordsToCustomers(records) }
	}
	s := &Server{
		creds:         set.Credentials,
		tokenLifetime: set.TokenLifetime,
		accessToken:   set.AccessToken,
		clock:         set.Clock,
		seed:          seed,
		latency:       set.Latency,
		maxPageSize:   defaultMaxPageSize,
		interceptors:  map[string]Interceptor{},
		counts:        map[string]int{},
		lastBodies:    map[string]string{},
		tokens:        map[string]time.Time{},
		exportPage:    set.ExportPageSize,
		tokenKey:      []byte(rand.Text()),
	}
	data := s.seed()
	s.gen = newGenerator(min(max(set.GeneratedCustomers, 0), MaxGeneratedCustomers), data)
	s.loadLocked(data)
	s.mux = http.NewServeMux()
	const base = "/crm/v2/tenant/{tenant}/customers"
	s.mux.HandleFunc("POST /connect/token", s.route(OpToken, false, s.handleToken))
	s.mux.HandleFunc("GET "+base, s.route(OpListCustomers, true, s.handleListCustomers))
	s.mux.HandleFunc("GET "+base+"/{id}", s.route(OpGetCustomer, true, s.handleGetCustomer))
	s.mux.HandleFunc("GET "+base+"/{id}/contacts", s.route(OpListContacts, true, customerOwned.of(s.handleListContacts)))
	s.mux.HandleFunc("PATCH "+base+"/{id}/contacts/{contactId}", s.route(OpUpdateContact, true, customerOwned.of(s.handleUpdateContact)))
	s.mux.HandleFunc("POST "+base+"/{id}/contacts", s.route(OpCreateContact, true, customerOwned.of(s.handleCreateContact)))
	s.mux.HandleFunc("DELETE "+base+"/{id}/contacts/{contactId}", s.route(OpDeleteContact, true, customerOwned.of(s.handleDeleteContact)))
	const export = "/crm/v2/tenant/{tenant}/export/customers"
	s.mux.HandleFunc("GET "+export, s.route(OpExportCustomers, true, s.handleExport(customersFeed)))
	s.mux.HandleFunc("GET "+export+"/contacts", s.route(OpExportContacts, true, s.handleExport(contactsFeed)))
	s.handleLocations()
	return s
}

// ServeHTTP answers like ServiceTitan's API and token endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Credentials returns the credentials the server accepts.
func (s *Server) Credentials() Credentials { return s.creds }

// Start serves the sandbox on 127.0.0.1 at a free port. baseURL is the
// server root (e.g. http://127.0.0.1:43117), to be used as the client's API
// URL; the token URL is baseURL + "/connect/token". stop closes the server
// and every open connection (a hanging request's context is cancelled); it
// may be called more than once.
func (s *Server) Start() (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	baseURL = "http://" + ln.Addr().String()
	s.mu.Lock()
	s.baseURL = baseURL
	s.mu.Unlock()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = srv.Close()
			<-done
		})
	}
	return baseURL, stop, nil
}

// URL is the root URL of the last [Server.Start], or "" if not started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// APIURL is the API host root of the started server, the sandbox's
// equivalent of https://api.servicetitan.io (paths continue with
// /crm/v2/tenant/{tenant}/...). It is "" if the server was not started.
func (s *Server) APIURL() string { return s.URL() }

// TokenURL is the full token URL of the started server, or "" if the server
// was not started.
func (s *Server) TokenURL() string {
	if u := s.URL(); u != "" {
		return u + "/connect/token"
	}
	return ""
}

// TenantURL is the started server's API base for the configured tenant,
// root + "/crm/v2/tenant/{tenant}", or "" if the server was not started.
func (s *Server) TenantURL() string {
	if u := s.URL(); u != "" {
		return fmt.Sprintf("%s/crm/v2/tenant/%d", u, s.creds.TenantID)
	}
	return ""
}

// ClientConfig is the configuration of a client that calls the started
// server with the credentials it accepts: the app's when it runs on the
// embedded sandbox, a test's, a load test's. Timeout and UserAgent are
// left to the caller.
func (s *Server) ClientConfig() client.Config {
	return client.Config{
		APIURL:       s.APIURL(),
		AuthURL:      s.TokenURL(),
		TenantID:     s.creds.TenantID,
		ClientID:     s.creds.ClientID,
		ClientSecret: s.creds.ClientSecret,
		AppKey:       s.creds.AppKey,
	}
}

// SetLatency delays every later API and token answer by d. The wait ends
// early, without an answer, when the request's context is done.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetMaxPageSize sets the largest page the list operations answer with
// (default 500): a request for a larger pageSize, or for the default 50
// when n is smaller, gets n items a page, the answer's pageSize says n and
// hasMore tells the client to ask for the next page, as ServiceTitan caps
// its page sizes. n < 1 restores the default.
func (s *Server) SetMaxPageSize(n int) {
	if n < 1 {
		n = defaultMaxPageSize
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.maxPageSize = n
}

func (s *Server) pageSizeCap() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxPageSize
}

// Intercept has h answer every later request for the operation op (one of
// the Op constants) that passes authentication, instead of the sandbox; a
// nil h removes the interceptor. Injected faults come first: a faulted
// request never reaches h. Requests h answers are counted as any other.
func (s *Server) Intercept(op string, h Interceptor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.interceptors, op)
		return
	}
	s.interceptors[op] = h
}

// LastBody is the body of the last request that reached the operation op,
// as received (before any fault or interceptor), or "" if none has since
// the start or [Server.ResetCounters].
func (s *Server) LastBody(op string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBodies[op]
}

// InjectFault adds a fault after the ones already injected.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{Fault: f, remaining: f.Times})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests reports how many requests reached the operation op (one of the Op
// constants) since the start or [Server.ResetCounters], counting requests
// that were faulted or refused.
func (s *Server) Requests(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[op]
}

// ResetCounters sets every request counter to zero and forgets the last
// bodies.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.counts)
	clear(s.lastBodies)
}

// RevokeTokens invalidates every issued access token, so the next API call
// with one of them gets 401 (as when a token expires early).
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// Reset restores the seed data (and the generated customers as they were
// made), forgets removed contacts, the rows added to the feeds and their
// stalls, and clears faults, interceptors, counters and last bodies. Issued tokens, the latency and the page size cap are
// kept, and so are continueFrom tokens: they now point into the restored
// data.
func (s *Server) Reset() {
	data := s.seed()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadLocked(data)
	s.faults = nil
	clear(s.interceptors)
	clear(s.counts)
	clear(s.lastBodies)
}

// Customers returns every customer, active or not, sorted by id, the
// generated ones included (250,000 of them make a slice of some 60 MB).
func (s *Server) Customers() []client.Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]client.Customer, 0, len(s.customers)+s.gen.n)
	for rec := range s.allCustomersLocked(false, false) {
		out = append(out, rec.customer)
	}
	return out
}

// Customer returns one customer.
func (s *Server) Customer(id int64) (client.Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recordLocked(id)
	if !ok {
		return client.Customer{}, false
	}
	return rec.customer, true
}

// Contacts returns a customer's contacts sorted by id (nil for an unknown
// customer). The results are copies.
func (s *Server) Contacts(customerID int64) []client.Contact {
	return s.ownedContacts(customerOwned, customerID)
}

// Contact returns one contact of a customer (a copy).
func (s *Server) Contact(customerID, contactID int64) (client.Contact, bool) {
	return s.ownedContact(customerOwned, customerID, contactID)
}

// SetContact stores c exactly as given (a copy) as the customer's contact
// with id c.ID, replacing the stored one or adding it; tests use it to
// simulate another person's edit. Nothing is normalised: pass the
// ModifiedOn you want the API to report. The contacts feed shows the change
// after every earlier one, whatever its ModifiedOn. It reports false,
// storing nothing, when the customer does not exist.
func (s *Server) SetContact(customerID int64, c client.Contact) bool {
	return s.setContact(customerOwned, customerID, c)
}

// loadLocked starts over from data, the seed customers. lastChange never
// goes back, so a change after a Reset still comes after every token
// issued before it.
func (s *Server) loadLocked(data map[int64]*customerRecord) {
	s.customers = data
	s.tombstones = map[int64]tombstone{}
	s.feedRows = map[int64]feedRow{}
	s.stalls = map[feed]FeedStall{}
	s.changedAt = map[int64]time.Time{}
	s.locationCustomers = map[int64]int64{}
	s.lastChange = laterOf(s.lastChange, s.gen.latest())
	for _, rec := range data {
		s.lastChange = laterOf(s.lastChange, rec.customer.ModifiedOn)
		for _, c := range rec.contacts {
			s.lastChange = laterOf(s.lastChange, c.ModifiedOn)
		}
		for _, l := range rec.locations {
			s.locationCustomers[l.location.ID] = rec.customer.ID
			s.lastChange = laterOf(s.lastChange, l.location.ModifiedOn)
			for _, c := range l.contacts {
				s.lastChange = laterOf(s.lastChange, c.ModifiedOn)
			}
		}
	}
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordLocked finds a customer: a stored one, or a generated one made
// afresh. A change to a generated record is lost unless [changedLocked]
// stores it.
func (s *Server) recordLocked(id int64) (*customerRecord, bool) {
	if rec, ok := s.customers[id]; ok {
		return rec, true
	}
	if i, ok := s.gen.index(id); ok {
		return s.gen.record(i), true
	}
	return nil, false
}

// changedLocked is called before the contact contactID of rec is changed,
// added or removed: rec is stored from now on, and the contact goes to the
// end of the contacts feed. It returns the contact's place in the feed.
func (s *Server) changedLocked(rec *customerRecord, contactID int64) time.Time {
	s.customers[rec.customer.ID] = rec
	delete(s.tombstones, contactID)
	// Strictly later than any place so far, even when the clock stands
	// still (tests) or is behind the data: a reader that has come to the
	// end must see the change after its token.
	s.lastChange = laterOf(s.now(), s.lastChange.Add(100*time.Nanosecond))
	s.changedAt[contactID] = s.lastChange
	return s.lastChange
}

// allCustomersLocked yields every customer in id order: the stored ones
// and the generated ones that are not stored, made without their contacts
// unless withContacts and without their locations unless withLocations.
func (s *Server) allCustomersLocked(withContacts, withLocations bool) iter.Seq[*customerRecord] {
	return func(yield func(*customerRecord) bool) {
		stored := slices.Sorted(maps.Keys(s.customers))
		k := 0
		for i := range s.gen.n {
			id := s.gen.customerID(i)
			for ; k < len(stored) && stored[k] <= id; k++ {
				if !yield(s.customers[stored[k]]) {
					return
				}
			}
			if _, ok := s.customers[id]; ok {
				continue
			}
			rec, r, place := s.gen.customer(i)
			if withContacts {
				s.gen.addContacts(rec, i, &r, place)
			}
			if withLocations {
				s.gen.addLocations(rec, i, place)
			}
			if !yield(rec) {
				return
			}
		}
		for ; k < len(stored); k++ {
			if !yield(s.customers[stored[k]]) {
				return
			}
		}
	}
}

// contactIndex is the index of the contact id in contacts (sorted by id),
// or -1.
func contactIndex(contacts []client.Contact, id int64) int {
	i, found := slices.BinarySearchFunc(contacts, id, func(c client.Contact, id int64) int { return cmpInt64(c.ID, id) })
	if !found {
		return -1
	}
	return i
}

func cmpInt64(a, b int64) int { return cmp.Compare(a, b) }

func cloneContact(c client.Contact) client.Contact {
	if c.PhoneSettings != nil {
		ps := *c.PhoneSettings
		c.PhoneSettings = &ps
	}
	if c.Preferences != nil {
		p := *c.Preferences
		p.InvoiceNotification = cloneBool(p.InvoiceNotification)
		p.StatementNotification = cloneBool(p.StatementNotification)
		c.Preferences = &p
	}
	return c
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

// now is the server clock in UTC at ServiceTitan's resolution (100 ns, the
// seven fractional digits it prints).
func (s *Server) now() time.Time {
	return s.clock().UTC().Truncate(100 * time.Nanosecond)
}

// route wraps an operation's handler with counting, latency, faults,
// interceptors and (for API operations) authentication.
func (s *Server) route(op string, api bool, operation http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: it is recorded, it can be applied after an
		// interceptor has read it, and a hanging fault notices the client
		// leaving only once the body is read. One byte over the limit
		// keeps an oversized body oversized for the operation.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
		if err != nil {
			return // the client went away mid-body
		}
		s.mu.Lock()
		s.counts[op]++
		s.lastBodies[op] = string(body)
		latency := s.latency
		f, faulted := s.takeFaultLocked(op, r.Method)
		intercept := s.interceptors[op]
		s.mu.Unlock()

		if !sleepCtx(r.Context(), latency) {
			return // the client gave up
		}
		r.Body = io.NopCloser(bytes.NewReader(body)) // for an interceptor
		apply := func(w http.ResponseWriter) {
			r.Body = io.NopCloser(bytes.NewReader(body))
			operation(w, r)
		}
		switch {
		case faulted:
			if f.AfterApply {
				s.serve(&recordedAnswer{}, r, api, apply, nil)
			}
			serveFault(w, r, f)
		default:
			s.serve(w, r, api, apply, intercept)
		}
	}
}

// serve authenticates an API request and answers it with the operation,
// or with the interceptor when there is one.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, api bool, apply func(http.ResponseWriter), intercept Interceptor) {
	if api && !s.authorize(w, r) {
		return
	}
	if intercept == nil {
		apply(w)
		return
	}
	iw := &interceptedWriter{ResponseWriter: w}
	var applied *recordedAnswer
	intercept(iw, r, func() {
		applied = &recordedAnswer{}
		apply(applied)
	})
	if applied != nil && !iw.answered {
		applied.sendTo(w)
	}
}

// takeFaultLocked returns the first fault matching op and method, consuming
// one use of it.
func (s *Server) takeFaultLocked(op, method string) (Fault, bool) {
	for i, f := range s.faults {
		if f.Operation != "" && f.Operation != op {
			continue
		}
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Times > 0 {
			f.remaining--
			if f.remaining <= 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

func serveFault(w http.ResponseWriter, r *http.Request, f Fault) {
	switch {
	case f.DropConnection:
		dropConnection(w)
		return
	case f.Hang:
		<-r.Context().Done()
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	ct := f.ContentType
	if ct == "" {
		ct = textContentType
		if b := strings.TrimSpace(f.Body); strings.HasPrefix(b, "{") || strings.HasPrefix(b, "[") {
			ct = jsonContentType
		}
	}
	w.Header().Set("Content-Type", ct)
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(f.Body))
}

// dropConnection closes the client's connection without writing anything.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (e.g. HTTP/2): abort the response instead.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// recordedAnswer keeps an operation's answer instead of sending it: the
// answer an interceptor may send, or the one a fault replaces.
type recordedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *recordedAnswer) Header() http.Header {
	if a.header == nil {
		a.header = http.Header{}
	}
	return a.header
}

func (a *recordedAnswer) WriteHeader(status int) {
	if a.status == 0 {
		a.status = status
	}
}

func (a *recordedAnswer) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}

func (a *recordedAnswer) sendTo(w http.ResponseWriter) {
	maps.Copy(w.Header(), a.header)
	w.WriteHeader(cmp.Or(a.status, http.StatusOK))
	_, _ = w.Write(a.body.Bytes())
}

// interceptedWriter notes whether an interceptor sent an answer of its own.
type interceptedWriter struct {
	http.ResponseWriter
	answered bool
}

func (w *interceptedWriter) WriteHeader(status int) {
	w.answered = true
	w.ResponseWriter.WriteHeader(status)
}

func (w *interceptedWriter) Write(b []byte) (int, error) {
	w.answered = true
	return w.ResponseWriter.Write(b)
}

// Hijack lets an interceptor drop the connection, as [Fault] DropConnection does.
func (w *interceptedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.answered = true
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// Unwrap gives [http.ResponseController] the underlying writer.
func (w *interceptedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
