package app

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/hygiene"
	"github.com/contactdesk/contactdesk/identity"
)

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 40 << 20

// Config is the validated environment.
type Config struct {
	Addr           string
	Env            string // sandbox, integration, production
	ST             client.Config
	SessionSecret  []byte
	SessionPrev    []byte
	RandomSession  bool
	CookieSecure   bool
	Identity       identity.Source
	Policy         identity.Policy
	Proxies        identity.Proxies
	SignOutURL     string
	SSOOrigin      string
	DisplayTZ      *time.Location
	PhoneRegion    string
	LogLevel       slog.Level
	MetricsAddr    string
	AuditDB        string
	DatabaseURL    string
	RetentionDays  int
	RequestTimeout time.Duration
	SandboxLatency time.Duration
	RateLimit      float64
	IndexInterval  time.Duration
	IndexRate      float64
	// BulkRate is the bulk jobs' share of RateLimit (BULK_RATE).
	BulkRate float64
	// BulkPolicy names who may start, pause and cancel bulk jobs; BulkOpen
	// lets everyone (the sandbox, with no list set).
	BulkPolicy identity.Policy
	BulkOpen   bool
	// SandboxCustomers is how many generated customers the sandbox adds.
	SandboxCustomers int
	// Hygiene are the hygiene report's rules (PHONE_REGION,
	// HYGIENE_PLACEHOLDERS, HYGIENE_SHARED_MIN).
	Hygiene hygiene.Rules

	hygienePlaceholders string // read once PHONE_REGION is known
	memoryLimitSet      bool   // GOMEMLIMIT is set: the runtime applies it

	// Read by the table pass, used by checkAuth: which identity source
	// applies depends on AUTH_MODE and ST_ENV together.
	authMode        string
	trustAllProxies bool
	proxyHeaders    identity.ProxyHeaders
	jwt             identity.JWTConfig
}

// setting is one environment variable: what --help (and the README) say
// about it, and how LoadConfig reads it.
type setting struct {
	name string
	// def is the value used when the variable is unset or blank.
	def string
	// defNote describes a default worked out elsewhere (from other settings,
	// by the client or by the Go runtime); it is only shown.
	defNote string
	help    string
	// parse reads a value (or def) into the config on its own; rules that tie
	// settings together run after every setting is read. nil when only those
	// rules, or the Go runtime, read the variable.
	parse func(c *Config, v string) error
}

var settings = []setting{
	{name: "ADDR", def: "127.0.0.1:8080", help: "address to listen on",
		parse: func(c *Config, v string) error { c.Addr = v; return nil }},
	{name: "ST_ENV", defNote: "sandbox when no credentials are set", help: "sandbox | integration | production",
		parse: func(c *Config, v string) (err error) {
			c.Env, err = oneOf("ST_ENV", v, "sandbox", "integration", "production")
			return err
		}},
	// The credentials are read by checkServiceTitan: all four or none, and
	// what they must look like depends on ST_ENV.
	{name: "ST_TENANT_ID", help: "ServiceTitan tenant id"},
	{name: "ST_CLIENT_ID", help: "OAuth client id (per environment and tenant)"},
	{name: "ST_CLIENT_SECRET", help: "OAuth client secret"},
	{name: "ST_APP_KEY", help: "ServiceTitan app key, sent as ST-App-Key"},
	{name: "ST_API_URL", defNote: "the environment's", help: "API host root, e.g. https://api.servicetitan.io",
		parse: func(c *Config, v string) error { c.ST.APIURL = v; return checkHTTPURL("ST_API_URL", v) }},
	{name: "ST_AUTH_URL", defNote: "the environment's", help: "full token URL, e.g. https://auth.servicetitan.io/connect/token",
		parse: func(c *Config, v string) error { c.ST.AuthURL = v; return checkHTTPURL("ST_AUTH_URL", v) }},
	{name: "ST_TIMEOUT", def: client.DefaultTimeout.String(), help: "timeout of each ServiceTitan call (a Go duration)",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("ST_TIMEOUT=%q is not a positive Go duration such as 15s", v)
			}
			c.ST.Timeout = d
			return nil
		}},
	// Read by checkServiceTitan: outside the sandbox any value is refused,
	// however it is written.
	{name: "ST_SANDBOX_LATENCY", def: "0", help: "sandbox only: delay every sandbox answer by this long (a Go duration), for load tests"},
	{name: "SANDBOX_CUSTOMERS", def: "0", help: "sandbox only: add this many generated customers (1-4 contacts each, and their service locations: one home or one to twelve sites, each with 0-4 contacts of its own) to the 28 seed ones, for demos and benchmarks"},
	{name: "SESSION_SECRET", defNote: "random in sandbox mode", help: "secret for the session cookie (32+ characters); required in production",
		parse: func(c *Config, v string) error {
			// The message leaves the value out: it is a secret.
			if len(v) < 32 {
				return errors.New("SESSION_SECRET is too short: use 32 or more random characters")
			}
			c.SessionSecret = []byte(v)
			return nil
		}},
	{name: "SESSION_SECRET_PREVIOUS", help: "the previous SESSION_SECRET, still accepted during a rotation",
		parse: func(c *Config, v string) error { c.SessionPrev = []byte(v); return nil }},
	{name: "COOKIE_SECURE", defNote: "true unless ST_ENV=sandbox", help: "always mark the session cookie Secure (__Host- prefix); it is also Secure whenever HTTPS is seen",
		parse: func(c *Config, v string) error {
			return store(&c.CookieSecure, strconv.ParseBool, v, "COOKIE_SECURE=%q: want true or false")
		}},
	{name: "AUTH_MODE", defNote: "none in sandbox, else proxy", help: "proxy | jwt | none (none only with ST_ENV=sandbox)",
		parse: func(c *Config, v string) (err error) {
			c.authMode, err = oneOf("AUTH_MODE", v, "proxy", "jwt", "none")
			return err
		}},
	{name: "AUTH_TRUSTED_PROXIES", help: "comma-separated CIDRs of the SSO proxy; only these peers' identity and X-Forwarded-* headers count",
		parse: func(c *Config, v string) (err error) {
			if c.Proxies, err = identity.ParseProxies(v); err != nil {
				return fmt.Errorf("AUTH_TRUSTED_PROXIES: %w", err)
			}
			return nil
		}},
	{name: "AUTH_TRUST_ALL_PROXIES", def: "false", help: "true accepts an AUTH_TRUSTED_PROXIES range covering every address (0.0.0.0/0, ::/0); refused otherwise, since anyone reaching the port could then claim any identity",
		parse: func(c *Config, v string) error {
			// Anything but a true value leaves the refusal in place, the
			// safe side, and its message says to write "true".
			c.trustAllProxies, _ = strconv.ParseBool(v)
			return nil
		}},
	{name: "AUTH_EMAIL_HEADER", def: "X-Forwarded-Email", help: "proxy mode: header with the person's email",
		parse: func(c *Config, v string) error { c.proxyHeaders.EmailHeader = v; return nil }},
	{name: "AUTH_NAME_HEADER", def: "X-Forwarded-Preferred-Username", help: "proxy mode: header with the name pages show (without it, the email)",
		parse: func(c *Config, v string) error { c.proxyHeaders.NameHeader = v; return nil }},
	{name: "AUTH_USER_HEADER", def: "X-Forwarded-User", help: "proxy mode: header with the proxy's user id (oauth2-proxy: the OIDC subject); never shown, never taken as the email, refused when doubled",
		parse: func(c *Config, v string) error { c.proxyHeaders.UserHeader = v; return nil }},
	{name: "AUTH_GROUPS_HEADER", def: "X-Forwarded-Groups", help: "proxy mode: header with comma-separated groups",
		parse: func(c *Config, v string) error { c.proxyHeaders.GroupsHeader = v; return nil }},
	{name: "AUTH_JWT_HEADER", help: "jwt mode: header with the signed assertion, e.g. Cf-Access-Jwt-Assertion",
		parse: func(c *Config, v string) error { c.jwt.Header = v; return nil }},
	{name: "AUTH_JWKS_URL", help: "jwt mode: URL of the issuer's public keys",
		parse: func(c *Config, v string) error { c.jwt.JWKSURL = v; return nil }},
	{name: "AUTH_JWT_ISSUER", help: "jwt mode: expected iss",
		parse: func(c *Config, v string) error { c.jwt.Issuer = v; return nil }},
	{name: "AUTH_JWT_AUDIENCE", help: "jwt mode: expected aud",
		parse: func(c *Config, v string) error { c.jwt.Audience = v; return nil }},
	{name: "AUTH_JWT_EMAIL_CLAIM", def: "email", help: "jwt mode: claim holding the email",
		parse: func(c *Config, v string) error { c.jwt.EmailClaim = v; return nil }},
	{name: "AUTH_ALLOWED_EMAILS", help: "comma-separated emails allowed in (empty lists: everyone the SSO lets through)",
		parse: func(c *Config, v string) error { c.Policy.Emails = identity.SplitList(v); return nil }},
	{name: "AUTH_ALLOWED_DOMAINS", help: "comma-separated email domains allowed in",
		parse: func(c *Config, v string) error { c.Policy.Domains = identity.SplitList(v); return nil }},
	{name: "AUTH_ALLOWED_GROUPS", help: "comma-separated groups allowed in",
		parse: func(c *Config, v string) error { c.Policy.Groups = identity.SplitList(v); return nil }},
	{name: "AUTH_SIGNOUT_URL", help: "sign-out link on every page, e.g. /oauth2/sign_out",
		parse: func(c *Config, v string) error { c.SignOutURL = v; return nil }},
	// Checked by checkAuth, which also checks the origin it derives.
	{name: "AUTH_SSO_ORIGIN", defNote: "the origin of AUTH_SIGNOUT_URL", help: "SSO origin allowed as a form target (CSP form-action)",
		parse: func(c *Config, v string) error { c.SSOOrigin = v; return nil }},
	{name: "DISPLAY_TZ", defNote: "each browser's own zone (UTC, said so, without JavaScript)", help: "IANA time zone times are shown in, e.g. America/Chicago",
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			return store(&c.DisplayTZ, time.LoadLocation, v, "DISPLAY_TZ=%q is not an IANA time zone such as America/Chicago")
		}},
	{name: "PHONE_REGION", def: "US", help: "region for reading phone numbers as people type them",
		parse: func(c *Config, v string) error {
			c.PhoneRegion = strings.ToUpper(v)
			if phonenumbers.GetCountryCodeForRegion(c.PhoneRegion) == 0 {
				return fmt.Errorf("PHONE_REGION=%q is not a region code such as US or CA", c.PhoneRegion)
			}
			return nil
		}},
	{name: "LOG_LEVEL", def: "info", help: "debug | info | warn | error",
		parse: func(c *Config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", v)
			}
			return nil
		}},
	{name: "AUDIT_DB", def: "data/audit.db", help: "SQLite file of the audit trail (ignored when DATABASE_URL is set)",
		parse: func(c *Config, v string) error { c.AuditDB = v; return nil }},
	{name: "DATABASE_URL", help: "PostgreSQL URL for the audit trail, for several instances",
		parse: func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{name: "AUDIT_RETENTION_DAYS", defNote: "keep forever", help: "delete audit entries older than this many days",
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return fmt.Errorf("AUDIT_RETENTION_DAYS=%q: want a positive number of days", v)
			}
			c.RetentionDays = n
			return nil
		}},
	// The runtime reads GOMEMLIMIT itself; Serve sets the default when it is unset.
	{name: "GOMEMLIMIT", defNote: fmt.Sprintf("%dMiB", defaultMemoryLimit>>20), help: "the Go runtime's soft memory limit (read by the runtime)",
		parse: func(c *Config, _ string) error { c.memoryLimitSet = true; return nil }},
	{name: "METRICS_ADDR", help: "serve Prometheus /metrics on this separate address instead of ADDR (keeps it off the proxy)",
		parse: func(c *Config, v string) error { c.MetricsAddr = v; return nil }},
	{name: "ST_RATE_LIMIT", def: "50", help: "calls per second to ServiceTitan from this app, all of them (ServiceTitan allows 60 per tenant and application)",
		parse: func(c *Config, v string) (err error) { c.RateLimit, err = perSecond("ST_RATE_LIMIT", v); return err }},
	{name: "INDEX_INTERVAL", def: "60s", help: "how often the tenant index asks ServiceTitan for changes once it is complete (a Go duration)",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Second {
				return fmt.Errorf("INDEX_INTERVAL=%q is not a Go duration of a second or more, such as 60s", v)
			}
			c.IndexInterval = d
			return nil
		}},
	{name: "INDEX_RATE", def: "5", help: "calls per second the index sync may take of ST_RATE_LIMIT; people's requests never wait behind it",
		parse: func(c *Config, v string) (err error) { c.IndexRate, err = perSecond("INDEX_RATE", v); return err }},
	{name: "BULK_RATE", def: "10", help: "calls per second bulk jobs may take of ST_RATE_LIMIT, all jobs together; people's requests never wait behind them",
		parse: func(c *Config, v string) (err error) { c.BulkRate, err = perSecond("BULK_RATE", v); return err }},
	{name: "AUTH_BULK_EMAILS", help: "comma-separated emails who may start, pause and cancel bulk jobs (with neither this nor AUTH_BULK_GROUPS: nobody outside the sandbox)",
		parse: func(c *Config, v string) error { c.BulkPolicy.Emails = identity.SplitList(v); return nil }},
	{name: "AUTH_BULK_GROUPS", help: "comma-separated groups whose members may start, pause and cancel bulk jobs",
		parse: func(c *Config, v string) error { c.BulkPolicy.Groups = identity.SplitList(v); return nil }},
	{name: "HYGIENE_PLACEHOLDERS", help: "comma-separated values the hygiene report also lists as placeholders: phone numbers, emails, email local parts (nobody) and domains (@example.invalid)",
		parse: func(c *Config, v string) error { c.hygienePlaceholders = v; return nil }},
	{name: "HYGIENE_SHARED_MIN", def: "3", help: "the hygiene report lists a phone number or email held by more than this many customers",
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return fmt.Errorf("HYGIENE_SHARED_MIN=%q: want a number of customers from 1 to 1000, such as 3", v)
			}
			c.Hygiene.SharedMin = n
			return nil
		}},
}

// perSecond reads a positive rate in calls per second.
func perSecond(name, v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 10000 {
		return 0, fmt.Errorf("%s=%q: want a number of calls per second, such as 5", name, v)
	}
	return f, nil
}

// LoadConfig reads and checks the environment: each setting on its own
// through the table, then the rules that tie settings together. Every
// message names the variable to fix.
func LoadConfig(getenv func(string) string) (Config, error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	var cfg Config
	for _, s := range settings {
		v := cmp.Or(env(s.name), s.def)
		if v == "" || s.parse == nil {
			continue
		}
		if err := s.parse(&cfg, v); err != nil {
			return cfg, err
		}
	}
	if err := checkServiceTitan(&cfg, env); err != nil {
		return cfg, err
	}
	if err := checkSession(&cfg, env); err != nil {
		return cfg, err
	}
	if err := checkAuth(&cfg); err != nil {
		return cfg, err
	}
	for name, share := range map[string]float64{"INDEX_RATE": cfg.IndexRate, "BULK_RATE": cfg.BulkRate} {
		if share > cfg.RateLimit {
			return cfg, fmt.Errorf("%s=%g is more than ST_RATE_LIMIT=%g: it is a share of that budget", name, share, cfg.RateLimit)
		}
	}
	cfg.BulkOpen = cfg.Env == "sandbox" && cfg.BulkPolicy.Empty()
	cfg.Hygiene.Region = cfg.PhoneRegion
	placeholders, err := hygiene.ParsePlaceholders(cfg.hygienePlaceholders, cfg.PhoneRegion)
	if err != nil {
		return cfg, fmt.Errorf("HYGIENE_PLACEHOLDERS: %w", err)
	}
	cfg.Hygiene.Placeholders = placeholders
	return cfg, nil
}

// credentialNames are the ServiceTitan credentials: set all four or none.
var credentialNames = []string{"ST_TENANT_ID", "ST_CLIENT_ID", "ST_CLIENT_SECRET", "ST_APP_KEY"}

// checkServiceTitan picks the environment (credentials mean production) and
// checks that the credentials and sandbox-only settings fit it.
func checkServiceTitan(cfg *Config, env func(string) string) error {
	var set, missing []string
	for _, name := range credentialNames {
		if env(name) != "" {
			set = append(set, name)
		} else {
			missing = append(missing, name)
		}
	}
	if cfg.Env == "" {
		cfg.Env = "production"
		if len(set) == 0 {
			cfg.Env = "sandbox"
		}
	}
	if cfg.Env == "sandbox" {
		if len(set) > 0 {
			return fmt.Errorf("ST_ENV=sandbox but %s set: unset them, or set ST_ENV=integration or production", strings.Join(set, ", "))
		}
	} else {
		if len(missing) > 0 {
			return fmt.Errorf("ST_ENV=%s needs ServiceTitan credentials: set %s", cfg.Env, strings.Join(missing, ", "))
		}
		tenant, err := strconv.ParseInt(env("ST_TENANT_ID"), 10, 64)
		if err != nil || tenant <= 0 {
			return fmt.Errorf("ST_TENANT_ID=%q is not a tenant id (a positive number)", env("ST_TENANT_ID"))
		}
		cfg.ST.Environment, cfg.ST.TenantID = client.Environment(cfg.Env), tenant
		cfg.ST.ClientID, cfg.ST.ClientSecret, cfg.ST.AppKey = env("ST_CLIENT_ID"), env("ST_CLIENT_SECRET"), env("ST_APP_KEY")
	}
	if v := env("ST_SANDBOX_LATENCY"); v != "" {
		if cfg.Env != "sandbox" {
			return fmt.Errorf("ST_SANDBOX_LATENCY is for the sandbox only (ST_ENV=%s): unset it", cfg.Env)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("ST_SANDBOX_LATENCY=%q is not a Go duration such as 20ms", v)
		}
		cfg.SandboxLatency = d
	}
	if v := env("SANDBOX_CUSTOMERS"); v != "" {
		if cfg.Env != "sandbox" {
			return fmt.Errorf("SANDBOX_CUSTOMERS is for the sandbox only (ST_ENV=%s): unset it", cfg.Env)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > sandbox.MaxGeneratedCustomers {
			return fmt.Errorf("SANDBOX_CUSTOMERS=%q is not a number of customers from 0 to %d", v, sandbox.MaxGeneratedCustomers)
		}
		cfg.SandboxCustomers = n
	}
	cfg.ST.UserAgent = "contactdesk/" + buildVersion()
	// A save makes up to three calls (read, write, read back after a lost
	// answer); the page must still answer within its own deadline.
	cfg.RequestTimeout = 2*cfg.ST.Timeout + 5*time.Second
	return nil
}

// checkSession requires a session secret in production and secure cookies
// outside the sandbox, unless told otherwise.
func checkSession(cfg *Config, env func(string) string) error {
	if cfg.SessionSecret == nil {
		if cfg.Env == "production" {
			return errors.New("SESSION_SECRET must be set in production (32 or more random characters)")
		}
		cfg.SessionSecret, cfg.RandomSession = []byte(rand.Text()+rand.Text()), true
	}
	if env("COOKIE_SECURE") == "" {
		cfg.CookieSecure = cfg.Env != "sandbox"
	}
	return nil
}

// checkAuth decides who may use the app and how they are identified.
func checkAuth(cfg *Config) error {
	if cfg.Proxies.TrustsEveryone() && !cfg.trustAllProxies {
		return errors.New("AUTH_TRUSTED_PROXIES covers every address, so anyone who reaches the port could claim any identity: " +
			"list the SSO proxy's addresses, or set AUTH_TRUST_ALL_PROXIES=true if the network really lets only the proxy in")
	}
	mode := cfg.authMode
	if mode == "" {
		mode = "proxy"
		if cfg.Env == "sandbox" {
			mode = "none"
		}
	}
	switch mode { // the table pass refused any other mode
	case "none":
		if cfg.Env != "sandbox" {
			return fmt.Errorf("AUTH_MODE=none is for the sandbox only (ST_ENV=%s): use AUTH_MODE=proxy or jwt", cfg.Env)
		}
		cfg.Identity = identity.SandboxUser
	case "proxy":
		if len(cfg.Proxies) == 0 {
			return errors.New("AUTH_MODE=proxy needs AUTH_TRUSTED_PROXIES (the SSO proxy's addresses, e.g. 10.0.0.0/8)")
		}
		headers := cfg.proxyHeaders
		headers.Trusted = cfg.Proxies
		cfg.Identity = headers
	case "jwt":
		var missing []string
		for _, s := range []struct{ name, value string }{
			{"AUTH_JWT_HEADER", cfg.jwt.Header}, {"AUTH_JWKS_URL", cfg.jwt.JWKSURL},
			{"AUTH_JWT_ISSUER", cfg.jwt.Issuer}, {"AUTH_JWT_AUDIENCE", cfg.jwt.Audience},
		} {
			if s.value == "" {
				missing = append(missing, s.name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("AUTH_MODE=jwt needs %s", strings.Join(missing, ", "))
		}
		jwt, err := identity.NewJWT(cfg.jwt)
		if err != nil {
			return fmt.Errorf("AUTH_MODE=jwt: %w", err)
		}
		cfg.Identity = jwt
	}

	// The origin goes into the CSP header (form-action), so it must be a
	// bare origin that cannot add a directive of its own.
	if cfg.SSOOrigin == "" && strings.HasPrefix(cfg.SignOutURL, "http") {
		if u, err := url.Parse(cfg.SignOutURL); err == nil {
			cfg.SSOOrigin = u.Scheme + "://" + u.Host
		}
	}
	if cfg.SSOOrigin != "" {
		u, err := url.Parse(cfg.SSOOrigin)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(cfg.SSOOrigin, " ;'") {
			return fmt.Errorf("AUTH_SSO_ORIGIN=%q is not an origin such as https://sso.example.com", cfg.SSOOrigin)
		}
		cfg.SSOOrigin = u.Scheme + "://" + u.Host
	}
	return nil
}

// oneOf returns v in lower case, or an error naming the choices when it is
// none of them.
func oneOf(name, v string, choices ...string) (string, error) {
	v = strings.ToLower(v)
	if slices.Contains(choices, v) {
		return v, nil
	}
	last := len(choices) - 1
	return v, fmt.Errorf("%s=%q: want %s or %s", name, v, strings.Join(choices[:last], ", "), choices[last])
}

// store reads v with read into *field. A value read refuses is reported
// with refusal, a format given the value, which names the setting and says
// what to write instead.
func store[T any](field *T, read func(string) (T, error), v, refusal string) error {
	x, err := read(v)
	if err != nil {
		return fmt.Errorf(refusal, v)
	}
	*field = x
	return nil
}

// checkHTTPURL refuses a URL the client could not call.
func checkHTTPURL(name, v string) error {
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		return fmt.Errorf("%s=%q is not an http(s) URL", name, v)
	}
	return nil
}

// usage prints --help from the settings table.
func Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: contactdesk [--help] [command]\n\nServes the contact editor. Configuration comes from the environment:\n\n")
	for _, s := range settings {
		fmt.Fprintf(w, "  %-24s %s\n  %-24s default: %s\n", s.name, s.help, "", cmp.Or(s.def, s.defNote, "(none)"))
	}
	fmt.Fprintf(w, "\nWith none of %s set, the app runs\nagainst an embedded ServiceTitan sandbox.\n", strings.Join(credentialNames, ", "))
	fmt.Fprintf(w, "\nCommands (run instead of serving, with the same settings):\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-24s %s\n", strings.TrimSpace(c.name+" "+c.args), c.help)
	}
}
