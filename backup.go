package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/contactdesk/contactdesk/audit"
)

// backup copies the app's database to the new file path while the app
// may serve: the audit trail is the only record of who changed what.
//
// SQLite: VACUUM INTO writes one consistent snapshot (a transaction that
// began before it is in, or not, whole) to the file, which is then opened
// and checked. PostgreSQL: pg_dump's custom format, restored with
// pg_restore; the password goes to pg_dump in its environment, never on
// its command line.
func backup(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	path, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: a backup never overwrites a file; choose a new name", path)
	}
	if cfg.DatabaseURL != "" {
		return backupPostgres(ctx, cfg.DatabaseURL, path, stdout)
	}
	store, err := audit.OpenSQLite(ctx, cfg.AuditDB)
	if err != nil {
		return fmt.Errorf("the database cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	defer store.Close()
	sqlDB, _ := store.DB()
	if _, err := sqlDB.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("back up %s: %w", databaseSetting(cfg), err)
	}
	n, err := checkSQLiteBackup(ctx, path)
	if err != nil {
		return fmt.Errorf("the backup %s does not open as it should (kept for a look): %w", path, err)
	}
	fi, _ := os.Stat(path)
	fmt.Fprintf(stdout, "Backed up %s to %s (%.1f MiB, %d audit entries).\n"+
		"Restore: stop the app, put the file in AUDIT_DB's place (and delete AUDIT_DB-wal and AUDIT_DB-shm beside it), start the app.\n",
		databaseSetting(cfg), path, float64(fi.Size())/(1<<20), n)
	return nil
}

// checkSQLiteBackup opens a backup as the app would and counts its audit
// entries, after SQLite's own integrity check.
func checkSQLiteBackup(ctx context.Context, path string) (int, error) {
	store, err := audit.OpenSQLite(ctx, path)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	sqlDB, _ := store.DB()
	var result string
	if err := sqlDB.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return 0, err
	}
	if result != "ok" {
		return 0, fmt.Errorf("quick_check: %s", result)
	}
	_, n, err := store.List(ctx, audit.Filter{Limit: 1})
	return n, err
}

// backupPostgres runs pg_dump on databaseURL into path.
func backupPostgres(ctx context.Context, databaseURL, path string, stdout io.Writer) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backing up PostgreSQL needs pg_dump (Debian: apt install postgresql-client) on PATH; or run pg_dump --format=custom yourself")
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return errors.New("DATABASE_URL is not a URL")
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+path, "--dbname="+u.String())
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(path)
		return fmt.Errorf("pg_dump: %w: %s", err, out)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up DATABASE_URL to %s (%.1f MiB, pg_dump custom format).\n"+
		"Restore: stop the app, then pg_restore --clean --if-exists --no-owner --dbname=<database> %s, start the app.\n",
		path, float64(fi.Size())/(1<<20), path)
	return nil
}
