package ops_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamops/streamops/internal/api/enos"
	"github.com/streamops/streamops/internal/bus"
	"github.com/streamops/streamops/internal/operations/pipelines"
	"github.com/streamops/streamops/internal/ops"
)

// fastEnOS answers every call at once: the benchmarks measure the bot, not
// the provider.
func fastEnOS(b *testing.B) *enos.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/apim-token-service/"):
			w.Write([]byte(`{"status":0,"msg":"SUCCESS","data":{"accessToken":"tok","expire":7200}}`))
		case r.Method == http.MethodGet:
			w.Write([]byte(`{"code":0,"msg":"OK","requestId":"r","data":{"pipelineId":"p-100","status":"PAUSED"}}`))
		default:
			w.Write([]byte(`{"code":0,"msg":"OK","requestId":"r","data":""}`))
		}
	}))
	b.Cleanup(srv.Close)
	return enos.New(srv.URL, enos.Config{OrgID: orgID, AppKey: appKey, AppSecret: appSecret})
}

// BenchmarkProviderCall is the baseline: the EnOS call alone.
func BenchmarkProviderCall(b *testing.B) {
	api := fastEnOS(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := api.Operate(ctx, "p-100", enos.Pause); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfirm is the path from a confirmation to the provider's answer:
// reading the request, taking the target's claim, the compare-and-swap to
// executing, the call, and storing the outcome, with the audit events
// published on NATS.
func BenchmarkConfirm(b *testing.B) {
	nats := connect(b, bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()})
	svc, err := ops.New(settings(ops.Settings{Targets: ops.Targets{"pipeline": {"orders-etl": "p-100"}}}), ops.Deps{
		Store: nats.Requests(), Claims: nats.Claims(), Events: nats.Events(), Providers: []ops.Provider{pipelines.New(fastEnOS(b))},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := ops.Input{Text: "pipeline pause orders-etl", User: "U-alice"}
	for b.Loop() {
		b.StopTimer()
		// The previous request's status check holds the target until it ends.
		if err := svc.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		reply, err := svc.Handle(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		done, err := svc.Confirm(ctx, reply.Request.ID, "U-bob")
		if err != nil || done.State != ops.Succeeded {
			b.Fatalf("%v %v", err, done.State)
		}
	}
	b.StopTimer()
	svc.Wait(ctx)
}

// BenchmarkSweep is one pass of the expiry sweep with 10 requests waiting
// and the rest of the stored ones finished: with an index of the open ones
// it costs the same with 30,000 stored (a busy week) as with 30.
func BenchmarkSweep(b *testing.B) {
	for _, stored := range []int{30, 30_000} {
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			nats := connect(b, bus.Config{Listen: "127.0.0.1:-1", StoreDir: b.TempDir()})
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			ctx := context.Background()
			for i := range stored {
				r := ops.Request{ID: fmt.Sprintf("r-%06x", i), Op: "pipeline pause", State: ops.Succeeded,
					Target: ops.Target{Kind: "pipeline", ID: "p-100"}, CreatedAt: now, ExpiresAt: now.Add(time.Minute)}
				if i < 10 {
					r.State = ops.Pending
				}
				if _, err := nats.Requests().Create(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			svc, err := ops.New(settings(ops.Settings{}), ops.Deps{
				Store: nats.Requests(), Claims: nats.Claims(), Events: nats.Events(), Now: func() time.Time { return now },
			})
			if err != nil {
				b.Fatal(err)
			}
			open, err := svc.Pending(ctx)
			if err != nil || len(open) != 10 {
				b.Fatalf("want 10 open requests, got %d (%v)", len(open), err)
			}
			for b.Loop() {
				svc.Sweep(ctx)
			}
		})
	}
}
