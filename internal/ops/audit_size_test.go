package ops_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// auditBytesPer1000 is what the README tells a reader to plan for the audit
// stream per 1,000 requests; the test fails if requests come to need more.
const auditBytesPer1000 = 3 << 20

// Requests made in Slack, confirmed, carried out and checked, as most are:
// the audit stream's bytes per 1,000 of them, measured on embedded NATS.
func TestAuditStreamBytesPerThousandRequests(t *testing.T) {
	const n = 200
	w := newWorld(t)
	svc, err := ops.New(settings(ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}}), ops.Deps{
		Store: w.bus.Requests(), Claims: w.bus.Claims(), Events: w.bus.Events(),
		Providers: []ops.Provider{pipelines.New(enos.New(w.url, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret}))},
	})
	require.NoError(t, err)
	ctx := context.Background()
	origin := ops.Origin{Frontend: "slack", Channel: "C0INCIDENTS1", Message: "1733468400.123456"}
	for i := range n {
		text := "pipeline pause orders-etl"
		if i%2 == 1 {
			text = "pipeline start orders-etl"
		}
		reply, err := svc.Handle(ctx, ops.Input{Text: text, User: "U0ALICE1234", Origin: origin})
		require.NoError(t, err)
		require.NotNil(t, reply.Request, reply.Text)
		done, err := svc.Confirm(ctx, reply.Request.ID, "U0BOB567890")
		require.NoError(t, err)
		require.Equal(t, ops.Succeeded, done.State, done.Outcome)
		require.NoError(t, svc.Wait(ctx)) // its status check, and its event
	}
	stored, limit, err := w.bus.StreamFill(ctx, bus.AuditStream)
	require.NoError(t, err)
	require.Equal(t, int64(bus.DefaultAuditMaxBytes), limit)
	per1000 := stored * 1000 / n
	t.Logf("audit stream: %d bytes for %d requests (4 events each): %d bytes (%.2f MiB) per 1,000 requests", stored, n, per1000, float64(per1000)/(1<<20))
	require.Less(t, per1000, uint64(auditBytesPer1000), "the README's figure no longer holds")
}
