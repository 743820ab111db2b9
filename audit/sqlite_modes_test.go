//go:build unix

package audit

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The database, its -wal and -shm files and the directories made for them
// are its owner's alone, whatever the umask: they hold every customer's
// phone numbers and emails (they were 0644, 0750 with no umask).
func TestSQLiteFilesAreTheOwnersAlone(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask: the app restricts, not it
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data", "trail")
	path := filepath.Join(dir, "audit.db")
	store, err := openSQLite(t, context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Begin(context.Background(), Entry{ActorEmail: "kelly@acme.example", TenantID: 1, CustomerID: 5, ContactID: 7,
		Changes: []Change{{Field: "memo", Before: "a", After: "b"}}}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
	}
}
