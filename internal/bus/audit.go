package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/ops"
)

// AuditStream keeps every audit event published on streamops.events.> for
// the audit retention: the trail `bot audit` and `history` read.
const AuditStream = "STREAMOPS_AUDIT"

// DefaultAuditRetention is how long events are kept when nothing is set.
const DefaultAuditRetention = 90 * 24 * time.Hour

// DefaultAuditMaxBytes bounds the audit stream when nothing is set: at
// about 2 MiB per 1,000 requests (measured; see the README), half a million.
const DefaultAuditMaxBytes = 1 << 30

// ensureAuditStream creates the stream, or brings the retention, size and
// replicas of an existing one to what is configured. Replicas starting
// together may all do so: the server accepts an identical create. A full
// stream drops its oldest events, so that the bot keeps working.
func ensureAuditStream(ctx context.Context, js jetstream.JetStream, cfg Config) error {
	sc := jetstream.StreamConfig{
		Name:        AuditStream,
		Description: "streamops audit events: every transition of every request, JSON",
		Subjects:    []string{EventSubjects},
		Storage:     jetstream.FileStorage,
		MaxAge:      cfg.AuditRetention,
		MaxBytes:    cfg.AuditMaxBytes,
		Discard:     jetstream.DiscardOld,
		Replicas:    cfg.Replicas,
	}
	_, err := js.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return fmt.Errorf("nats: audit stream %s on %s: %w%s", AuditStream, EventSubjects, err, noRoomFor(err, "audit.max_bytes", cfg.AuditMaxBytes))
	}
	return nil
}

// StreamFill is how many bytes a stream holds and the most it may hold, for
// the metrics.
func (b *Bus) StreamFill(ctx context.Context, stream string) (stored uint64, limit int64, err error) {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return 0, 0, err
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, 0, fmt.Errorf("stream %s: %w", stream, err)
	}
	info := s.CachedInfo()
	return info.State.Bytes, info.Config.MaxBytes, nil
}

// noRoomFor says what to do when the server cannot set aside a stream's
// max_bytes (its disk, or the account's JetStream storage, is smaller).
func noRoomFor(err error, key string, size int64) string {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || (apiErr.ErrorCode != jsStorageResourcesExceeded && apiErr.ErrorCode != jsInsufficientResources) {
		return ""
	}
	return fmt.Sprintf(": the NATS server has no room for %d bytes; lower %s, or give its JetStream more storage (max_file_store, or the account's limit)", size, key)
}

// The server's error codes for a stream it has no room for.
const (
	jsStorageResourcesExceeded jetstream.ErrorCode = 10047
	jsInsufficientResources    jetstream.ErrorCode = 10023
)

// Audit reads the audit trail back.
type Audit struct {
	js jetstream.JetStream
}

var _ ops.Trail = (*Audit)(nil)

// Events returns every event kept since since, oldest first.
func (a *Audit) Events(ctx context.Context, since time.Time) ([]ops.Event, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	cons, err := a.js.OrderedConsumer(ctx, AuditStream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since,
	})
	if err != nil {
		return nil, fmt.Errorf("reading the audit stream %s: %w", AuditStream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the audit stream %s: %w", AuditStream, err)
	}
	want := int(info.NumPending)
	events := make([]ops.Event, 0, want)
	for read := 0; read < want; {
		batch, err := cons.Fetch(min(want-read, 256), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("reading the audit stream %s: %w", AuditStream, err)
		}
		n := 0
		for msg := range batch.Messages() {
			n++
			var e ops.Event
			if err := json.Unmarshal(msg.Data(), &e); err != nil {
				continue // not ours: the stream keeps whatever is published there
			}
			events = append(events, e)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("reading the audit stream %s: %w", AuditStream, err)
		}
		if n == 0 {
			return nil, fmt.Errorf("reading the audit stream %s: %d of %d events came", AuditStream, read, want)
		}
		read += n
	}
	return events, nil
}

// ConnectToRead connects a command-line reader (`bot audit`) to the NATS
// the bot uses: nats.url; else the bot's embedded server, if it is running
// on its nats.listen address; else the embedded server started here on the
// bot's data, on a random port, for the time of the read.
func ConnectToRead(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	if cfg.URL != "" {
		return Connect(ctx, cfg, log)
	}
	cfg = cfg.withDefaults()
	host, port, err := splitListen(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("nats.listen: %w", err)
	}
	if port > 0 {
		storeDir, err := filepath.Abs(cfg.StoreDir)
		if err != nil {
			return nil, fmt.Errorf("nats.store_dir %q: %w", cfg.StoreDir, err)
		}
		token, err := embeddedToken(cfg.Token, storeDir)
		if err != nil {
			return nil, err
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		running := cfg
		running.URL, running.Token = "nats://"+net.JoinHostPort(host, strconv.Itoa(port)), token
		b, err := Connect(ctx, running, log)
		if err == nil {
			return b, nil
		}
		log.Debug("the bot's embedded server does not answer; reading its data directly", "err", err)
	}
	here := cfg
	here.Listen = "127.0.0.1:-1"
	return Connect(ctx, here, log)
}
