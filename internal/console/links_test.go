package console

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/streamops/streamops/internal/ops"
	"github.com/streamops/streamops/internal/syncbuf"
)

// An alert's card prints its links as lines after its fields; an address
// that is no link stays among the fields as text.
func TestAlertCardPrintsItsLinks(t *testing.T) {
	var out syncbuf.Buffer
	c := New("alice", nil, &out)
	r := switchRequest
	r.Origin.Frontend = ops.FrontendAlert
	r.Alert = &ops.Alert{Rule: "dr", Name: "KafkaLag", Runbook: "https://wiki.example.com/kafka-lag", Source: "javascript:alert(1)",
		Silence: "http://am:9093/#/silences/new?filter=%7Balertname%3D%22KafkaLag%22%7D"}
	c.Follow(ops.FrontendAlert)
	c.ShowCard(context.Background(), r)
	assert.Regexp(t, `(?s)\| Source\s+javascript:alert\(1\)\n.*\| Expires\s+[^\n]+\n`+
		`\| Runbook\s+https://wiki\.example\.com/kafka-lag\n`+
		`\| Silence\s+http://am:9093/#/silences/new\?filter=%7Balertname%3D%22KafkaLag%22%7D\n\+-- `, out.String())
}
