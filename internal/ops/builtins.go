package ops

import (
	"context"
	"fmt"
	"strings"
)

// builtins are the commands that call no provider.
func (s *Service) builtins() []*operation {
	return []*operation{
		{name: "help", summary: "list the commands", read: func(context.Context, Request) (string, error) {
			return s.help(), nil
		}},
		{name: "pending", summary: "list the requests waiting for confirmation", read: func(ctx context.Context, _ Request) (string, error) {
			open, err := s.Pending(ctx)
			if err != nil {
				return "", fmt.Errorf("could not read the open requests from NATS: %w", err)
			}
			if len(open) == 0 {
				return "No requests are waiting for confirmation.", nil
			}
			var b strings.Builder
			for _, r := range open {
				fmt.Fprintf(&b, "%s  %-10s %s %s, asked by %s, expires %s\n", r.ID, r.State, r.Op, r.Target.Name(), r.Requester, r.ExpiresAt.UTC().Format("15:04:05 MST"))
			}
			return strings.TrimRight(b.String(), "\n"), nil
		}},
	}
}

func (s *Service) help() string {
	var b strings.Builder
	b.WriteString("Commands (state-changing ones wait for a confirmation):\n")
	for _, o := range s.catalogue.sorted() {
		fmt.Fprintf(&b, "  %-50s %s\n", o.usageLine(), o.summary)
	}
	fmt.Fprintf(&b, "  %-50s %s\n", "confirm <request ID>", "carry out a pending request")
	fmt.Fprintf(&b, "  %-50s %s", "cancel <request ID>", "drop a pending request")
	return b.String()
}
