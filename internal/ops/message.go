package ops

import (
	"context"
	"errors"
	"fmt"
)

// Starter is a Notifier that also wants to hear when a confirmed request is
// about to call its provider, so that its card can say it is running. Started
// must not wait on anything slow: the call waits for it.
type Starter interface {
	Started(ctx context.Context, r Request)
}

func (s *Service) started(ctx context.Context, r Request) {
	if st, ok := s.notifier.(Starter); ok {
		st.Started(ctx, r)
	}
}

// AttachMessage records where a front end posted the card of request id.
// Only a pending request is changed: once someone has decided it, the front
// end that took the decision knows where the card is (a click carries its
// message), and writing then would race with the outcome being stored. The
// request is returned as it stands.
func (s *Service) AttachMessage(ctx context.Context, id, channel, message string) (Request, error) {
	for {
		r, err := s.store.Get(ctx, id)
		if err != nil {
			return Request{}, fmt.Errorf("could not read request %s to note where its card is: %w", id, err)
		}
		if r.State != Pending {
			return r, nil
		}
		r.Origin.Channel, r.Origin.Message = channel, message
		rev, err := s.store.Update(ctx, r)
		if errors.Is(err, ErrConflict) {
			continue // decided or changed meanwhile: look again
		}
		if err != nil {
			return r, fmt.Errorf("could not note where the card of %s is: %w", id, err)
		}
		r.Revision = rev
		return r, nil
	}
}
