// Command contactdesk serves the contact editor: office staff find a
// ServiceTitan customer and edit one of their contacts. With no ServiceTitan
// credentials it runs against an embedded sandbox.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // DISPLAY_TZ must work in a static binary on a bare image

	"github.com/nyaruka/phonenumbers"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/handlers"
	"github.com/contactdesk/contactdesk/identity"
	"github.com/contactdesk/contactdesk/metrics"
)

// setting is one environment variable, as --help lists it.
type setting struct {
	name, def, help string
}

var settings = []setting{
	{"ADDR", "127.0.0.1:8080", "address to listen on"},
	{"ST_ENV", "sandbox when no credentials are set", "sandbox | integration | production"},
	{"ST_TENANT_ID", "", "ServiceTitan tenant id"},
	{"ST_CLIENT_ID", "", "OAuth client id (per environment and tenant)"},
	{"ST_CLIENT_SECRET", "", "OAuth client secret"},
	{"ST_APP_KEY", "", "ServiceTitan app key, sent as ST-App-Key"},
	{"ST_API_URL", "the environment's", "API host root, e.g. https://api.servicetitan.io"},
	{"ST_AUTH_URL", "the environment's", "full token URL, e.g. https://auth.servicetitan.io/connect/token"},
	{"ST_TIMEOUT", "15s", "timeout of each ServiceTitan call (a Go duration)"},
	{"ST_SANDBOX_LATENCY", "0", "sandbox only: delay every sandbox answer by this long (a Go duration), for load tests"},
	{"SESSION_SECRET", "random in sandbox mode", "secret for the session cookie (32+ characters); required in production"},
	{"SESSION_SECRET_PREVIOUS", "", "the previous SESSION_SECRET, still accepted during a rotation"},
	{"COOKIE_SECURE", "true unless ST_ENV=sandbox", "always mark the session cookie Secure (__Host- prefix); it is also Secure whenever HTTPS is seen"},
	{"AUTH_MODE", "none in sandbox, else proxy", "proxy | jwt | none (none only with ST_ENV=sandbox)"},
	{"AUTH_TRUSTED_PROXIES", "", "comma-separated CIDRs of the SSO proxy; only these peers' identity and X-Forwarded-* headers count"},
	{"AUTH_TRUST_ALL_PROXIES", "false", "true accepts an AUTH_TRUSTED_PROXIES range covering every address (0.0.0.0/0, ::/0); refused otherwise, since anyone reaching the port could then claim any identity"},
	{"AUTH_EMAIL_HEADER", "X-Forwarded-Email", "proxy mode: header with the person's email"},
	{"AUTH_USER_HEADER", "X-Forwarded-User", "proxy mode: header with the person's name (shown, never taken as the email)"},
	{"AUTH_GROUPS_HEADER", "X-Forwarded-Groups", "proxy mode: header with comma-separated groups"},
	{"AUTH_JWT_HEADER", "", "jwt mode: header with the signed assertion, e.g. Cf-Access-Jwt-Assertion"},
	{"AUTH_JWKS_URL", "", "jwt mode: URL of the issuer's public keys"},
	{"AUTH_JWT_ISSUER", "", "jwt mode: expected iss"},
	{"AUTH_JWT_AUDIENCE", "", "jwt mode: expected aud"},
	{"AUTH_JWT_EMAIL_CLAIM", "email", "jwt mode: claim holding the email"},
	{"AUTH_ALLOWED_EMAILS", "", "comma-separated emails allowed in (empty lists: everyone the SSO lets through)"},
	{"AUTH_ALLOWED_DOMAINS", "", "comma-separated email domains allowed in"},
	{"AUTH_ALLOWED_GROUPS", "", "comma-separated groups allowed in"},
	{"AUTH_SIGNOUT_URL", "", "sign-out link on every page, e.g. /oauth2/sign_out"},
	{"AUTH_SSO_ORIGIN", "the origin of AUTH_SIGNOUT_URL", "SSO origin allowed as a form target (CSP form-action)"},
	{"DISPLAY_TZ", "UTC", "IANA time zone times are shown in, e.g. America/Chicago"},
	{"PHONE_REGION", "US", "region for reading phone numbers as people type them"},
	{"LOG_LEVEL", "info", "debug | info | warn | error"},
	{"AUDIT_DB", "data/audit.db", "SQLite file of the audit trail (ignored when DATABASE_URL is set)"},
	{"DATABASE_URL", "", "PostgreSQL URL for the audit trail, for several instances"},
	{"AUDIT_RETENTION_DAYS", "keep forever", "delete audit entries older than this many days"},
	{"GOMEMLIMIT", "40MiB", "the Go runtime's soft memory limit (read by the runtime)"},
	{"METRICS_ADDR", "", "serve Prometheus /metrics on this separate address instead of ADDR (keeps it off the proxy)"},
}

// defaultMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 40 << 20

// config is the validated environment.
type config struct {
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
}

func main() {
	// SIGINT/SIGTERM cancel ctx: the server stops accepting connections and
	// lets requests in flight, saves included, finish.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contactdesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("contactdesk", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { usage(stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if getenv("GOMEMLIMIT") == "" {
		// A soft heap limit keeps a busy instance small: the collector runs
		// more often as the heap nears it (the runtime reads GOMEMLIMIT
		// itself when an operator sets one).
		debug.SetMemoryLimit(defaultMemoryLimit)
	}

	if cfg.Env == "sandbox" {
		sb := sandbox.New(sandbox.WithLatency(cfg.SandboxLatency))
		_, stop, err := sb.Start()
		if err != nil {
			return fmt.Errorf("start the embedded sandbox: %w", err)
		}
		defer stop()
		creds := sb.Credentials()
		cfg.ST.APIURL, cfg.ST.AuthURL, cfg.ST.TenantID = sb.APIURL(), sb.TokenURL(), creds.TenantID
		cfg.ST.ClientID, cfg.ST.ClientSecret, cfg.ST.AppKey = creds.ClientID, creds.ClientSecret, creds.AppKey
	}
	if cfg.RandomSession {
		log.Warn("SESSION_SECRET is not set: using a random key, so sessions end when the app restarts")
	}
	store, err := audit.Open(ctx, cfg.AuditDB, cfg.DatabaseURL)
	if err != nil {
		setting := "AUDIT_DB=" + cfg.AuditDB
		if cfg.DatabaseURL != "" {
			setting = "DATABASE_URL"
		}
		return fmt.Errorf("the audit trail cannot be opened (%s): %w", setting, err)
	}
	// A save's answer does not wait for its outcome's write; the record page
	// after it, and the shutdown below, do.
	store = audit.CompleteInBackground(store, func(id int64, err error) {
		log.Error("audit outcome not recorded", "audit_id", id, "error", err)
	})
	defer store.Close()
	if cfg.RetentionDays > 0 {
		go pruneAudit(ctx, store, cfg.RetentionDays, log)
	}

	version := buildVersion()
	meter := metrics.New(version)
	st, err := client.New(cfg.ST, client.WithLogger(log), client.WithObserver(meter))
	if err != nil {
		return err
	}
	var metricsOnMain http.Handler
	if cfg.MetricsAddr == "" {
		metricsOnMain = meter.Handler()
	} else {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", meter.Handler())
		msrv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("METRICS_ADDR=%s: %w", cfg.MetricsAddr, err)
		}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	app := handlers.New(handlers.Config{
		ServiceTitan: st,
		Sessions: handlers.NewSessionStore(handlers.SessionOptions{
			Secret: cfg.SessionSecret, Previous: cfg.SessionPrev, MaxAge: 12 * 60 * 60,
		}),
		Identity:       cfg.Identity,
		Policy:         cfg.Policy,
		TrustedProxies: cfg.Proxies,
		SignOutURL:     cfg.SignOutURL,
		SSOOrigin:      cfg.SSOOrigin,
		SecureCookies:  cfg.CookieSecure,
		Metrics:        meter,
		MetricsHandler: metricsOnMain,
		Audit:          store,
		TenantID:       cfg.ST.TenantID,
		Logger:         log,
		DisplayTZ:      cfg.DisplayTZ,
		PhoneRegion:    cfg.PhoneRegion,
		Sandbox:        cfg.Env == "sandbox",
		Version:        version,
		RequestTimeout: cfg.RequestTimeout,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR=%s: %w", cfg.Addr, err)
	}
	// Answers net/http makes itself (431, 400 for a malformed request)
	// carry the security headers too.
	ln = handlers.GuardListener(ln, handlers.SecurityHeaders(cfg.SSOOrigin))
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	url := "http://" + ln.Addr().String()
	log.Info("listening", "url", url, "st_env", cfg.Env, "version", version)
	fmt.Fprintf(stdout, "contactdesk %s: serving %s at %s\n", version, envDescription(cfg.Env), url)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	// Let in-flight saves finish and deliver their pages before exiting.
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.RequestTimeout+5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// pruneAudit deletes entries past the retention period now and daily.
func pruneAudit(ctx context.Context, store audit.Store, days int, log *slog.Logger) {
	for {
		n, err := store.Prune(ctx, time.Now().AddDate(0, 0, -days))
		if err != nil {
			log.Error("audit retention", "error", err)
		} else if n > 0 {
			log.Info("audit retention", "deleted", n, "days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}

func envDescription(env string) string {
	if env == "sandbox" {
		return "the embedded sandbox (not connected to ServiceTitan)"
	}
	return "ServiceTitan " + env
}

// loadConfig reads and checks the environment. Every message names the
// variable to fix.
func loadConfig(getenv func(string) string) (config, error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg := config{
		Addr:        cmp.Or(env("ADDR"), "127.0.0.1:8080"),
		PhoneRegion: strings.ToUpper(cmp.Or(env("PHONE_REGION"), "US")),
	}

	creds := map[string]string{}
	var set, missing []string
	for _, name := range []string{"ST_TENANT_ID", "ST_CLIENT_ID", "ST_CLIENT_SECRET", "ST_APP_KEY"} {
		creds[name] = env(name)
		if creds[name] != "" {
			set = append(set, name)
		} else {
			missing = append(missing, name)
		}
	}
	cfg.Env = strings.ToLower(env("ST_ENV"))
	if cfg.Env == "" {
		cfg.Env = "production"
		if len(set) == 0 {
			cfg.Env = "sandbox"
		}
	}
	switch cfg.Env {
	case "sandbox":
	case "integration", "production":
		if len(missing) > 0 {
			return cfg, fmt.Errorf("ST_ENV=%s needs ServiceTitan credentials: set %s", cfg.Env, strings.Join(missing, ", "))
		}
		tenant, err := strconv.ParseInt(creds["ST_TENANT_ID"], 10, 64)
		if err != nil || tenant <= 0 {
			return cfg, fmt.Errorf("ST_TENANT_ID=%q is not a tenant id (a positive number)", creds["ST_TENANT_ID"])
		}
		cfg.ST = client.Config{
			Environment: client.Environment(cfg.Env), APIURL: env("ST_API_URL"), AuthURL: env("ST_AUTH_URL"),
			TenantID: tenant, ClientID: creds["ST_CLIENT_ID"], ClientSecret: creds["ST_CLIENT_SECRET"], AppKey: creds["ST_APP_KEY"],
		}
	default:
		return cfg, fmt.Errorf("ST_ENV=%q: want sandbox, integration or production", cfg.Env)
	}
	if cfg.Env == "sandbox" && len(set) > 0 {
		return cfg, fmt.Errorf("ST_ENV=sandbox but %s set: unset them, or set ST_ENV=integration or production", strings.Join(set, ", "))
	}
	for _, name := range []string{"ST_API_URL", "ST_AUTH_URL"} {
		if v := env(name); v != "" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
			return cfg, fmt.Errorf("%s=%q is not an http(s) URL", name, v)
		}
	}

	cfg.ST.Timeout = client.DefaultTimeout
	if v := env("ST_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return cfg, fmt.Errorf("ST_TIMEOUT=%q is not a positive Go duration such as 15s", v)
		}
		cfg.ST.Timeout = d
	}
	if v := env("ST_SANDBOX_LATENCY"); v != "" {
		if cfg.Env != "sandbox" {
			return cfg, fmt.Errorf("ST_SANDBOX_LATENCY is for the sandbox only (ST_ENV=%s): unset it", cfg.Env)
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return cfg, fmt.Errorf("ST_SANDBOX_LATENCY=%q is not a Go duration such as 20ms", v)
		}
		cfg.SandboxLatency = d
	}
	cfg.ST.UserAgent = "contactdesk/" + buildVersion()
	// A save makes up to three calls (read, write, read back after a lost
	// answer); the page must still answer within its own deadline.
	cfg.RequestTimeout = 2*cfg.ST.Timeout + 5*time.Second

	secret, prev := env("SESSION_SECRET"), env("SESSION_SECRET_PREVIOUS")
	switch {
	case secret == "" && cfg.Env == "production":
		return cfg, errors.New("SESSION_SECRET must be set in production (32 or more random characters)")
	case secret == "":
		cfg.SessionSecret, cfg.RandomSession = []byte(rand.Text()+rand.Text()), true
	case len(secret) < 32:
		return cfg, errors.New("SESSION_SECRET is too short: use 32 or more random characters")
	default:
		cfg.SessionSecret = []byte(secret)
	}
	if prev != "" {
		cfg.SessionPrev = []byte(prev)
	}
	cfg.CookieSecure = cfg.Env != "sandbox"
	if v := env("COOKIE_SECURE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("COOKIE_SECURE=%q: want true or false", v)
		}
		cfg.CookieSecure = b
	}
	cfg.MetricsAddr = env("METRICS_ADDR")
	cfg.AuditDB = cmp.Or(env("AUDIT_DB"), "data/audit.db")
	cfg.DatabaseURL = env("DATABASE_URL")
	if v := env("AUDIT_RETENTION_DAYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return cfg, fmt.Errorf("AUDIT_RETENTION_DAYS=%q: want a positive number of days", v)
		}
		cfg.RetentionDays = n
	}
	if err := loadAuth(&cfg, env); err != nil {
		return cfg, err
	}

	tz, err := time.LoadLocation(cmp.Or(env("DISPLAY_TZ"), "UTC"))
	if err != nil {
		return cfg, fmt.Errorf("DISPLAY_TZ=%q is not an IANA time zone such as America/Chicago", env("DISPLAY_TZ"))
	}
	cfg.DisplayTZ = tz
	if phonenumbers.GetCountryCodeForRegion(cfg.PhoneRegion) == 0 {
		return cfg, fmt.Errorf("PHONE_REGION=%q is not a region code such as US or CA", cfg.PhoneRegion)
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(cmp.Or(env("LOG_LEVEL"), "info"))); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", env("LOG_LEVEL"))
	}
	return cfg, nil
}

// loadAuth reads who may use the app and how they are identified.
func loadAuth(cfg *config, env func(string) string) error {
	var err error
	if cfg.Proxies, err = identity.ParseProxies(env("AUTH_TRUSTED_PROXIES")); err != nil {
		return fmt.Errorf("AUTH_TRUSTED_PROXIES: %w", err)
	}
	if cfg.Proxies.TrustsEveryone() {
		force, _ := strconv.ParseBool(cmp.Or(env("AUTH_TRUST_ALL_PROXIES"), "false"))
		if !force {
			return errors.New("AUTH_TRUSTED_PROXIES covers every address, so anyone who reaches the port could claim any identity: " +
				"list the SSO proxy's addresses, or set AUTH_TRUST_ALL_PROXIES=true if the network really lets only the proxy in")
		}
	}
	mode := strings.ToLower(env("AUTH_MODE"))
	if mode == "" {
		mode = "proxy"
		if cfg.Env == "sandbox" {
			mode = "none"
		}
	}
	switch mode {
	case "none":
		if cfg.Env != "sandbox" {
			return fmt.Errorf("AUTH_MODE=none is for the sandbox only (ST_ENV=%s): use AUTH_MODE=proxy or jwt", cfg.Env)
		}
		cfg.Identity = identity.SandboxUser
	case "proxy":
		if len(cfg.Proxies) == 0 {
			return errors.New("AUTH_MODE=proxy needs AUTH_TRUSTED_PROXIES (the SSO proxy's addresses, e.g. 10.0.0.0/8)")
		}
		cfg.Identity = identity.ProxyHeaders{
			EmailHeader: env("AUTH_EMAIL_HEADER"), UserHeader: env("AUTH_USER_HEADER"), GroupsHeader: env("AUTH_GROUPS_HEADER"),
			Trusted: cfg.Proxies,
		}
	case "jwt":
		var missing []string
		for _, name := range []string{"AUTH_JWT_HEADER", "AUTH_JWKS_URL", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE"} {
			if env(name) == "" {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("AUTH_MODE=jwt needs %s", strings.Join(missing, ", "))
		}
		if cfg.Identity, err = identity.NewJWT(identity.JWTConfig{
			Header: env("AUTH_JWT_HEADER"), JWKSURL: env("AUTH_JWKS_URL"), Issuer: env("AUTH_JWT_ISSUER"),
			Audience: env("AUTH_JWT_AUDIENCE"), EmailClaim: env("AUTH_JWT_EMAIL_CLAIM"),
		}); err != nil {
			return fmt.Errorf("AUTH_MODE=jwt: %w", err)
		}
	default:
		return fmt.Errorf("AUTH_MODE=%q: want proxy, jwt or none", mode)
	}
	cfg.Policy = identity.Policy{
		Emails:  identity.SplitList(env("AUTH_ALLOWED_EMAILS")),
		Domains: identity.SplitList(env("AUTH_ALLOWED_DOMAINS")),
		Groups:  identity.SplitList(env("AUTH_ALLOWED_GROUPS")),
	}
	cfg.SignOutURL = env("AUTH_SIGNOUT_URL")
	cfg.SSOOrigin = env("AUTH_SSO_ORIGIN")
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

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: contactdesk [--help]\n\nServes the contact editor. Configuration comes from the environment:\n\n")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "  %-24s %s\n  %-24s default: %s\n", s.name, s.help, "", def)
	}
	fmt.Fprintf(w, "\nWith none of ST_TENANT_ID, ST_CLIENT_ID, ST_CLIENT_SECRET, ST_APP_KEY set, the app runs\nagainst an embedded ServiceTitan sandbox.\n")
}

// buildVersion is the module version, or the VCS revision when built from
// a checkout, or "dev".
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return s.Value[:12]
		}
	}
	return "dev"
}
