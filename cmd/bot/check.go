package main

import (
	"context"
	"fmt"
	"io"

	"github.com/streamops/streamops/internal/config"
)

func checkConfig(ctx context.Context, path string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(path, getenv)
	if err != nil {
		return err
	}
	if err := checkPolicyGroups(ctx, cfg, stdout); err != nil {
		return err
	}
	for _, w := range cfg.PolicyWarnings() {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}
