package handler_test

// Benchmarks of one warm invocation of the handler, in process, against the
// cloud emulator over loopback HTTP: what the function costs per event once
// SCF's RPC is taken away. The client-side rate limiter is switched off (it
// would make every iteration wait for its 50 ms token); each iteration
// restores an instance of its own, as every warm restore needs distinct
// work. Run with: go test -run='^$' -bench=Invoke -benchmem ./handler/
//
// Names are prefixed with "bench" so they cannot collide with the helpers of
// the other test files of this package.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

const benchWebhookSecret = "bench-webhook-secret"

// benchWorld is an emulator with n restorable password-free instances and a
// handler configured for it.
type benchWorld struct {
	emu       *cloudemu.Emulator
	h         *handler.Handler
	instances []string
	backups   []string
}

func newBenchWorld(b *testing.B, n int) *benchWorld {
	b.Helper()
	emu := cloudemu.New(cloudemu.Options{TaskIDAsString: true})
	demo := cloudemu.SeedDemo(emu)
	emu.SetTaskDuration(time.Millisecond)
	url, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeFn() })

	w := &benchWorld{emu: emu}
	start := time.Now().Add(-2 * time.Hour)
	for i := range n {
		id := fmt.Sprintf("crs-bench%06d", i)
		bk := fmt.Sprintf("9%023d", i)
		emu.AddInstance(cloudemu.Instance{ID: id, Region: demo.Region, Status: 2})
		emu.AddBackup(id, cloudemu.Backup{ID: bk, StartTime: start, EndTime: start.Add(5 * time.Minute), Status: 2, Size: 1 << 20})
		w.instances = append(w.instances, id)
		w.backups = append(w.backups, bk)
	}

	vars := map[string]string{
		"TENCENTCLOUD_SECRETID":     demo.SecretID,
		"TENCENTCLOUD_SECRETKEY":    demo.SecretKey,
		"TENCENTCLOUD_SESSIONTOKEN": demo.Token,
		"TENCENTCLOUD_REGION":       demo.Region,
		"TENCENTCLOUD_ENDPOINT_URL": url,
		"RESTORE_QUEUE":             demo.Queue,
		// The restore itself is measured, not a timer's safety backup.
		"RESTORE_SAFETY_BACKUP":  "false",
		"RESTORE_WEBHOOK_SECRET": benchWebhookSecret,
	}
	h := handler.New(handler.NewLogger(io.Discard, slog.LevelInfo))
	h.Getenv = func(k string) string { return vars[k] }
	h.Clients = cloud.New(cloud.Options{RequestsPerSecond: math.Inf(1)})
	w.h = h
	return w
}

func (w *benchWorld) request(i int) string {
	return fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, w.instances[i], w.backups[i])
}

func (w *benchWorld) timer(i int) []byte {
	// One trigger per instance: a trigger firing at one time is one event.
	return benchJSON(events.TimerEvent{Type: "Timer", TriggerName: fmt.Sprintf("bench-%d", i), Time: time.Now().Truncate(time.Second), Message: w.request(i)})
}

func (w *benchWorld) gateway(i int, secret string) []byte {
	body := w.request(i)
	return benchJSON(map[string]any{
		"requestContext": map[string]any{"serviceId": "service-bench", "path": "/restore", "httpMethod": "ANY",
			"requestId": fmt.Sprintf("gw-%d", i), "sourceIp": "10.0.0.1", "stage": "release"},
		"headers": map[string]string{"content-type": "application/json",
			"x-restore-signature": handler.Sign(secret, time.Now(), []byte(body))},
		"body": body, "isBase64Encoded": false, "path": "/restore", "httpMethod": "POST",
	})
}

func (w *benchWorld) cmq(i int) []byte {
	rec := events.CMQRecord{CMQ: events.CMQMessage{
		Type: "topic", TopicOwner: "120000", TopicName: "redis-restore-requests",
		PublishTime: time.Now().Truncate(time.Second), MsgID: fmt.Sprintf("bench-%d", i), RequestID: "r", MsgBody: w.request(i),
	}}
	return benchJSON(events.CMQEvent{Records: []events.CMQRecord{rec}})
}

func benchJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// benchResults decodes an answer of the handler into its results.
func benchResults(b *testing.B, ans any) []intent.Result {
	switch a := ans.(type) {
	case handler.Response:
		return a.Results
	case events.APIGatewayResponse:
		var body handler.Response
		if err := json.Unmarshal([]byte(a.Body), &body); err != nil {
			b.Fatalf("gateway body %q: %v", a.Body, err)
		}
		return body.Results
	}
	b.Fatalf("answer is %T", ans)
	return nil
}

// BenchmarkInvoke runs one invocation per iteration. "accepted" cases
// restore (DescribeTaskList where the event has a time, RestoreInstance,
// SendCmqMsg); "apigw-refused" is a wrongly signed webhook, refused before
// any cloud call: the handler's cost without the network.
func BenchmarkInvoke(b *testing.B) {
	cases := []struct {
		name  string
		event func(w *benchWorld, i int) []byte
		want  intent.Status
	}{
		{"timer", (*benchWorld).timer, intent.Accepted},
		{"apigw", func(w *benchWorld, i int) []byte { return w.gateway(i, benchWebhookSecret) }, intent.Accepted},
		{"cmq-1", (*benchWorld).cmq, intent.Accepted},
		{"apigw-refused", func(w *benchWorld, i int) []byte { return w.gateway(i, "wrong-secret") }, intent.Failed},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			w := newBenchWorld(b, b.N)
			payloads := make([][]byte, b.N)
			for i := range payloads {
				payloads[i] = c.event(w, i)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				ans, err := w.h.Invoke(ctx, payloads[i])
				if err != nil {
					b.Fatalf("invoke: %v", err)
				}
				rs := benchResults(b, ans)
				if len(rs) != 1 || rs[0].Status != c.want {
					b.Fatalf("results %+v, want one %s", rs, c.want)
				}
			}
			b.StopTimer()
			if c.want == intent.Accepted {
				if got := len(w.emu.RestoreCalls()); got != b.N {
					b.Fatalf("%d restores for %d invocations", got, b.N)
				}
			} else if strings.Contains(c.name, "refused") && len(w.emu.RestoreCalls()) != 0 {
				b.Fatal("a refused webhook restored")
			}
		})
	}
}
