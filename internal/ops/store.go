package ops

import (
	"context"
	"errors"
)

var (
	// ErrNotFound: no request has that ID.
	ErrNotFound = errors.New("no such request")
	// ErrConflict: the request changed since it was read; read it again.
	ErrConflict = errors.New("request changed concurrently")
	// ErrExists: a request with that ID already exists.
	ErrExists = errors.New("request already exists")
)

// Store keeps requests so that every replica sees the same state and a
// restart loses none. Update is a compare-and-swap on Request.Revision: it is
// what makes a confirmation act exactly once.
type Store interface {
	// Create stores a new request; ErrExists if the ID is taken.
	Create(ctx context.Context, r Request) (revision uint64, err error)
	// Get returns the request with its current Revision, or ErrNotFound.
	Get(ctx context.Context, id string) (Request, error)
	// Update writes r if the stored request is still at r.Revision, else ErrConflict.
	Update(ctx context.Context, r Request) (revision uint64, err error)
	// Open returns the requests that are pending or executing, without
	// reading the finished ones.
	Open(ctx context.Context) ([]Request, error)
}

// Publisher sends audit events to whoever listens (NATS subjects
// streamops.events.<state>).
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}
