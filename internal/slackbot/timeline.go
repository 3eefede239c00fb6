package slackbot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// postTimeline puts a timeline in the channel it was asked in, as one
// message for everyone there; where the bot may not post, as the answer to
// the command, for the channel too.
func (b *Bot) postTimeline(ctx context.Context, cmd slack.SlashCommand, t ops.Timeline) {
	blocks, text := timelineBlocks(t, cmd.ChannelID), truncate(escape(t.Heading()), maxFallbackText)
	err := b.call(ctx, "", "chat.postMessage", func(ctx context.Context) error {
		_, _, err := b.api.PostMessageContext(ctx, cmd.ChannelID, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false))
		return err
	})
	if notInChannel(err) {
		err = b.webhook(ctx, "", cmd.ResponseURL, &slack.WebhookMessage{
			ResponseType: slack.ResponseTypeInChannel, Text: text, Blocks: &slack.Blocks{BlockSet: blocks},
		})
	}
	if err != nil {
		b.log.Warn("could not post a timeline", "channel", cmd.ChannelID, "err", err)
		b.ephemeral(ctx, "", cmd.ResponseURL, "Slack would not take the timeline ("+escape(err.Error())+"). `bot audit --format markdown --channel "+escape(cmd.ChannelID)+"` writes it from the audit trail.")
	}
}
