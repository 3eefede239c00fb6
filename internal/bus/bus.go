// Package bus is everything NATS: the embedded server, the connection, the
// JetStream KV bucket that stores requests and the audit event subjects. It
// knows how to store and publish ops values, not what they mean.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Bus is one process's connection to NATS, and the embedded server when it
// runs one.
type Bus struct {
	srv       *server.Server // nil when connected to an external server
	nc        *nats.Conn
	closed    <-chan struct{} // closed once nc is closed
	clientURL string
	requests  *Requests
	claims    Claims
	delivered Deliveries
	events    *Events
	audit     *Audit
	log       *slog.Logger

	closeOnce sync.Once
	closeErr  error
}

// Connect starts the embedded server when cfg.URL is empty and connects to
// it, or connects to cfg.URL; either way it makes sure the requests bucket
// exists. Connect fails if NATS cannot be reached now, but once connected the
// connection reconnects for as long as the process runs.
func Connect(ctx context.Context, cfg Config, log *slog.Logger) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	serverLog := log.With("component", "nats-server")
	log = log.With("component", "bus")

	b := &Bus{clientURL: cfg.URL, log: log}
	resync := make(chan struct{}, 1)
	opts := []nats.Option{
		nats.Name("streamops"),
		nats.MaxReconnects(-1),
		// A write made while NATS is away fails at once instead of waiting
		// in a buffer to be stored after the bot said it was not.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", redactURLs(nc.ConnectedUrl()))
			select {
			case resync <- struct{}{}:
			default: // one is already waiting
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Error("nats async error", "subject", subject, "err", err)
		}),
	}
	if cfg.URL == "" {
		srv, token, err := startEmbedded(ctx, cfg, log, serverLog)
		if err != nil {
			return nil, err
		}
		b.srv = srv
		b.clientURL = embeddedURL(srv, token)
	} else {
		opts = append(opts, outsideAuth(cfg)...)
	}
	closed := make(chan struct{})
	b.closed = closed
	opts = append(opts, nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	nc, err := nats.Connect(b.clientURL, opts...)
	if err != nil {
		b.stopServer()
		return nil, fmt.Errorf("nats: connecting to %s: %w", redactURLs(b.clientURL), err)
	}
	b.nc = nc

	kv, err := ensureBucket(ctx, nc, requestsBucket, cfg.Replicas)
	if err == nil {
		b.claims.kv, err = ensureBucket(ctx, nc, claimsBucket, cfg.Replicas)
	}
	if err == nil {
		b.delivered.kv, err = ensureBucket(ctx, nc, deliveriesBucket, cfg.Replicas)
	}
	js, jerr := jetstream.New(nc)
	if err == nil {
		err = jerr
	}
	if err == nil {
		err = ensureAuditStream(ctx, js, cfg)
	}
	var open *openIndex
	if err == nil {
		// The watch lives as long as the connection, not as Connect's ctx.
		open, err = watchOpen(context.WithoutCancel(ctx), kv, resync, log)
	}
	if err != nil {
		nc.Close()
		b.stopServer()
		return nil, err
	}
	b.requests = &Requests{kv: kv, log: log, open: open}
	b.events = &Events{nc: nc, js: js}
	b.audit = &Audit{js: js}
	log.Info("nats connected", "url", redactURLs(nc.ConnectedUrl()), "bucket", RequestsBucket)
	return b, nil
}

// ClientURL is what a second replica (nats.url) or the nats CLI (--server)
// would connect to: the embedded server's address with its token, or
// nats.url as configured. It holds a secret: log it redacted.
func (b *Bus) ClientURL() string { return b.clientURL }

// Requests is the request store shared by every replica.
func (b *Bus) Requests() *Requests { return b.requests }

// Claims is the target claims store shared by every replica.
func (b *Bus) Claims() *Claims { return &b.claims }

// Deliveries remembers Slack deliveries for every replica.
func (b *Bus) Deliveries() *Deliveries { return &b.delivered }

// Events publishes audit events.
func (b *Bus) Events() *Events { return b.events }

// Audit reads the audit trail back.
func (b *Bus) Audit() *Audit { return b.audit }

// Conn is the underlying connection, for subscriptions of later features.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// Ready reports whether NATS is connected and JetStream takes a write.
func (b *Bus) Ready(ctx context.Context) error {
	if b.nc.IsConnected() {
		err := b.claims.writable(ctx)
		if err == nil {
			return nil
		}
		// A connection lost while the check was in flight shows as a
		// timeout; report the loss instead.
		if b.nc.IsConnected() {
			return fmt.Errorf("nats: JetStream does not take a write (KV bucket %s): %w", ClaimsBucket, err)
		}
	}
	return fmt.Errorf("nats: not connected (%s)", b.nc.Status())
}

// Close drains the connection, so that what was published is delivered, and
// then shuts the embedded server down, which writes JetStream state to disk.
// It returns early with ctx's error if ctx ends first. Later calls return
// what the first one did.
func (b *Bus) Close(ctx context.Context) error {
	b.closeOnce.Do(func() { b.closeErr = b.close(ctx) })
	return b.closeErr
}

func (b *Bus) close(ctx context.Context) error {
	var errs []error
	// Drain while reconnecting closes at once, which is all that is left to do.
	if err := b.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionReconnecting) && !errors.Is(err, nats.ErrConnectionClosed) {
		b.nc.Close()
		b.log.Warn("nats drain failed; closed instead", "err", err)
	}
	select {
	case <-b.closed:
	case <-ctx.Done():
		b.nc.Close()
		errs = append(errs, fmt.Errorf("nats: draining connection: %w", context.Cause(ctx)))
	}
	if b.srv != nil {
		// The shutdown goes on even if ctx ends first; the data depends on it.
		done := make(chan struct{})
		go func() {
			b.stopServer()
			close(done)
		}()
		select {
		case <-done:
			b.log.Info("embedded nats-server stopped")
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("nats: shutting down embedded server: %w", context.Cause(ctx)))
		}
	}
	return errors.Join(errs...)
}

func (b *Bus) stopServer() {
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

// outsideAuth is how to authenticate to an outside server: a token, a creds
// file, TLS, as configured (nats.url may also carry user:password@).
func outsideAuth(cfg Config) []nats.Option {
	var opts []nats.Option
	if cfg.Token != "" {
		opts = append(opts, nats.Token(cfg.Token))
	}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	if cfg.TLS.CA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLS.CA))
	}
	if cfg.TLS.Cert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLS.Cert, cfg.TLS.Key))
	}
	return opts
}
