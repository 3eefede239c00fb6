// Package slackbot is the Slack front end: slash commands and button clicks
// arrive over HTTP or Socket Mode, are acknowledged at once, and wait in a
// bounded queue for a bounded number of workers that hand them to the
// product's rules (ops); cards, outcomes and notices go back as Block Kit
// messages through Slack's Web API.
package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/tasks"
)

// The buttons' action IDs; their value is the request ID.
const (
	actionConfirm = "confirm"
	actionCancel  = "cancel"
	// actionUndo asks for the reverse of a success, as a new request.
	actionUndo = "undo"
)

// Service is what the bot asks of the product's rules (an *ops.Service).
type Service interface {
	Handle(ctx context.Context, in ops.Input) (ops.Reply, error)
	Confirm(ctx context.Context, id, user string) (ops.Request, error)
	Cancel(ctx context.Context, id, user string) (ops.Request, error)
	Undo(ctx context.Context, id, user string, origin ops.Origin) (ops.Reply, error)
	AttachMessage(ctx context.Context, id, channel, message string) (ops.Request, error)
	// Operation and OperationOf give an operation's spec: its risk, and
	// whether it reads its target before its card.
	Operation(name string) (ops.Spec, bool)
	OperationOf(text string) (ops.Spec, []string, bool)
	// Requestable, Choices and Check serve the command builder: what one
	// may request here, the targets (and groups) an operation may take
	// matching what one typed, and whether a command would be taken,
	// without reading a provider.
	Requestable(ctx context.Context, user string, origin ops.Origin) []ops.Spec
	Choices(ctx context.Context, op ops.Spec, query string, limit int) ([]ops.Choice, error)
	Check(ctx context.Context, in ops.Input) error
	// WaitingFor and RecentBy are what a person's Home tab lists.
	WaitingFor(ctx context.Context, user string) ([]ops.Request, error)
	RecentBy(ctx context.Context, user string, n int) ([]ops.Request, error)
}

// WebAPI is the part of Slack's Web API the bot calls (a *slack.Client).
type WebAPI interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
}

// Deliveries remembers what Slack delivered, for every replica (a
// *bus.Deliveries), so that a delivery Slack resends to another connection,
// or a proxy retries, is worked on once.
type Deliveries interface {
	// First reports whether the delivery with key is new, and takes it.
	First(ctx context.Context, key string) (bool, error)
}

// Config tunes the bot; zero values take the defaults.
type Config struct {
	// Deliveries is required: what Slack delivered, across replicas.
	Deliveries Deliveries
	// SigningSecret verifies what Slack sends over HTTP; empty: no HTTP routes.
	SigningSecret string
	// Workers bounds the commands and clicks being worked on at once.
	Workers int
	// QueueLimit bounds the commands and clicks waiting for a worker;
	// beyond it they are refused.
	QueueLimit int
	// QueueWait is how long one may wait for a worker; one that waited
	// longer is not carried out, and its sender is told so.
	QueueWait time.Duration
	// CallTimeout bounds each call to Slack's Web API or a response_url.
	CallTimeout time.Duration
	// Cards bounds how many cards this replica keeps in memory (DefaultCards);
	// older ones are found through the store.
	Cards int
	// HomeEvery is how often at most a person's Home tab is published
	// again as requests change (DefaultHomeEvery).
	HomeEvery time.Duration
	// MaxAttempts bounds how often a call Slack could not take (429, 5xx) is tried.
	MaxAttempts int
	// HTTPClient posts to response_url addresses.
	HTTPClient *http.Client
	Log        *slog.Logger
	// Wait waits between tries of a call Slack could not take; tests make it instant.
	Wait func(ctx context.Context, d time.Duration) error
	// Now is the queue's clock; tests move it.
	Now func() time.Time
}

// Bot is the Slack front end. It is an ops.Notifier (and ops.Starter), so
// expiries, running calls and status follow-ups reach the card and its thread.
type Bot struct {
	cfg   Config
	svc   Service
	api   WebAPI
	log   *slog.Logger
	queue *queue
	cards *cards
	homes *homes
	// background counts card updates and notices still being delivered.
	background tasks.Group
	dispatch   dispatch

	mu       sync.Mutex
	authErr  error  // what auth.test said at start
	userName string // the bot's name in Slack, for "/invite @name"
}

// New makes the bot; Start checks its token.
func New(svc Service, api WebAPI, cfg Config) *Bot {
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 10_000
	}
	if cfg.QueueWait <= 0 {
		cfg.QueueWait = time.Minute
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Cards <= 0 {
		cfg.Cards = DefaultCards
	}
	if cfg.HomeEvery <= 0 {
		cfg.HomeEvery = DefaultHomeEvery
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = cfg.Workers // each worker may be answering at once
		cfg.HTTPClient = &http.Client{Timeout: cfg.CallTimeout, Transport: t}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Wait == nil {
		cfg.Wait = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b := &Bot{
		cfg: cfg, svc: svc, api: api, log: cfg.Log,
		queue:    &queue{workers: cfg.Workers, limit: cfg.QueueLimit, wait: cfg.QueueWait, now: cfg.Now},
		cards:    newCards(cfg.Cards),
		homes:    newHomes(),
		authErr:  errors.New("Slack's auth.test has not run yet"),
		userName: "streamops",
	}
	b.dispatch = b.handlers()
	return b
}

// Start asks Slack who the bot is (auth.test). A failure is kept for
// /readyz and returned; the bot still serves, since Slack may recover.
func (b *Bot) Start(ctx context.Context) error {
	var who *slack.AuthTestResponse
	err := b.call(ctx, "", "auth.test", func(ctx context.Context) (err error) {
		who, err = b.api.AuthTestContext(ctx)
		return err
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.authErr = fmt.Errorf("Slack's auth.test failed at start (%v): check slack.bot_token and slack.api_url", err)
		return b.authErr
	}
	b.authErr = nil
	if who.User != "" {
		b.userName = who.User
	}
	b.log.Info("Slack connected", "team", who.Team, "bot_user", who.User, "bot_user_id", who.UserID)
	return nil
}

// Ready reports whether Slack accepted the bot's token at start.
func (b *Bot) Ready(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.authErr
}

func (b *Bot) botName() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.userName
}

// Wait blocks until the work already acknowledged has been done, or ctx ends.
func (b *Bot) Wait(ctx context.Context) error {
	if err := b.queue.pending.Wait(ctx); err != nil {
		return err
	}
	return b.background.Wait(ctx)
}

// queue holds commands and clicks until a worker is free, so that a burst
// waits rather than being refused. At most workers run at once, at most
// limit wait, and one that waited longer than wait is not carried out:
// whoever sent it has likely moved on, and is told.
type queue struct {
	workers, limit int
	wait           time.Duration
	now            func() time.Time

	mu      sync.Mutex
	items   []queued
	running int // workers started and not yet ended
	// pending counts the items queued or being worked on, for shutdown.
	pending tasks.Group
}

type queued struct {
	at time.Time
	do func()
	// late tells the sender that the item waited too long and was not done.
	late func(waited time.Duration)
}

// add queues an item, or reports false when the queue is full.
func (q *queue) add(do func(), late func(waited time.Duration)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) >= q.limit {
		return false
	}
	q.items = append(q.items, queued{at: q.now(), do: do, late: late})
	q.pending.Add()
	if q.running < q.workers {
		q.running++
		go q.work()
	}
	return true
}

// work serves the queue until it is empty.
func (q *queue) work() {
	for {
		item, ok := q.next()
		if !ok {
			return
		}
		if waited := q.now().Sub(item.at); waited > q.wait {
			item.late(waited)
		} else {
			item.do()
		}
		q.pending.Done()
	}
}

// next takes the oldest item; when there is none the worker ends.
func (q *queue) next() (queued, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		q.running--
		q.items = nil // let a burst's backing array go
		return queued{}, false
	}
	item := q.items[0]
	q.items[0] = queued{}
	q.items = q.items[1:]
	return item, true
}

// deliveryTimeout bounds remembering a delivery, so that a worker does
// not wait long on NATS.
const deliveryTimeout = 2 * time.Second

// firstDelivery reports whether no replica took the delivery with key yet.
// An empty key is taken as new. So is a delivery when NATS does not answer
// (failing open): the command then meets the same NATS and is told what
// failed, rather than nothing at all; a second card is the worst a
// duplicate can make, since a confirmation is decided once by the claim in
// the store.
func (b *Bot) firstDelivery(ctx context.Context, key string) bool {
	if key == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	first, err := b.cfg.Deliveries.First(ctx, key)
	if err != nil {
		b.log.Warn("could not check whether Slack delivered this before (NATS); working on it", "err", err)
		return true
	}
	return first
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
