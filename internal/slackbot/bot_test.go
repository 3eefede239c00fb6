package slackbot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/fakeclock"
)

// A delivery is remembered long enough to outlast Slack's retries.
func TestDeliveriesAreRememberedForAWhile(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	d := newDeliveries(clock.Now)
	assert.True(t, d.first("command 1.2"))
	assert.False(t, d.first("command 1.2"), "a retry")
	clock.Advance(deliveryMemory - time.Second)
	assert.False(t, d.first("command 1.2"), "a late retry")
	clock.Advance(time.Second)
	assert.True(t, d.first("command 1.2"), "long forgotten")
}
