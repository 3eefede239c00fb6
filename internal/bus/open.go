package bus

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/ops"
)

// openIndex holds the requests that are not finished, kept by a watch of the
// requests bucket: each change arrives once, so the expiry sweep and
// `pending` never read the whole bucket.
type openIndex struct {
	mu      sync.Mutex
	byKey   map[string]ops.Request
	applied uint64        // the highest revision seen
	written uint64        // the highest revision this process wrote
	changed chan struct{} // closed and replaced on every change
	synced  bool          // the initial values have all arrived
	err     error         // why the watch ended, once it has
}

// watchOpen starts the index. It runs until the connection closes or ctx
// ends; a signal on resync (NATS reconnected) makes it watch anew, since a
// server that restarted has forgotten the watch.
func watchOpen(ctx context.Context, kv jetstream.KeyValue, resync <-chan struct{}, log *slog.Logger) (*openIndex, error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, err
	}
	ix := &openIndex{byKey: map[string]ops.Request{}, changed: make(chan struct{})}
	go func() {
		for {
			if !ix.follow(w, resync, log) {
				ix.end(errors.New("the watch of the requests bucket ended (NATS connection closed)"))
				return
			}
			for {
				if w, err = kv.WatchAll(ctx); err == nil {
					break
				}
				if errors.Is(err, nats.ErrConnectionClosed) {
					ix.end(err)
					return
				}
				log.Warn("could not watch the requests bucket again; will retry", "err", err)
				select {
				case <-resync:
				case <-time.After(time.Second):
				case <-ctx.Done():
					ix.end(context.Cause(ctx))
					return
				}
			}
		}
	}()
	return ix, nil
}

// follow applies what w delivers, from a clean slate, until w ends (false)
// or a resync is asked for (true).
func (ix *openIndex) follow(w jetstream.KeyWatcher, resync <-chan struct{}, log *slog.Logger) bool {
	defer w.Stop()
	ix.mu.Lock()
	ix.byKey, ix.synced = map[string]ops.Request{}, false
	ix.mu.Unlock()
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return false
			}
			ix.apply(e, log)
		case <-resync:
			log.Info("watching the requests bucket anew after a reconnect")
			return true
		}
	}
}

func (ix *openIndex) apply(e jetstream.KeyValueEntry, log *slog.Logger) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	defer ix.signal()
	if e == nil { // the initial values are in
		ix.synced = true
		return
	}
	ix.applied = max(ix.applied, e.Revision())
	if e.Operation() != jetstream.KeyValuePut {
		delete(ix.byKey, e.Key())
		return
	}
	r, err := decodeRequest(e)
	if err != nil {
		log.Warn("skipping a value that is not a request", "bucket", RequestsBucket, "key", e.Key(), "err", err)
		return
	}
	if r.State.Final() {
		delete(ix.byKey, e.Key())
		return
	}
	ix.byKey[e.Key()] = r
}

func (ix *openIndex) end(err error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.err = err
	ix.signal()
}

// signal wakes every list waiting for a change; mu is held.
func (ix *openIndex) signal() {
	close(ix.changed)
	ix.changed = make(chan struct{})
}

// wrote records a revision this process wrote, which list then waits for.
func (ix *openIndex) wrote(rev uint64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.written = max(ix.written, rev)
}

// list returns the open requests once the index holds the initial values,
// every write of this process and the bucket's revision last.
func (ix *openIndex) list(ctx context.Context, last uint64) ([]ops.Request, error) {
	for {
		ix.mu.Lock()
		if ix.synced && ix.applied >= max(ix.written, last) {
			open := make([]ops.Request, 0, len(ix.byKey))
			for _, r := range ix.byKey {
				open = append(open, r)
			}
			ix.mu.Unlock()
			return open, nil
		}
		if ix.err != nil {
			err := ix.err
			ix.mu.Unlock()
			return nil, err
		}
		changed := ix.changed
		ix.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}
