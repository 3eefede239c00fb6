package bus

import (
	"errors"

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
