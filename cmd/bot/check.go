package main

import (
	"fmt"
	"io"

	"github.com/streamops/streamops/internal/config"
)

func checkConfig(path string, getenv func(string) string, stdout io.Writer) error {
	if _, err := config.Load(path, getenv); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}
