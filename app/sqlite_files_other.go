//go:build !unix

package app

// exposure is a file or directory others may read (unix file modes only).
type exposure struct {
	path string
	mode uint32
	fix  string
}

// sqliteExposure finds nothing where files have no unix modes.
func sqliteExposure(string) []exposure { return nil }
