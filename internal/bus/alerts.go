package bus

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/streamops/streamops/internal/alerts"
)

// AlertsStream is the JetStream stream that captures alerts published on
// the alert subjects, so that none is lost while no bot runs.
const AlertsStream = "STREAMOPS_ALERTS"

// alertsConsumer is the durable consumer every replica shares: JetStream
// hands each alert to one of them.
const alertsConsumer = "streamops-alerts"

// AlertLedgerBucket keeps, per rule and target, the request open for it.
const AlertLedgerBucket = "streamops_alert_ledger"

// Ingest says where alerts come from and what becomes of the ones that
// cannot be handled.
type Ingest struct {
	Subjects []string // captured by the stream, like alerts.>
	// DeadLetter is where undecodable or undeliverable alerts go. It may
	// fall under Subjects (alerts.dead under alerts.>): the stream then
	// keeps dead letters too, and the consumer passes them over.
	DeadLetter string
	Retention  time.Duration // how long the stream keeps an alert
	MaxDeliver int           // deliveries of one alert before it goes to DeadLetter
	MaxBytes   int64         // the stream's disk; 0: DefaultAlertsMaxBytes
	// DeadLettered, if set, is called for each message moved to DeadLetter.
	DeadLettered func()
}

// DefaultAlertsMaxBytes bounds the alerts stream when nothing is set: a
// day (its retention) of about 90 Alertmanager bodies of 2 KiB a minute.
const DefaultAlertsMaxBytes = 256 << 20

// ErrPoison marks a message that no retry will help: it goes to the dead
// letter subject at once.
var ErrPoison = errors.New("cannot be handled")

// Header names on a dead letter.
const (
	HeaderSubject = "Streamops-Subject" // the subject the alert came on
	HeaderReason  = "Streamops-Reason"  // why it was not handled
)

// maxAlertBytes bounds one alert message, as the webhook does.
const maxAlertBytes = 1 << 20

// EnsureAlertsStream creates the alerts stream, or brings an existing one
// to the configured subjects and retention.
func (b *Bus) EnsureAlertsStream(ctx context.Context, in Ingest) error {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return fmt.Errorf("nats: jetstream: %w", err)
	}
	maxBytes := cmp.Or(in.MaxBytes, DefaultAlertsMaxBytes)
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        AlertsStream,
		Description: "alerts for streamops rules (Alertmanager webhook bodies or single alerts)",
		Subjects:    in.Subjects,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      in.Retention,
		MaxBytes:    maxBytes,
		MaxMsgSize:  maxAlertBytes + 4096,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
	})
	if err != nil {
		return fmt.Errorf("nats: alerts stream %s on %s (alerts.subjects): %w%s", AlertsStream, strings.Join(in.Subjects, ", "), err, noRoomFor(err, "alerts.max_bytes", maxBytes))
	}
	return nil
}

// PublishAlert stores an alert message in the alerts stream and returns
// once JetStream has it.
func (b *Bus) PublishAlert(ctx context.Context, subject string, data []byte) error {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if _, err := js.Publish(ctx, subject, data); err != nil {
		return fmt.Errorf("nats: storing the alert on %s: %w", subject, err)
	}
	return nil
}

// ConsumeAlerts hands each alert message to handle, with its sequence in
// the stream (the same on every delivery of it), until ctx ends. nil
// acknowledges it; an error wrapping ErrPoison sends it to the dead letter
// subject at once; another error has it delivered again later, up to
// MaxDeliver times, then dead-lettered. Every replica may run it: the
// durable consumer gives each message to one of them.
func (b *Bus) ConsumeAlerts(ctx context.Context, in Ingest, handle func(ctx context.Context, seq string, data []byte) error) error {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return fmt.Errorf("nats: jetstream: %w", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, AlertsStream, jetstream.ConsumerConfig{
		Durable:       alertsConsumer,
		Description:   "streamops replicas share it, so each alert is handled once",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
		MaxDeliver:    in.MaxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if ctx.Err() != nil {
		return nil // stopped while starting: nothing to consume
	}
	if err != nil {
		return fmt.Errorf("nats: alerts consumer %s on stream %s: %w", alertsConsumer, AlertsStream, err)
	}
	log := b.log.With("consumer", alertsConsumer)
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		if msg.Subject() == in.DeadLetter {
			// Under alerts.> by default, so the stream keeps dead letters
			// for a look; they are never handled again.
			msg.Ack()
			return
		}
		seq := ""
		if md, err := msg.Metadata(); err == nil {
			seq = strconv.FormatUint(md.Sequence.Stream, 10)
		}
		b.settle(ctx, log, in, msg, handle(ctx, seq, msg.Data()))
	}, jetstream.PullMaxMessages(512),
		// Short pulls, so that a server that restarted (and forgot the
		// pull) is noticed within seconds by its missing heartbeats.
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() == nil && !errors.Is(err, jetstream.ErrNoHeartbeat) {
				log.Warn("alerts consumer", "err", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("nats: consuming alerts: %w", err)
	}
	log.Info("consuming alerts", "subjects", in.Subjects, "dead_letter", in.DeadLetter)
	<-ctx.Done()
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
		cc.Stop()
	}
	return nil
}

// settle acknowledges a handled message, or says when it comes again, or
// moves it to the dead letter subject.
func (b *Bus) settle(ctx context.Context, log *slog.Logger, in Ingest, msg jetstream.Msg, err error) {
	if err == nil {
		if aerr := msg.Ack(); aerr != nil {
			log.Warn("could not acknowledge an alert; it may be handled again", "subject", msg.Subject(), "err", aerr)
		}
		return
	}
	delivered := uint64(1)
	if md, merr := msg.Metadata(); merr == nil {
		delivered = md.NumDelivered
	}
	if !errors.Is(err, ErrPoison) && (in.MaxDeliver <= 0 || delivered < uint64(in.MaxDeliver)) && ctx.Err() == nil {
		log.Warn("could not handle an alert; it will come again", "subject", msg.Subject(), "delivery", delivered, "err", err)
		msg.NakWithDelay(min(time.Duration(delivered)*time.Second, 30*time.Second))
		return
	}
	if ctx.Err() != nil {
		return // stopping: the message comes again after AckWait
	}
	log.Error("alert moved to the dead letter subject", "subject", msg.Subject(), "dead_letter", in.DeadLetter, "delivery", delivered, "err", err)
	dead := nats.NewMsg(in.DeadLetter)
	dead.Data = msg.Data()
	dead.Header.Set(HeaderSubject, msg.Subject())
	dead.Header.Set(HeaderReason, oneLine(err.Error()))
	if perr := b.nc.PublishMsg(dead); perr != nil {
		log.Error("could not publish a dead letter; the alert comes again", "subject", msg.Subject(), "err", perr)
		msg.Nak()
		return
	}
	msg.Term()
	if in.DeadLettered != nil {
		in.DeadLettered()
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 1024 {
		s = s[:1024]
	}
	return s
}

// SubjectMatches reports whether subject falls under filter, with NATS's
// wildcards: * for one token, > for the rest.
func SubjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || (tok != "*" && tok != s[i]) {
			return false
		}
	}
	return len(f) == len(s)
}

// ValidSubject reports whether s is a subject (wildcards allowed if
// filter): dot-separated tokens, none empty, no spaces.
func ValidSubject(s string, filter bool) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return false
		case t == ">" && (!filter || i != len(toks)-1):
			return false
		case t == "*" && !filter:
			return false
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return false
		}
	}
	return true
}

var alertLedgerBucket = jetstream.KeyValueConfig{
	Bucket:      AlertLedgerBucket,
	Description: "streamops alert rules: the request open per rule and target, JSON",
	History:     1,
	Storage:     jetstream.FileStorage,
	// Long past any cooldown and request expiry.
	TTL: 7 * 24 * time.Hour,
}

// AlertLedger is alerts.Ledger in a KV bucket, shared by every replica.
type AlertLedger struct{ kv jetstream.KeyValue }

var _ alerts.Ledger = (*AlertLedger)(nil)

// AlertLedger creates the ledger's bucket or binds to it.
func (b *Bus) AlertLedger(ctx context.Context) (*AlertLedger, error) {
	js, err := jetstream.New(b.nc)
	if err != nil {
		return nil, fmt.Errorf("nats: jetstream: %w", err)
	}
	kv, err := js.CreateKeyValue(ctx, alertLedgerBucket)
	if errors.Is(err, jetstream.ErrBucketExists) {
		kv, err = js.KeyValue(ctx, AlertLedgerBucket)
	}
	if err != nil {
		return nil, fmt.Errorf("nats: KV bucket %s: %w", AlertLedgerBucket, err)
	}
	return &AlertLedger{kv: kv}, nil
}

// ledgerKey makes any rule-and-command text a valid KV key.
func ledgerKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// Get implements alerts.Ledger.
func (l *AlertLedger) Get(ctx context.Context, key string) (alerts.Entry, uint64, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	e, err := l.kv.Get(ctx, ledgerKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return alerts.Entry{}, 0, nil
	}
	if err != nil {
		return alerts.Entry{}, 0, fmt.Errorf("reading the alert ledger: %w", err)
	}
	var entry alerts.Entry
	if err := json.Unmarshal(e.Value(), &entry); err != nil {
		return alerts.Entry{}, e.Revision(), nil // unreadable: as good as none, and replaced
	}
	return entry, e.Revision(), nil
}

// Put implements alerts.Ledger.
func (l *AlertLedger) Put(ctx context.Context, key string, e alerts.Entry, rev uint64) (uint64, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	data, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		rev, err = l.kv.Create(ctx, ledgerKey(key), data)
	} else {
		rev, err = l.kv.Update(ctx, ledgerKey(key), data, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, alerts.ErrChanged
	}
	if err != nil {
		return 0, fmt.Errorf("writing the alert ledger: %w", err)
	}
	return rev, nil
}

// ValidateIngest checks the ingest settings, naming the keys under prefix.
func ValidateIngest(in Ingest, prefix string) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(prefix+format, a...)) }
	if len(in.Subjects) == 0 {
		bad("subjects: give at least one, like alerts.>")
	}
	for i, s := range in.Subjects {
		switch {
		case !ValidSubject(s, true):
			bad("subjects[%d]: %q is not a NATS subject (tokens separated by dots; * and > as wildcards)", i, s)
		case SubjectMatches(s, "streamops.events.x") || SubjectMatches(s, "streamops.requests") || slices.Contains(strings.Split(s, "."), "streamops"):
			bad("subjects[%d]: %q would capture the bot's own streamops.* subjects: use another prefix, like alerts.>", i, s)
		}
	}
	if !ValidSubject(in.DeadLetter, false) {
		bad("dead_letter: %q is not a NATS subject without wildcards, like alerts.dead", in.DeadLetter)
	}
	if in.Retention < time.Minute || in.Retention > 365*24*time.Hour {
		bad("retention: %s is out of range: give a duration from 1m to 8760h, like 24h", in.Retention)
	}
	if in.MaxDeliver < 1 || in.MaxDeliver > 100 {
		bad("max_deliver: %d is out of range: from 1 to 100, like 5", in.MaxDeliver)
	}
	return errs
}
