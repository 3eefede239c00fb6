package main

import (
	"context"
	"encoding/json"
	"errors"
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
  after each call (checked)

options:
  --config FILE    the configuration file (default config.yaml)
  --since 24h      how far back to read (a duration: 30m, 24h, 720h)
  --target ALIAS   only the requests on this target (alias or provider ID)
  --format text    text, or json for one event per line`

// audit prints the audit trail: one line per event, or one JSON object per
// line with --format json.
func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("audit")
	path := fs.String("config", "config.yaml", "the configuration file")
	since, sinceText := 24*time.Hour, "24h"
	fs.Func("since", "how far back to read", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errors.New("give a positive duration, like 30m, 24h or 720h")
		}
		since, sinceText = d, v
		return nil
	})
	target := fs.String("target", "", "only the requests on this target (alias or ID)")
	format := fs.String("format", "text", "text or json (one event per line)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format %q: give text or json", *format)
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
	events, err := b.Audit().Events(ctx, time.Now().Add(-since))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	printed := 0
	for _, e := range events {
		if *target != "" && !e.Target.Is(*target) {
			continue
		}
		printed++
		if *format == "json" {
			if err := enc.Encode(e); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(stdout, e.Line())
	}
	switch {
	case printed > 0:
	case *target != "" && !configuredTarget(cfg.Targets, *target):
		// A mistyped alias would otherwise look like a quiet target.
		return fmt.Errorf("--target %q: no configured target has this alias or ID, and no event in the last %s names it; the aliases are under targets: in %s", *target, sinceText, *path)
	case *target != "":
		fmt.Fprintf(stderr, "no events on %s in the last %s\n", *target, sinceText)
	default:
		fmt.Fprintf(stderr, "no events in the last %s\n", sinceText)
	}
	return nil
}

// configuredTarget tells whether word is an alias or ID under targets.
func configuredTarget(t config.Targets, word string) bool {
	for _, m := range []map[string]string{t.Pipelines, t.Streams, t.Jobs} {
		for alias, id := range m {
			if word == alias || word == id {
				return true
			}
		}
	}
	return false
}
