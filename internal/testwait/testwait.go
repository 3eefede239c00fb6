// Package testwait is how tests wait for something the code under test does
// in its own time: polling a condition within one generous bound, as CI
// machines are loaded. Tests only.
package testwait

import (
	"os"
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

// Dir is a directory for the test, as t.TempDir, for the store of an
// embedded NATS server: its file store may still be finishing a write when
// its shutdown returns (nats-io/nats-server#4382), so the removal is
// tried again within Bound instead of failing the test.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "streamops-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var err error
		Until(t, func() bool { err = os.RemoveAll(dir); return err == nil }, func() string { return err.Error() })
	})
	return dir
}
