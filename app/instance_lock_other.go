//go:build !unix

package app

// lockSQLite takes no lock where flock(2) is missing.
func lockSQLite(string) (func(), error) { return func() {}, nil }
