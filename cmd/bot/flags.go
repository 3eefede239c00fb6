package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// parseFlags reads --config. Errors carry the usage and are printed once, by
// main; -h and --help return flag.ErrHelp for run to print the usage.
func parseFlags(cmd string, args []string) (configPath string, err error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&configPath, "config", "config.yaml", "the configuration file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", fmt.Errorf("%w\n%s", err, usage)
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	return configPath, nil
}
