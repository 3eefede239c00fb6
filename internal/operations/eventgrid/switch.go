package eventgrid

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/streamops/streamops/internal/api/eg"
	"github.com/streamops/streamops/internal/ops"
)

// switchover is the disaster-recovery switchover, the riskiest command:
// sent twice it switches back. The card says what it will do, from the job as
// read before the card; the call is only sent if the job still reads so.
type switchover struct {
	api       client
	operation string // the provider's operation string; "" when not set up
}

func switchSpec(api client, operation, summary string) ops.Spec {
	s := switchover{api: api, operation: operation}
	return ops.Spec{
		Name: "job switch", Provider: Provider, Usage: "<job> [sink=<addr,...>] [now]", Kind: "job",
		Params: []ops.Param{{Name: "sink", Type: ops.ParamAddresses}}, Flags: []string{"now"},
		Summary: summary,
		Risk:    ops.Dangerous, ReadsFirst: true,
		Prepare: s.prepare,
		Call:    func(r ops.Request) string { return api.ActOnJobCall(r.Target.ID, s.action(r)).String() },
		Execute: s.execute,
		Done:    switched,
		Verb:    func(r ops.Request) string { return fmt.Sprintf("switch job %s", r.Target.Name()) },
		Reverse: switchBack,
		Check: &ops.StatusCheck{
			Status: func(ctx context.Context, r ops.Request) (string, error) {
				j, err := api.Job(ctx, r.Target.ID)
				return addresses(j.SourceAddress(), j.SinkAddress()), err
			},
			Reached: func(r ops.Request, status string) bool { return status == expected(*r.Seen) },
			Want:    "source and target as the card said",
			Phrase:  "has",
		},
	}
}

// prepare reads the job and puts on the card what the switch would do to it.
func (s switchover) prepare(ctx context.Context, r *ops.Request) error {
	if s.operation == "" {
		return s.api.notSetUp("job switch")
	}
	j, err := s.api.Job(ctx, r.Target.ID)
	if err != nil {
		return fmt.Errorf("could not read job %s to show what the switch would do, so nothing was asked: %s", r.Target.Name(), ops.FailureText(err))
	}
	if j.SourceAddress() == "" || j.SinkAddress() == "" {
		return ops.InputErrorf("job %s does not report both its source and target address, so what a switchover would do cannot be shown: nothing was sent", r.Target.Name())
	}
	sink, swap, err := sinkOf(j, r.Args)
	if err != nil {
		return err
	}
	if r.Args == nil {
		r.Args = map[string]string{}
	}
	r.Args["sink"] = sink
	r.Seen = &ops.Seen{Source: j.SourceAddress(), Target: j.SinkAddress(), Swap: swap}
	r.Target.Scope = s.api.scope()
	r.Details = append(r.Details,
		ops.Field{Label: "Current source", Value: j.SourceAddress()},
		ops.Field{Label: "Current target", Value: j.SinkAddress()},
		ops.Field{Label: "Effect", Value: effect(swap, j.SourceAddress(), j.SinkAddress())},
	)
	return nil
}

// sinkOf is the sink address the switch sends to job j, and whether that
// swaps its source and target. Without sink= it sends the current source,
// as reported: the switchover.
func sinkOf(j eg.Job, args map[string]string) (sink string, swap bool, err error) {
	given, typed := args["sink"]
	if !typed {
		return j.SourceAddress(), true, nil
	}
	addrs, err := parseAddresses(given)
	if err != nil {
		return "", false, ops.InputErrorf("sink=: %s", err.Error())
	}
	switch {
	case sameAddresses(addrs, j.SourceAddress()):
		swap = true
	case sameAddresses(addrs, j.SinkAddress()):
		swap = false
	default:
		return "", false, ops.InputErrorf("sink=%s matches neither the job's source (%s) nor its target (%s), so EventGrid would refuse it: nothing was sent",
			strings.Join(addrs, ","), j.SourceAddress(), j.SinkAddress())
	}
	return strings.Join(addrs, ","), swap, nil
}

// execute sends the switch if the job still has the addresses the card showed.
func (s switchover) execute(ctx context.Context, r ops.Request) (ops.Outcome, error) {
	j, err := s.api.Job(ctx, r.Target.ID)
	if err != nil {
		return ops.Outcome{}, fmt.Errorf("could not read the job again before switching, so nothing was sent: %w", err)
	}
	if j.SourceAddress() != r.Seen.Source || j.SinkAddress() != r.Seen.Target {
		return ops.Outcome{}, fmt.Errorf("the job changed since the card was made (source now %s, target %s): nothing was sent. Ask again to see what a switch would do now",
			j.SourceAddress(), j.SinkAddress())
	}
	res, err := s.api.ActOnJob(ctx, r.Target.ID, s.action(r))
	return ops.Outcome{JobID: res.ID, RequestID: res.RequestID}, err
}

// action is the call the card shows and the confirmation sends.
func (s switchover) action(r ops.Request) eg.JobAction {
	return eg.JobAction{Operation: s.operation, Config: &eg.ActionConfig{
		SwitchNow: slices.Contains(r.Flags, "now"), SinkAddress: r.Args["sink"],
	}}
}

func switched(r ops.Request, out ops.Outcome) string {
	seen := r.Seen
	if !seen.Swap {
		return fmt.Sprintf("Sent the switch to job %s; nothing was switched, as the card said (target stays %s): %s", r.Target.Name(), seen.Target, out.IDs())
	}
	return fmt.Sprintf("Switched job %s: now source %s -> target %s (was %s -> %s), %s",
		r.Target.Name(), seen.Target, seen.Source, seen.Source, seen.Target, out.IDs())
}

// switchBack is the switch that swaps the job back: its sink is the
// job's source since the switch, which was its target before it (sending
// the source before the switch, now the target, would change nothing). A
// switch that swapped nothing has nothing to undo.
func switchBack(r ops.Request) (string, bool) {
	if r.Seen == nil || !r.Seen.Swap {
		return "", false
	}
	cmd := "job switch " + ops.TargetWord(r.Target) + " sink=" + ops.QuoteWord(r.Seen.Target)
	if slices.Contains(r.Flags, "now") {
		cmd += " now"
	}
	return cmd, true
}

// expected is the job's addresses once the switch has taken effect.
func expected(seen ops.Seen) string {
	if !seen.Swap {
		return addresses(seen.Source, seen.Target)
	}
	return addresses(seen.Target, seen.Source)
}

func addresses(source, target string) string {
	return fmt.Sprintf("source %s, target %s", source, target)
}

func effect(swap bool, source, target string) string {
	if swap {
		return fmt.Sprintf("source and target swap: the source becomes %s, the target %s", target, source)
	}
	return fmt.Sprintf("nothing changes: %s is already the target", target)
}
