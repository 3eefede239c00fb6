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
  audit         print the audit trail
  version       print the version and commit this binary was built from
  help          print this help, or a command's (bot help audit)

options:
  --config FILE the configuration file (default config.yaml)`

// commandUsage is what `bot help X` and `bot X --help` print.
var commandUsage = map[string]string{
	"serve": `usage: bot serve [--config FILE]

  runs the bot (console, Slack, alerts, HTTP) until stopped by SIGTERM,
  Ctrl-C or the console's end

options:
  --config FILE  the configuration file (default config.yaml)`,
	"check-config": `usage: bot check-config [--config FILE]

  validates the config file, prints "FILE: ok" and exits 0, or names
  every mistake and exits 1

options:
  --config FILE  the configuration file (default config.yaml)`,
	"simulate": `usage: bot simulate [--config FILE]

  serves each provider account's simulator on its sandbox listen address
  (sandbox.enos.listen and sandbox.eg.listen, or eg[i].sandbox.listen for
  an account of a list) until stopped

options:
  --config FILE  the configuration file (default config.yaml)`,
	"audit":   auditUsage,
	"version": "usage: bot version\n\n  prints the version and commit this binary was built from (also bot --version)",
	"help":    "usage: bot help [command]\n\n  prints the list of commands, or the usage of one command",
}

// run is the whole program, so that tests can start it as a user would.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, named := "serve", false
	if len(args) > 0 {
		switch a := args[0]; {
		case a == "--version" || a == "-version":
			cmd, named, args = "version", true, args[1:]
		case a != "" && a[0] != '-':
			cmd, named, args = a, true, args[1:]
		}
	}
	if _, ok := commandUsage[cmd]; !ok {
		return fmt.Errorf("unknown command %q; bot help lists the commands", cmd)
	}
	err := runCommand(ctx, cmd, args, getenv, stdin, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		// Without a command word, -h asks about the program, not serve.
		text := usage
		if named {
			text = commandUsage[cmd]
		}
		fmt.Fprintln(stdout, text)
		return nil
	}
	return err
}

func runCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch cmd {
	case "help":
		return help(args, stdout)
	case "version":
		if err := parseFlags(newFlags(cmd), args); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "streamops %s (commit %s)\n", version, commit)
		return nil
	case "audit":
		return audit(ctx, args, getenv, stdout, stderr)
	}
	fs := newFlags(cmd)
	configPath := fs.String("config", "config.yaml", "the configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch cmd {
	case "check-config":
		return checkConfig(ctx, *configPath, getenv, stdout)
	case "simulate":
		return simulate(ctx, *configPath, getenv, stderr)
	}
	return serve(ctx, *configPath, getenv, stdin, stdout, stderr)
}

// help prints the usage, or one command's.
func help(args []string, stdout io.Writer) error {
	fs := newFlags("help")
	if err := fs.Parse(args); err != nil {
		return flagError(fs, err)
	}
	switch fs.NArg() {
	case 0:
		fmt.Fprintln(stdout, usage)
		return nil
	case 1:
		text, ok := commandUsage[fs.Arg(0)]
		if !ok {
			return fmt.Errorf("unknown command %q; bot help lists the commands", fs.Arg(0))
		}
		fmt.Fprintln(stdout, text)
		return nil
	}
	return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(1), commandUsage["help"])
}
