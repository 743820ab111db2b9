package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildApp compiles the app from the module root into dir.
func buildApp(ctx context.Context, dir string) (string, error) {
	return buildBinary(ctx, dir, "contactdesk", ".")
}

// buildBinary builds the package pkg of the module (relative to its root)
// into dir/name.
func buildBinary(ctx context.Context, dir, name, pkg string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the load tool inside the contactdesk module (go env GOMOD is %q)", gomod)
	}
	bin := filepath.Join(dir, name)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// gitRevision names the checkout measured: its commit, and whether files
// differ from it.
func gitRevision(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += " with uncommitted changes"
	}
	return rev
}

// app is one running contactdesk process.
type app struct {
	name    string
	cmd     *exec.Cmd
	url     string
	logPath string
	started time.Time

	exited   chan struct{}
	stopOnce sync.Once
}

// passEnv are the variables of this process the app may see: the Go
// runtime's knobs (they change what is measured, so the report lists them)
// and what a process needs to run. Everything else, ServiceTitan
// credentials above all, is left out: the app can only be in sandbox mode.
var passEnv = []string{"PATH", "HOME", "TMPDIR", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"}

// startApp runs the binary in sandbox mode on a free loopback port and
// waits until /readyz answers 200. extra are more variables ("K=V"), over
// the ones set here.
func startApp(ctx context.Context, bin, dir, name, host string, latency time.Duration, extra ...string) (*app, error) {
	env := []string{
		"ST_ENV=sandbox",
		"ADDR=" + net.JoinHostPort(host, "0"),
		"LOG_LEVEL=warn",
		"AUDIT_DB=" + filepath.Join(dir, name+"-audit.db"),
		"ST_SANDBOX_LATENCY=" + latency.String(),
		"SESSION_SECRET=" + rand.Text() + rand.Text(),
	}
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, extra...) // the last of a name counts
	a := &app{name: name, logPath: filepath.Join(dir, name+".log"), exited: make(chan struct{})}
	logFile, err := os.Create(a.logPath)
	if err != nil {
		return nil, err
	}
	a.cmd = exec.Command(bin)
	a.cmd.Env, a.cmd.Dir, a.cmd.Stderr = env, dir, logFile
	stdout, err := a.cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	if err := a.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start the app: %w", err)
	}
	a.started = time.Now()
	urls := make(chan string, 1)
	go func() {
		// "contactdesk <version>: serving ... at http://127.0.0.1:43117"
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				urls <- m[1]
				sent = true
			}
		}
	}()
	go func() {
		a.cmd.Wait()
		logFile.Close()
		close(a.exited)
	}()

	select {
	case a.url = <-urls:
	case <-a.exited:
		return nil, fmt.Errorf("the app exited at start: %s", a.logTail())
	case <-time.After(30 * time.Second):
		a.stop()
		return nil, fmt.Errorf("the app did not say where it listens within 30s: %s", a.logTail())
	case <-ctx.Done():
		a.stop()
		return nil, ctx.Err()
	}
	if err := checkLoopbackURL(a.url); err != nil {
		a.stop()
		return nil, err
	}
	if err := a.waitReady(ctx); err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

var servingLine = regexp.MustCompile(`serving .* at (http://\S+)$`)

func (a *app) waitReady(ctx context.Context) error {
	hc := &http.Client{Timeout: 2 * time.Second, Transport: loopbackTransport(4)}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := hc.Get(a.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-a.exited:
			return fmt.Errorf("the app exited before it was ready: %s", a.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the app was not ready within 30s: %s", a.logTail())
}

// stop ends the app: SIGTERM (it finishes requests in flight), then kill.
func (a *app) stop() {
	a.stopOnce.Do(func() {
		select {
		case <-a.exited:
			return
		default:
		}
		a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
		case <-time.After(10 * time.Second):
			a.cmd.Process.Kill()
			<-a.exited
		}
	})
}

// logTail is the end of the app's stderr, for error messages.
func (a *app) logTail() string {
	b, _ := os.ReadFile(a.logPath)
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	if len(b) == 0 {
		return "(nothing on stderr)"
	}
	return string(b)
}

// version asks /healthz which build runs.
func (a *app) version(ctx context.Context, hc *http.Client) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/healthz", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return "unknown"
	}
	defer resp.Body.Close()
	var body struct {
		Version string `json:"version"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil || body.Version == "" {
		return "unknown"
	}
	return body.Version
}

// appStats is what the app reports about itself after a phase.
type appStats struct {
	// PeakRSSKiB is VmHWM from /proc/<pid>/status; -1 when unknown.
	PeakRSSKiB int64
	// AnonRSSKiB is RssAnon at the end (see anonRSS); -1 when unknown.
	AnonRSSKiB int64
	Uptime     time.Duration
	TokenOK    float64
	TokenError float64
	// Calls are ServiceTitan (sandbox) HTTP attempts by operation;
	// CallFailures those without a 2xx answer.
	Calls        map[string]float64
	CallFailures float64
	Saves        map[string]float64
	// LogLines counts the warnings and errors the app logged.
	LogLines int
}

// collect reads the app's peak memory, its metrics and its log.
func (a *app) collect(ctx context.Context, hc *http.Client, s *appStats) error {
	s.PeakRSSKiB = peakRSS(a.cmd.Process.Pid)
	s.AnonRSSKiB = anonRSS(a.cmd.Process.Pid)
	s.Uptime = time.Since(a.started)
	m, err := scrape(ctx, hc, a.url+"/metrics")
	if err != nil {
		return err
	}
	s.Calls, s.Saves = map[string]float64{}, map[string]float64{}
	for _, smp := range m {
		switch smp.name {
		case "contactdesk_servicetitan_token_fetches_total":
			if smp.labels["result"] == "ok" {
				s.TokenOK += smp.value
			} else {
				s.TokenError += smp.value
			}
		case "contactdesk_servicetitan_call_duration_seconds_count":
			s.Calls[smp.labels["operation"]] += smp.value
			if !strings.HasPrefix(smp.labels["status"], "2") {
				s.CallFailures += smp.value
			}
		case "contactdesk_saves_total":
			s.Saves[smp.labels["outcome"]] += smp.value
		}
	}
	if b, err := os.ReadFile(a.logPath); err == nil {
		s.LogLines = bytes.Count(b, []byte("\n"))
	}
	return nil
}

// peakRSS reads the high-water mark of the resident set, in KiB.
func peakRSS(pid int) int64 { return procStatusKiB(pid, "VmHWM") }

// anonRSS is a process's private resident memory now (RssAnon): its
// heap and stacks, without the file pages it maps. The app maps the
// index's file for search (SQLite's mmap on its read-only connections),
// and each page a search reads counts in its VmHWM though the kernel
// shares it with its page cache and may drop it.
func anonRSS(pid int) int64 { return procStatusKiB(pid, "RssAnon") }

// procStatusKiB reads a field in kB of /proc/<pid>/status; -1 when
// unknown.
func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

var labelPair = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// scrape reads a /metrics page (the text format, one sample per line).
func scrape(ctx context.Context, hc *http.Client, u string) ([]sample, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", u, resp.StatusCode)
	}
	var out []sample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		if cut < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if err != nil {
			continue
		}
		series := line[:cut]
		s := sample{name: series, labels: map[string]string{}, value: v}
		if i := strings.IndexByte(series, '{'); i >= 0 {
			s.name = series[:i]
			for _, m := range labelPair.FindAllStringSubmatch(series[i:], -1) {
				s.labels[m[1]] = m[2]
			}
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// isLoopbackHost accepts the loopback names the -host flag allows.
func isLoopbackHost(h string) bool {
	return h == "127.0.0.1" || h == "localhost" || h == "::1"
}

// checkLoopbackURL refuses any target that is not on this machine.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target %q: %w", raw, err)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("target %q is not a loopback address (127.0.0.1, localhost, ::1): refused", raw)
	}
	return nil
}
