package bus

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/ops"
)

// RequestsBucket is the JetStream KV bucket holding one request per key.
const RequestsBucket = "streamops_requests"

// requestsBucket is the bucket created when none exists. An operator may
// create it beforehand with other settings (say, 3 replicas on a cluster);
// Connect then uses it as it is.
var requestsBucket = jetstream.KeyValueConfig{
	Bucket:      RequestsBucket,
	Description: "streamops requests, JSON, keyed by request ID",
	// Only the latest state is read; each change is a compare-and-swap on it.
	History: 1,
	// Requests must survive a restart of the embedded server.
	Storage: jetstream.FileStorage,
	// A request unchanged for a week is long finished (pending ones expire
	// after minutes); dropping it keeps the bucket from growing forever while
	// leaving time to look a recent one up.
	TTL: 7 * 24 * time.Hour,
}

// opTimeout bounds an operation whose ctx has no deadline, like JetStream's
// own default does for single requests.
const opTimeout = 5 * time.Second

func withDefaultTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, opTimeout)
}

// ensureBucket creates a KV bucket or binds to it. Replicas starting
// together may all create it: the server accepts an identical create, and a
// bucket that exists with other settings (made by an operator, say) is
// used as it is. replicas is the bucket's replica count on a cluster.
func ensureBucket(ctx context.Context, nc *nats.Conn, cfg jetstream.KeyValueConfig, replicas int) (jetstream.KeyValue, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("nats: jetstream: %w", err)
	}
	cfg.Replicas = replicas
	kv, err := js.CreateKeyValue(ctx, cfg)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, cfg.Bucket)
	}
	if err != nil {
		return nil, fmt.Errorf("nats: KV bucket %s (the server needs JetStream enabled): %w", cfg.Bucket, err)
	}
	return leaderReads(ctx, js, kv, cfg.Bucket)
}

// Requests stores ops.Requests as JSON in the requests bucket; a request's
// Revision is its KV entry's revision.
type Requests struct {
	kv   jetstream.KeyValue
	log  *slog.Logger
	open *openIndex
}

var _ ops.Store = (*Requests)(nil)

// Open returns the pending and executing requests, oldest first, from an
// index that a watch of the bucket keeps: reading them costs the same with
// thirty thousand finished requests stored as with none. It includes every
// write that any replica finished before it was called.
func (s *Requests) Open(ctx context.Context) ([]ops.Request, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	st, err := s.kv.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	var last uint64
	// With no message left there is nothing to wait for; otherwise the
	// newest one is there, and the watch delivers it.
	if bs, ok := st.(*jetstream.KeyValueBucketStatus); ok && bs.StreamInfo().State.Msgs > 0 {
		last = bs.StreamInfo().State.LastSeq
	}
	open, err := s.open.list(ctx, last)
	if err != nil {
		return nil, fmt.Errorf("list open requests: %w", err)
	}
	slices.SortFunc(open, func(a, b ops.Request) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return open, nil
}

// Create stores a new request; ops.ErrExists if its ID is taken.
func (s *Requests) Create(ctx context.Context, r ops.Request) (uint64, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("create request %s: %w", r.ID, err)
	}
	rev, err := s.kv.Create(ctx, r.ID, data)
	if lostRace(err) {
		return 0, fmt.Errorf("create request %s: %w", r.ID, ops.ErrExists)
	}
	if err != nil {
		return 0, fmt.Errorf("create request %s: %w", r.ID, err)
	}
	s.open.wrote(rev)
	return rev, nil
}

// Get returns the request with its current revision; ops.ErrNotFound if
// there is none (an ID that is not a valid key cannot be stored, so it is
// not found either).
func (s *Requests) Get(ctx context.Context, id string) (ops.Request, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		return ops.Request{}, fmt.Errorf("get request %q: %w", id, ops.ErrNotFound)
	}
	if err != nil {
		return ops.Request{}, fmt.Errorf("get request %q: %w", id, err)
	}
	return decodeRequest(e)
}

// Update writes r if the stored request is still at r.Revision:
// ops.ErrConflict if it has changed since, ops.ErrNotFound if it is gone.
func (s *Requests) Update(ctx context.Context, r ops.Request) (uint64, error) {
	if r.Revision == 0 {
		// Revision 0 would make the write succeed only if the key is absent.
		return 0, fmt.Errorf("update request %s: no revision; read it with Get first", r.ID)
	}
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("update request %s: %w", r.ID, err)
	}
	rev, err := s.kv.Update(ctx, r.ID, data, r.Revision)
	if lostRace(err) {
		// A key that has expired mismatches too; tell the two apart.
		if _, gerr := s.kv.Get(ctx, r.ID); errors.Is(gerr, jetstream.ErrKeyNotFound) {
			return 0, fmt.Errorf("update request %s: %w", r.ID, ops.ErrNotFound)
		}
		return 0, fmt.Errorf("update request %s at revision %d: %w", r.ID, r.Revision, ops.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("update request %s: %w", r.ID, err)
	}
	s.open.wrote(rev)
	return rev, nil
}

func decodeRequest(e jetstream.KeyValueEntry) (ops.Request, error) {
	var r ops.Request
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return ops.Request{}, fmt.Errorf("request %s: stored value is not a request: %w", e.Key(), err)
	}
	r.Revision = e.Revision()
	return r, nil
}
