//go:build unix

package app

import (
	"io/fs"
	"os"
	"path/filepath"
)

// exposure is a file or directory of the SQLite database that other users
// of the machine may read, and the command that stops them.
type exposure struct {
	path string
	mode fs.FileMode
	fix  string
}

// sqliteExposure lists the SQLite database's directory and files (path,
// its -wal and -shm) that other users of this machine can read or enter:
// they hold every customer's phone numbers and emails. The app makes new
// ones its owner's alone; older ones, or a directory made by hand, may not
// be.
func sqliteExposure(path string) []exposure {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil
	}
	var out []exposure
	dir := filepath.Dir(abs)
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o007 != 0 {
		out = append(out, exposure{dir, fi.Mode().Perm(), "chmod o-rwx " + dir})
	}
	for _, f := range []string{abs, abs + "-wal", abs + "-shm"} {
		if fi, err := os.Stat(f); err == nil && fi.Mode().Perm()&0o044 != 0 {
			out = append(out, exposure{f, fi.Mode().Perm(), "chmod 600 " + f})
		}
	}
	return out
}
