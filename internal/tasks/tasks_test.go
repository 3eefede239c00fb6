package tasks

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitEndsWhenTheLastTaskEnds(t *testing.T) {
	var g Group
	require.NoError(t, g.Wait(context.Background()), "nothing runs")

	release := make(chan struct{})
	g.Go(func() { <-release })
	g.Add() // a task that starts while someone waits
	waited := make(chan error, 1)
	go func() { waited <- g.Wait(context.Background()) }()

	close(release)
	select {
	case <-waited:
		t.Fatal("Wait returned with a task still running")
	case <-time.After(50 * time.Millisecond):
	}
	g.Done()
	select {
	case err := <-waited:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not return once every task had ended")
	}
}

func TestWaitGivesUpWithItsContext(t *testing.T) {
	var g Group
	g.Add()
	defer g.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, g.Wait(ctx), context.DeadlineExceeded)
}

// Shutdown waits for work that started while it was already waiting.
func TestTasksMayGrowWhileWaitedFor(t *testing.T) {
	var ts Group
	release := make(chan struct{})
	ts.Go(func() {
		<-release
		ts.Go(func() {}) // as a notice arriving during shutdown would
	})
	waited := make(chan error, 1)
	go func() { waited <- ts.Wait(context.Background()) }()
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
	assert.NoError(t, ts.Wait(context.Background()))
	assert.NoError(t, ts.Wait(ctx), "nothing left to wait for")
}
