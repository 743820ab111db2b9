//go:build unix

package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// At start the app warns about a database directory others may enter and
// database files others may read (a directory made by hand, files an
// older version made 0644); it is quiet when they are the owner's alone.
func TestSQLiteExposureIsFound(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "audit.db")
	for _, f := range []string{path, path + "-wal"} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := sqliteExposure(path); len(got) != 0 {
		t.Errorf("private files: %+v", got)
	}
	os.Chmod(dir, 0o755)
	os.Chmod(path+"-wal", 0o644)
	got := sqliteExposure(path)
	if len(got) != 2 || got[0].path != dir || got[0].fix != "chmod o-rwx "+dir || got[1].path != path+"-wal" ||
		!strings.HasPrefix(got[1].fix, "chmod 600 ") {
		t.Errorf("exposed: %+v", got)
	}
}
