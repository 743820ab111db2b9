//go:build unix

package app

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockSQLite takes the one-instance lock of a SQLite audit file for the
// process's life (the kernel lets go of it however the process ends). Two
// instances on one file would each keep their own form nonces and rate
// budget, and two names for it (a symlink, a hard link) would each get a
// write-ahead log of their own beside them and corrupt it; several
// instances share PostgreSQL instead. Commands (backup, erase-index) do
// not take it.
//
// The lock is on the database file itself (flock(2) locks the open file,
// so its inode: every name of the file shares it), made empty when it does
// not exist yet (SQLite takes an empty file as an empty database). flock
// and SQLite's own fcntl locks do not interact on a local file system. A
// file beside the file's real path, AUDIT_DB's symlinks resolved, says
// which process holds it; earlier versions locked that file, so it is
// locked too.
func lockSQLite(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	dbFile, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		dbFile.Close()
		return nil, err
	}
	holderFile, err := os.OpenFile(real+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		dbFile.Close()
		return nil, err
	}
	closeBoth := func() {
		holderFile.Close()
		dbFile.Close()
	}
	for _, f := range []*os.File{dbFile, holderFile} {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			holder, _ := io.ReadAll(io.LimitReader(holderFile, 200))
			closeBoth()
			if !errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, err
			}
			// Held through another name (a hard link), its holder wrote
			// beside that name.
			who := cmp.Or(strings.TrimSpace(string(holder)), "under another name for the same file")
			return nil, fmt.Errorf("%w (%s)", errInstanceRunning, who)
		}
	}
	// Who holds it, for the next one's message.
	if err := holderFile.Truncate(0); err == nil {
		fmt.Fprintf(holderFile, "pid %d, since %s", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	}
	return closeBoth, nil
}
