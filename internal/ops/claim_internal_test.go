package ops

import "testing"

func TestClaimKey(t *testing.T) {
	for _, c := range []struct {
		target Target
		want   string
	}{
		{Target{Kind: "job", ID: "fac59513-6c18"}, "job.fac59513-6c18"},
		{Target{Kind: "pipeline", Alias: "orders-etl", ID: "p_1"}, "pipeline.p_1"},
		{Target{Kind: "job", Alias: "nightly"}, "job.nightly"}, // yet to be created: its name
		{Target{Kind: "stream", ID: "a.b"}, "stream.x612e62"},  // a dot would split the key
		// The default account's keys are those of claims taken before
		// targets had accounts, so that such a claim still holds.
		{Target{Account: DefaultAccount, Kind: "job", ID: "fac59513-6c18"}, "job.fac59513-6c18"},
		{Target{Account: "eg-shanghai", Kind: "job", ID: "fac59513-6c18"}, "eg-shanghai.job.fac59513-6c18"},
		{Target{Account: "eg.sh", Kind: "job", ID: "j-1"}, "x65672e7368.job.j-1"},
	} {
		if got := claimKey(c.target); got != c.want {
			t.Errorf("claimKey(%+v) = %q, want %q", c.target, got, c.want)
		}
	}
}

func TestFinalStates(t *testing.T) {
	for s, final := range map[State]bool{
		Pending: false, Executing: false,
		Succeeded: true, Failed: true, Uncertain: true, Cancelled: true, Expired: true,
	} {
		if s.Final() != final {
			t.Errorf("%s.Final() = %v", s, !final)
		}
	}
}

func TestCardLeavesOutEmptyFields(t *testing.T) {
	c := CardOf(Request{ID: "r-000001", Op: "pipeline pause", Target: Target{Kind: "pipeline", ID: "p-1"}, State: Pending})
	for _, f := range c.Fields {
		if f.Value == "" {
			t.Errorf("empty field %q", f.Label)
		}
	}
}
