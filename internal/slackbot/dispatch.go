package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// interactionHandler takes one verified interaction of its type, delivered
// over HTTP or Socket Mode; delivery is as for command. What it returns is
// the ack's JSON body (a block_suggestion's options, a view_submission's
// response_action); nil acks with an empty 200. Slack wants the ack within
// 3 s, so a handler queues its work rather than doing it.
type interactionHandler func(ctx context.Context, delivery string, cb slack.InteractionCallback) any

// eventHandler takes one Events API event of its inner type (such as
// app_home_opened); Slack wants only an empty 200 for it, within 3 s.
type eventHandler func(ctx context.Context, delivery string, ev slackevents.EventsAPIInnerEvent)

// dispatch finds the handler of each kind of payload Slack sends besides
// slash commands. Both transports feed it, so a new kind of payload is one
// more handler here, not a branch in each transport.
type dispatch struct {
	interactions map[slack.InteractionType]interactionHandler
	events       map[string]eventHandler
}

// handlers is what the bot answers: clicks on its cards' buttons (on Home
// too), the command builder's targets and submissions, and people opening
// its Home tab.
func (b *Bot) handlers() dispatch {
	return dispatch{
		interactions: map[slack.InteractionType]interactionHandler{
			slack.InteractionTypeBlockActions:    b.click,
			slack.InteractionTypeBlockSuggestion: b.suggest,
			slack.InteractionTypeViewSubmission:  b.submit,
		},
		events: map[string]eventHandler{
			string(slackevents.AppHomeOpened): b.homeOpened,
		},
	}
}

// interaction hands cb to the handler of its type. One nobody handles is
// acknowledged and ignored, as Slack expects: an app gets the payloads of
// every feature turned on in its settings, used or not.
func (b *Bot) interaction(ctx context.Context, delivery string, cb slack.InteractionCallback) any {
	h, ok := b.dispatch.interactions[cb.Type]
	if !ok {
		b.log.Debug("ignored a Slack interaction of a type the bot does not handle", "type", string(cb.Type))
		return nil
	}
	return h(ctx, delivery, cb)
}

// event hands an Events API callback to the handler of its inner type; as
// for interactions, others are acknowledged and ignored.
func (b *Bot) event(ctx context.Context, delivery string, ev slackevents.EventsAPIEvent) {
	h, ok := b.dispatch.events[ev.InnerEvent.Type]
	if ev.Type != slackevents.CallbackEvent || !ok {
		b.log.Debug("ignored a Slack event of a type the bot does not handle", "type", ev.Type, "event", ev.InnerEvent.Type)
		return
	}
	h(ctx, delivery, ev.InnerEvent)
}
