package main

import (
	"context"
	"fmt"
	"io"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/index"
)

// commands are what `contactdesk <command>` does instead of serving.
var commands = []struct {
	name, help string
	run        func(ctx context.Context, cfg config, stdout io.Writer) error
}{
	{"erase-index", "delete the search index's copy of customers and contacts from the database; the app loads it again from ServiceTitan on its next sync", eraseIndex},
}

func runCommand(ctx context.Context, name string, cfg config, stdout io.Writer) error {
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, cfg, stdout)
		}
	}
	return fmt.Errorf("no command %q (try --help)", name)
}

// eraseIndex empties the tenant index in the database the app uses
// (AUDIT_DB or DATABASE_URL). It may run while the app serves: search
// falls back to ServiceTitan until the next sync has loaded the tenant.
func eraseIndex(ctx context.Context, cfg config, stdout io.Writer) error {
	store, err := audit.Open(ctx, cfg.AuditDB, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("the database cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	defer store.Close()
	sqlDB, dialect := store.DB()
	idx, err := index.Open(ctx, sqlDB, dialect)
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
func databaseSetting(cfg config) string {
	if cfg.DatabaseURL != "" {
		return "DATABASE_URL"
	}
	return "AUDIT_DB=" + cfg.AuditDB
}
