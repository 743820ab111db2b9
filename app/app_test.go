package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/index"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var fullCreds = map[string]string{
	"ST_TENANT_ID": "123", "ST_CLIENT_ID": "cid", "ST_CLIENT_SECRET": "secret", "ST_APP_KEY": "ak",
	"SESSION_SECRET": strings.Repeat("s", 32), "AUTH_TRUSTED_PROXIES": "10.0.0.0/8",
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{"ok, nothing set runs the sandbox", nil, "", func(t *testing.T, c Config) {
			if c.Env != "sandbox" || c.Addr != "127.0.0.1:8080" || !c.RandomSession || !isSandboxUser(c.Identity) {
				t.Errorf("%+v", c)
			}
			if c.ST.Timeout != 15*time.Second || c.PhoneRegion != "US" || c.DisplayTZ.String() != "UTC" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{"ok, credentials mean production", fullCreds, "", func(t *testing.T, c Config) {
			if _, isProxy := c.Identity.(identity.ProxyHeaders); c.Env != "production" || c.ST.TenantID != 123 || !isProxy || c.RandomSession {
				t.Errorf("%+v", c)
			}
		}},
		{"ok, integration with explicit URLs and settings", merge(fullCreds, map[string]string{
			"ST_ENV": "integration", "ST_API_URL": "http://127.0.0.1:9", "ST_AUTH_URL": "http://127.0.0.1:9/connect/token",
			"ST_TIMEOUT": "3s", "DISPLAY_TZ": "America/Chicago", "PHONE_REGION": "ca", "LOG_LEVEL": "debug",
			"AUTH_SIGNOUT_URL": "https://sso.example.com/oauth2/sign_out", "AUTH_ALLOWED_DOMAINS": "acme.example, example.org",
		}), "", func(t *testing.T, c Config) {
			if c.ST.APIURL != "http://127.0.0.1:9" || c.ST.Timeout != 3*time.Second || c.PhoneRegion != "CA" ||
				c.DisplayTZ.String() != "America/Chicago" || c.RequestTimeout != 11*time.Second ||
				c.SSOOrigin != "https://sso.example.com" || len(c.Policy.Domains) != 2 {
				t.Errorf("%+v", c)
			}
		}},
		{"nok, partial credentials name what is missing", map[string]string{"ST_CLIENT_ID": "cid"}, "set ST_TENANT_ID, ST_CLIENT_SECRET, ST_APP_KEY", nil},
		{"nok, sandbox with credentials", merge(fullCreds, map[string]string{"ST_ENV": "sandbox"}), "ST_ENV=sandbox but", nil},
		{"nok, unknown ST_ENV", map[string]string{"ST_ENV": "staging"}, `ST_ENV="staging"`, nil},
		{"nok, tenant not a number", merge(fullCreds, map[string]string{"ST_TENANT_ID": "acme"}), "ST_TENANT_ID", nil},
		{"nok, production without SESSION_SECRET", merge(fullCreds, map[string]string{"SESSION_SECRET": ""}), "SESSION_SECRET must be set", nil},
		{"nok, short SESSION_SECRET", map[string]string{"SESSION_SECRET": "short"}, "SESSION_SECRET is too short", nil},
		{"nok, bad timeout", map[string]string{"ST_TIMEOUT": "15"}, "ST_TIMEOUT", nil},
		{"nok, bad zone", map[string]string{"DISPLAY_TZ": "Mars/Olympus"}, "DISPLAY_TZ", nil},
		{"nok, bad region", map[string]string{"PHONE_REGION": "XX"}, "PHONE_REGION", nil},
		{"ok, hygiene rules", map[string]string{"HYGIENE_PLACEHOLDERS": "(555) 010-9999, nobody", "HYGIENE_SHARED_MIN": "5"}, "", func(t *testing.T, c Config) {
			if c.Hygiene.SharedMin != 5 || c.Hygiene.Region != "US" || len(c.Hygiene.Placeholders.Phones) != 1 || len(c.Hygiene.Placeholders.Locals) != 1 {
				t.Errorf("hygiene rules = %+v", c.Hygiene)
			}
		}},
		{"nok, bad placeholder", map[string]string{"HYGIENE_PLACEHOLDERS": "none, 12"}, `HYGIENE_PLACEHOLDERS: "12" is not a phone number`, nil},
		{"nok, bad shared minimum", map[string]string{"HYGIENE_SHARED_MIN": "0"}, "HYGIENE_SHARED_MIN", nil},
		{"nok, bad log level", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL", nil},
		{"nok, bad COOKIE_SECURE", map[string]string{"COOKIE_SECURE": "maybe"}, "COOKIE_SECURE", nil},
		{"ok, sandbox latency", map[string]string{"ST_SANDBOX_LATENCY": "20ms"}, "", func(t *testing.T, c Config) {
			if c.SandboxLatency != 20*time.Millisecond {
				t.Errorf("SandboxLatency = %v", c.SandboxLatency)
			}
		}},
		{"nok, sandbox latency outside the sandbox", merge(fullCreds, map[string]string{"ST_SANDBOX_LATENCY": "20ms"}), "ST_SANDBOX_LATENCY is for the sandbox only", nil},
		{"nok, bad sandbox latency", map[string]string{"ST_SANDBOX_LATENCY": "20"}, "ST_SANDBOX_LATENCY", nil},
		{"ok, generated sandbox customers", map[string]string{"SANDBOX_CUSTOMERS": "250000"}, "", func(t *testing.T, c Config) {
			if c.SandboxCustomers != 250000 {
				t.Errorf("SandboxCustomers = %d", c.SandboxCustomers)
			}
		}},
		{"nok, generated customers outside the sandbox", merge(fullCreds, map[string]string{"SANDBOX_CUSTOMERS": "10"}), "SANDBOX_CUSTOMERS is for the sandbox only", nil},
		{"nok, generated customers not a number", map[string]string{"SANDBOX_CUSTOMERS": "250k"}, "SANDBOX_CUSTOMERS", nil},
		{"nok, too many generated customers", map[string]string{"SANDBOX_CUSTOMERS": "20000000"}, "SANDBOX_CUSTOMERS", nil},
		{"nok, bad API URL", merge(fullCreds, map[string]string{"ST_API_URL": "api.example.com"}), "ST_API_URL", nil},
		{"ok, jwt mode", merge(fullCreds, map[string]string{"AUTH_MODE": "jwt", "AUTH_JWT_HEADER": "Cf-Access-Jwt-Assertion",
			"AUTH_JWKS_URL": "https://team.example/certs", "AUTH_JWT_ISSUER": "https://team.example", "AUTH_JWT_AUDIENCE": "aud"}), "",
			func(t *testing.T, c Config) {
				if _, ok := c.Identity.(*identity.JWT); !ok {
					t.Errorf("identity = %T", c.Identity)
				}
			}},
		{"nok, AUTH_MODE=none outside the sandbox", merge(fullCreds, map[string]string{"AUTH_MODE": "none"}), "AUTH_MODE=none is for the sandbox only", nil},
		{"nok, proxy mode without trusted proxies", merge(fullCreds, map[string]string{"AUTH_TRUSTED_PROXIES": ""}), "AUTH_TRUSTED_PROXIES", nil},
		{"nok, jwt mode missing settings", merge(fullCreds, map[string]string{"AUTH_MODE": "jwt", "AUTH_JWT_HEADER": "X"}), "AUTH_JWKS_URL, AUTH_JWT_ISSUER, AUTH_JWT_AUDIENCE", nil},
		{"nok, unknown AUTH_MODE", map[string]string{"AUTH_MODE": "basic"}, "AUTH_MODE", nil},
		{"nok, trusted proxies covering everyone", merge(fullCreds, map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/8, 0.0.0.0/0"}), "AUTH_TRUST_ALL_PROXIES=true", nil},
		{"nok, trusted proxies covering every IPv6 peer", merge(fullCreds, map[string]string{"AUTH_TRUSTED_PROXIES": "::/0"}), "covers every address", nil},
		{"ok, trusting everyone when forced", merge(fullCreds, map[string]string{"AUTH_TRUSTED_PROXIES": "0.0.0.0/0", "AUTH_TRUST_ALL_PROXIES": "true"}), "",
			func(t *testing.T, c Config) {
				if !c.Proxies.TrustsEveryone() {
					t.Errorf("proxies = %v", c.Proxies)
				}
			}},
		{"nok, bad trusted proxy", map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/99"}, "AUTH_TRUSTED_PROXIES", nil},
		{"ok, bulk open in the sandbox with no list, at 10 calls/s", nil, "", func(t *testing.T, c Config) {
			if !c.BulkOpen || c.BulkRate != 10 {
				t.Errorf("BulkOpen %v, BulkRate %v", c.BulkOpen, c.BulkRate)
			}
		}},
		{"ok, bulk closed in production with no list", fullCreds, "", func(t *testing.T, c Config) {
			if c.BulkOpen || !c.BulkPolicy.Empty() {
				t.Errorf("BulkOpen %v, policy %+v", c.BulkOpen, c.BulkPolicy)
			}
		}},
		{"ok, bulk lists", merge(fullCreds, map[string]string{"AUTH_BULK_EMAILS": "kelly@acme.example", "AUTH_BULK_GROUPS": "office-leads, admins", "BULK_RATE": "4"}), "",
			func(t *testing.T, c Config) {
				if c.BulkOpen || len(c.BulkPolicy.Emails) != 1 || len(c.BulkPolicy.Groups) != 2 || c.BulkRate != 4 {
					t.Errorf("%+v %v", c.BulkPolicy, c.BulkRate)
				}
			}},
		{"ok, the sandbox with a bulk list keeps to it", map[string]string{"AUTH_BULK_EMAILS": "kelly@acme.example"}, "", func(t *testing.T, c Config) {
			if c.BulkOpen {
				t.Error("bulk open to everyone despite AUTH_BULK_EMAILS")
			}
		}},
		{"nok, BULK_RATE over the budget", map[string]string{"BULK_RATE": "60"}, "BULK_RATE=60 is more than ST_RATE_LIMIT=50", nil},
		{"nok, bad BULK_RATE", map[string]string{"BULK_RATE": "fast"}, "BULK_RATE", nil},
		{"nok, bad SSO origin", merge(fullCreds, map[string]string{"AUTH_SSO_ORIGIN": "https://x.example; script-src *"}), "AUTH_SSO_ORIGIN", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret\"") || strings.Contains(err.Error(), strings.Repeat("s", 32)) {
					t.Errorf("error leaks a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, envOf(nil), &out); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), s.name) {
			t.Errorf("--help lacks %s", s.name)
		}
	}
}

func isSandboxUser(s identity.Source) bool {
	f, ok := s.(identity.Fixed)
	return ok && f.Email == identity.SandboxUser.Email
}

func TestRefusesToStartWithoutAudit(t *testing.T) {
	notADir := t.TempDir() + "/file"
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), nil, envOf(map[string]string{"AUDIT_DB": notADir + "/audit.db", "ADDR": "127.0.0.1:0"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AUDIT_DB="+notADir+"/audit.db") {
		t.Errorf("err = %v, want a refusal naming AUDIT_DB", err)
	}
}

// A second instance on the SQLite file another serves from is refused
// before it opens anything, with a message that says what to do.
func TestRefusesASecondInstanceOnOneSQLiteFile(t *testing.T) {
	path := t.TempDir() + "/audit.db"
	release, err := lockSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), nil, envOf(map[string]string{"AUDIT_DB": path, "ADDR": "127.0.0.1:0"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "AUDIT_DB="+path+": another contactdesk process serves from it (pid ") ||
		!strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("err = %v, want a refusal naming the file, the process and DATABASE_URL", err)
	}
	// The lock is on the file itself, which the first instance made; the
	// refused one wrote nothing to it.
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("the refused instance wrote to the database: %v, %v", fi, err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("the refused instance opened the database: %v", err)
	}
	release()
	again, err := lockSQLite(path)
	if err != nil {
		t.Errorf("the lock is not free once released: %v", err)
	} else {
		again()
	}
}

// The lock is the database file's own (its inode), not its name's: a
// symlink or a hard link to a file another instance serves from is
// refused, as two instances on one file would each keep their own WAL
// beside their own name and corrupt it.
func TestRefusesASecondInstanceThroughALink(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/audit.db"
	release, err := lockSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	if err := os.Symlink(path, dir+"/symlink.db"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir+"/elsewhere", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(path, dir+"/elsewhere/hardlink.db"); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{dir + "/symlink.db", dir + "/elsewhere/hardlink.db"} {
		again, err := lockSQLite(other)
		if err == nil {
			again()
			t.Errorf("%s: a second lock on the same file was granted", other)
			continue
		}
		if !errors.Is(err, errInstanceRunning) {
			t.Errorf("%s: err = %v, want errInstanceRunning", other, err)
		}
	}
}

// health answers 0 for a serving app and an error for none.
func TestHealthCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.Write([]byte("ok"))
			return
		}
		http.NotFound(w, r)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var out strings.Builder
	if err := run(context.Background(), []string{"health"}, envOf(map[string]string{"ADDR": addr}), &out); err != nil || !strings.Contains(out.String(), "is up") {
		t.Errorf("health of a serving app: %v %q", err, out.String())
	}
	srv.Close()
	if err := run(context.Background(), []string{"health"}, envOf(map[string]string{"ADDR": addr}), &out); err == nil {
		t.Error("health of a stopped app said it was up")
	}
}

// erase-index empties the search index in the app's database and says
// what it removed; the audit trail beside it is untouched.
func TestEraseIndexCommand(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/audit.db"
	store, h := openTrail(t, path, "")
	idx, err := index.Open(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	page := index.Page{Feed: index.FeedCustomers, Next: "c1", Customers: []index.Customer{
		{ID: 7, Name: "Ada Lovelace", Active: true, ModifiedOn: time.Now()},
		{ID: 8, Name: "Grace Hopper", Active: true, ModifiedOn: time.Now()},
	}}
	if err := idx.Apply(ctx, page); err != nil {
		t.Fatal(err)
	}
	id, err := store.Begin(ctx, audit.Entry{ActorEmail: "ada@example.com", CustomerID: 7, ContactID: 1})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()

	var out strings.Builder
	if err := run(ctx, []string{"erase-index"}, envOf(map[string]string{"AUDIT_DB": path}), &out); err != nil {
		t.Fatalf("erase-index: %v", err)
	}
	if !strings.Contains(out.String(), "Erased the search index in AUDIT_DB="+path+" (customers: 2, contacts: 0)") {
		t.Errorf("output %q", out.String())
	}

	store, h = openTrail(t, path, "")
	defer store.Close()
	idx, _ = index.Open(ctx, h)
	if n, err := idx.Count(ctx); err != nil || n.Customers != 0 {
		t.Errorf("after erase-index: %+v, %v", n, err)
	}
	if e, err := audit.Get(ctx, store, id); err != nil || e.CustomerID != 7 {
		t.Errorf("the audit entry beside the index: %+v, %v", e, err)
	}

	if err := run(ctx, []string{"erase-everything"}, envOf(map[string]string{"AUDIT_DB": path}), io.Discard); err == nil ||
		!strings.Contains(err.Error(), `no command "erase-everything"`) {
		t.Errorf("an unknown command: %v", err)
	}
}
