// Command contactdesk serves the contact editor: office staff find a
// ServiceTitan customer and edit one of their contacts. With no ServiceTitan
// credentials it runs against an embedded sandbox.
//
// main reads the command line and the signals; package app does the rest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/contactdesk/contactdesk/app"
)

func main() {
	// SIGINT/SIGTERM cancel ctx: the server stops accepting connections and
	// lets requests in flight, saves included, finish.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "contactdesk:", err)
		os.Exit(1)
	}
}

// run reads the command line and the environment, then runs a command
// (contactdesk backup PATH, erase-index, health) or serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("contactdesk", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { app.Usage(stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := app.LoadConfig(getenv)
	if err != nil {
		return err
	}
	if name := fs.Arg(0); name != "" {
		return app.RunCommand(ctx, name, fs.Args()[1:], cfg, stdout)
	}
	return app.Serve(ctx, cfg, stdout)
}
