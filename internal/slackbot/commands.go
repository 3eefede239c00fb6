package slackbot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// full answers what arrives while the queue is full.
const full = "Too many commands and clicks are waiting for the bot: this one was not taken and nothing was done. Try again in a minute."

// tooLate tells the sender that what they sent waited longer than the
// queue allows and was dropped.
func tooLate(what string, waited time.Duration, unchanged string) string {
	return fmt.Sprintf("%s waited %s for the bot, which had more to do than it could: it was not carried out and %s. Send it again if it is still needed.",
		what, waited.Round(time.Second), unchanged)
}

// command acknowledges a slash command and starts the work on it; what it
// returns is the ephemeral ack text. delivery names what Slack delivered,
// the same for a delivery sent again. It waits on nothing: Slack wants the
// ack within 3 s whatever the providers, the Web API and NATS are doing.
func (b *Bot) command(ctx context.Context, delivery string, cmd slack.SlashCommand) string {
	text := strings.TrimSpace(cmd.Text)
	if slices.Contains(builderWords, text) {
		b.openBuilder(ctx, delivery, cmd)
		return ""
	}
	ctx = context.WithoutCancel(ctx)
	if !b.queue.add(func() {
		if b.firstDelivery(ctx, delivery) {
			b.runCommand(ctx, cmd, text)
		}
	}, func(waited time.Duration) {
		if !b.firstDelivery(ctx, delivery) {
			return // another replica has it
		}
		b.log.Warn("a slash command waited too long for a worker and was dropped; its sender was told", "user", cmd.UserID, "channel", cmd.ChannelID, "waited", waited)
		b.ephemeral(ctx, "", cmd.ResponseURL, tooLate("`"+escape(truncate(text, 200))+"`", waited, "nothing was done"))
	}) {
		return full
	}
	// Acked alike when sent again: Slack (or the proxy) shows this ack, as
	// the first one did not reach it.
	op, rest, _ := b.svc.OperationOf(text)
	return ackText(text, op, rest)
}

// ackText says the command was taken: an operation that reads its target
// before its card (op, with the words after its name) says so.
func ackText(text string, op ops.Spec, rest []string) string {
	if op.ReadsFirst && op.Kind != "" && len(rest) > 0 {
		return "Reading " + op.Kind + " " + escape(rest[0]) + " before making its card; the request ID follows."
	}
	return "Working on `" + escape(truncate(text, 200)) + "`…"
}

// risk is how risky the operation named is, as its spec says.
func (b *Bot) risk(op string) ops.Risk {
	spec, _ := b.svc.Operation(op)
	return spec.Risk
}

func (b *Bot) runCommand(ctx context.Context, cmd slack.SlashCommand, text string) {
	reply, err := b.svc.Handle(ctx, ops.Input{
		Text: text, User: cmd.UserID,
		Origin: ops.Origin{Frontend: ops.FrontendSlack, Channel: cmd.ChannelID},
	})
	if err != nil {
		var bad *ops.InputError
		if !errors.As(err, &bad) {
			b.log.Warn("a slash command failed", "user", cmd.UserID, "channel", cmd.ChannelID, "err", err)
		}
		b.tell(ctx, cmd, "", errorText(err, cmd.UserID))
		return
	}
	if reply.Timeline != nil {
		b.postTimeline(ctx, cmd, *reply.Timeline)
		return
	}
	if reply.Text != "" {
		b.tell(ctx, cmd, "", textMessage(reply.Text, cmd.UserID))
	}
	r := reply.Request
	switch {
	case r == nil:
	case r.State == ops.Pending:
		b.postCard(ctx, cmd, *r)
	default: // `confirm r-…` or `cancel r-…` typed rather than clicked
		b.decided(ctx, *r)
		b.ephemeral(ctx, r.ID, cmd.ResponseURL, textMessage(r.ID+": "+ops.CardOf(*r).Status, people(*r)...))
	}
}

// postCard puts a new request's card in the channel the command came from,
// or, where the bot may not post, under the command itself.
func (b *Bot) postCard(ctx context.Context, cmd slack.SlashCommand, r ops.Request) {
	blocks, text := cardBlocks(r, b.risk(r.Op)), cardText(r)
	var ts string
	err := b.call(ctx, r.ID, "chat.postMessage", func(ctx context.Context) (err error) {
		_, ts, err = b.api.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
		return err
	})
	expires := r.ExpiresAt.UTC().Format("15:04:05 MST")
	switch {
	case err == nil:
		b.cards.locate(r.ID, cmd.ChannelID, ts, "")
		if _, err := b.svc.AttachMessage(ctx, r.ID, cmd.ChannelID, ts); err != nil {
			b.log.Warn("could not store where a card is; other replicas cannot update it", "request", r.ID, "err", err)
		}
		b.ephemeral(ctx, r.ID, cmd.ResponseURL, fmt.Sprintf(
			"Request %s is waiting for confirmation: the card is in this channel and expires at %s.", r.ID, expires))
	case notInChannel(err):
		b.cards.locate(r.ID, "", "", cmd.ResponseURL)
		if werr := b.webhook(ctx, r.ID, cmd.ResponseURL, &slack.WebhookMessage{
			ResponseType: slack.ResponseTypeInChannel, Text: text, Blocks: &slack.Blocks{BlockSet: blocks},
		}); werr != nil {
			b.ephemeral(ctx, r.ID, cmd.ResponseURL, fmt.Sprintf(
				"Request %s is pending, but I could not show its card here: I am not in this channel. Invite me with `/invite @%s`, then confirm it with `%s confirm %s`.",
				r.ID, b.botName(), cmd.Command, r.ID))
			return
		}
		b.ephemeral(ctx, r.ID, cmd.ResponseURL, fmt.Sprintf(
			"Request %s is waiting for confirmation and expires at %s. I am not in this channel, so its card came as an answer to your command and I cannot reply in its thread: invite me with `/invite @%s` for the full flow.",
			r.ID, expires, b.botName()))
	default:
		b.ephemeral(ctx, r.ID, cmd.ResponseURL, fmt.Sprintf(
			"Request %s is pending, but Slack would not take its card (%s). Confirm it with `%s confirm %s` or cancel it with `%s cancel %s`; it expires at %s.",
			r.ID, escape(err.Error()), cmd.Command, r.ID, cmd.Command, r.ID, expires))
	}
}

// clickTimeout bounds the answer to a click the full queue refused, which
// is sent outside the queue.
const clickTimeout = 5 * time.Second

// click acknowledges a click on a card's button and starts the work on it;
// other block actions are ignored.
func (b *Bot) click(ctx context.Context, delivery string, cb slack.InteractionCallback) any {
	var act *slack.BlockAction
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID == actionConfirm || a.ActionID == actionCancel || a.ActionID == actionUndo {
			act = a
			break
		}
	}
	if act == nil {
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	if !b.queue.add(func() {
		if b.firstDelivery(ctx, delivery) {
			b.runClick(ctx, cb, act.ActionID, act.Value)
		}
	}, func(waited time.Duration) {
		if !b.firstDelivery(ctx, delivery) {
			return // another replica has it
		}
		b.log.Warn("a click waited too long for a worker and was dropped; its sender was told", "user", cb.User.ID, "request", act.Value, "waited", waited)
		b.ephemeral(ctx, act.Value, cb.ResponseURL, tooLate("Your "+act.ActionID+" of "+escape(truncate(act.Value, 64)), waited, escape(truncate(act.Value, 64))+" is unchanged"))
	}) {
		b.background.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, clickTimeout)
			defer cancel()
			b.ephemeral(ctx, act.Value, cb.ResponseURL, full)
		})
	}
	return nil
}

func (b *Bot) runClick(ctx context.Context, cb slack.InteractionCallback, action, id string) {
	channel := cb.Container.ChannelID
	if channel == "" {
		channel = cb.Channel.ID
	}
	if action == actionUndo {
		b.undo(ctx, cb, channel, id)
		return
	}
	if ops.ValidRequestID(id) {
		// The click says where the card is, even before its post returned;
		// its response_url can replace a card the Web API may not touch.
		ts := cb.Container.MessageTs
		if cb.Container.IsEphemeral {
			ts = ""
		}
		b.cards.locate(id, channel, ts, cb.ResponseURL)
	}
	decide := b.svc.Confirm
	if action == actionCancel {
		decide = b.svc.Cancel
	}
	r, err := decide(ctx, id, cb.User.ID)
	if err != nil {
		var bad *ops.InputError
		if !errors.As(err, &bad) {
			b.log.Warn("a click could not be carried out", "request", id, "user", cb.User.ID, "action", action, "err", err)
		}
		text := errorText(err, append(people(r), cb.User.ID)...)
		if cb.View.Type == slack.VTHomeTab { // no message to answer under: the tab says it
			b.homeNote(ctx, cb.User.ID, text)
			return
		}
		b.ephemeral(ctx, id, cb.ResponseURL, text)
		return
	}
	b.decided(ctx, r)
}

// undo asks for the reverse of request id's success for whoever clicked
// its outcome's button: a new request, with its own card in the channel,
// that waits for a confirmation like a typed one.
func (b *Bot) undo(ctx context.Context, cb slack.InteractionCallback, channel, id string) {
	reply, err := b.svc.Undo(ctx, id, cb.User.ID, ops.Origin{Frontend: ops.FrontendSlack, Channel: channel})
	if err != nil {
		var bad *ops.InputError
		if !errors.As(err, &bad) {
			b.log.Warn("an undo could not be asked for", "request", id, "user", cb.User.ID, "err", err)
		}
		b.ephemeral(ctx, id, cb.ResponseURL, errorText(err, cb.User.ID))
		return
	}
	if reply.Request == nil {
		return
	}
	b.postCard(ctx, slack.SlashCommand{ChannelID: channel, UserID: cb.User.ID, ResponseURL: cb.ResponseURL, Command: "/streamops"}, *reply.Request)
}
