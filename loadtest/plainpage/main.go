// Command plainpage is the load test's baseline for the app's edit page
// and save: plain.EditPage (the same reads, writes, view models and
// templ views, without the app's machinery) beside an embedded sandbox,
// in a process of its own with the app's runtime settings, as the app runs
// in sandbox mode; its sandbox answers after ST_SANDBOX_LATENCY, as the
// app's does. go run ./loadtest builds and starts it; it is not a product.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/contactdesk/contactdesk/client"
	"github.com/contactdesk/contactdesk/client/sandbox"
	"github.com/contactdesk/contactdesk/loadtest/plain"
)

// appMemoryLimit is the app's default soft heap limit (app.Serve).
const appMemoryLimit = 40 << 20

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "plainpage:", err)
		os.Exit(1)
	}
}

func run() error {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(appMemoryLimit)
	}
	var latency time.Duration
	if v := os.Getenv("ST_SANDBOX_LATENCY"); v != "" {
		var err error
		if latency, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("ST_SANDBOX_LATENCY=%q: %w", v, err)
		}
	}
	sb := sandbox.New(sandbox.WithLatency(latency))
	_, stop, err := sb.Start()
	if err != nil {
		return err
	}
	defer stop()
	st, err := client.New(sb.ClientConfig())
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/customers/", plain.EditPage(st, "US"))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		<-sig
		srv.Close()
	}()
	fmt.Printf("plainpage: serving the plain edit page and save at http://%s\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
