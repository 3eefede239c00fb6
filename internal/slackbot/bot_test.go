package slackbot

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/fakeclock"
)

// A delivery is remembered long enough to outlast Slack's retries, and
// forgotten when it was refused as busy.
func TestDeliveriesAreRememberedForAWhile(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	d := newDeliveries(clock.Now)
	assert.True(t, d.first("command 1.2"))
	assert.False(t, d.first("command 1.2"), "a retry")
	clock.Advance(deliveryMemory - time.Second)
	assert.False(t, d.first("command 1.2"), "a late retry")
	clock.Advance(time.Second)
	assert.True(t, d.first("command 1.2"), "long forgotten")
	d.forget("command 1.2")
	assert.True(t, d.first("command 1.2"), "refused as busy, so taken when sent again")
}

// Shutdown waits for work that started while it was already waiting.
func TestTasksMayGrowWhileWaitedFor(t *testing.T) {
	var ts tasks
	release := make(chan struct{})
	ts.Go(func() {
		<-release
		ts.Go(func() {}) // as a notice arriving during shutdown would
	})
	waited := make(chan error, 1)
	go func() { waited <- ts.wait(context.Background()) }()
	close(release)
	select {
	case err := <-waited:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not return")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ts.Go(func() { <-release })
	assert.NoError(t, ts.wait(context.Background()))
	assert.NoError(t, ts.wait(ctx), "nothing left to wait for")
}
