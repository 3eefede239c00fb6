package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/ops"
)

// ClaimsBucket is the JetStream KV bucket holding one claim per target that
// a request is acting on.
const ClaimsBucket = "streamops_claims"

var claimsBucket = jetstream.KeyValueConfig{
	Bucket:      ClaimsBucket,
	Description: "streamops target claims, JSON, keyed by target account, kind and ID",
	History:     1,
	Storage:     jetstream.FileStorage,
	// A claim lapses after its Until (minutes); a day is plenty to drop the
	// ones a stopped bot left.
	TTL: 24 * time.Hour,
}

// readyKey is written by every readiness check: a store that cannot be
// written is not ready, whatever its connection says.
const readyKey = "ready"

// Claims stores ops.Claims in the claims bucket.
type Claims struct{ kv jetstream.KeyValue }

var _ ops.Claims = (*Claims)(nil)

// CreateClaim stores c under key; ops.ErrExists if the key is held.
func (s *Claims) CreateClaim(ctx context.Context, key string, c ops.Claim) (uint64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	rev, err := s.kv.Create(ctx, key, data)
	if lostRace(err) {
		return 0, fmt.Errorf("claim %s: %w", key, ops.ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("claim %s: %w", key, err)
	}
	return rev, nil
}

// GetClaim returns the claim under key; ops.ErrNotFound if there is none.
func (s *Claims) GetClaim(ctx context.Context, key string) (ops.Claim, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return ops.Claim{}, 0, fmt.Errorf("claim %s: %w", key, ops.ErrNotFound)
	}
	if err != nil {
		return ops.Claim{}, 0, fmt.Errorf("claim %s: %w", key, err)
	}
	var c ops.Claim
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		// Not a claim (written by hand): treat it as lapsed long ago.
		return ops.Claim{}, e.Revision(), nil
	}
	return c, e.Revision(), nil
}

// ReplaceClaim writes c if the claim is still at rev; ops.ErrConflict if not.
func (s *Claims) ReplaceClaim(ctx context.Context, key string, c ops.Claim, rev uint64) (uint64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	n, err := s.kv.Update(ctx, key, data, rev)
	if lostRace(err) {
		return 0, fmt.Errorf("claim %s: %w", key, ops.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("claim %s: %w", key, err)
	}
	return n, nil
}

// DeleteClaim removes the claim if it is still at rev.
func (s *Claims) DeleteClaim(ctx context.Context, key string, rev uint64) error {
	err := s.kv.Delete(ctx, key, jetstream.LastRevision(rev))
	if lostRace(err) {
		return fmt.Errorf("claim %s: %w", key, ops.ErrConflict)
	}
	return err
}

// WatchClaim signals each later change to the claim under key (a write, a
// release, a takeover) until ctx ends. Signals nobody has taken yet merge
// into one: the waiter reads the claim anew anyway.
func (s *Claims) WatchClaim(ctx context.Context, key string) (<-chan struct{}, error) {
	w, err := s.kv.Watch(ctx, key, jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("watching claim %s: %w", key, err)
	}
	changed := make(chan struct{}, 1)
	go func() {
		defer w.Stop()
		for {
			select {
			case _, ok := <-w.Updates():
				if !ok {
					return
				}
				select {
				case changed <- struct{}{}:
				default:
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return changed, nil
}

// writable checks that the store takes a write.
func (s *Claims) writable(ctx context.Context) error {
	_, err := s.kv.Put(ctx, readyKey, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	return err
}
