package bus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DeliveriesBucket remembers what Slack delivered lately, for every replica.
const DeliveriesBucket = "streamops_deliveries"

// DeliveryMemory is how long a delivery is remembered: longer than Slack
// resends one (at once, after a minute, after five minutes), and a proxy's
// retry comes sooner still.
const DeliveryMemory = 10 * time.Minute

var deliveriesBucket = jetstream.KeyValueConfig{
	Bucket:      DeliveriesBucket,
	Description: "streamops: Slack deliveries already taken, by a hash of their key; each forgotten after its TTL",
	History:     1,
	Storage:     jetstream.FileStorage,
	TTL:         DeliveryMemory,
}

// Deliveries remembers Slack deliveries in the deliveries bucket: the
// first replica to create a delivery's key works on it.
type Deliveries struct{ kv jetstream.KeyValue }

// First reports whether no replica took the delivery with this key in the
// last DeliveryMemory, and takes it.
func (d *Deliveries) First(ctx context.Context, key string) (bool, error) {
	_, err := d.kv.Create(ctx, deliveryKey(key), nil)
	if lostRace(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remember a Slack delivery: %w", err)
	}
	return true, nil
}

// deliveryKey is a KV key for any string Slack gives: its SHA-256, in hex.
func deliveryKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
