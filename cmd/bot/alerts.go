package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/streamops/streamops/internal/alerts"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/config"
	"github.com/streamops/streamops/internal/console"
	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/slackbot"
)

// alertFlow is the bot's second way in: alerts on NATS (or from
// Alertmanager's webhook) become requests through the rules, and request
// messages from other automation on streamops.requests become requests too.
type alertFlow struct {
	cfg     config.Alerts
	bus     *bus.Bus
	svc     *ops.Service
	board   alerts.Board
	engine  *alerts.Engine
	metrics alerts.Metrics
	log     *slog.Logger
}

// newAlertFlow checks the rules, makes sure the alerts stream and the
// ledger exist, and builds the engine.
func newAlertFlow(ctx context.Context, cfg *config.Config, b *bus.Bus, svc *ops.Service, board alerts.Board, m alerts.Metrics, log *slog.Logger) (*alertFlow, error) {
	rules, err := alerts.Compile(cfg.Rules, cfg.Alerts.Channels)
	if err != nil {
		return nil, err
	}
	if err := b.EnsureAlertsStream(ctx, cfg.Alerts.Ingest()); err != nil {
		return nil, err
	}
	ledger, err := b.AlertLedger(ctx)
	if err != nil {
		return nil, err
	}
	engine := alerts.NewEngine(rules, svc, board, ledger, alerts.Settings{UpdateEvery: cfg.Alerts.UpdateEvery, Metrics: m}, alerts.WithLogger(log))
	return &alertFlow{cfg: cfg.Alerts, bus: b, svc: svc, board: board, engine: engine, metrics: m, log: log}, nil
}

// run consumes alerts and request messages until ctx ends.
func (f *alertFlow) run(ctx context.Context) error {
	sub, err := f.bus.Conn().QueueSubscribe(requestsSubject, "streamops", func(m *nats.Msg) { f.request(ctx, m) })
	if err != nil {
		return fmt.Errorf("nats: subscribing to %s: %w", requestsSubject, err)
	}
	defer sub.Drain()
	done := make(chan error, 1)
	go func() { done <- f.engine.Run(ctx) }()
	in := f.cfg.Ingest()
	in.DeadLettered = func() { f.metrics.Alert(alerts.DeadLettered) }
	err = f.bus.ConsumeAlerts(ctx, in, func(ctx context.Context, seq string, data []byte) error {
		err := f.engine.Handle(ctx, seq, data)
		if alerts.IsDecodeError(err) {
			return fmt.Errorf("%w: %v", bus.ErrPoison, err)
		}
		return err
	})
	return errors.Join(err, <-done)
}

// requestsSubject takes commands from other automation.
const requestsSubject = "streamops.requests"

// requestMessage is a command from other automation; a person still
// confirms it.
type requestMessage struct {
	Command     string `json:"command"`
	RequestedBy string `json:"requested_by"`
	Channel     string `json:"channel"` // a key of alerts.channels, or a Slack channel ID
	Reason      string `json:"reason"`
}

type requestAnswer struct {
	Request string `json:"request,omitempty"`
	Error   string `json:"error,omitempty"`
}

// request makes a pending request from a message and answers on its reply
// subject with the request ID or why not.
func (f *alertFlow) request(ctx context.Context, m *nats.Msg) {
	answer := func(a requestAnswer) {
		if m.Reply == "" {
			return
		}
		data, _ := json.Marshal(a)
		if err := m.Respond(data); err != nil {
			f.log.Warn("could not answer a request message", "err", err)
		}
	}
	var msg requestMessage
	if err := json.Unmarshal(m.Data, &msg); err != nil {
		answer(requestAnswer{Error: "not a request: expected JSON with command, requested_by, channel and reason"})
		return
	}
	if strings.TrimSpace(msg.Command) == "" || strings.TrimSpace(msg.RequestedBy) == "" || msg.Channel == "" {
		answer(requestAnswer{Error: "command, requested_by and channel are required"})
		return
	}
	channel := msg.Channel
	if id, ok := f.cfg.Channels[channel]; ok {
		channel = id
	}
	reply, err := f.svc.Handle(ctx, ops.Input{
		Text: msg.Command, User: msg.RequestedBy, Reason: msg.Reason,
		Origin: ops.Origin{Frontend: ops.FrontendNATS, Channel: channel},
	})
	switch {
	case err != nil:
		answer(requestAnswer{Error: err.Error()})
	case reply.Request == nil || reply.Request.State != ops.Pending:
		answer(requestAnswer{Error: "only a command that changes something becomes a request to confirm; this one does not"})
	default:
		f.log.Info("request from automation", "request", reply.Request.ID, "requested_by", msg.RequestedBy, "reason", msg.Reason)
		f.board.ShowCard(ctx, *reply.Request)
		answer(requestAnswer{Request: reply.Request.ID})
	}
}

// maxWebhookBody is the largest Alertmanager body taken.
const maxWebhookBody = 1 << 20

// alertPublisher stores an alert message on NATS.
type alertPublisher interface {
	PublishAlert(ctx context.Context, subject string, data []byte) error
}

// alertmanagerWebhook takes Alertmanager's webhook as it is and publishes
// it on subject, so a stock webhook_configs entry can point at the bot.
func alertmanagerWebhook(token, subject string, pub alertPublisher, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="streamops alerts"`)
				http.Error(w, "a bearer token is required: set it as http_config.authorization.credentials in Alertmanager's webhook_configs", http.StatusUnauthorized)
				return
			}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("the body is over %d bytes; lower max_alerts in Alertmanager's webhook_configs", maxWebhookBody), http.StatusRequestEntityTooLarge)
			return
		}
		if err != nil {
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		if _, err := alerts.DecodeWebhook(body); err != nil {
			http.Error(w, err.Error()+": expected Alertmanager's webhook body", http.StatusBadRequest)
			return
		}
		if err := pub.PublishAlert(r.Context(), subject, body); err != nil {
			log.Error("could not store an Alertmanager webhook on NATS; Alertmanager will send it again", "subject", subject, "err", err)
			http.Error(w, "could not store the alerts; try again", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
}

// logBoard is where proposals go when no front end shows them (headless
// without Slack): the log, so they are not lost from sight.
type logBoard struct{ log *slog.Logger }

func (l logBoard) ShowCard(_ context.Context, r ops.Request) {
	l.log.Info("alert proposed a request; confirm it from a console or Slack", "request", r.ID, "op", r.Op, "target", r.Target.ID, "channel", r.Origin.Channel)
}

func (l logBoard) RefreshCard(context.Context, ops.Request) {}

func (l logBoard) Say(_ context.Context, channel, text string) {
	l.log.Warn("alert report", "channel", channel, "text", text)
}

// alertBoard is where alert proposals are shown: Slack when configured,
// else the console, else the log.
func alertBoard(sb *slackbot.Bot, con *console.Console, withConsole bool, log *slog.Logger) alerts.Board {
	switch {
	case sb != nil:
		return sb
	case withConsole:
		con.Follow(ops.FrontendAlert, ops.FrontendNATS)
		return con
	}
	return logBoard{log: log}
}
