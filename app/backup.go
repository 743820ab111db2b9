package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/contactdesk/contactdesk/audit"
	"github.com/contactdesk/contactdesk/db"
)

// backup copies the app's database to the new file path while the app
// may serve: the audit trail is the only record of who changed what.
//
// SQLite: VACUUM INTO writes one consistent snapshot (a transaction that
// began before it is in, or not, whole) to the file, which is then opened
// and checked. PostgreSQL: pg_dump's custom format, restored with
// pg_restore; the password goes to pg_dump in its environment, never on
// its command line.
//
// The file holds every customer's contacts: it is made readable by its
// owner alone (0600) before anything is written to it.
func backup(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	path, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists: a backup never overwrites a file; choose a new name", path)
	}
	if err != nil {
		return err
	}
	f.Close()
	if cfg.DatabaseURL != "" {
		err = backupPostgres(ctx, cfg.DatabaseURL, path, stdout)
	} else {
		err = backupSQLite(ctx, cfg, path, stdout)
	}
	if err != nil && !errors.Is(err, errBackupUnchecked) { // an unchecked one is kept for a look
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("the unfinished backup %s could not be removed: %w", path, rmErr))
		}
	}
	return err
}

// errBackupUnchecked: the backup was written but does not open as it
// should; it is kept.
var errBackupUnchecked = errors.New("the backup does not open as it should")

// backupSQLite writes the snapshot into the empty file path (VACUUM INTO
// takes an empty file as a new one, and keeps its mode).
func backupSQLite(ctx context.Context, cfg Config, path string, stdout io.Writer) error {
	h, err := db.OpenSQLite(ctx, cfg.AuditDB)
	if err != nil {
		return fmt.Errorf("the database cannot be opened (%s): %w", databaseSetting(cfg), err)
	}
	defer h.Close()
	if _, err := h.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("back up %s: %w", databaseSetting(cfg), err)
	}
	n, err := checkSQLiteBackup(ctx, path)
	if err != nil {
		return fmt.Errorf("%w (%s, kept for a look): %w", errBackupUnchecked, path, err)
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
	h, err := db.OpenSQLite(ctx, path)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	var result string
	if err := h.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return 0, err
	}
	if result != "ok" {
		return 0, fmt.Errorf("quick_check: %s", result)
	}
	store, err := audit.New(ctx, h)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	_, n, err := store.List(ctx, audit.Filter{Limit: 1})
	return n, err
}

// backupPostgres runs pg_dump on databaseURL into path.
func backupPostgres(ctx context.Context, databaseURL, path string, stdout io.Writer) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backing up PostgreSQL needs pg_dump (Debian: apt install postgresql-client) on PATH; or run pg_dump --format=custom yourself")
	}
	conninfo, password, err := withoutPassword(databaseURL)
	if err != nil {
		return err
	}
	env := os.Environ()
	if password != "" {
		env = append(env, "PGPASSWORD="+password)
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--file="+path, "--dbname="+conninfo)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
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

// withoutPassword splits DATABASE_URL, a postgres:// URL or libpq's
// key=value settings, into what pg_dump may show on its command line (and
// so to anyone running ps) and the password, which goes in its
// environment. Its errors never quote the setting.
func withoutPassword(databaseURL string) (conninfo, password string, err error) {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return "", "", errors.New("DATABASE_URL is not a valid postgres:// URL")
		}
		password, _ = u.User.Password()
		if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		q := u.Query()
		if p := q.Get("password"); p != "" {
			password = p
		}
		if q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
		}
		return u.String(), password, nil
	}
	settings, err := splitConninfo(databaseURL)
	if err != nil {
		return "", "", fmt.Errorf("DATABASE_URL is neither a postgres:// URL nor key=value settings: %w", err)
	}
	kept := make([]string, 0, len(settings))
	for _, kv := range settings {
		if kv[0] == "password" {
			password = kv[1]
			continue
		}
		kept = append(kept, kv[0]+"='"+conninfoEscaper.Replace(kv[1])+"'")
	}
	return strings.Join(kept, " "), password, nil
}

// conninfoEscaper quotes a value inside single quotes in key=value settings.
var conninfoEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// splitConninfo reads libpq's key=value settings: keys and values apart
// by spaces, a value in single quotes when it holds spaces, a backslash
// before a quote or a backslash.
func splitConninfo(s string) ([][2]string, error) {
	var out [][2]string
	i := 0
	space := func(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v' }
	skip := func() {
		for i < len(s) && space(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i == len(s) {
			if len(out) == 0 {
				return nil, errors.New("no settings")
			}
			return out, nil
		}
		start := i
		for i < len(s) && s[i] != '=' && !space(s[i]) {
			i++
		}
		key := s[start:i]
		skip()
		if key == "" || i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("setting %d has no key=value", len(out)+1)
		}
		i++
		skip()
		var value strings.Builder
		if i < len(s) && s[i] == '\'' {
			for i++; ; i++ {
				if i == len(s) {
					return nil, fmt.Errorf("the value of %s has no closing quote", key)
				}
				if s[i] == '\\' && i+1 < len(s) {
					i++
				} else if s[i] == '\'' {
					i++
					break
				}
				value.WriteByte(s[i])
			}
		} else {
			for ; i < len(s) && !space(s[i]); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				value.WriteByte(s[i])
			}
		}
		out = append(out, [2]string{key, value.String()})
	}
}
