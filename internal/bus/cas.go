package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// lostRace reports whether a KV write failed because the key was not at
// the expected revision: a compare-and-swap someone else won. A replicated
// (R3) bucket reports it as API error 10164, which nats.go maps to
// ErrKeyExists or ErrKeyRevisionMismatch on some paths but not all (a
// Create racing another over a deleted key returns it bare); a single
// server says 10071.
func lostRace(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var api *jetstream.APIError
	return errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// leaderReads makes a replicated bucket answer every read from its stream
// leader. With direct gets (the KV default) any replica answers, and a
// follower that has not yet applied a write says the key is not there: a
// click on one bot just after another stored the request would be told
// there is no such request. One server, or a bucket already so, is left
// as it is.
func leaderReads(ctx context.Context, js jetstream.JetStream, kv jetstream.KeyValue, bucket string) (jetstream.KeyValue, error) {
	s, err := js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("nats: KV bucket %s: %w", bucket, err)
	}
	cfg := s.CachedInfo().Config
	if cfg.Replicas <= 1 || !cfg.AllowDirect {
		return kv, nil
	}
	cfg.AllowDirect = false
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return nil, fmt.Errorf("nats: KV bucket %s: reading from its leader only: %w", bucket, err)
	}
	return js.KeyValue(ctx, bucket)
}
