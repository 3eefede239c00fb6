// Package enossim simulates the EnOS API gateway's token service and the
// Stream Processing pipeline calls (docs/providers.md §2), so that the bot
// runs, and is tested, without an EnOS account.
package enossim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

const (
	defaultTokenTTL = 7200 * time.Second
	// maxSkew is how far apim-timestamp and the token request's timestamp
	// may be from the simulator's clock.
	maxSkew = 5 * time.Minute
	maxBody = 1 << 20
)

// Simulator is an http.Handler speaking the documented EnOS contract for
// one organization and one application. It is safe for concurrent use.
type Simulator struct {
	orgID     string
	appKey    string
	appSecret string
	now       func() time.Time
	tokenTTL  time.Duration
	log       *slog.Logger
	mux       *http.ServeMux

	mu        sync.Mutex
	pipelines map[string]*Pipeline
	order     []string             // config order, for listing
	tokens    map[string]time.Time // access token -> expiry
	current   string               // what /token/get hands out while it is valid
}

// Option changes a Simulator made by New.
type Option func(*Simulator)

// WithClock replaces time.Now for token expiry and timestamp checks.
func WithClock(now func() time.Time) Option { return func(s *Simulator) { s.now = now } }

// WithTokenTTL sets the life of issued tokens; the default is 7200s.
func WithTokenTTL(d time.Duration) Option { return func(s *Simulator) { s.tokenTTL = d } }

// WithLogger sets the logger; the default discards.
func WithLogger(l *slog.Logger) Option { return func(s *Simulator) { s.log = l } }

// New returns a simulator holding cfg's pipelines (cfg should have passed
// Validate) and accepting the given app credentials for orgID.
func New(cfg Config, orgID, appKey, appSecret string, opts ...Option) *Simulator {
	s := &Simulator{
		orgID:     orgID,
		appKey:    appKey,
		appSecret: appSecret,
		now:       time.Now,
		tokenTTL:  defaultTokenTTL,
		log:       slog.New(slog.DiscardHandler),
		mux:       http.NewServeMux(),
		pipelines: make(map[string]*Pipeline),
		tokens:    make(map[string]time.Time),
	}
	for _, p := range cfg.Pipelines {
		if _, dup := s.pipelines[p.ID]; !dup {
			s.order = append(s.order, p.ID)
		}
		s.pipelines[p.ID] = &p
	}
	for _, o := range opts {
		o(s)
	}
	s.log = s.log.With("sandbox", "enos")
	s.routes()
	return s
}

func (s *Simulator) routes() {
	s.mux.HandleFunc("POST /apim-token-service/v2.0/token/get", s.tokenGet)
	s.mux.HandleFunc("POST /apim-token-service/v2.0/token/refresh", s.tokenRefresh)
	s.mux.HandleFunc("POST /streaming/v2.0/streaming/pipeline/{id}", s.signed(s.operate))
	s.mux.HandleFunc("GET /streaming/v2.0/streaming/pipeline/{id}", s.signed(s.show))
	s.mux.HandleFunc("GET /streaming/v2.0/streaming/pipelines", s.signed(s.list))
	s.mux.HandleFunc("/", s.notFound)
}

func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Pipeline returns a pipeline's current state.
func (s *Simulator) Pipeline(id string) (Pipeline, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pipelines[id]
	if !ok {
		return Pipeline{}, false
	}
	return *p, true
}

// envelope is the API answer (docs/providers.md §2).
type envelope struct {
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
	RequestID string `json:"requestId"`
	Data      any    `json:"data"`
}

func (s *Simulator) notFound(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, envelope{Code: http.StatusNotFound, Msg: "no such API: " + r.Method + " " + r.URL.Path, RequestID: requestID()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// requestID is unique per answer, like the gateway's.
func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
