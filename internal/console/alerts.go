package console

import (
	"context"
	"fmt"
	"strings"

	"github.com/streamops/streamops/internal/ops"
)

// Follow has the console show requests from these front ends too (like
// alerts), when no other front end shows them.
func (c *Console) Follow(frontends ...ops.Frontend) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.follow == nil {
		c.follow = map[ops.Frontend]bool{}
	}
	for _, f := range frontends {
		c.follow[f] = true
	}
}

func (c *Console) shows(r ops.Request) bool {
	if r.Origin.Frontend == ops.FrontendConsole {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.follow[r.Origin.Frontend]
}

// ShowCard prints the card of a request that automation (an alert) made.
func (c *Console) ShowCard(_ context.Context, r ops.Request) {
	var b strings.Builder
	b.WriteString("\n")
	if r.Alert != nil {
		fmt.Fprintf(&b, "* alert %s proposes (rule %s, channel %s):\n", r.Alert.Name, r.Alert.Rule, r.Origin.Channel)
	}
	writeCard(&b, ops.CardOf(r))
	c.print(b.String() + prompt)
}

// RefreshCard prints how often the alert behind a pending request fired.
func (c *Console) RefreshCard(_ context.Context, r ops.Request) {
	if r.Alert == nil || r.State != ops.Pending {
		return
	}
	c.print(fmt.Sprintf("\n* %s: alert %s has fired %d times\n%s", r.ID, r.Alert.Name, r.Alert.Fired, prompt))
}

// Say prints a message meant for a channel.
func (c *Console) Say(_ context.Context, channel, text string) {
	c.print(fmt.Sprintf("\n! [%s] %s\n%s", channel, text, prompt))
}
