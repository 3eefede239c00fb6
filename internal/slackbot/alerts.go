package slackbot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// shownHere reports whether this front end shows r: a slash command's, or
// one that automation (an alert, a request message on NATS) made for a
// channel.
func shownHere(r ops.Request) bool {
	switch r.Origin.Frontend {
	case ops.FrontendSlack, ops.FrontendAlert, ops.FrontendNATS:
		return true
	}
	return false
}

// ShowCard posts the card of a request that automation made in its
// channel (r.Origin.Channel). It returns at once: an alert storm must not
// wait on Slack.
func (b *Bot) ShowCard(ctx context.Context, r ops.Request) {
	ctx = context.WithoutCancel(ctx)
	b.background.Go(func() {
		c := b.cards.get(r.ID)
		c.mu.Lock()
		defer c.mu.Unlock()
		b.postAlertCard(ctx, c, r)
	})
}

// postAlertCard posts r's card, with c locked. When Slack refuses the card
// itself (its blocks), the card's text goes instead, so that the channel
// still sees the request; when Slack cannot be reached, the next firing
// (RefreshCard) posts it again.
func (b *Bot) postAlertCard(ctx context.Context, c *card, r ops.Request) {
	if _, ts := c.where(r); ts != "" { // a click, a firing or another replica placed it first
		return
	}
	var ts string
	err := b.call(ctx, r.ID, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = b.api.PostMessageContext(ctx, r.Origin.Channel, slack.MsgOptionBlocks(cardBlocks(r, b.risk(r.Op))...), slack.MsgOptionText(cardText(r), false))
		return err
	})
	var refused slack.SlackErrorResponse
	switch {
	case notInChannel(err):
		b.log.Error("cannot post an alert's card: the bot is not in the channel; invite it", "request", r.ID, "channel", r.Origin.Channel, "bot", b.botName())
		return
	case errors.As(err, &refused):
		b.log.Warn("Slack refused an alert's card; posting its text instead", "request", r.ID, "channel", r.Origin.Channel, "err", err)
		text := fmt.Sprintf("%s\n(Slack would not show this request's card: %s.)", cardText(r), refused.Err)
		err = b.call(ctx, r.ID, "chat.postMessage", func(ctx context.Context) (err error) {
			_, ts, err = b.api.PostMessageContext(ctx, r.Origin.Channel, slack.MsgOptionText(text, false))
			return err
		})
	}
	if err != nil {
		b.log.Warn("an alert's card is not in Slack yet; the next firing posts it again", "request", r.ID, "channel", r.Origin.Channel, "err", err)
		return
	}
	c.channel, c.ts = r.Origin.Channel, ts
	if _, err := b.svc.AttachMessage(ctx, r.ID, r.Origin.Channel, ts); err != nil {
		b.log.Warn("could not store where a card is; other replicas cannot update it", "request", r.ID, "err", err)
	}
}

// RefreshCard shows a pending request's card again (its count of
// firings), or posts it if Slack did not take it before; a card already
// showing a later state is left alone.
func (b *Bot) RefreshCard(ctx context.Context, r ops.Request) {
	ctx = context.WithoutCancel(ctx)
	b.background.Go(func() {
		c := b.cards.get(r.ID)
		c.mu.Lock()
		defer c.mu.Unlock()
		channel, ts := c.where(r)
		if ts == "" && r.State == ops.Pending {
			b.postAlertCard(ctx, c, r)
			return
		}
		if ts == "" || rank(r.State) < c.shown {
			return
		}
		b.call(ctx, r.ID, "chat.update", func(ctx context.Context) error {
			_, _, _, err := b.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(cardBlocks(r, b.risk(r.Op))...), slack.MsgOptionText(cardText(r), false))
			return err
		})
	})
}

// Say posts text in a channel, like a rule's report that an alert proposed
// nothing.
func (b *Bot) Say(ctx context.Context, channel, text string) {
	ctx = context.WithoutCancel(ctx)
	b.background.Go(func() {
		b.call(ctx, "", "chat.postMessage", func(ctx context.Context) error {
			_, _, err := b.api.PostMessageContext(ctx, channel, slack.MsgOptionText(textMessage(text), false))
			return err
		})
	})
}
