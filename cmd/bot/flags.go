package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

func parseFlags(cmd string, args []string, stderr io.Writer) (configPath string, err error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // -h and --help: run prints the usage to stdout
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
