package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/ops"
)

const auditUsage = `usage: bot audit [--config FILE] [--since 24h] [--target ALIAS] [--channel ID] [--format text|json|markdown]

  prints the audit trail kept in NATS (the stream on streamops.events.>),
  oldest first: every transition of every request, and the status read
  after each call (checked)

options:
  --config FILE    the configuration file (default config.yaml)
  --since 24h      how far back to read (a duration: 30m, 24h, 720h)
  --target ALIAS   only the requests on this target (alias, provider ID, account/ID or @group)
  --channel ID     only the requests whose card was in this Slack channel (C…)
  --format text    text, json for one event per line, or markdown for the
                   timeline of each request (as /streamops timeline posts it),
                   for a post-mortem`

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
	channel := fs.String("channel", "", "only the requests whose card was in this Slack channel")
	format := fs.String("format", "text", "text, json (one event per line) or markdown (a timeline)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" && *format != "markdown" {
		return fmt.Errorf("--format %q: give text, json or markdown", *format)
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
	keep, where := auditScope(*target, *channel)
	if *format == "markdown" {
		t, err := ops.ReadTimeline(ctx, b.Audit(), time.Now().Add(-since), where, keep)
		if err != nil {
			return err
		}
		if len(t.Requests) == 0 && *target != "" && !configuredTarget(cfg.Directory(), *target) {
			return unknownTarget(*target, sinceText, *path)
		}
		_, err = io.WriteString(stdout, t.Markdown())
		return err
	}
	events, err := b.Audit().Events(ctx, time.Now().Add(-since))
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	printed := 0
	for _, e := range events {
		if !keep(e) {
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
	case *target != "" && !configuredTarget(cfg.Directory(), *target):
		return unknownTarget(*target, sinceText, *path)
	case *target != "":
		fmt.Fprintf(stderr, "no events on %s in the last %s\n", *target, sinceText)
	default:
		fmt.Fprintf(stderr, "no events in the last %s\n", sinceText)
	}
	return nil
}

// auditScope is which events --target and --channel keep, and the words
// for them.
func auditScope(target, channel string) (func(ops.Event) bool, string) {
	onTarget, inChannel := ops.OnTarget(target), ops.InChannel(channel)
	switch {
	case target != "" && channel != "":
		return func(e ops.Event) bool { return onTarget(e) && inChannel(e) }, "target " + target + " in channel " + channel
	case target != "":
		return onTarget, "target " + target
	case channel != "":
		return inChannel, "channel " + channel
	}
	return func(ops.Event) bool { return true }, "every channel and front end"
}

// unknownTarget says --target names nothing: a mistyped alias would
// otherwise look like a quiet target.
func unknownTarget(target, since, path string) error {
	return fmt.Errorf("--target %q: no configured target has this alias or ID, and no event in the last %s names it; the aliases are under targets: in %s", target, since, path)
}

// configuredTarget tells whether word is a target group or names a
// configured target (its alias or ID, after its account or not), as a
// command would resolve it.
func configuredTarget(dir ops.Directory, word string) bool {
	if group, ok := strings.CutPrefix(word, ops.GroupPrefix); ok {
		_, found := dir.Groups[group]
		return found
	}
	for kind := range dir.Aliases {
		if t, err := dir.Resolve(kind, word); err == nil && t.Alias != "" {
			return true
		}
	}
	return false
}
