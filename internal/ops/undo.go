package ops

import (
	"cmp"
	"context"
	"fmt"
)

// ReverseBy is the Reverse of an operation that op undoes on the same
// target, like a pause's start.
func ReverseBy(op string) func(Request) (string, bool) {
	return func(r Request) (string, bool) {
		return op + " " + TargetWord(r.Target), true
	}
}

// TargetWord is t as a command names it: its alias, or its ID.
func TargetWord(t Target) string {
	return QuoteWord(cmp.Or(t.Alias, t.ID))
}

// undoOf is the command that reverses r's success; "" when its operation
// has no reverse, or r did not succeed on its one target.
func undoOf(op *operation, r Request) string {
	if op.Spec.Reverse == nil || r.Outcome == nil || r.Outcome.Error != nil || len(r.MoreTargets) > 0 {
		return ""
	}
	if cmd, ok := op.Spec.Reverse(r); ok {
		return cmd
	}
	return ""
}

// Undo asks, for user, for the reverse of request id's success, as a new
// request made where they asked (origin): it waits for a confirmation
// like any other, and the policy applies to user as if they had typed it.
func (s *Service) Undo(ctx context.Context, id, user string, origin Origin) (Reply, error) {
	r, err := s.get(ctx, id)
	if err != nil {
		return Reply{}, err
	}
	if r.State != Succeeded || r.Outcome == nil || r.Outcome.Undo == "" {
		return Reply{}, inputErrorf("%s has nothing to undo: only a success whose operation has a reverse offers one. Nothing was asked for.", r.ID)
	}
	return s.Handle(ctx, Input{Text: r.Outcome.Undo, User: user, Origin: origin, Reason: fmt.Sprintf("undoes %s (%s %s)", r.ID, r.Op, r.Target.Name())})
}
