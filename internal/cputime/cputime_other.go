//go:build !unix

// Package cputime reads the CPU time this process has used, for the
// benchmarks and the load tool.
package cputime

import "time"

// Process is not measured where getrusage(2) is missing: CPU figures
// read 0 there (the load test and the benchmarks are run on Linux).
func Process() time.Duration { return 0 }
