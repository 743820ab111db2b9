package main

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/client/sandbox/sandboxtest"
)

// Crashes of one instance on SQLite, as an office runs it: the app's
// binary against a sandbox served by the test, killed (SIGKILL) at the
// worst moment and started again on the same AUDIT_DB.

// solo is one instance's harness: the cluster's, with the instances
// started one after another on the same file.
func solo(t *testing.T, sb *sandbox.Server) (*cluster, map[string]string) {
	t.Helper()
	c := &cluster{t: t, sb: sb, patches: map[string]int{}}
	jar, _ := cookiejar.New(nil)
	c.http = &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	env := appEnv(sb)
	env["AUDIT_DB"] = t.TempDir() + "/audit.db"
	return c, env
}

// kill ends an instance as a crash does, and waits for it to be gone.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	in.cmd.Wait()
}

// indexRows is how many customers an instance's /index says it holds.
func (c *cluster) indexRows(base string) int {
	_, doc := c.do(http.MethodGet, base, "/index", nil, "")
	n, _ := strconv.Atoi(strings.TrimSpace(doc.Find(`[data-index-rows="customers"]`).Text()))
	return n
}

// Killed in the middle of a sync pass, the app started again moves the
// index on within a minute: the pass the dead process left "running" in
// River's table does not hold the next one back.
func TestIndexMovesAgainAfterACrashMidPass(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app's binary twice")
	}
	sb := sandboxtest.Start(t, sandbox.WithGeneratedCustomers(4000), sandboxtest.WithExportPageSize(100))
	slow := func(w http.ResponseWriter, r *http.Request, apply func()) {
		time.Sleep(150 * time.Millisecond)
		apply()
	}
	sb.Intercept(sandbox.OpExportCustomers, slow)
	sb.Intercept(sandbox.OpExportContacts, slow)
	c, env := solo(t, sb)
	env["INDEX_RATE"] = "50"
	bin := buildBinary(t)

	first := c.start(bin, env)
	held := 0
	for deadline := time.Now().Add(60 * time.Second); held < 300; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the first pass loaded %d customers in a minute", held)
		}
		held = c.indexRows(first.url)
	}
	first.kill(t)
	if held >= 4000 {
		t.Fatal("the pass ended before the instance was killed: slow it down")
	}
	t.Logf("killed the instance with %d customers held, mid-pass", held)

	again := c.start(bin, env)
	deadline := time.Now().Add(time.Minute)
	for c.indexRows(again.url) <= held {
		if time.Now().After(deadline) {
			t.Fatalf("the index holds %d customers a minute after the restart, as many as when the pass was killed", held)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// editPath is the seed contact every save below edits.
var editPath = fmt.Sprintf("/customers/%d/contacts/%d", sandbox.SeedCustomerID, sandbox.SeedMobileContactID)

// editForm opens the contact's edit form on base, as Kelly, and returns
// it with the memo typed.
func (c *cluster) editForm(base, memo string) url.Values {
	c.t.Helper()
	resp, doc := c.do(http.MethodGet, base, editPath+"/edit", nil, "")
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("the edit form: %d", resp.StatusCode)
	}
	form := formOf(doc, "form[data-contact-form]")
	form.Set("memo", memo)
	return form
}

// save posts a form to base, as the browser does.
func (c *cluster) save(base string, form url.Values) (*http.Response, *goquery.Document) {
	c.t.Helper()
	return c.do(http.MethodPost, base, editPath, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// saveInBackground posts a form whose answer will never come (its
// instance dies): the error is expected and ignored.
func (c *cluster) saveInBackground(base string, form url.Values) {
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+editPath, strings.NewReader(form.Encode()))
		signIn(req)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if resp, err := c.http.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
}

// loseAnswers makes every PATCH from now on apply and then hang, its
// answer lost, as when the instance that sent it is killed; applied is
// told of each.
func (c *cluster) loseAnswers() <-chan struct{} {
	applied := make(chan struct{}, 8)
	c.sb.Intercept(sandbox.OpUpdateContact, func(w http.ResponseWriter, r *http.Request, apply func()) {
		c.patchMu.Lock()
		c.patches[r.URL.Path]++
		c.patchMu.Unlock()
		apply()
		applied <- struct{}{}
		<-r.Context().Done()
	})
	return applied
}

// outcomes lists the History of the contact on base, newest first, as
// data-outcome values.
func (c *cluster) outcomes(base string) []string {
	_, doc := c.do(http.MethodGet, base, editPath, nil, "")
	var out []string
	doc.Find("[data-history] .history-entry").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-outcome", ""))
	})
	return out
}

// waitSettled waits until the contact's History on base shows one entry,
// saved, and returns its text.
func (c *cluster) waitSettled(base string, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := c.outcomes(base)
		if len(got) == 1 && got[0] == "saved" {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the History shows %v %s after the crash, while the app runs; want the save settled", got, within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Killed between its PATCH (applied in ServiceTitan) and the outcome, the
// app started again at once settles the save while it runs, as soon as
// the cut-off write can no longer land: the History does not say
// "unknown" until some later restart (#23, item 5).
func TestACrashedSaveIsSettledWhileTheAppRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app's binary twice")
	}
	sb := sandboxtest.Start(t)
	c, env := solo(t, sb)
	env["ST_TIMEOUT"] = "3s" // a change's budget of 11 s
	bin := buildBinary(t)
	first := c.start(bin, env)
	applied := c.loseAnswers()
	c.saveInBackground(first.url, c.editForm(first.url, "Written just before the crash"))
	<-applied
	first.kill(t)
	sb.Intercept(sandbox.OpUpdateContact, nil)

	again := c.start(bin, env)
	if got := c.outcomes(again.url); len(got) != 1 || got[0] != "unknown" {
		t.Fatalf("History right after the restart: %v, want the attempt unknown", got)
	}
	// 11 s of budget, 5 s for the read after a lost answer, 10 s for the
	// outcome's write tried again, then the next settling (every 15 s).
	c.waitSettled(again.url, 75*time.Second)
}

// A killed instance's saves are settled by the survivors while they run,
// not only when the killed instance starts again (#24, item 3).
func TestSurvivorsSettleAKilledInstancesSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two app processes")
	}
	c := startCluster(t, 2, map[string]string{"ST_TIMEOUT": "3s"})
	victim, survivor := c.instances[0], c.instances[1]
	applied := c.loseAnswers()
	c.saveInBackground(victim.url, c.editForm(victim.url, "Written just before the instance died"))
	<-applied
	victim.kill(t)
	c.sb.Intercept(sandbox.OpUpdateContact, nil)
	c.waitSettled(survivor.url, 75*time.Second)
	if n := c.totalPatches(); n != 1 {
		t.Errorf("%d PATCHes, want 1: settling reads, it never writes", n)
	}
}

// The person's save reached ServiceTitan, then the app was killed before
// answering; the browser sends the form again to the app started again.
// The contact already holds what the form asks: "Contact updated", the
// earlier attempt settled as saved, never a 409 showing the person their
// own memo as someone else's (#24, item 2).
func TestARepostAfterACrashIsSaved(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the app's binary twice")
	}
	sb := sandboxtest.Start(t)
	c, env := solo(t, sb)
	bin := buildBinary(t)
	first := c.start(bin, env)
	applied := c.loseAnswers()
	form := c.editForm(first.url, "Sent just before the crash")
	c.saveInBackground(first.url, form)
	<-applied
	first.kill(t)
	sb.Intercept(sandbox.OpUpdateContact, nil)

	again := c.start(bin, env)
	resp, doc := c.save(again.url, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the form sent again: %d %q", resp.StatusCode, strings.Join(strings.Fields(doc.Find("[role=alert], .alert, h1").Text()), " "))
	}
	_, record := c.do(http.MethodGet, again.url, resp.Header.Get("Location"), nil, "")
	if page := record.Find("main").Text(); !strings.Contains(page, "Contact updated") {
		t.Errorf("the record page after it: %q", strings.Join(strings.Fields(page), " "))
	}
	if got := c.outcomes(again.url); len(got) != 1 || got[0] != "saved" {
		t.Errorf("History %v, want the one attempt, saved", got)
	}
	if n := c.totalPatches(); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}

// Three instances: the one saving a form is killed after its PATCH
// reached ServiceTitan; the browser sends the form again, to another. It
// answers at once "Outcome unknown — check the contact", with what was
// typed still in the form, never "ServiceTitan did not answer in time"
// after waiting on the dead instance's claim (#24, item 2).
func TestARepostToASurvivorOfACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three app processes")
	}
	c := startCluster(t, 3, nil)
	victim, survivor := c.instances[0], c.instances[1]
	applied := c.loseAnswers()
	form := c.editForm(victim.url, "Sent just before the instance died")
	c.saveInBackground(victim.url, form)
	<-applied
	victim.kill(t)
	c.sb.Intercept(sandbox.OpUpdateContact, nil)

	start := time.Now()
	resp, doc := c.save(survivor.url, form)
	took := time.Since(start)
	alert := strings.Join(strings.Fields(doc.Find("[data-alert], [role=alert]").Text()), " ")
	if resp.StatusCode == http.StatusSeeOther || !strings.Contains(alert, "Outcome unknown — check the contact") ||
		strings.Contains(alert, "ServiceTitan") && strings.Contains(alert, "did not answer") {
		t.Errorf("the form sent again to a survivor: %d %q", resp.StatusCode, alert)
	}
	if memo := doc.Find(`textarea[name="memo"]`).Text(); memo != "Sent just before the instance died" {
		t.Errorf("the memo typed is gone from the form: %q", memo)
	}
	if took > 10*time.Second {
		t.Errorf("the answer took %v: it waited on the dead instance's claim", took)
	}
	if n := c.totalPatches(); n != 1 {
		t.Errorf("%d PATCHes, want 1", n)
	}
}
