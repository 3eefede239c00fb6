// Command bot is streamops: a chat-ops bot that proposes operations on
// streaming jobs, waits for a person to confirm them and carries them out.
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
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first signal stops the bot within shutdown.timeout; a second one
	// ends it at once, for whoever cannot wait.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		cancel()
		<-signals
		fmt.Fprintln(os.Stderr, "bot: second signal: exiting now; calls in flight are left uncertain")
		os.Exit(2)
	}()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bot:", err)
		os.Exit(1)
	}
}

// version and commit are set at build time by the Makefile's build target
// and the Dockerfile (-ldflags -X); a plain `go run` leaves these defaults.
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `usage: bot [command] [--config FILE]

commands:
  serve         run the bot (the default)
  check-config  validate the config file and exit
  simulate      serve the provider simulators of the config's sandbox section
  audit         print the audit trail (bot audit --help)
  version       print the version and commit this binary was built from
  help          print this help

options:
  --config FILE the configuration file (default config.yaml)`

// run is the whole program, so that tests can start it as a user would.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help":
		fmt.Fprintln(stdout, usage)
		return nil
	case "version":
		fmt.Fprintf(stdout, "streamops %s (commit %s)\n", version, commit)
		return nil
	case "audit":
		return audit(ctx, args, getenv, stdout, stderr)
	case "serve", "check-config", "simulate":
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	configPath, err := parseFlags(cmd, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	if err != nil {
		return err
	}
	switch cmd {
	case "check-config":
		return checkConfig(ctx, configPath, getenv, stdout)
	case "simulate":
		return simulate(ctx, configPath, getenv, stderr)
	}
	return serve(ctx, configPath, getenv, stdin, stdout, stderr)
}
