package db

import (
	"fmt"
	"time"
)

// Micros is how the index and bulk tables store a time: microseconds since
// the Unix epoch, UTC, 0 for none (an integer both dialects compare and
// index alike).
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros reads a time Micros stored.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Interval is d as a PostgreSQL interval literal ("1500000 microseconds"),
// for now() + $1::interval.
func Interval(d time.Duration) string { return fmt.Sprintf("%d microseconds", d.Microseconds()) }
