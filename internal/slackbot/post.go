package slackbot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// card is what this replica knows of one request's Slack message: where it
// is, and what has been said there, so updates keep their order and the
// outcome is posted once.
type card struct {
	mu          sync.Mutex // held while talking to Slack about this card
	channel, ts string
	responseURL string // the card went out through a response_url (or was clicked there)
	shown       int    // rank of the state the card shows
	outcomeSaid bool
}

// cards keeps the cards this replica used last, a bounded number: the
// store keeps where each card is (the request's Origin), so one forgotten
// here is still updated in place. What it forgets, the order of updates and
// the outcome said once, matters in the minutes around a confirmation,
// long before thousands of newer cards push it out.
type cards struct {
	mu  sync.Mutex
	lru *simplelru.LRU[string, *card]
}

// DefaultCards is how many cards a replica keeps by default: about an
// hour of cards at 10,000 an hour, a few MB.
const DefaultCards = 10000

func newCards(size int) *cards {
	lru, err := simplelru.NewLRU[string, *card](size, nil)
	if err != nil {
		panic(err) // size > 0 is New's to ensure
	}
	return &cards{lru: lru}
}

func (cs *cards) get(id string) *card {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.lru.Get(id)
	if !ok {
		c = &card{}
		cs.lru.Add(id, c)
	}
	return c
}

// locate notes where request id's card is, as a post or a click showed it.
func (cs *cards) locate(id, channel, ts, responseURL string) {
	c := cs.get(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if channel != "" && ts != "" {
		c.channel, c.ts = channel, ts
	}
	if responseURL != "" {
		c.responseURL = responseURL
	}
}

// where is the card's message: as this replica saw it, or as stored.
func (c *card) where(r ops.Request) (channel, ts string) {
	if c.ts != "" {
		return c.channel, c.ts
	}
	return r.Origin.Channel, r.Origin.Message
}

func rank(s ops.State) int {
	switch {
	case s.Final():
		return 2
	case s == ops.Executing:
		return 1
	}
	return 0
}

// Started shows a confirmed request as running; it implements ops.Starter.
func (b *Bot) Started(ctx context.Context, r ops.Request) {
	if !shownHere(r) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	b.background.Go(func() { b.updateCard(ctx, r) })
}

// Notify puts a notice (an expiry, a status follow-up) on the card and in
// its thread; it implements ops.Notifier. It returns at once: the service
// must not wait on Slack.
func (b *Bot) Notify(ctx context.Context, n ops.Notice) {
	r := n.Request
	if !shownHere(r) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if n.Kind == ops.Reminder {
		b.background.Go(func() {
			c := b.cards.get(r.ID)
			c.mu.Lock()
			defer c.mu.Unlock()
			b.threadReply(ctx, c, r, reminderText(n))
		})
		return
	}
	b.background.Go(func() {
		b.updateCard(ctx, r)
		if r.Outcome != nil {
			b.sayOutcome(ctx, r) // the outcome comes before what followed it
			if n.Text == r.Outcome.Summary {
				return
			}
		}
		if n.Text != "" {
			c := b.cards.get(r.ID)
			c.mu.Lock()
			defer c.mu.Unlock()
			b.threadReply(ctx, c, r, textMessage(n.Text, people(r)...))
		}
	})
}

// decided shows what became of a request someone confirmed or cancelled.
func (b *Bot) decided(ctx context.Context, r ops.Request) {
	b.updateCard(ctx, r)
	if r.Outcome != nil {
		b.sayOutcome(ctx, r)
	}
}

// updateCard shows r on its card, unless the card already shows a later state.
func (b *Bot) updateCard(ctx context.Context, r ops.Request) {
	c := b.cards.get(r.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if rank(r.State) <= c.shown {
		return
	}
	blocks, text := cardBlocks(r, b.risk(r.Op)), cardText(r)
	channel, ts := c.where(r)
	var err error
	switch {
	case ts != "":
		err = b.call(ctx, r.ID, "chat.update", func(ctx context.Context) error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
			return err
		})
		// Whatever kept the Web API from it (not in the channel, an
		// ephemeral card, Slack failing), the click's response_url may still
		// replace the card, so that the person who clicked sees the outcome.
		if err != nil && c.responseURL != "" {
			err = b.webhook(ctx, r.ID, c.responseURL, &slack.WebhookMessage{ReplaceOriginal: true, Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
		}
	case c.responseURL != "":
		err = b.webhook(ctx, r.ID, c.responseURL, &slack.WebhookMessage{ReplaceOriginal: true, Text: text, Blocks: &slack.Blocks{BlockSet: blocks}})
	default:
		if shownHere(r) {
			b.log.Warn("cannot update a card whose message is not known here", "request", r.ID, "state", string(r.State))
		}
		return
	}
	if err == nil {
		c.shown = rank(r.State)
	}
}

// sayOutcome replies in the card's thread with what the provider did, once.
func (b *Bot) sayOutcome(ctx context.Context, r ops.Request) {
	c := b.cards.get(r.ID)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.outcomeSaid {
		return
	}
	// Whether or not Slack takes it, it is not tried again: the outcome is
	// in the audit events, the log and `pending` already.
	c.outcomeSaid = true
	text := textMessage(r.Outcome.Summary, people(r)...)
	b.threadReply(ctx, c, r, text, outcomeBlocks(r, text)...)
}

// threadReply posts text (or blocks, with text for notifications) in the
// card's thread; c.mu is held.
func (b *Bot) threadReply(ctx context.Context, c *card, r ops.Request, text string, blocks ...slack.Block) {
	channel, ts := c.where(r)
	if ts != "" {
		opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionTS(ts)}
		if len(blocks) > 0 {
			opts = append(opts, slack.MsgOptionBlocks(blocks...))
		}
		err := b.call(ctx, r.ID, "chat.postMessage", func(ctx context.Context) error {
			_, _, err := b.api.PostMessageContext(ctx, channel, opts...)
			return err
		})
		if err == nil {
			return
		}
	}
	if c.responseURL != "" { // the click's, as Slack failed or the bot may not post
		msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeInChannel, Text: text}
		if len(blocks) > 0 {
			msg.Blocks = &slack.Blocks{BlockSet: blocks}
		}
		b.webhook(ctx, r.ID, c.responseURL, msg)
		return
	}
	b.log.Warn("nowhere in Slack to say what became of a request; it is in the audit events", "request", r.ID, "state", string(r.State))
}

// ephemeral answers one person through the response_url of what they did.
func (b *Bot) ephemeral(ctx context.Context, requestID, responseURL, text string) {
	if responseURL == "" {
		return
	}
	b.webhook(ctx, requestID, responseURL, &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text})
}

func (b *Bot) webhook(ctx context.Context, requestID, url string, msg *slack.WebhookMessage) error {
	return b.call(ctx, requestID, "response_url", func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, url, b.cfg.HTTPClient, msg)
	})
}

// call makes one Web API call (or a post to a response_url) with its own
// timeout, at most MaxAttempts times: it waits out rate limits as Slack
// asks, and Slack's own failures (5xx) with a doubling wait. A 5xx may
// come after Slack acted, so a retried post may show twice; that is better
// than an outcome nobody hears. A failure is logged with the request ID:
// what the provider did is kept by ops whatever Slack does.
func (b *Bot) call(ctx context.Context, requestID, method string, f func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		callCtx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
		err := f(callCtx)
		cancel()
		if wait, ok := retryAfter(err, attempt); ok && attempt < b.cfg.MaxAttempts {
			b.log.Info("Slack could not take a call now; trying again", "method", method, "request", requestID, "attempt", attempt, "wait", wait, "err", err)
			if b.cfg.Wait(ctx, wait) == nil {
				continue
			}
		}
		if err != nil {
			b.log.Error("Slack Web API call failed", "method", method, "request", requestID, "attempt", attempt, "err", err)
		}
		return err
	}
}

// maxBackoff bounds the wait between tries after Slack's 5xx.
const maxBackoff = 8 * time.Second

// retryAfter says whether err is worth another try, and after how long:
// a rate limit as Slack asks, a 5xx after 1 s, 2 s, 4 s… (at most maxBackoff).
func retryAfter(err error, attempt int) (time.Duration, bool) {
	var limited *slack.RateLimitedError
	if errors.As(err, &limited) {
		return max(limited.RetryAfter, time.Second), true
	}
	var status slack.StatusCodeError
	if errors.As(err, &status) && status.Code >= 500 {
		return min(time.Second<<(attempt-1), maxBackoff), true
	}
	return 0, false
}

// notInChannel reports whether Slack refused because the bot cannot post
// in the channel.
func notInChannel(err error) bool {
	return slackError(err, "not_in_channel") || slackError(err, "channel_not_found")
}

// slackError reports whether err is Slack's error code.
func slackError(err error, code string) bool {
	var se slack.SlackErrorResponse
	return errors.As(err, &se) && se.Err == code
}
