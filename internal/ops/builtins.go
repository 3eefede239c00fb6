package ops

import (
	"context"
	"fmt"
	"strings"
)

// builtins are the commands that call no provider.
func (s *Service) builtins() []*operation {
	return []*operation{
		{Spec: Spec{Name: "help", Summary: "list the commands", Read: func(ctx context.Context, r Request) (string, error) {
			return s.help(ctx, r), nil
		}}},
		{Spec: Spec{Name: "pending", Summary: "list the requests waiting for confirmation", Read: func(ctx context.Context, _ Request) (string, error) {
			open, err := s.Pending(ctx)
			if err != nil {
				return "", fmt.Errorf("could not read the open requests from NATS: %w", err)
			}
			if len(open) == 0 {
				return "No requests are waiting for confirmation.", nil
			}
			var b strings.Builder
			for _, r := range open {
				fmt.Fprintf(&b, "%s  %-10s %s %s, asked by %s, expires %s\n", r.ID, r.State, r.Op, r.TargetName(), r.Requester, r.ExpiresAt.UTC().Format("15:04:05 MST"))
			}
			return strings.TrimRight(b.String(), "\n"), nil
		}}},
	}
}

// help lists the commands r's requester may ask for where r was asked,
// and names the others.
func (s *Service) help(ctx context.Context, r Request) string {
	var b strings.Builder
	b.WriteString("Commands (state-changing ones wait for a confirmation):\n")
	may, mayNot := s.allowedCommands(ctx, r.Requester, r.Origin.Channel)
	for _, o := range may {
		fmt.Fprintf(&b, "  %-50s %s\n", o.usageLine(), o.Summary)
	}
	if len(mayNot) > 0 {
		names := make([]string, len(mayNot))
		for i, o := range mayNot {
			names[i] = o.Name
		}
		fmt.Fprintf(&b, "  Not open to %s %s under the policy: %s\n", r.Requester, where(r.Origin.Channel), strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "  %-50s %s\n", "confirm <request ID>", "carry out a pending request")
	fmt.Fprintf(&b, "  %-50s %s", "cancel <request ID>", "drop a pending request")
	if groups := sortedKeys(s.dir.Groups); len(groups) > 0 {
		fmt.Fprintf(&b, "\nA command on a target also takes a target group, and acts on its members of that kind at once: %s%s",
			GroupPrefix, strings.Join(groups, ", "+GroupPrefix))
		var single []string
		for _, o := range s.catalogue.sorted() {
			if o.Kind != "" && !o.TakesGroup() {
				single = append(single, o.Name)
			}
		}
		if len(single) > 0 {
			fmt.Fprintf(&b, " (%s: one at a time)", strings.Join(single, ", "))
		}
	}
	return b.String()
}
