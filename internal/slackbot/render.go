package slackbot

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// This file is the one place that turns ops values into Slack messages.

// Block Kit's limits, from Slack's reference.
const (
	maxHeader       = 150
	maxSectionText  = 3000
	maxDialogTitle  = 100
	maxDialogText   = 300
	maxFallbackText = 4000
)

var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)

// escape makes text from outside (provider messages, what people typed)
// plain in mrkdwn: with <, > and & escaped nothing in it can mention
// @channel, a user or link anywhere.
func escape(s string) string { return escaper.Replace(s) }

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// mrkdwn escapes s and then turns the given Slack user IDs, where they stand
// as words, into mentions, so cards say who asked and who confirmed.
func mrkdwn(s string, users ...string) string {
	s = escape(s)
	for _, u := range users {
		if userIDPattern.MatchString(u) {
			s = mention(s, u)
		}
	}
	return s
}

// mention turns each whole-word u in s into <@u>; not after "@", so that a
// mention someone typed stays escaped text.
func mention(s, u string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, u)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(u)
		whole := (i == 0 || !wordByte(s[i-1]) && s[i-1] != '@') && (end == len(s) || !wordByte(s[end]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString("<@" + u + ">")
		} else {
			b.WriteString(u)
		}
		s = s[end:]
	}
}

func wordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// people are the Slack users a request names.
func people(r ops.Request) []string { return []string{r.Requester, r.DecidedBy} }

// cardBlocks lays out ops.CardOf(r): whatever fields and status ops gives,
// with the confirm and cancel buttons while the request is pending; a
// dangerous operation's confirm has the danger style and Slack's own
// confirm dialog.
func cardBlocks(r ops.Request, risk ops.Risk) []slack.Block {
	card := ops.CardOf(r)
	who := people(r)
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(card.Title, maxHeader), false, false)),
	}
	var lines []string
	flush := func() {
		if len(lines) > 0 {
			blocks = append(blocks, section(strings.Join(lines, "\n")))
			lines = nil
		}
	}
	for _, f := range card.Fields {
		if strings.Contains(f.Value, "\n") { // a job body: its own block, as code
			flush()
			blocks = append(blocks, section("*"+escape(f.Label)+"*\n```"+escape(f.Value)+"```"))
			continue
		}
		lines = append(lines, "*"+escape(f.Label)+":* "+mrkdwn(f.Value, who...))
	}
	flush()
	if len(card.Links) > 0 {
		blocks = append(blocks, linkButtons(card.Links))
	}
	blocks = append(blocks, section(mrkdwn(statusLine(r, card), who...)))
	if r.State == ops.Pending && r.Confirmers != nil {
		blocks = append(blocks, section(confirmersText(r.Confirmers)))
	}
	if r.State == ops.Pending {
		blocks = append(blocks, buttons(r, risk))
	}
	return blocks
}

// statusLine is the card's status as Slack shows it: ops words a pending
// one for typing at the console, while in Slack the buttons decide it.
func statusLine(r ops.Request, card ops.Card) string {
	if r.State == ops.Pending {
		return "Waiting for confirmation: use the buttons below."
	}
	return card.Status
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil)
}

func buttons(r ops.Request, risk ops.Risk) *slack.ActionBlock {
	confirm := slack.NewButtonBlockElement(actionConfirm, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false))
	cancel := slack.NewButtonBlockElement(actionCancel, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false))
	if risk == ops.Dangerous {
		confirm.WithStyle(slack.StyleDanger)
		confirm.WithConfirm(slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, truncate("Really "+r.Op+"?", maxDialogTitle), false, false),
			slack.NewTextBlockObject(slack.MarkdownType, truncate(mrkdwn(dialogText(r)), maxDialogText), false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Yes, "+lastWord(r.Op), false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "No", false, false),
		).WithStyle(slack.StyleDanger))
	} else {
		confirm.WithStyle(slack.StylePrimary)
	}
	return slack.NewActionBlock("decision", confirm, cancel)
}

// dialogText is what a dangerous confirmation's dialog asks about: the
// operation, its target and call, or for several targets each target (the
// card above lists their calls).
func dialogText(r ops.Request) string {
	if len(r.MoreTargets) > 0 {
		return r.Op + " " + r.TargetName()
	}
	return r.Op + " " + r.Target.Name() + ": " + r.Call
}

// linkButtons open the card's links (ops checked each to be http(s)). A
// click on one still sends a block action, which the bot acks and ignores.
func linkButtons(links []ops.Link) *slack.ActionBlock {
	elems := make([]slack.BlockElement, 0, len(links))
	for i, l := range links {
		b := slack.NewButtonBlockElement(fmt.Sprintf("link-%d", i), "", slack.NewTextBlockObject(slack.PlainTextType, l.Label, false, false))
		b.URL = l.URL
		elems = append(elems, b)
	}
	return slack.NewActionBlock("links", elems...)
}

// cardText is the card's notification text, for clients that show no blocks.
func cardText(r ops.Request) string {
	card := ops.CardOf(r)
	text := mrkdwn(card.Title+": "+statusLine(r, card), people(r)...)
	if r.State == ops.Pending && r.Confirmers != nil {
		text += " " + confirmersText(r.Confirmers) // the notification: it mentions them
	}
	return truncate(text, maxFallbackText)
}

// textMessage is a reply of the bot's in mrkdwn: multi-line text (help,
// pending, lists) as a code block so its columns line up.
func textMessage(text string, users ...string) string {
	if strings.Contains(text, "\n") {
		return truncate("```"+escape(text)+"```", maxFallbackText)
	}
	return truncate(mrkdwn(text, users...), maxFallbackText)
}

// errorText is an error as Slack shows it: a policy refusal worded from its
// value, its people as mentions; any other error as text naming users.
func errorText(err error, users ...string) string {
	var no *ops.Refusal
	if errors.As(err, &no) {
		return truncate(refusalText(no), maxFallbackText)
	}
	return textMessage(err.Error(), users...)
}

// refusalText words a refusal with each Slack user in it a mention; a
// group stays its @handle, as the policy names it.
func refusalText(no *ops.Refusal) string {
	return no.Words(escape, userMention)
}

// confirmersText names who may confirm, as mentions that notify them: a
// user as <@U…>, a group as <!subteam^ID|@handle>, or as its plain handle
// (with its members, if they were read) when its ID is not known.
func confirmersText(c *ops.Confirmers) string {
	return c.Words(escape, userMention, func(g ops.Principal) string {
		switch {
		case g.GroupID != "":
			return "<!subteam^" + escape(g.GroupID) + "|@" + escape(g.Group) + ">"
		case g.NoGroup:
			return escape("@" + g.Group + " (no such user group)")
		case len(g.Members) > 0:
			members := make([]string, len(g.Members))
			for i, m := range g.Members {
				members[i] = userMention(m)
			}
			return escape("@"+g.Group+" (") + strings.Join(members, ", ") + ")"
		}
		return escape("@" + g.Group)
	})
}

// reminderText is a reminder that names who may confirm, so they are told.
func reminderText(n ops.Notice) string {
	text := mrkdwn(n.Text, people(n.Request)...)
	if c := n.Request.Confirmers; c != nil {
		text += " " + confirmersText(c)
	}
	return truncate(text, maxFallbackText)
}

// outcomeBlocks are an outcome's reply (text, as textMessage made it)
// with a button asking for its undo, when ops offers one; none otherwise,
// and the reply is its text alone.
func outcomeBlocks(r ops.Request, text string) []slack.Block {
	if r.Outcome == nil || r.Outcome.Undo == "" {
		return nil
	}
	undo := slack.NewButtonBlockElement(actionUndo, r.ID, slack.NewTextBlockObject(slack.PlainTextType, "Undo", false, false))
	return []slack.Block{
		section(text),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			truncate("Undo asks for `"+escape(r.Outcome.Undo)+"` as a new request, confirmed like any other.", maxSectionText), false, false)),
		slack.NewActionBlock("undo", undo),
	}
}

// userMention is a Slack user ID as a mention; anything else, escaped.
func userMention(u string) string {
	if userIDPattern.MatchString(u) {
		return "<@" + u + ">"
	}
	return escape(u)
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// maxBlocks is Block Kit's limit of blocks in one message.
const maxBlocks = 50

// timelineBlocks lays out a timeline as one message: its heading, then
// its requests packed into sections of at most maxSectionText characters;
// past maxBlocks the earliest requests are left out, and the heading says
// how to read them all.
func timelineBlocks(t ops.Timeline, channel string) []slack.Block {
	var sections []string
	var cur string
	for _, r := range t.Requests {
		text := truncate(timelineRequestText(r), maxSectionText)
		if cur != "" && len(cur)+len("\n\n")+len(text) > maxSectionText {
			sections, cur = append(sections, cur), ""
		}
		if cur != "" {
			cur += "\n\n"
		}
		cur += text
	}
	if cur != "" {
		sections = append(sections, cur)
	}
	heading := "*" + escape(t.Heading()) + "*"
	if len(sections) == 0 {
		heading += "\nNo requests were made or shown here then."
	}
	if left := len(sections) - (maxBlocks - 1); left > 0 {
		sections = sections[left:]
		heading += "\nThe earliest requests do not fit in one message: ask for a shorter span, or run `bot audit --format markdown --channel " + escape(channel) + "` for them all."
	}
	blocks := []slack.Block{section(heading)}
	for _, s := range sections {
		blocks = append(blocks, section(s))
	}
	return blocks
}

// timelineRequestText is one request of a timeline in mrkdwn, its people
// as mentions.
func timelineRequestText(r ops.TimelineRequest) string {
	var b strings.Builder
	b.WriteString("*" + escape(r.ID+"  "+r.Op+" "+r.TargetName()) + "*")
	for _, c := range r.Calls() {
		b.WriteString("\n`" + escape(strings.ReplaceAll(c, "`", "'")) + "`")
	}
	for _, s := range r.Steps {
		b.WriteString("\n• " + s.Time.UTC().Format("15:04:05Z") + "  " + mrkdwn(s.Text, r.People...))
	}
	return b.String()
}
