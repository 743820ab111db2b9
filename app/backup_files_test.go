//go:build unix

package app

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/contactdesk/contactdesk/db/dbtest"
)

// A backup holds every customer's contacts: its file is its owner's alone
// whatever the umask (it was 0644).
func TestBackupFileIsTheOwnersAlone(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	store, _ := openTrail(t, dir+"/audit.db", "")
	store.Close()
	out := dir + "/backup.db"
	if err := run(context.Background(), []string{"backup", out}, envOf(map[string]string{"AUDIT_DB": dir + "/audit.db"}), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

// fakePgDump puts a pg_dump on PATH that records its command line as ps
// shows it (/proc/PID/cmdline) and the PGPASSWORD it was given, and writes
// a dump; it returns where the record goes.
func fakePgDump(t *testing.T) string {
	dir := t.TempDir()
	script := `#!/bin/sh
for a in "$@"; do case "$a" in --file=*) f="${a#--file=}";; esac; done
tr '\0' ' ' < /proc/$$/cmdline > "$PG_DUMP_RECORD.cmdline"
printf '%s' "$PGPASSWORD" > "$PG_DUMP_RECORD.password"
printf 'PGDMP' > "$f"
`
	if err := os.WriteFile(filepath.Join(dir, "pg_dump"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	record := filepath.Join(dir, "record")
	t.Setenv("PG_DUMP_RECORD", record)
	return record
}

// With DATABASE_URL as a URL or as key=value settings, the password goes to
// pg_dump in PGPASSWORD, never on its command line, where ps shows it to
// every user of the machine.
func TestBackupPostgresPasswordStaysOffTheCommandLine(t *testing.T) {
	record := fakePgDump(t)
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, tt := range []struct{ name, dsn, password, keeps string }{
		{"ok, a URL", "postgres://app:s3cr%20et@db.internal:5432/contactdesk?sslmode=require", "s3cr et", "sslmode=require"},
		{"ok, a URL with the password as a parameter", "postgresql://app@db.internal/contactdesk?password=hunter22&sslmode=verify-full", "hunter22", "sslmode=verify-full"},
		{"ok, key=value settings", "host=db.internal port=5432 user=app password=hunter22 dbname=contactdesk sslmode=require", "hunter22", "dbname='contactdesk'"},
		{"nok, settings libpq would refuse", "host=db.internal password=hunter22 dbname", "hunter22", ""},
		{"ok, a quoted password with spaces and escapes", `host=db.internal dbname = 'contact desk' password = 'p\'w \\d' user=app`,
			`p'w \d`, "dbname='contact desk'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "backup.dump")
			var stdout bytes.Buffer
			err := run(context.Background(), []string{"backup", out}, envOf(map[string]string{"DATABASE_URL": tt.dsn}), &stdout)
			if tt.keeps == "" {
				if err == nil || strings.Contains(err.Error(), tt.password) {
					t.Errorf("err = %v, want a refusal that does not show the password", err)
				}
				if _, err := os.Stat(out); err == nil {
					t.Errorf("the empty backup file was left behind")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cmdline, _ := os.ReadFile(record + ".cmdline")
			password, _ := os.ReadFile(record + ".password")
			if strings.Contains(string(cmdline), tt.password) || strings.Contains(string(cmdline), "password") {
				t.Errorf("pg_dump's command line shows the password: %s", cmdline)
			}
			if string(password) != tt.password {
				t.Errorf("PGPASSWORD = %q, want %q", password, tt.password)
			}
			if !strings.Contains(string(cmdline), tt.keeps) || !strings.Contains(string(cmdline), "--file="+out) {
				t.Errorf("pg_dump's command line lost a setting: %s", cmdline)
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("dump mode %v, %v; want 0600", fi.Mode().Perm(), err)
			}
		})
	}
}

// The real pg_dump takes key=value settings too.
func TestBackupPostgresWithKeyValueSettings(t *testing.T) {
	if _, err := exec.LookPath("pg_restore"); err != nil {
		t.Skip("no pg_restore")
	}
	u, err := url.Parse(dbtest.PostgresDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	store, _ := openTrail(t, "", u.String())
	store.Close()
	dsn := "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " dbname=" + strings.TrimPrefix(u.Path, "/") +
		" sslmode=disable password='not needed: the test server trusts loopback'"
	out := t.TempDir() + "/backup.dump"
	if err := run(context.Background(), []string{"backup", out}, envOf(map[string]string{"DATABASE_URL": dsn}), &bytes.Buffer{}); err != nil {
		t.Fatalf("backup: %v", err)
	}
	list, err := exec.Command("pg_restore", "--list", out).CombinedOutput()
	if err != nil || !strings.Contains(string(list), "TABLE DATA public attempts") {
		t.Errorf("pg_restore --list: %v %.300s", err, list)
	}
}
