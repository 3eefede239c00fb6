package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/config"
)

const auditUsage = `usage: bot audit [--config FILE] [--since 24h] [--target ALIAS] [--format text|json]

  prints the audit trail kept in NATS (the stream on streamops.events.>),
  oldest first: every transition of every request, and the status read
  after each call (checked)`

// audit prints the audit trail: one line per event, or one JSON object per
// line with --format json.
func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "config.yaml", "the configuration file")
	since := fs.Duration("since", 24*time.Hour, "how far back to read")
	target := fs.String("target", "", "only the requests on this target (alias or ID)")
	format := fs.String("format", "text", "text or json (one event per line)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errors.New(auditUsage)
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), auditUsage)
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format %q: give text or json", *format)
	}
	if *since <= 0 {
		return fmt.Errorf("--since %s: give a positive duration, like 24h", *since)
	}
	cfg, err := config.Load(*path, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.NATS.AuditRetention = cfg.Audit.Retention
	b, err := bus.ConnectToRead(ctx, cfg.NATS, log)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		b.Close(closeCtx)
	}()
	events, err := b.Audit().Events(ctx, time.Now().Add(-*since))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	for _, e := range events {
		if *target != "" && !e.Target.Is(*target) {
			continue
		}
		if *format == "json" {
			if err := enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, e.Line())
	}
	return nil
}
