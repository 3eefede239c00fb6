package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/streamops/streamops/internal/ops"
)

// The command builder is a modal in two steps: the operation (callbackPick),
// then its target and parameters (callbackBuild). Submitting the second
// makes the command a person would have typed and hands it to the same
// entry point (ops' Handle) as a typed one.
const (
	callbackPick  = "streamops-pick"
	callbackBuild = "streamops-build"

	blockOp     = "op"
	blockName   = "name"
	blockTarget = "target"
	blockFlags  = "flags"
	// blockParam prefixes the block of a key=value parameter.
	blockParam = "param-"

	// maxOptions is the most options Slack takes in a select or a suggestion answer.
	maxOptions = 100
	// builderTimeout bounds what the builder does before Slack's 3 s are up:
	// opening the modal (its trigger_id lasts 3 s) and listing targets.
	builderTimeout = 2 * time.Second
)

// builderWords open the builder when they are all a command says.
var builderWords = []string{"", "new"}

// builderState is what the modal carries in its private_metadata: where
// it was opened, for the card, and the operation picked.
type builderState struct {
	Channel string `json:"channel"`
	Op      string `json:"op,omitempty"`
}

func (s builderState) String() string {
	b, _ := json.Marshal(s) // two strings cannot fail to encode
	return string(b)
}

// stateOf reads a view's private_metadata; the channel is required.
func stateOf(view slack.View) (builderState, error) {
	var s builderState
	if err := json.Unmarshal([]byte(view.PrivateMetadata), &s); err != nil {
		return builderState{}, fmt.Errorf("the modal's private_metadata is not the builder's: %w", err)
	}
	if s.Channel == "" {
		return builderState{}, errors.New("the modal's private_metadata names no channel")
	}
	return s, nil
}

// openBuilder opens the modal for cmd's trigger_id, offering the operations
// its sender may request in its channel. It answers at once; the modal
// follows, as the trigger_id allows 3 s.
func (b *Bot) openBuilder(ctx context.Context, delivery string, cmd slack.SlashCommand) {
	ctx = context.WithoutCancel(ctx)
	b.background.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, builderTimeout)
		defer cancel()
		if !b.firstDelivery(ctx, delivery) {
			return
		}
		specs := b.svc.Requestable(ctx, cmd.UserID, ops.Origin{Frontend: ops.FrontendSlack, Channel: cmd.ChannelID})
		if len(specs) == 0 {
			b.tell(ctx, cmd, "", "The policy lets you request no operation in this channel, so there is nothing to build. Type `"+cmd.Command+" help` to see what you may do here.")
			return
		}
		view := pickView(specs, builderState{Channel: cmd.ChannelID})
		err := b.call(ctx, "", "views.open", func(ctx context.Context) error {
			_, err := b.api.OpenViewContext(ctx, cmd.TriggerID, view)
			return err
		})
		if err != nil {
			b.tell(ctx, cmd, "", fmt.Sprintf("Slack would not open the command builder (%s). Type the command instead: `%s help` lists them.", escape(err.Error()), cmd.Command))
		}
	})
}

// suggest answers a block_suggestion of the target select: the targets of
// the picked operation's kind, and the groups it may take, that match what
// was typed.
func (b *Bot) suggest(ctx context.Context, _ string, cb slack.InteractionCallback) any {
	answer := suggestions{Options: []*slack.OptionBlockObject{}}
	st, err := stateOf(cb.View)
	if err != nil || cb.ActionID != blockTarget {
		b.log.Debug("ignored a block_suggestion that is not the builder's target", "action", cb.ActionID, "err", err)
		return answer
	}
	spec, ok := b.svc.Operation(st.Op)
	if !ok || spec.Kind == "" {
		return answer
	}
	ctx, cancel := context.WithTimeout(ctx, builderTimeout)
	defer cancel()
	choices, err := b.svc.Choices(ctx, spec, cb.Value, maxOptions)
	if err != nil {
		b.log.Warn("offered only the configured aliases: a provider's list failed", "kind", spec.Kind, "err", err)
	}
	for _, c := range choices {
		answer.Options = append(answer.Options, option(c.Word, c.Label))
	}
	return answer
}

// suggestions answer a block_suggestion; unlike slack.OptionsResponse,
// an empty list is sent as one, as Slack wants.
type suggestions struct {
	Options []*slack.OptionBlockObject `json:"options"`
}

// submit answers a view_submission of the builder: the next step, the
// errors to show in the modal, or clear once the request is on its way.
func (b *Bot) submit(ctx context.Context, delivery string, cb slack.InteractionCallback) any {
	st, err := stateOf(cb.View)
	if err != nil {
		b.log.Debug("ignored a view_submission that is not the builder's", "callback", cb.View.CallbackID, "err", err)
		return nil
	}
	values := cb.View.State
	if values == nil {
		values = &slack.ViewState{}
	}
	switch cb.View.CallbackID {
	case callbackPick:
		st.Op = values.Values[blockOp][blockOp].SelectedOption.Value
		spec, ok := b.svc.Operation(st.Op)
		if !ok || !spec.Changes() {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{blockOp: "Pick one of the operations listed."})
		}
		view := buildView(spec, st)
		return slack.NewUpdateViewSubmissionResponse(&view)
	case callbackBuild:
		return b.build(ctx, delivery, cb.User.ID, st, values.Values)
	}
	return nil
}

// build turns the second step into the typed command, checks it while the
// modal can still show why not, and hands it to the queue as a command.
// The check reads no provider, to answer within Slack's 3 s; what only a
// provider can refuse (a job's addresses) comes to the sender ephemerally.
func (b *Bot) build(ctx context.Context, delivery, user string, st builderState, values map[string]map[string]slack.BlockAction) any {
	spec, ok := b.svc.Operation(st.Op)
	if !ok {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(spec): "That operation is no longer offered here: close this and start again."})
	}
	text := commandText(spec, values)
	in := ops.Input{Text: text, User: user, Origin: ops.Origin{Frontend: ops.FrontendSlack, Channel: st.Channel}}
	check, cancel := context.WithTimeout(ctx, builderTimeout) // the policy may read Slack's user groups
	defer cancel()
	if err := b.svc.Check(check, in); err != nil {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{errorBlock(spec, err): truncate(err.Error(), 2000)})
	}
	cmd := slack.SlashCommand{UserID: user, ChannelID: st.Channel, Command: "/streamops", Text: text}
	ctx = context.WithoutCancel(ctx)
	if !b.queue.add(func() {
		if b.firstDelivery(ctx, delivery) {
			b.runCommand(ctx, cmd, text)
		}
	}, func(waited time.Duration) {
		if b.firstDelivery(ctx, delivery) {
			b.tell(ctx, cmd, "", tooLate("`"+escape(text)+"`", waited, "nothing was done"))
		}
	}) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlock(spec): full})
	}
	return slack.NewClearViewSubmissionResponse()
}

// commandText is the command the builder's fields say, as it would be typed.
func commandText(spec ops.Spec, values map[string]map[string]slack.BlockAction) string {
	words := []string{spec.Name}
	for _, w := range []string{strings.TrimSpace(values[blockName][blockName].Value), values[blockTarget][blockTarget].SelectedOption.Value} {
		if w != "" { // left out, the rules say what is missing
			words = append(words, ops.QuoteWord(w))
		}
	}
	for _, o := range values[blockFlags][blockFlags].SelectedOptions {
		words = append(words, ops.QuoteWord(o.Value))
	}
	for _, p := range builderParams(spec) {
		v := values[blockParam+p.Name][p.Name]
		if v.SelectedOption.Value != "" {
			v.Value = v.SelectedOption.Value
		}
		if strings.TrimSpace(v.Value) != "" {
			words = append(words, p.Name+"="+ops.QuoteWord(strings.TrimSpace(v.Value)))
		}
	}
	return strings.Join(words, " ")
}

// builderParams are the parameters the builder asks for. Addresses are
// not typed in: a switchover's new sink is the job's current source, read
// when its card is made, so the builder cannot ask for one the job has not.
func builderParams(spec ops.Spec) []ops.Param {
	var ps []ops.Param
	for _, p := range spec.Params {
		if p.Type != ops.ParamAddresses {
			ps = append(ps, p)
		}
	}
	return ps
}

// errorBlock is the block an error of spec's command is shown under: the
// parameter it names ("unknown template", "sink="), else the first field.
func errorBlock(spec ops.Spec, err error) string {
	words := strings.FieldsFunc(err.Error(), func(r rune) bool { return !unicode.IsLetter(r) && r != '_' })
	for _, p := range builderParams(spec) {
		if slices.Contains(words, p.Name) {
			return blockParam + p.Name
		}
	}
	return firstBlock(spec)
}

// firstBlock is the first input block of spec's step.
func firstBlock(spec ops.Spec) string {
	switch {
	case spec.Named:
		return blockName
	case spec.Kind != "":
		return blockTarget
	case len(builderParams(spec)) > 0:
		return blockParam + builderParams(spec)[0].Name
	}
	return blockFlags
}

// tell answers cmd's sender alone: through its response_url, or, for a
// command the builder made (which has none), chat.postEphemeral.
func (b *Bot) tell(ctx context.Context, cmd slack.SlashCommand, requestID, text string) {
	if cmd.ResponseURL != "" {
		b.ephemeral(ctx, requestID, cmd.ResponseURL, text)
		return
	}
	b.call(ctx, requestID, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := b.api.PostEphemeralContext(ctx, cmd.ChannelID, cmd.UserID, slack.MsgOptionText(text, false))
		return err
	})
}

// pickView is the builder's first step: the operations offered.
func pickView(specs []ops.Spec, st builderState) slack.ModalViewRequest {
	options := make([]*slack.OptionBlockObject, 0, min(len(specs), maxOptions))
	for _, sp := range specs[:min(len(specs), maxOptions)] {
		o := option(sp.Name, sp.Name)
		o.Description = plain(truncate(sp.Summary, 75))
		options = append(options, o)
	}
	pick := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose an operation"), blockOp, options...)
	return modal(callbackPick, "Next", st,
		slack.NewInputBlock(blockOp, plain("Operation"), plain("Only what you may request in this channel is listed."), pick))
}

// buildView is the second step: spec's name for a new resource, its
// target (suggested as one types), its parameters and flags.
func buildView(spec ops.Spec, st builderState) slack.ModalViewRequest {
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType,
		"*"+escape(spec.Name)+"*: "+escape(spec.Summary), false, false), nil, nil)}
	if spec.Named {
		kind := strings.Fields(spec.Name)[0]
		blocks = append(blocks, slack.NewInputBlock(blockName, plain("Name of the new "+kind), nil,
			slack.NewPlainTextInputBlockElement(plain("e.g. dr-2"), blockName)))
	}
	if spec.Kind != "" {
		hint := "Type an alias, ID or name"
		if spec.TakesGroup() {
			hint = "Type an alias, ID, name or @group"
		}
		target := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain(hint), blockTarget)
		target.MinQueryLength = new(int)
		blocks = append(blocks, slack.NewInputBlock(blockTarget, plain(capital(spec.Kind)), nil, target))
	}
	if spec.Name == "job switch" {
		blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
			"The new sink is the job's current source, read when its card is made: the card shows both addresses before anyone confirms.", false, false)))
	}
	for _, p := range builderParams(spec) {
		blocks = append(blocks, paramBlock(p))
	}
	if len(spec.Flags) > 0 {
		var options []*slack.OptionBlockObject
		for _, f := range spec.Flags {
			options = append(options, option(f, f))
		}
		in := slack.NewInputBlock(blockFlags, plain("Options"), nil, slack.NewCheckboxGroupsBlockElement(blockFlags, options...))
		in.Optional = true
		blocks = append(blocks, in)
	}
	return modal(callbackBuild, "Request", st, blocks...)
}

// paramBlock asks for one key=value parameter: a choice from its values,
// else text, which may be left out.
func paramBlock(p ops.Param) *slack.InputBlock {
	id := blockParam + p.Name
	if p.Type == ops.ParamChoice && len(p.Values) > 0 {
		var options []*slack.OptionBlockObject
		for _, v := range p.Values[:min(len(p.Values), maxOptions)] {
			options = append(options, option(v, v))
		}
		return slack.NewInputBlock(id, plain(capital(p.Name)), nil,
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose a "+p.Name), p.Name, options...))
	}
	in := slack.NewInputBlock(id, plain(capital(p.Name)), nil, slack.NewPlainTextInputBlockElement(nil, p.Name))
	in.Optional = true
	return in
}

func modal(callback, submit string, st builderState, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callback, PrivateMetadata: st.String(),
		Title: plain("StreamOps request"), Submit: plain(submit), Close: plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

// option is a select's option; Slack cuts neither its text (75) nor its value (150).
func option(value, text string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(truncate(value, 150), plain(truncate(text, 75)), nil)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
