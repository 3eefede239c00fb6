package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
)

// newSlack makes the Slack front end and checks its token (auth.test, for
// /readyz); nil when the config has no Slack.
func newSlack(ctx context.Context, cfg config.Slack, svc *ops.Service, deliveries slackbot.Deliveries, log *slog.Logger) (*slackbot.Bot, *slack.Client) {
	if !cfg.Configured() {
		return nil, nil
	}
	api := slackClient(cfg)
	bot := slackbot.New(svc, api, slackbot.Config{SigningSecret: cfg.SigningSecret, Deliveries: deliveries, CallTimeout: slackCallTimeout, Log: log})
	if err := bot.Start(ctx); err != nil {
		log.Error("Slack did not accept the bot token; /readyz says so until a restart", "err", err)
	}
	log.Info("Slack front end", "http", cfg.HTTPMode(), "socket_mode", cfg.SocketMode(), "command", cfg.Command)
	return bot, api
}

// slackClient is the one Web API client setup, for serve and check-config.
func slackClient(cfg config.Slack) *slack.Client {
	return slack.New(cfg.BotToken,
		slack.OptionAPIURL(cfg.APIURL),
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(&http.Client{Timeout: slackCallTimeout}))
}

// slackCallTimeout bounds each call to Slack's Web API.
const slackCallTimeout = 10 * time.Second

// runSocketMode serves Slack over Socket Mode until ctx ends.
func runSocketMode(ctx context.Context, bot *slackbot.Bot, api *slack.Client) error {
	err := bot.RunSocketMode(ctx, socketmode.New(api))
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil
	}
	return err
}

// consoleWanted: the console runs when asked for, or when there is no
// Slack and a person at a terminal. Otherwise the bot runs headless, as in
// a container without a TTY, where stdin ends at once.
func consoleWanted(cfg *config.Config, stdin io.Reader) bool {
	return cfg.Console.Enabled || !cfg.Slack.Configured() && isTerminal(stdin)
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	// /dev/null is a character device too, and what `docker run` without -it gives.
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// notifiers hands each notice to every front end; each keeps to the
// requests that came from it. The list is complete before the service runs.
type notifiers struct{ list []ops.Notifier }

func (ns *notifiers) Notify(ctx context.Context, n ops.Notice) {
	for _, x := range ns.list {
		x.Notify(ctx, n)
	}
}

// Started implements ops.Starter for the front ends that show running calls.
func (ns *notifiers) Started(ctx context.Context, r ops.Request) {
	for _, x := range ns.list {
		if s, ok := x.(ops.Starter); ok {
			s.Started(ctx, r)
		}
	}
}
