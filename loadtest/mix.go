package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/PuerkitoBio/goquery"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/contactdesk/contactdesk/client/sandbox"
)

// Endpoints of the mix, in report order.
const (
	epSearch   = "search"
	epCustomer = "customer page"
	epEdit     = "edit form"
	epSave     = "save"
)

var endpoints = []string{epSearch, epCustomer, epEdit, epSave}

// weights is the share of each endpoint in a mix, in percent.
type weights map[string]int

// realistic is the mix of the main run: people search and open customers
// more than they save. A save whose form is not open yet becomes an
// edit-form request (counted in the report).
var realistic = weights{epSearch: 30, epCustomer: 20, epEdit: 30, epSave: 20}

// savesOnly opens forms and saves them, for the save at zero latency.
var savesOnly = weights{epEdit: 50, epSave: 50}

// upstreamCallsPerSave: the lost-update read (contact list) and the PATCH;
// the record page the save redirects to shows the PATCH's answer without a
// read (handlers.TestUpstreamRoundTripsPerSave holds it to that).
const upstreamCallsPerSave = 2

// upstreamCallsPerEdit: Customers_Get and the contact list.
const upstreamCallsPerEdit = 2

// sessions is how many people (session cookies) the mix plays.
const sessions = 8

// loopbackOnly refuses connections to anything but a loopback address,
// whatever a URL or redirect says.
func loopbackOnly(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refused to connect to %s: the load tool talks to loopback only", address)
	}
	return nil
}

func loopbackTransport(conns int) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
}

// newClient is the HTTP client of every phase: loopback only, no redirects
// followed except a save's 303 to the record page (see followSaves).
func newClient(timeout time.Duration, conns int) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		Transport:     followSaves{loopbackTransport(conns)},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// followSaves completes a save as a browser does: a POST answered 303 is
// followed by the GET of the record page, with the session cookie the 303
// set (it carries the saved record, so the page needs no ServiceTitan
// read). The save's latency is the POST's and that GET's together.
//
// It also times the save where a browser's wait begins and ends, from
// sending the POST to the record page's last byte, and reports it on the
// page's answer in saveTimeHeader: vegeta's latency of the same save also
// holds the load tool's own work around each request (choosing the next
// target, copying the form, building the request), which is not the app's.
type followSaves struct{ next http.RoundTripper }

// saveTimeHeader carries a save's time, in nanoseconds, on the answer
// followSaves returns for it.
const saveTimeHeader = "X-Loadtest-Save-Nanoseconds"

func (f followSaves) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := f.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodPost || resp.StatusCode != http.StatusSeeOther {
		return resp, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	loc, err := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("save redirected to %q: %w", resp.Header.Get("Location"), err)
	}
	if loc.Host != req.URL.Host {
		return nil, fmt.Errorf("save redirected to another host: %s", loc)
	}
	cookies := map[string]string{}
	for _, c := range req.Cookies() {
		cookies[c.Name] = c.Value
	}
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
	}
	get, _ := http.NewRequestWithContext(req.Context(), http.MethodGet, loc.String(), nil)
	for name, value := range cookies {
		get.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	page, err := f.next.RoundTrip(get)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(page.Body)
	page.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("record page after a save: %w", err)
	}
	took := time.Since(start)
	page.Body = io.NopCloser(bytes.NewReader(body))
	page.Header.Set(saveTimeHeader, strconv.FormatInt(took.Nanoseconds(), 10))
	return page, nil
}

// contactRef names one contact.
type contactRef struct{ customerID, contactID int64 }

func (c contactRef) url(base string) string {
	return fmt.Sprintf("%s/customers/%d/contacts/%d", base, c.customerID, c.contactID)
}

// openForm is an edit form a session has opened and not yet posted.
type openForm struct {
	ref     contactRef
	session int
	values  url.Values
}

// mix plays the request mix: a vegeta Targeter, and observe for results.
//
// Saves never race each other for a contact: a contact is leased from
// free when its edit form is requested, stays leased while the form is
// open (ready) and returns to free when its save has answered. Edit forms
// requested while no contact is free open a contact of browseOnly, which
// are never saved. So a 409 in the report would be a real finding.
type mix struct {
	base       string
	weights    weights
	cookies    []string // one session cookie per person
	searches   []string
	customers  []int64
	browseOnly []contactRef

	free  chan contactRef
	ready chan openForm

	mu       sync.Mutex
	rng      *rand.Rand
	leases   map[int64]int // contact id → session opening its form
	next     int           // round-robin over sessions
	memoSeq  int
	noForm   int // saves that found no open form and became edit requests
	formMiss int // leased edit forms that could not be used
}

// newMix builds the mix from the sandbox seed (the app's embedded sandbox
// starts with the same data).
func newMix(base string, w weights, seed int64) *mix {
	m := &mix{base: base, weights: w, rng: rand.New(rand.NewPCG(uint64(seed), 0x10ad)), leases: map[int64]int{}}
	sb := sandbox.New()
	var saveable []contactRef
	for _, cu := range sb.Customers() {
		if !cu.Active {
			continue
		}
		m.customers = append(m.customers, cu.ID)
		words := strings.Fields(cu.Name)
		m.searches = append(m.searches, words[len(words)-1]) // "Lovelace", "Dental", ...
		for i, ct := range sb.Contacts(cu.ID) {
			ref := contactRef{cu.ID, ct.ID}
			if cu.ID == sandbox.SeedManyContactsCustomerID {
				m.browseOnly = append(m.browseOnly, ref)
				continue
			}
			saveable = append(saveable, ref)
			if i == 0 && ct.Type.IsPhoneNumber() {
				m.searches = append(m.searches, formatPhone(ct.Value)) // a phone search
			}
		}
	}
	m.free = make(chan contactRef, len(saveable))
	m.ready = make(chan openForm, len(saveable))
	m.rng.Shuffle(len(saveable), func(i, j int) { saveable[i], saveable[j] = saveable[j], saveable[i] })
	for _, ref := range saveable {
		m.free <- ref
	}
	return m
}

func formatPhone(digits string) string {
	if len(digits) != 10 {
		return digits
	}
	return "(" + digits[:3] + ") " + digits[3:6] + "-" + digits[6:]
}

// openSessions opens n sessions (GET /) and returns their cookies, as
// browsers keep them.
func openSessions(ctx context.Context, hc *http.Client, base string, n int) ([]string, error) {
	var cookies []string
	for range n {
		// As staff do: the customer's page first, then its contacts.
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/customers/%d", base, sandbox.SeedCustomerID), nil)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		var cookie string
		for _, c := range resp.Cookies() {
			if c.Name == "contactdesk" {
				cookie = c.Name + "=" + c.Value
			}
		}
		if resp.StatusCode != http.StatusOK || cookie == "" {
			return nil, fmt.Errorf("GET the customer page: status %d, session cookie %t", resp.StatusCode, cookie != "")
		}
		cookies = append(cookies, cookie)
	}
	return cookies, nil
}

// prime opens n forms before the run, so the first saves have one.
func (m *mix) prime(ctx context.Context, hc *http.Client, n int) error {
	for range n {
		var t vegeta.Target
		m.mu.Lock()
		if !m.leaseEdit(&t) {
			m.mu.Unlock()
			return nil
		}
		m.mu.Unlock()
		req, err := t.Request()
		if err != nil {
			return err
		}
		resp, err := hc.Do(req.WithContext(ctx))
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m.observe(&vegeta.Result{Method: t.Method, URL: t.URL, Code: uint16(resp.StatusCode), Body: body})
	}
	return nil
}

// targeter picks each request of the mix. vegeta calls it from many
// workers at once.
func (m *mix) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		w := m.weights
		n := m.rng.IntN(w[epSearch] + w[epCustomer] + w[epEdit] + w[epSave])
		switch {
		case n < w[epSearch]:
			q := m.searches[m.rng.IntN(len(m.searches))]
			m.get(t, m.base+"/customers?"+url.Values{"q": {q}}.Encode(), m.nextSession())
		case n < w[epSearch]+w[epCustomer]:
			m.get(t, fmt.Sprintf("%s/customers/%d", m.base, m.customers[m.rng.IntN(len(m.customers))]), m.nextSession())
		case n < w[epSearch]+w[epCustomer]+w[epEdit]:
			m.edit(t)
		default:
			select {
			case f := <-m.ready:
				m.save(t, f)
			default:
				m.noForm++
				m.edit(t)
			}
		}
		return nil
	}
}

func (m *mix) nextSession() int {
	m.next = (m.next + 1) % len(m.cookies)
	return m.next
}

func (m *mix) get(t *vegeta.Target, u string, session int) {
	t.Method, t.URL, t.Body = http.MethodGet, u, nil
	t.Header = http.Header{"Cookie": {m.cookies[session]}}
}

// edit opens the form of a free contact (leasing it for a save) or, when
// none is free, of a contact that is never saved.
func (m *mix) edit(t *vegeta.Target) {
	if m.leaseEdit(t) {
		return
	}
	ref := m.browseOnly[m.rng.IntN(len(m.browseOnly))]
	m.get(t, ref.url(m.base)+"/edit", m.nextSession())
}

func (m *mix) leaseEdit(t *vegeta.Target) bool {
	select {
	case ref := <-m.free:
		s := m.nextSession()
		m.leases[ref.contactID] = s
		m.get(t, ref.url(m.base)+"/edit", s)
		return true
	default:
		return false
	}
}

// save posts an open form with a new memo, as its session.
func (m *mix) save(t *vegeta.Target, f openForm) {
	m.memoSeq++
	v := url.Values{}
	for k, vs := range f.values {
		v[k] = append([]string(nil), vs...)
	}
	v.Set("memo", fmt.Sprintf("Load test %d", m.memoSeq))
	t.Method, t.URL, t.Body = http.MethodPost, f.ref.url(m.base), []byte(v.Encode())
	t.Header = http.Header{
		"Cookie":         {m.cookies[f.session]},
		"Content-Type":   {"application/x-www-form-urlencoded"},
		"Origin":         {m.base},
		"Sec-Fetch-Site": {"same-origin"},
	}
}

// observe classifies a result and moves leased contacts along: an opened
// form becomes ready to save, a finished save frees its contact.
func (m *mix) observe(r *vegeta.Result) string {
	ep, ref := classify(r)
	switch ep {
	case epEdit:
		m.mu.Lock()
		session, leased := m.leases[ref.contactID]
		delete(m.leases, ref.contactID)
		m.mu.Unlock()
		if !leased {
			return ep
		}
		if r.Code == http.StatusOK {
			if v, err := parseForm(r.Body); err == nil {
				m.ready <- openForm{ref: ref, session: session, values: v}
				return ep
			}
		}
		m.mu.Lock()
		m.formMiss++
		m.mu.Unlock()
		m.free <- ref
	case epSave:
		m.free <- ref
	}
	return ep
}

// classify names the endpoint of a result from its method and path.
func classify(r *vegeta.Result) (string, contactRef) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return "other", contactRef{}
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	id := func(i int) int64 {
		n, _ := strconv.ParseInt(parts[i], 10, 64)
		return n
	}
	switch {
	case len(parts) == 1 && parts[0] == "customers":
		return epSearch, contactRef{}
	case len(parts) == 2 && parts[0] == "customers":
		return epCustomer, contactRef{}
	case len(parts) == 5 && parts[4] == "edit" && r.Method == http.MethodGet:
		return epEdit, contactRef{id(1), id(3)}
	case len(parts) == 4 && r.Method == http.MethodPost:
		return epSave, contactRef{id(1), id(3)}
	}
	return "other", contactRef{}
}

// parseForm reads the edit form as a browser would submit it: inputs
// (checked boxes only), selected options, textareas.
func parseForm(body []byte) (url.Values, error) {
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	form := doc.Find("form#contact-form")
	if form.Length() != 1 {
		return nil, fmt.Errorf("no contact form on the page")
	}
	v := url.Values{}
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || (typ == "checkbox" && !s.Is("[checked]")) {
			return
		}
		v.Add(name, s.AttrOr("value", ""))
	})
	form.Find("select").Each(func(_ int, s *goquery.Selection) {
		v.Set(s.AttrOr("name", ""), s.Find("option[selected]").AttrOr("value", ""))
	})
	form.Find("textarea").Each(func(_ int, s *goquery.Selection) {
		v.Set(s.AttrOr("name", ""), s.Text())
	})
	if v.Get("_csrf") == "" || v.Get("nonce") == "" {
		return v, errNoToken
	}
	return v, nil
}

// errNoToken: the form has no CSRF token or nonce (the plain app's has no
// CSRF token, and needs none).
var errNoToken = errors.New("the form lacks its CSRF token or nonce")

// endpointStats are one endpoint's results.
type endpointStats struct {
	Metrics vegeta.Metrics
	// Failures are answers outside 2xx/3xx and requests without an answer;
	// Conflicts (409, saves only) are counted apart.
	Failures  int
	Conflicts int
}

func (s *endpointStats) add(r *vegeta.Result, ep string) {
	s.Metrics.Add(r)
	switch {
	case ep == epSave && r.Code == http.StatusConflict:
		s.Conflicts++
	case r.Code < 200 || r.Code >= 400:
		s.Failures++
	}
}

// mixResult is the outcome of the mix phase.
type mixResult struct {
	Plan       plan
	All        endpointStats
	ByEndpoint map[string]*endpointStats
	Errors     []string
	Saves      int
	NoForm     int
	FormMiss   int
	// SaveTimes are the saves' times as followSaves measured them, sorted.
	SaveTimes []time.Duration
}

// saveP50 is the median of SaveTimes (0 without any).
func (m *mixResult) saveP50() time.Duration {
	if len(m.SaveTimes) == 0 {
		return 0
	}
	return m.SaveTimes[len(m.SaveTimes)/2]
}

// plan is one mix run.
type plan struct {
	weights             weights
	rate                int
	duration            time.Duration
	workers, maxWorkers int
}

// runMix runs a mix against a at p.rate for p.duration.
func runMix(ctx context.Context, hc *http.Client, a *app, p plan) (*mixResult, error) {
	m := newMix(a.url, p.weights, 1)
	var err error
	if m.cookies, err = openSessions(ctx, hc, a.url, sessions); err != nil {
		return nil, fmt.Errorf("mix: %w", err)
	}
	if err := m.prime(ctx, hc, max(4, p.rate*p.weights[epSave]/100)); err != nil {
		return nil, fmt.Errorf("mix: open the first forms: %w", err)
	}
	atk := vegeta.NewAttacker(vegeta.Client(hc), vegeta.Workers(uint64(p.workers)), vegeta.MaxWorkers(uint64(p.maxWorkers)))
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	res := &mixResult{Plan: p, ByEndpoint: map[string]*endpointStats{}}
	for _, ep := range endpoints {
		res.ByEndpoint[ep] = &endpointStats{}
	}
	errs := map[string]int{}
	pacer := vegeta.ConstantPacer{Freq: p.rate, Per: time.Second}
	for r := range atk.Attack(m.targeter(), pacer, p.duration, "mix") {
		ep := m.observe(r)
		if ep == epSave {
			if ns, err := strconv.ParseInt(r.Headers.Get(saveTimeHeader), 10, 64); err == nil {
				res.SaveTimes = append(res.SaveTimes, time.Duration(ns))
			}
		}
		res.All.add(r, ep)
		if s, ok := res.ByEndpoint[ep]; ok {
			s.add(r, ep)
		}
		if r.Error != "" {
			errs[ep+": "+r.Error]++
		}
		r.Body = nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.All.Metrics.Close()
	for _, s := range res.ByEndpoint {
		s.Metrics.Close()
	}
	for e, n := range errs {
		res.Errors = append(res.Errors, fmt.Sprintf("%s (%d×)", e, n))
	}
	res.Saves = int(res.ByEndpoint[epSave].Metrics.Requests)
	slices.Sort(res.SaveTimes)
	m.mu.Lock()
	res.NoForm, res.FormMiss = m.noForm, m.formMiss
	m.mu.Unlock()
	return res, nil
}

// hammer sends target from n concurrent clients, each as fast as answers
// come (a closed loop), for d after a discarded warm-up; afterWarmup, when
// set, runs between the two. Results are also added to also, when set.
func hammer(ctx context.Context, hc *http.Client, target vegeta.Target, n int, d time.Duration, name string, afterWarmup func(), also *endpointStats) (*endpointStats, error) {
	if _, err := attack(ctx, hc, target, n, warmup, name); err != nil {
		return nil, err
	}
	if afterWarmup != nil {
		afterWarmup()
	}
	s, err := attack(ctx, hc, target, n, d, name, also)
	if err != nil {
		return nil, err
	}
	s.Metrics.Close()
	return s, nil
}

// attack is one closed-loop phase of target from n clients for d; its
// results go to the stats it returns (closed) and to each of also.
func attack(ctx context.Context, hc *http.Client, target vegeta.Target, n int, d time.Duration, name string, also ...*endpointStats) (*endpointStats, error) {
	atk := vegeta.NewAttacker(vegeta.Client(hc), vegeta.Workers(uint64(n)), vegeta.MaxWorkers(uint64(n)))
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	s := &endpointStats{}
	// A zero ConstantPacer is an unlimited rate: the workers set the pace.
	for r := range atk.Attack(vegeta.NewStaticTargeter(target), vegeta.ConstantPacer{}, d, name) {
		r.Body = nil
		s.add(r, name)
		for _, a := range also {
			a.add(r, name)
		}
	}
	stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.Metrics.Close()
	return s, nil
}

// turnSlice is how long the app's edit page and the plain one each run
// before the other takes its turn: short enough that both meet the same
// load on a machine shared with other work.
const turnSlice = time.Second

// inTurns measures the app's edit page (a) and the plain one (p) in
// turns of turnSlice, each for d in all after a warm-up of each, the
// first of each pair of turns alternating: a p, p a, a p... The stats
// hold every measured request of each side, with the throughput over its
// own turns; turns holds each pair's app ÷ plain throughput.
func inTurns(ctx context.Context, hc *http.Client, a, p vegeta.Target, n int, d time.Duration, alsoA, alsoP *endpointStats) (app, plain *endpointStats, turns []float64, err error) {
	for _, t := range []vegeta.Target{a, p} {
		if _, err := attack(ctx, hc, t, n, warmup, "warm-up"); err != nil {
			return nil, nil, nil, err
		}
	}
	app, plain = &endpointStats{}, &endpointStats{}
	var ok, took [2]float64 // successes and seconds, app then plain
	for i := range max(1, int(d/turnSlice)) {
		var tp [2]float64
		for j := range 2 {
			side := (i + j) % 2 // 0: app
			target, all, also, name := a, app, alsoA, "app edit page"
			if side == 1 {
				target, all, also, name = p, plain, alsoP, "plain edit page"
			}
			s, err := attack(ctx, hc, target, n, turnSlice, name, all, also)
			if err != nil {
				return nil, nil, nil, err
			}
			secs := (s.Metrics.Duration + s.Metrics.Wait).Seconds()
			tp[side] = s.Metrics.Throughput
			ok[side] += s.Metrics.Throughput * secs
			took[side] += secs
		}
		if tp[1] > 0 {
			turns = append(turns, tp[0]/tp[1])
		}
	}
	for side, s := range []*endpointStats{app, plain} {
		s.Metrics.Close()
		// Over the side's own turns, not the time between its first and
		// last request (half of which were the other's).
		if took[side] > 0 {
			s.Metrics.Throughput = ok[side] / took[side]
			s.Metrics.Rate = float64(s.Metrics.Requests) / took[side]
		}
	}
	return app, plain, turns, nil
}

// baselineRounds is how often the two baselines alternate, so that a
// change in the machine's load over the run shows as spread between rounds
// instead of skewing one side.
const baselineRounds = 3

// round is one set of baselines, measured back to back: the sandbox
// directly, the app's edit page, and the same page from a plain net/http
// handler (plain.EditPage).
type round struct {
	Direct, App, Plain *endpointStats
	// Turns are the app ÷ plain throughputs of each pair of turns.
	Turns []float64
}

// plainRatio is the app's edit page's throughput over the plain handler's.
func (r round) plainRatio() float64 {
	if r.Plain == nil || r.Plain.Metrics.Throughput == 0 {
		return 0
	}
	return r.App.Metrics.Throughput / r.Plain.Metrics.Throughput
}

func (r round) ratio() float64 {
	if r.Direct.Metrics.Throughput == 0 {
		return 0
	}
	return r.App.Metrics.Throughput / r.Direct.Metrics.Throughput
}

// baselines are the no-latency measurements.
type baselines struct {
	Rounds    []round
	DirectURL string
	AppPath   string
	// App, Direct and Plain hold every measured request of all rounds, for
	// the latency percentiles and the failures (their rates mean nothing).
	App, Direct, Plain endpointStats
	// SandboxSeen is how many measured requests the direct sandbox counted.
	SandboxSeen int
}

// medianRatio is the median of the rounds' app ÷ direct throughputs.
func (b *baselines) medianRatio() float64 {
	return b.median(func(r round) float64 { return r.ratio() })
}

// medianPlainRatio is the median of the rounds' app ÷ plain throughputs.
func (b *baselines) medianPlainRatio() float64 {
	return b.median(func(r round) float64 { return r.plainRatio() })
}

// medianAppThroughput is the median of the rounds' app throughputs.
func (b *baselines) medianAppThroughput() float64 {
	return b.median(func(r round) float64 { return r.App.Metrics.Throughput })
}

func (b *baselines) median(f func(round) float64) float64 {
	v := make([]float64, len(b.Rounds))
	for i, rd := range b.Rounds {
		v[i] = f(rd)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// runBaselines alternates two closed-loop measurements without latency:
// a second sandbox, in this process, called directly on the contact list
// the edit page reads; and the app's edit page with a warm session.
func runBaselines(ctx context.Context, hc *http.Client, a *app, o options, tmp string) (*baselines, error) {
	sb, err := startDirectSandbox(ctx, hc)
	if err != nil {
		return nil, err
	}
	defer sb.stop()
	// The same request the app's client sends for the edit page's read.
	u := fmt.Sprintf("%s/customers/%d/contacts?page=1&pageSize=100", sb.TenantURL(), sandbox.SeedCustomerID)
	direct := vegeta.Target{Method: http.MethodGet, URL: u, Header: sb.header()}

	cookies, err := openSessions(ctx, hc, a.url, 1)
	if err != nil {
		return nil, err
	}
	path := fmt.Sprintf("/customers/%d/contacts/%d/edit", sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
	edit := vegeta.Target{Method: http.MethodGet, URL: a.url + path, Header: http.Header{"Cookie": {cookies[0]}}}

	// The same page from a plain net/http handler, in a process of its own
	// beside its own sandbox, as the app runs (loadtest/plainpage).
	plainBin, err := buildBinary(ctx, tmp, "plainpage", "./loadtest/plainpage")
	if err != nil {
		return nil, err
	}
	pp, err := startApp(ctx, plainBin, tmp, "plainpage", o.host, 0)
	if err != nil {
		return nil, err
	}
	defer pp.stop()
	plain := vegeta.Target{Method: http.MethodGet, URL: pp.url + path}

	b := &baselines{DirectURL: strings.TrimPrefix(u, sb.base), AppPath: path}
	for range baselineRounds {
		var rd round
		if rd.Direct, err = hammer(ctx, hc, direct, o.clients, o.baseline, "direct", sb.ResetCounters, &b.Direct); err != nil {
			return nil, err
		}
		b.SandboxSeen += sb.Requests(sandbox.OpListContacts)
		// The app's page and the plain one in turns of a second, so both
		// meet the same load.
		if rd.App, rd.Plain, rd.Turns, err = inTurns(ctx, hc, edit, plain, o.clients, o.baseline, &b.App, &b.Plain); err != nil {
			return nil, err
		}
		b.Rounds = append(b.Rounds, rd)
	}
	b.App.Metrics.Close()
	b.Direct.Metrics.Close()
	b.Plain.Metrics.Close()
	return b, nil
}
