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

// newSlack makes the Slack front end.
func newSlack(cfg config.Slack, svc *ops.Service, api *slack.Client, deliveries slackbot.Deliveries, log *slog.Logger) *slackbot.Bot {
	return slackbot.New(svc, api, slackbot.Config{SigningSecret: cfg.SigningSecret, Deliveries: deliveries, CallTimeout: slackCallTimeout, Log: log})
}

// startSlack checks the Slack front end's token (auth.test, for /readyz);
// nothing without Slack.
func startSlack(ctx context.Context, bot *slackbot.Bot, cfg config.Slack, log *slog.Logger) {
	if bot == nil {
		return
	}
	if err := bot.Start(ctx); err != nil {
		log.Error("Slack did not accept the bot token; /readyz says so until a restart", "err", err)
	}
	log.Info("Slack front end", "http", cfg.HTTPMode(), "socket_mode", cfg.SocketMode(), "command", cfg.Command)
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
