//go:build unix

package handlers_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used so far, user and
// system, on all its threads: the app, the sandbox and the client of a
// benchmark together. On a machine shared with other work a request's
// wall time grows with the load; its CPU time much less, so the
// benchmarks report both.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
