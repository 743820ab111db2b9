package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
	"github.com/contactdesk/contactdesk/db/dbtest"
)

// Several instances, as offices run them: three processes of the app's
// binary on one PostgreSQL and one ServiceTitan (the sandbox, served by
// the test), with the same SESSION_SECRET, behind a round-robin proxy
// that signs everyone in as Kelly (the SSO proxy's headers).

// cluster is the instances, the proxy in front of them and what they share.
type cluster struct {
	t         *testing.T
	sb        *sandbox.Server
	db        *sql.DB
	instances []*instance
	proxy     *httptest.Server
	http      *http.Client
	// patches counts the PATCHes ServiceTitan received, by contact.
	patchMu sync.Mutex
	patches map[string]int
}

type instance struct {
	cmd *exec.Cmd
	url string
	log *bytes.Buffer
}

// identity is what the SSO proxy adds to every request.
func signIn(r *http.Request) {
	r.Header.Set("X-Forwarded-Email", "kelly@acme.example")
	r.Header.Set("X-Forwarded-Preferred-Username", "Kelly Ng")
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "contactdesk")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func startCluster(t *testing.T, n int, env map[string]string) *cluster {
	t.Helper()
	pgURL := dbtest.PostgresURL(t)
	bin := buildBinary(t)
	sb := sandboxtest.Start(t)
	c := &cluster{t: t, sb: sb, patches: map[string]int{}}
	sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		c.patchMu.Lock()
		c.patches[r.URL.Path]++
		c.patchMu.Unlock()
		apply()
	})
	cfg, err := pgx.ParseConfig(pgURL)
	if err != nil {
		t.Fatal(err)
	}
	c.db = stdlib.OpenDB(*cfg)
	t.Cleanup(func() { c.db.Close() })

	base := appEnv(sb)
	base["DATABASE_URL"] = pgURL
	for k, v := range env {
		base[k] = v
	}
	for range n {
		c.instances = append(c.instances, c.start(bin, base))
	}
	var backends []*url.URL
	for _, in := range c.instances {
		u, _ := url.Parse(in.url)
		backends = append(backends, u)
	}
	var next atomic.Int64
	c.proxy = httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backends[int(next.Add(1))%len(backends)])
		r.Out.Host = r.In.Host
		signIn(r.Out)
	}})
	t.Cleanup(c.proxy.Close)
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// appEnv is the environment of an instance of the app against sb, signed
// in through the SSO proxy's headers from loopback.
func appEnv(sb *sandbox.Server) map[string]string {
	st := sb.ClientConfig()
	return map[string]string{
		"ST_ENV": "integration", "ST_API_URL": st.APIURL, "ST_AUTH_URL": st.AuthURL,
		"ST_TENANT_ID": strconv.FormatInt(st.TenantID, 10), "ST_CLIENT_ID": st.ClientID, "ST_CLIENT_SECRET": st.ClientSecret, "ST_APP_KEY": st.AppKey,
		"SESSION_SECRET": strings.Repeat("k", 40), "COOKIE_SECURE": "false",
		"AUTH_TRUSTED_PROXIES": "127.0.0.1/32", "AUTH_BULK_EMAILS": "kelly@acme.example",
		"ADDR": "127.0.0.1:0", "LOG_LEVEL": "info", "INDEX_INTERVAL": "1h",
	}
}

var servingAt = regexp.MustCompile(`serving .* at (http://127\.0\.0\.1:\d+)`)

// start runs one instance and waits until it serves.
func (c *cluster) start(bin string, env map[string]string) *instance {
	c.t.Helper()
	cmd := exec.Command(bin)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	in := &instance{cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stderr = in.log
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
		}
		if c.t.Failed() {
			c.t.Logf("instance %s log:\n%s", in.url, lastLines(in.log.String(), 30))
		}
	})
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if m := servingAt.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case in.url = <-found:
	case <-time.After(60 * time.Second):
		c.t.Fatalf("an instance did not start: %s", lastLines(in.log.String(), 20))
	}
	return in
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// do sends a request to base (the proxy or one instance) as the browser
// behind the SSO proxy would, and reads the page.
func (c *cluster) do(method, base, path string, body io.Reader, contentType string) (*http.Response, *goquery.Document) {
	c.t.Helper()
	req, _ := http.NewRequest(method, base+path, body)
	signIn(req)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, doc
}

// formOf reads a form's fields as the browser would post them.
func formOf(doc *goquery.Document, sel string) url.Values {
	v := url.Values{}
	doc.Find(sel + " input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || ((typ == "checkbox" || typ == "radio") && s.AttrOr("checked", "-") == "-") {
			return
		}
		v.Add(name, s.AttrOr("value", ""))
	})
	doc.Find(sel + " select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v.Set(name, s.Find("option[selected]").AttrOr("value", ""))
	})
	doc.Find(sel + " textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v.Set(name, s.Text())
	})
	return v
}

func (c *cluster) apiCalls() int {
	n := 0
	for _, op := range []string{sandbox.OpToken, sandbox.OpListCustomers, sandbox.OpGetCustomer, sandbox.OpListContacts,
		sandbox.OpUpdateContact, sandbox.OpCreateContact, sandbox.OpDeleteContact, sandbox.OpExportCustomers, sandbox.OpExportContacts} {
		n += c.sb.Requests(op)
	}
	return n
}

func TestSeveralInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three app processes")
	}
	const rateLimit = 12
	c := startCluster(t, 3, map[string]string{"ST_RATE_LIMIT": strconv.Itoa(rateLimit), "BULK_RATE": "3", "INDEX_RATE": "3"})
	a, b := c.instances[0].url, c.instances[1].url

	// Every instance's first beat is at its start: the first to start
	// learns of the others at its next one (5 s).
	time.Sleep(6 * time.Second)

	t.Run("one form posted to two instances saves once", func(t *testing.T) {
		edit := fmt.Sprintf("/customers/%d/contacts/%d", sandbox.SeedCustomerID, sandbox.SeedMobileContactID)
		resp, doc := c.do(http.MethodGet, a, edit+"/edit", nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the edit form: %d", resp.StatusCode)
		}
		form := formOf(doc, "form[data-contact-form]")
		form.Set("memo", "Posted to two instances")
		before := c.sb.Requests(sandbox.OpUpdateContact)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, base := range []string{a, b} {
			wg.Go(func() {
				resp, _ := c.do(http.MethodPost, base, edit, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
				statuses[i] = resp.StatusCode
			})
		}
		wg.Wait()
		// And once more, after both answered, to the third.
		resp, _ = c.do(http.MethodPost, c.instances[2].url, edit, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		statuses = append(statuses, resp.StatusCode)
		if n := c.sb.Requests(sandbox.OpUpdateContact) - before; n != 1 {
			t.Errorf("%d PATCHes, want 1", n)
		}
		for i, s := range statuses {
			if s != http.StatusSeeOther {
				t.Errorf("post %d answered %d, want 303 to the record (saved)", i, s)
			}
		}
		// Every instance's History shows the one save.
		for _, in := range c.instances {
			_, rec := c.do(http.MethodGet, in.url, edit, nil, "")
			entries := rec.Find("[data-history] .history-entry[data-outcome=saved]")
			if entries.Length() != 1 || !strings.Contains(entries.Text(), "Kelly Ng") {
				t.Errorf("%s: %d saved entries in History: %q", in.url, entries.Length(), rec.Find("[data-history]").Text())
			}
		}
	})

	t.Run("the rate budget holds in total", func(t *testing.T) {
		// Pages that ask ServiceTitan, from every instance through the
		// proxy, as fast as they answer.
		var customers []int64
		for _, cu := range c.sb.Customers() {
			customers = append(customers, cu.ID)
		}
		const window = 4 * time.Second
		before := c.apiCalls()
		start := time.Now()
		var wg sync.WaitGroup
		for w := range 9 {
			wg.Go(func() {
				for i := w; time.Since(start) < window; i++ {
					c.do(http.MethodGet, c.proxy.URL, fmt.Sprintf("/customers/%d", customers[i%len(customers)]), nil, "")
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		calls := c.apiCalls() - before
		// Each instance may start with a full burst (its part, 4).
		limit := int(rateLimit*took.Seconds()) + rateLimit
		t.Logf("%d calls in %s through three instances: %.1f a second (ST_RATE_LIMIT=%d in total)", calls, took.Round(time.Millisecond),
			float64(calls)/took.Seconds(), rateLimit)
		if calls > limit {
			t.Errorf("%d calls in %s: more than ST_RATE_LIMIT=%d allows in total (%d)", calls, took, rateLimit, limit)
		}
		if calls < rateLimit {
			t.Errorf("only %d calls: the pages did not ask ServiceTitan, so this measured nothing", calls)
		}
	})

	t.Run("a bulk job survives its instance's death", func(t *testing.T) {
		c.killedBulkJob(t)
	})
}

// killedBulkJob starts a bulk job, kills (SIGKILL) the instance running
// it once it has changed a few contacts, and waits for another instance
// to finish it: every contact changed once.
func (c *cluster) killedBulkJob(t *testing.T) {
	var list strings.Builder
	list.WriteString("contact id,customer id\n")
	var contacts []string
	for _, cu := range c.sb.Customers() {
		for _, ct := range c.sb.Contacts(cu.ID) {
			if len(contacts) < 10 && ct.Preferences != nil && !ct.Preferences.MarketingUpdatesEnabled {
				contacts = append(contacts, fmt.Sprintf("/%d", ct.ID))
				fmt.Fprintf(&list, "%d,%d\n", ct.ID, cu.ID)
			}
		}
	}
	if len(contacts) < 6 {
		t.Fatalf("only %d seed contacts to change", len(contacts))
	}
	// Count this job's PATCHes only.
	c.patchMu.Lock()
	clear(c.patches)
	c.patchMu.Unlock()
	base := c.instances[0].url
	_, form := c.do(http.MethodGet, base, "/bulk", nil, "")
	token := form.Find(`form[data-bulk-form] input[name="_csrf"]`).AttrOr("value", "")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"_csrf": token, "list": list.String(), "action": "preferences", "marketingUpdatesEnabled": "on"} {
		mw.WriteField(k, v)
	}
	mw.Close()
	resp, preview := c.do(http.MethodPost, base, "/bulk/preview", &body, mw.FormDataContentType())
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: %d %s", resp.StatusCode, preview.Find("main").Text())
	}
	confirm := formOf(preview, "form[data-bulk-confirm]")
	resp, _ = c.do(http.MethodPost, base, "/bulk", strings.NewReader(confirm.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	job := confirm.Get("job")

	// Once a few contacts are changed, kill the instance that runs it.
	var victim *instance
	deadline := time.Now().Add(90 * time.Second)
	for victim == nil {
		if time.Now().After(deadline) {
			t.Fatal("no instance was seen running the job")
		}
		time.Sleep(100 * time.Millisecond)
		if c.totalPatches() < 2 {
			continue
		}
		var by sql.NullString
		c.db.QueryRow(`SELECT attempted_by[array_length(attempted_by, 1)] FROM river_job
			WHERE kind = 'bulk_run' AND state = 'running' ORDER BY id DESC LIMIT 1`).Scan(&by)
		m := regexp.MustCompile(`_pid(\d+)_`).FindStringSubmatch(by.String)
		if m == nil {
			continue
		}
		pid, _ := strconv.Atoi(m[1])
		for _, in := range c.instances {
			if in.cmd.Process.Pid == pid {
				victim = in
			}
		}
	}
	done := c.totalPatches()
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	t.Logf("killed %s after %d of %d contacts", victim.url, done, len(contacts))
	if done >= len(contacts) {
		t.Fatalf("the job ended before its instance was killed: slow it down")
	}

	// Another instance finishes it: River's rescuer hands the run on
	// within 2 minutes of its last step's start (jobs.RescueAfter).
	var survivor string
	for _, in := range c.instances {
		if in != victim {
			survivor = in.url
		}
	}
	deadline = time.Now().Add(4 * time.Minute)
	for {
		var state string
		c.db.QueryRow(`SELECT state FROM bulk_jobs WHERE id = $1`, job).Scan(&state)
		if state == "done" {
			t.Logf("the job was done %s after its instance was killed", time.Since(killed).Round(time.Second))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job is %q 4 minutes after its instance died", state)
		}
		time.Sleep(500 * time.Millisecond)
	}
	c.patchMu.Lock()
	defer c.patchMu.Unlock()
	for _, ct := range contacts {
		n := 0
		for path, k := range c.patches {
			if strings.HasSuffix(path, ct) {
				n += k
			}
		}
		if n != 1 {
			t.Errorf("contact %s was PATCHed %d times, want once", ct, n)
		}
	}
	_, page := c.do(http.MethodGet, survivor, "/bulk/"+job, nil, "")
	if got := strings.TrimSpace(page.Find(`[data-count="changed"]`).Text()); got != strconv.Itoa(len(contacts)) {
		t.Errorf("the job's page says %s changed, want %d", got, len(contacts))
	}
}

func (c *cluster) totalPatches() int {
	c.patchMu.Lock()
	defer c.patchMu.Unlock()
	n := 0
	for _, k := range c.patches {
		n += k
	}
	return n
}
