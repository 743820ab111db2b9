package main

import (
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

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
	sb := sandboxtest.Start(t, sandbox.WithGeneratedCustomers(4000), sandbox.WithExportPageSize(100))
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
