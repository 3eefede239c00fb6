package alerts

import (
	"testing"
	"time"

	"github.com/streamops/streamops/internal/operations"
	"github.com/streamops/streamops/internal/ops"
)

// specs offers operations by their specs alone: enough to parse commands.
type specs []ops.Spec

func (s specs) Operations() []ops.Spec { return s }

// Stores a ledger key never touches: resolving a command reads none.
type (
	noStore  struct{ ops.Store }
	noClaims struct{ ops.Claims }
	noEvents struct{ ops.Publisher }
)

// A rule whose command names a target group is a command the bot has, and
// the ledger keys its requests by the rule and the group: one key however
// the group's members change, apart from the same operation on a member.
func TestRuleOnAGroupIsKeyedByTheGroup(t *testing.T) {
	rules, err := Compile([]Rule{{Name: "lag", Match: map[string]string{"alertname": "KafkaLag"}, Command: "pipeline pause @orders", Channel: "incidents"}}, channels)
	if err != nil {
		t.Fatalf("a rule on a group: %v", err)
	}
	svc, err := ops.New(ops.Settings{
		Expiry: time.Minute, SweepInterval: time.Second, CheckInterval: time.Second, CheckTimeout: time.Minute,
		AbandonAfter: time.Minute, TargetWait: time.Second,
		Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}},
		Groups:  map[string][]string{"orders": {"pipeline:orders-etl", "stream:es-1"}},
	}, ops.Deps{Store: noStore{}, Claims: noClaims{}, Events: noEvents{}, Providers: []ops.Provider{specs(operations.All())}})
	if err != nil {
		t.Fatal(err)
	}
	e := &Engine{svc: svc}
	for cmd, want := range map[string]string{
		"pipeline pause @orders":     "lag pipeline @orders",
		"pipeline pause  @orders":    "lag pipeline @orders",
		"pipeline pause orders-etl":  "lag pipeline p-100",
		"pipeline pause @nosuch":     "lag pipeline pause @nosuch", // refused, and reported once
		"stream pause @orders":       "lag stream @orders",
		"pipeline pause p-100 extra": "lag pipeline p-100",
	} {
		if got := e.keyOf(rules[0], cmd); got != want {
			t.Errorf("%q: ledger key %q, want %q", cmd, got, want)
		}
	}
}
