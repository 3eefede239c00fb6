package egsim

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamops/streamops/internal/api/eg"
)

// Credentials are what the simulator accepts. An empty field disables the
// way of signing in that needs it.
type Credentials struct {
	ProjectID string
	Token     string // a static X-Auth-Token that never expires
	Domain    string // IAM password sign-in
	User      string
	Password  string
	AccessKey string // AK/SK signing
	SecretKey string
}

// Simulator is an http.Handler serving EventGrid's and IAM's paths.
type Simulator struct {
	creds       Credentials
	keys        map[string]string // access key to secret key
	ops         eg.Operations
	now         func() time.Time
	tokenTTL    time.Duration
	createDelay time.Duration
	log         *slog.Logger
	mux         *http.ServeMux

	mu        sync.Mutex
	streams   map[string]*eg.Stream
	jobs      map[string]*jobState
	streamIDs []string // creation order, for stable lists
	jobIDs    []string
	tokens    map[string]time.Time
	badSigns  int
	lockEnd   time.Time
}

type jobState struct {
	eg.Job
	created time.Time
}

// Option adjusts a Simulator.
type Option func(*Simulator)

// WithClock sets the clock for token expiry, signing dates and job creation.
func WithClock(now func() time.Time) Option { return func(s *Simulator) { s.now = now } }

// WithTokenTTL sets how long IAM tokens live (default 24h).
func WithTokenTTL(d time.Duration) Option { return func(s *Simulator) { s.tokenTTL = d } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Simulator) { s.log = l } }

// WithCreateDelay sets how long a created job stays CREATING (default 3s).
func WithCreateDelay(d time.Duration) Option { return func(s *Simulator) { s.createDelay = d } }

// New returns a simulator holding cfg's streams and jobs. ops names the job
// operations that stop a job and switch it over.
func New(cfg Config, creds Credentials, ops eg.Operations, opts ...Option) *Simulator {
	s := &Simulator{
		creds:       creds,
		ops:         ops,
		now:         time.Now,
		tokenTTL:    24 * time.Hour,
		createDelay: 3 * time.Second,
		log:         slog.New(slog.DiscardHandler),
		streams:     map[string]*eg.Stream{},
		jobs:        map[string]*jobState{},
		tokens:      map[string]time.Time{},
		keys:        map[string]string{},
	}
	for _, k := range [][2]string{{creds.AccessKey, creds.SecretKey}, {cfg.AccessKey, cfg.SecretKey}} {
		if k[0] != "" {
			s.keys[k[0]] = k[1]
		}
	}
	for _, o := range opts {
		o(s)
	}
	now := s.now()
	stamp := timestamp(now)
	for _, c := range cfg.Streams {
		st := &eg.Stream{ID: c.ID, Name: or(c.Name, c.ID), Status: or(c.Status, eg.StreamRunning), CreatedTime: stamp, UpdatedTime: stamp}
		s.streams[c.ID] = st
		s.streamIDs = append(s.streamIDs, c.ID)
	}
	for _, c := range cfg.Jobs {
		srcType := or(c.SourceType, eg.TypeKafka)
		j := &jobState{created: now, Job: eg.Job{
			ID:           c.ID,
			ClusterID:    "sandbox-cluster",
			Name:         or(c.Name, c.ID),
			SceneType:    eg.SceneDisasterBackup,
			SourceType:   srcType,
			SinkType:     or(c.SinkType, srcType),
			Status:       or(c.Status, "RUNNING"),
			CreatedTime:  stamp,
			UpdatedTime:  stamp,
			SourceConfig: &eg.SourceConfig{},
			SinkConfig:   &eg.SinkConfig{},
		}}
		setSource(j.SourceConfig, j.SourceType, creds.ProjectID, c.SourceAddress)
		setSink(j.SinkConfig, j.SinkType, creds.ProjectID, c.SinkAddress)
		s.jobs[c.ID] = j
		s.jobIDs = append(s.jobIDs, c.ID)
	}
	s.mux = s.routes()
	return s
}

// ServeHTTP authenticates every EventGrid call before routing it.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rid := s.requestID()
	w.Header().Set("X-Request-Id", rid)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.log.Debug("egsim", "method", r.Method, "path", r.URL.Path, "status", rec.status, "request_id", rid)
	}()
	body, err := io.ReadAll(http.MaxBytesReader(rec, r.Body, 1<<20))
	if err != nil {
		fail(rec, http.StatusBadRequest, codeBadRequest, "request body unreadable or over 1 MiB")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		if e := s.authenticate(r, body); e != nil {
			e.write(rec)
			return
		}
		project, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/"), "/")
		if project != s.creds.ProjectID || (r.Header.Get("X-Project-Id") != "" && r.Header.Get("X-Project-Id") != project) {
			fail(rec, http.StatusForbidden, codeForbidden, "the credentials are not scoped to project "+project)
			return
		}
	}
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// The documented error codes (docs/providers.md §1a, §1e).
const (
	codeBadRequest    = "EG.00014000"
	codeBadToken      = "EG.00014010"
	codeForbidden     = "EG.00014030"
	codeNotFound      = "EG.00014040"
	codeInvalidParam  = "EG.00513000"
	codeNameDuplicate = "EG.00513001"
	codeBadSignature  = "APIGW.0301"
)

var messages = map[string]string{
	codeBadRequest:    "Bad request",
	codeBadToken:      "Incorrect token or token resolution failed",
	codeForbidden:     "No permissions to request this method",
	codeNotFound:      "Not request resource found",
	codeInvalidParam:  "Invalid parameters",
	codeNameDuplicate: "Name duplicated",
	codeBadSignature:  "Incorrect IAM authentication information",
}

// apiError is a documented error body; request_id repeats X-Request-Id.
type apiError struct {
	status  int
	code    string
	details string
}

func (e *apiError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, map[string]string{
		"error_code":    e.code,
		"error_msg":     messages[e.code],
		"error_details": e.details,
		"request_id":    w.Header().Get("X-Request-Id"),
	})
}

func fail(w http.ResponseWriter, status int, code, details string) {
	(&apiError{status, code, details}).write(w)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the caller has gone; there is no one to tell.
	_ = json.NewEncoder(w).Encode(v)
}

// requestID has the documented form request_uuid-timestamp-hostname.
func (s *Simulator) requestID() string {
	return randomUUID() + "-" + strconv.FormatInt(s.now().UnixMilli(), 10) + "-egsim"
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("request body is not the expected JSON: %v", err))
		return false
	}
	return true
}

// page reads offset and limit (1..1000, default 15).
func page(w http.ResponseWriter, r *http.Request, total int) (lo, hi int, ok bool) {
	offset, limit := 0, 15
	var err error
	if v := r.URL.Query().Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			fail(w, http.StatusBadRequest, codeInvalidParam, "offset must be a number of at least 0")
			return 0, 0, false
		}
	}
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 1000 {
			fail(w, http.StatusBadRequest, codeInvalidParam, "limit must be a number from 1 to 1000")
			return 0, 0, false
		}
	}
	lo = min(offset, total)
	return lo, min(lo+limit, total), true
}

// writePage answers a list call with the page of items that the query asks for.
func writePage[T any](w http.ResponseWriter, r *http.Request, items []T) {
	if lo, hi, ok := page(w, r, len(items)); ok {
		writeJSON(w, http.StatusOK, map[string]any{"total": len(items), "size": hi - lo, "items": items[lo:hi]})
	}
}
