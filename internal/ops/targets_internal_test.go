package ops

import (
	"slices"
	"testing"
)

func TestTargetKeys(t *testing.T) {
	old := Target{Kind: "pipeline", Alias: "orders-etl", ID: "p-1"}
	if got, want := old.Key(), (TargetKey{Account: DefaultAccount, Kind: "pipeline", ID: "p-1"}); got != want {
		t.Errorf("a target without an account: key %+v, want %+v", got, want)
	}
	named := old
	named.Account = DefaultAccount
	if old.Key() != named.Key() || claimKey(old) != claimKey(named) {
		t.Errorf("the default account named or not: keys %+v and %+v differ", old.Key(), named.Key())
	}
	other := old
	other.Account = "enos-eu"
	if other.Key() == old.Key() || claimKey(other) == claimKey(old) {
		t.Errorf("one ID in two accounts shares the key %+v", other.Key())
	}
	for target, want := range map[Target]string{
		old:                             "pipeline p-1",
		other:                           "pipeline p-1 in enos-eu",
		{Kind: "job", Alias: "nightly"}: "job nightly", // yet to be created: its name
	} {
		if got := target.Key().String(); got != want {
			t.Errorf("%+v: key %q, want %q", target, got, want)
		}
	}
}

// The policy decides on the targets of a request, all of them, once they
// are resolved; a command without a target has none.
func TestPolicyIsGivenTheTargets(t *testing.T) {
	one := Target{Kind: "pipeline", ID: "p-1"}
	two := Target{Account: "enos-eu", Kind: "pipeline", ID: "p-2"}
	r := Request{Op: "pipeline pause", Requester: "U1", Origin: Origin{Frontend: "slack", Channel: "C1"}, Target: one, MoreTargets: []Target{two}}
	a := r.action()
	if a.Op != r.Op || a.Requester != "U1" || a.Origin != r.Origin || !slices.Equal(a.Targets, []Target{one, two}) {
		t.Errorf("action of %+v: %+v", r, a)
	}
	if a := (Request{Op: "pipeline list"}).action(); a.Targets != nil {
		t.Errorf("a command without a target is decided on targets %+v", a.Targets)
	}
}
