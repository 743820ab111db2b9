package web

// Aside runs f in its own goroutine and returns a function that waits for
// its result. A handler uses it to overlap two waits that do not depend on
// each other (an audit store and ServiceTitan); the wait may be called any
// number of times. f must not touch the echo.Context: Echo reuses it once
// the handler returns.
func Aside[T any](f func() (T, error)) (wait func() (T, error)) {
	done := make(chan struct{})
	var v T
	var err error
	go func() {
		defer close(done)
		v, err = f()
	}()
	return func() (T, error) {
		<-done
		return v, err
	}
}
