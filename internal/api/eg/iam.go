package eg

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// tokenSource gets IAM user tokens (docs/providers.md §1d) and caches each
// until shortly before it expires. Concurrent callers share one fetch.
type tokenSource struct {
	client *Client
	auth   Auth

	mu      sync.Mutex
	token   string
	renewAt time.Time
	flight  *tokenFlight
}

type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// tokenError is a failure to get a token: the EG call was not sent.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// renewBefore is how long before expires_at a token is renewed, at most a
// tenth of its lifetime.
const renewBefore = 5 * time.Minute

func (s *tokenSource) get(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.client.now().Before(s.renewAt) {
		defer s.mu.Unlock()
		return s.token, nil
	}
	f := s.flight
	if f == nil {
		f = &tokenFlight{done: make(chan struct{})}
		s.flight = f
		go s.fetch(f)
	}
	s.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", &tokenError{fmt.Errorf("eventgrid IAM token: %w", ctx.Err())}
	}
}

// fetch runs detached from any one caller's context, so that a caller who
// gives up does not fail the others; the client's timeout bounds it.
func (s *tokenSource) fetch(f *tokenFlight) {
	token, expires, err := s.request(context.Background())
	now := s.client.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flight = nil
	if err != nil {
		f.err = &tokenError{err}
	} else {
		f.token = token
		s.token = token
		margin := max(0, min(renewBefore, expires.Sub(now)/10))
		s.renewAt = expires.Add(-margin)
	}
	close(f.done)
}

// invalidate drops token after EG refused it, unless it was already replaced.
func (s *tokenSource) invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == token {
		s.token = ""
	}
}

// IAMRequest is the body of IAM's POST /v3/auth/tokens with the password
// method, project-scoped (docs/providers.md §1d). The simulator decodes it
// too.
type IAMRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Domain struct {
						Name string `json:"name"`
					} `json:"domain"`
					Name     string `json:"name"`
					Password string `json:"password"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

func (s *tokenSource) request(ctx context.Context) (string, time.Time, error) {
	var body IAMRequest
	id := &body.Auth.Identity
	id.Methods = []string{"password"}
	id.Password.User.Domain.Name = s.auth.Domain
	id.Password.User.Name = s.auth.User
	id.Password.User.Password = s.auth.Password
	body.Auth.Scope.Project.ID = s.client.projectID

	var out struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
		} `json:"token"`
	}
	resp, err := s.client.do(ctx, call{
		name:   "IAM token",
		method: http.MethodPost,
		url:    s.client.iamURL + "/v3/auth/tokens",
		body:   body,
		bare:   true,
		want:   http.StatusCreated,
	}, &out)
	if err != nil {
		return "", time.Time{}, err
	}
	token := resp.Header().Get("X-Subject-Token")
	if token == "" {
		return "", time.Time{}, fmt.Errorf("eventgrid IAM token: 201 without X-Subject-Token (request ID %s)", resp.Header().Get(requestIDField))
	}
	expires, err := time.Parse(time.RFC3339Nano, out.Token.ExpiresAt)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("eventgrid IAM token: token.expires_at %q: %w", out.Token.ExpiresAt, err)
	}
	s.client.log.Info("eventgrid IAM token issued", "expires_at", expires, "provider_request_id", resp.Header().Get(requestIDField))
	return token, expires, nil
}
