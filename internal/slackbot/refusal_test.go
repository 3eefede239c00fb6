package slackbot

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/ops"
)

// A refusal is worded from its value, not read back from its sentence:
// the people in it are mentions, a console user and a group stay text,
// and nothing else in it (a rule's name) becomes a mention or markup.
func TestRefusalIsWordedFromItsValue(t *testing.T) {
	no := &ops.Refusal{Why: ops.NotRequester, Rule: "U0EVE-only <!channel>", Operation: "job stop", User: mallory, Channel: channel,
		Instead: []ops.Principal{{User: "alice"}, {User: bob}, {Group: "oncall", Members: []string{carol}}, {Group: "sre", NoGroup: true}}}
	err := fmt.Errorf("asking: %w", &ops.InputError{Msg: "a sentence Slack does not read", Err: no})
	assert.Equal(t, `Refused by policy rule "U0EVE-only &lt;!channel&gt;": <@U0MALLORY> may not ask for job stop in this channel. `+
		`Who may: alice, <@U0BOB>, @oncall (<@U0CAROL>), @sre (no such user group). Nothing was done.`, errorText(err, alice))

	no = &ops.Refusal{Why: ops.TwoPeople, Rule: "stops", Operation: "job stop", User: bob, Channel: channel, Request: "r-0a0b0c",
		Instead: []ops.Principal{{Group: "oncall", Members: []string{carol}}}}
	assert.Equal(t, `Refused by policy rule "stops": it needs two people, and <@U0BOB> asked for r-0a0b0c, so someone else must confirm it. `+
		`Who may: @oncall (<@U0CAROL>). Nothing was done; r-0a0b0c is still pending.`, errorText(&ops.InputError{Msg: no.Error(), Err: no}))

	// Any other error is its text, naming the users given.
	assert.Equal(t, "<@U0BOB> holds job j-1 &amp; more", errorText(errors.New("U0BOB holds job j-1 & more"), bob))
}
