//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// errInstanceRunning: another process serves from the same SQLite file.
var errInstanceRunning = errors.New("another contactdesk process serves from it")

// lockSQLite takes the one-instance lock of a SQLite audit file, a lock
// file beside it held for the process's life (the kernel lets go of it
// however the process ends). Two instances on one file would each keep
// their own form nonces and rate budget; several instances share
// PostgreSQL instead. Commands (backup, erase-index) do not take it.
func lockSQLite(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 200))
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", errInstanceRunning, strings.TrimSpace(string(holder)))
		}
		return nil, err
	}
	// Who holds it, for the next one's message.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d, since %s", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	}
	return func() { f.Close() }, nil
}
