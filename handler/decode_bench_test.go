package handler_test

// Micro-benchmarks of what the handler does to an event before any cloud
// call: recognise it (Detect), decode its envelope, and parse the restore
// request or alarm it carries, down to its jobs. One sub-benchmark per kind of fixture, plus a
// generated 100-record CMQ batch (the largest batch the function accepts).
// Run with: go test -run='^$' -bench='Detect|Decode|ParseRestoreRequests' -benchmem ./handler/
//
// Names are prefixed with "bench" so they cannot collide with the helpers of
// the other test files of this package.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"redis-restore/handler"
	"redis-restore/internal/intent"
)

// benchCase is one event as the function would receive it.
type benchCase struct {
	name    string
	payload []byte
	kind    handler.Kind
}

func benchFixture(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		b.Fatalf("fixture: %v", err)
	}
	return data
}

// benchCMQBatch is a CMQ topic event of n records, each a restore request
// for its own instance, shaped like testdata/cmq-topic.json.
func benchCMQBatch(n int) []byte {
	type msg struct {
		Type        string `json:"type"`
		TopicOwner  int64  `json:"topicOwner"`
		TopicName   string `json:"topicName"`
		PublishTime string `json:"publishTime"`
		MsgID       string `json:"msgId"`
		RequestID   string `json:"requestId"`
		MsgBody     string `json:"msgBody"`
	}
	type rec struct {
		CMQ msg `json:"CMQ"`
	}
	recs := make([]rec, n)
	for i := range recs {
		id := fmt.Sprint(400000000 + i)
		recs[i].CMQ = msg{
			Type: "topic", TopicOwner: 120000, TopicName: "redis-restore-requests",
			PublishTime: "2026-11-29T03:00:00Z", MsgID: id, RequestID: id,
			MsgBody: fmt.Sprintf(`{"instanceId":"crs-bench%04d","backupId":"678362566696298532848117"}`, i),
		}
	}
	out, err := json.Marshal(map[string]any{"Records": recs})
	if err != nil {
		panic(err)
	}
	return out
}

func benchCases(b *testing.B) []benchCase {
	b.Helper()
	return []benchCase{
		{"timer", benchFixture(b, "timer.json"), handler.Timer},
		{"apigw", benchFixture(b, "apigw.json"), handler.APIGateway},
		{"apigw-base64", benchFixture(b, "apigw-base64.json"), handler.APIGateway},
		{"apigw-alarm", benchFixture(b, "apigw-alarm.json"), handler.APIGateway},
		{"cmq-1", benchFixture(b, "cmq-topic.json"), handler.CMQ},
		{"cmq-3", benchFixture(b, "cmq-batch.json"), handler.CMQ},
		{"cmq-100", benchCMQBatch(100), handler.CMQ},
		{"cmq-alarm", benchFixture(b, "cmq-alarm.json"), handler.CMQ},
		{"direct", benchFixture(b, "direct.json"), handler.Direct},
		{"direct-batch", benchFixture(b, "direct-batch.json"), handler.Direct},
		{"alarm", benchFixture(b, "alarm-event.json"), handler.Alarm},
	}
}

// BenchmarkDetect is handler.Detect alone: how an event is recognised.
func BenchmarkDetect(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			if k, err := handler.Detect(c.payload); err != nil || k != c.kind {
				b.Fatalf("Detect = %v, %v; want %v", k, err, c.kind)
			}
			b.SetBytes(int64(len(c.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := handler.Detect(c.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecode is the whole decoding path of the handler for an event:
// Detect, the envelope, then every body it carries down to validated
// restore requests (or a decoded alarm).
func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCases(b) {
		b.Run(c.name, func(b *testing.B) {
			n, err := benchDecode(c.payload)
			if err != nil || n == 0 {
				b.Fatalf("decode: %d requests, %v", n, err)
			}
			b.SetBytes(int64(len(c.payload)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := benchDecode(c.payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseRestoreRequests is the validation of restore request
// bodies: one request, and a batch of intent.MaxRestores.
func BenchmarkParseRestoreRequests(b *testing.B) {
	one := []byte(`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`)
	items := make([]string, intent.MaxRestores)
	for i := range items {
		items[i] = fmt.Sprintf(`{"instanceId":"crs-bench%04d","backupId":"latest","before":"2026-11-29T03:00:00+08:00"}`, i)
	}
	batch := []byte(`{"restores":[` + strings.Join(items, ",") + `]}`)
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{{"one", one, 1}, {"batch-100", batch, intent.MaxRestores}} {
		b.Run(c.name, func(b *testing.B) {
			if reqs, err := handler.ParseRequests(c.body); err != nil || len(reqs) != c.want {
				b.Fatalf("ParseRestoreRequests: %d, %v", len(reqs), err)
			}
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := handler.ParseRequests(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchDecode decodes an event as the handler does, down to its jobs, and
// returns how many there are.
func benchDecode(payload []byte) (int, error) { return handler.Jobs(payload) }
