package app

import "errors"

// errInstanceRunning: another process serves from the same SQLite file.
// Declared for every platform: app.go names it whether or not flock(2)
// exists to raise it.
var errInstanceRunning = errors.New("another contactdesk process serves from it")
