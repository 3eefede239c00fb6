package slackbot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// RunSocketMode takes commands, interactions and events over a Socket Mode websocket
// until ctx ends; client is made with the app-level (xapp-) token. They go
// through the same handlers as over HTTP, and are acknowledged the same way.
func (b *Bot) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.socketEvents(ctx, client)
	}()
	err := client.RunContext(ctx)
	cancel() // the connection gave up: so does the reader
	<-done
	return err
}

func (b *Bot) socketEvents(ctx context.Context, client *socketmode.Client) {
	for {
		var evt socketmode.Event
		select {
		case <-ctx.Done():
			return
		case evt = <-client.Events:
		}
		switch evt.Type {
		case socketmode.EventTypeConnected:
			b.log.Info("Slack Socket Mode connected")
		case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
			b.log.Warn("Slack Socket Mode could not connect; it will try again", "event", string(evt.Type), "err", evt.Data)
		case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
			if evt.Request != nil {
				b.socketAck(client, *evt.Request, b.socketAnswer(ctx, evt)...)
			}
		}
	}
}

// socketAnswer hands an envelope to what takes its payload, and returns
// the ack's payload: a command's ephemeral text, an interaction handler's
// answer, or none. An event or a type nobody handles is acked all the same,
// so that Slack does not resend it.
func (b *Bot) socketAnswer(ctx context.Context, evt socketmode.Event) []any {
	delivery := socketDelivery(*evt.Request)
	var answer any
	switch data := evt.Data.(type) {
	case slack.SlashCommand:
		if text := b.command(ctx, delivery, data); text != "" {
			answer = ack{ResponseType: slack.ResponseTypeEphemeral, Text: text}
		}
	case slack.InteractionCallback:
		answer = b.interaction(ctx, delivery, data)
	case slackevents.EventsAPIEvent:
		b.event(ctx, delivery, data)
	}
	if answer == nil {
		return nil
	}
	return []any{answer}
}

func (b *Bot) socketAck(client *socketmode.Client, req socketmode.Request, payload ...any) {
	if err := client.Ack(req, payload...); err != nil {
		b.log.Warn("could not acknowledge a Socket Mode delivery; Slack will resend it", "type", req.Type, "err", err)
	}
}

// socketDelivery names a Socket Mode delivery by its envelope ID, which
// Slack keeps when it sends the envelope again, to this connection or
// another replica's.
func socketDelivery(req socketmode.Request) string {
	if req.EnvelopeID == "" {
		return ""
	}
	return "socket " + req.EnvelopeID
}
