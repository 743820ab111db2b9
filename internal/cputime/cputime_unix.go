//go:build unix

// Package cputime reads the CPU time this process has used, for the
// benchmarks and the load tool: on a machine shared with other work a
// run's wall time grows with the load, its CPU time much less, so they
// report both.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system, all threads) this process
// has used so far.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
