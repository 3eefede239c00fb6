// Package testwait is how tests wait for something the code under test does
// in its own time: polling a condition within one generous bound, as CI
// machines are loaded. Tests only.
package testwait

import (
	"testing"
	"time"
)

// Bound is how long a test waits for what should happen; only a failing
// test waits that long.
const Bound = 2 * time.Minute

// tick is how often a condition is asked again.
const tick = 10 * time.Millisecond

// Until asks cond until it holds, and fails the test with failure() if it
// never does within Bound. cond runs on the test's goroutine, so it may
// itself fail the test (testify's Eventually runs it on another).
func Until(t testing.TB, cond func() bool, failure func() string) {
	t.Helper()
	deadline := time.Now().Add(Bound)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", Bound, failure())
		}
		time.Sleep(tick)
	}
}
