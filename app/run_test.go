package app

import (
	"context"
	"io"
)

// run is what main.go does with the command line: --help, a command, or
// serve.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		Usage(stdout)
		return nil
	}
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return RunCommand(ctx, args[0], args[1:], cfg, stdout)
	}
	return Serve(ctx, cfg, stdout)
}
