package app

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/contactdesk/contactdesk/db"
	"github.com/contactdesk/contactdesk/index"
)

// commands are what `contactdesk <command>` does instead of serving.
var commands = []struct {
	name, args, help string
	run              func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error
}{
	{"erase-index", "", "delete the search index's copy of customers and contacts from the database; the app loads it again from ServiceTitan on its next sync", eraseIndex},
	{"health", "", "ask the app serving at ADDR whether it is up (GET /healthz): exit status 0 when it is; for container health checks, where there is no curl", health},
	{"backup", "PATH", "copy the database (the audit trail, the index, bulk jobs) to the new file PATH, safely while the app serves (SQLite: VACUUM INTO; PostgreSQL: pg_dump's custom format)", backup},
}

func RunCommand(ctx context.Context, name string, args []string, cfg Config, stdout io.Writer) error {
	for _, c := range commands {
		if c.name != name {
			continue
		}
		if want := len(strings.Fields(c.args)); len(args) != want {
			return fmt.Errorf("usage: contactdesk %s %s", c.name, c.args)
		}
		return c.run(ctx, cfg, args, stdout)
	}
	return fmt.Errorf("no command %q (try --help)", name)
}

// eraseIndex empties the tenant index in the database the app uses
// (AUDIT_DB or DATABASE_URL). It may run while the app serves: search
// falls back to ServiceTitan until the next sync has loaded the tenant.
func eraseIndex(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
	h, err := db.Open(ctx, cfg.AuditDB, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("the database cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	defer h.Close()
	idx, err := index.Open(ctx, h)
	if err != nil {
		return fmt.Errorf("the search index cannot be opened: %w", err)
	}
	n, err := idx.Erase(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Erased the search index in %s (customers: %d, contacts: %d).\n"+
		"The app loads them again from ServiceTitan on its next sync (INDEX_INTERVAL=%s); until then search asks ServiceTitan.\n",
		databaseSetting(cfg), n.Customers, n.Contacts, cfg.IndexInterval)
	return nil
}

// databaseSetting names the setting that chose the database, never the
// URL itself (it may hold a password).
func databaseSetting(cfg Config) string {
	if cfg.DatabaseURL != "" {
		return "DATABASE_URL"
	}
	return "AUDIT_DB=" + cfg.AuditDB
}

// health asks the app at ADDR for /healthz, as a container's health check
// would with curl, which a distroless image does not have.
func health(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR=%s: %w", cfg.Addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the app at %s does not answer: %w", cfg.Addr, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the app at %s answered /healthz with %d", cfg.Addr, resp.StatusCode)
	}
	fmt.Fprintf(stdout, "The app at %s is up.\n", cfg.Addr)
	return nil
}
