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
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			if !ok || evt.Request == nil {
				continue
			}
			var payload []any
			if text := b.command(ctx, socketDelivery(*evt.Request), cmd); text != "" {
				payload = append(payload, ack{ResponseType: slack.ResponseTypeEphemeral, Text: text})
			}
			b.socketAck(client, *evt.Request, payload...)
		case socketmode.EventTypeInteractive:
			cb, ok := evt.Data.(slack.InteractionCallback)
			if !ok || evt.Request == nil {
				continue
			}
			var payload []any
			if answer := b.interaction(ctx, socketDelivery(*evt.Request), cb); answer != nil {
				payload = append(payload, answer)
			}
			b.socketAck(client, *evt.Request, payload...)
		case socketmode.EventTypeEventsAPI:
			if evt.Request == nil {
				continue
			}
			if ev, ok := evt.Data.(slackevents.EventsAPIEvent); ok {
				b.event(ctx, socketDelivery(*evt.Request), ev)
			}
			b.socketAck(client, *evt.Request) // acked even if unread, so Slack does not resend it
		}
	}
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
