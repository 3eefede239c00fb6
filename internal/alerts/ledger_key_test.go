package alerts

import (
	"testing"

	"github.com/streamops/streamops/internal/ops"
)

// accountOps resolves targets as fakeOps does, in the account the fourth
// word names, if any.
type accountOps struct{ fakeOps }

func (f *accountOps) TargetOf(text string) (ops.Target, error) {
	t, err := f.fakeOps.TargetOf(text)
	if c, _ := ops.ParseCommand(text); len(c.Words) > 3 {
		t.Account = c.Words[3]
	}
	return t, err
}

// The ledger keeps one card per rule and target, a target being its
// account, kind and ID; the default account's key is the one entries had
// before targets had accounts.
func TestLedgerKeyIsTheRuleAndTheTargetInItsAccount(t *testing.T) {
	e := &Engine{svc: &accountOps{}}
	r := &Compiled{Rule: Rule{Name: "kafka-dr"}}
	for cmd, want := range map[string]string{
		"job switch orders-dr":             "kafka-dr job j-1",
		"job switch j-1 default":           "kafka-dr job j-1",
		"job switch orders-dr eg-shanghai": "kafka-dr job j-1 in eg-shanghai",
		"job switch j-1 eg-beijing":        "kafka-dr job j-1 in eg-beijing",
		"pending":                          "kafka-dr pending",
	} {
		if got := e.keyOf(r, cmd); got != want {
			t.Errorf("%q: ledger key %q, want %q", cmd, got, want)
		}
	}
}
