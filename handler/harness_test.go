package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// env is one test's world: an emulator over real HTTP with demo data, and a
// handler whose environment is a map, as SCF hands it over.
type env struct {
	t    testing.TB
	emu  *cloudemu.Emulator
	demo cloudemu.DemoData
	vars map[string]string
	h    *handler.Handler
	logs *syncBuffer
	// timeout is the invocation's deadline, as the function's timeout.
	timeout time.Duration
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const webhookSecret = "test-webhook-secret-9f2c"

// approverSecret is the approvers' own (RESTORE_APPROVER_SECRET): the only
// webhook credential that applies a plan.
const approverSecret = "test-approver-secret-41d7"

// The demo instance's backups around its alarms (firstOccurTime 2026-11-29
// 02:00Z): the newest restorable one before them, which an alarm restores,
// and one after them, the newest of all, which "latest" restores. The
// fixtures that name a backup name the one before the alarms.
const (
	backupBeforeTheAlarms = "678362566696298532848117"
	backupAfterTheAlarms  = "678362566696298532848119"
)

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, cloudemu.Options{Seed: 1})
}

// newEnvWith is newEnv with an emulator of these options (data servers,
// say).
func newEnvWith(t testing.TB, opts cloudemu.Options) *env {
	t.Helper()
	emu := cloudemu.New(opts)
	t.Cleanup(func() { emu.Close() })
	demo := cloudemu.SeedDemo(emu)
	// A restorable backup taken after the demo alarms fired (02:00Z): the
	// newest backup is not the one before an alarm, so that a restore
	// that must take the one before it cannot take the newest by mistake.
	emu.AddBackup(demo.InstanceID, cloudemu.Backup{ID: backupAfterTheAlarms, BackupType: "1", Status: 2, Size: 1 << 20,
		StartTime: time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 11, 29, 3, 8, 0, 0, time.UTC)})
	demo.BackupIDs = append(demo.BackupIDs, backupAfterTheAlarms)
	demo.LatestBackupID = backupAfterTheAlarms
	emu.SetTaskDuration(time.Millisecond)
	url, closeFn, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFn() })
	t.Cleanup(func() { validateMessages(t, emu, demo) })
	e := &env{t: t, emu: emu, demo: demo, logs: &syncBuffer{}, timeout: 10 * time.Second}
	e.vars = demo.Environment(url)
	e.vars["RESTORE_WEBHOOK_SECRET"] = webhookSecret
	e.vars["RESTORE_APPROVER_SECRET"] = approverSecret
	e.vars["RESTORE_LOCK_RETRY"] = "100ms"
	// These tests are about the request: it restores at once. The safety
	// backup (on by default for timers and alarms) has its own tests in
	// lifecycle_test.go.
	e.vars["RESTORE_SAFETY_BACKUP"] = "false"
	// HTTP calls run here unless a test hands them off (handoff_test.go):
	// most tests are about what happens to a restore, not where.
	e.vars["RESTORE_HANDOFF"] = "off"
	h := handler.New(handler.NewLogger(e.logs, slog.LevelDebug))
	h.Getenv = func(k string) string { return e.vars[k] }
	h.LocalCredentials = nil // this machine's credential files are not the test's
	h.Clients = cloud.New(cloud.Options{RequestsPerSecond: 1000})
	h.MinDelay, h.MaxDelay = time.Millisecond, 5*time.Millisecond
	e.h = h
	return e
}

// invoke calls the handler as the SCF library does: a context with the
// invocation's deadline and function context.
func (e *env) invoke(payload []byte) (any, error) {
	e.t.Helper()
	return invokeWith(e, e.h, payload)
}

// invokeWith invokes h, one container of e's function, as invoke does.
func invokeWith(e *env, h *handler.Handler, payload []byte) (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	ctx = functioncontext.NewContext(ctx, &functioncontext.FunctionContext{RequestID: "scf-req-1", FunctionName: "redis-restore"})
	return h.Invoke(ctx, payload)
}

// results invokes and decodes the answer of a non-gateway trigger.
func (e *env) results(payload []byte) []intent.Result {
	e.t.Helper()
	ans, err := e.invoke(payload)
	if err != nil {
		e.t.Fatalf("invoke: %v", err)
	}
	resp, ok := ans.(handler.Response)
	if !ok {
		e.t.Fatalf("answer is %T, want handler.Response", ans)
	}
	return resp.Results
}

// gateway invokes with an API gateway event and decodes its response.
func (e *env) gateway(payload []byte) (events.APIGatewayResponse, []intent.Result) {
	e.t.Helper()
	ans, err := e.invoke(payload)
	if err != nil {
		e.t.Fatalf("invoke: %v", err)
	}
	resp, ok := ans.(events.APIGatewayResponse)
	if !ok {
		e.t.Fatalf("answer is %T, want events.APIGatewayResponse", ans)
	}
	var body handler.Response
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		e.t.Fatalf("gateway body %q: %v", resp.Body, err)
	}
	return resp, body.Results
}

// messages decodes the CloudEvents on the demo queue.
func (e *env) messages() []intent.Event {
	e.t.Helper()
	var out []intent.Event
	for _, m := range e.emu.Messages(e.demo.Queue) {
		var ev intent.Event
		if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
			e.t.Fatalf("message %q is not a CloudEvent: %v", m.Body, err)
		}
		out = append(out, ev)
	}
	return out
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// timerEvent wraps a restore request in a timer event.
func timerEvent(t testing.TB, at time.Time, req string) []byte {
	return mustJSON(t, events.TimerEvent{Type: "Timer", TriggerName: "test", Time: at, Message: req})
}

// gatewayEvent builds a signed API gateway POST of body.
func gatewayEvent(t testing.TB, body string, headers map[string]string) []byte {
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return mustJSON(t, map[string]any{
		"requestContext":  map[string]any{"serviceId": "service-test", "path": "/restore", "httpMethod": "ANY", "requestId": "gw-1", "sourceIp": "10.0.0.1", "stage": "release"},
		"headers":         h,
		"body":            body,
		"isBase64Encoded": false,
		"path":            "/restore",
		"httpMethod":      "POST",
	})
}

func signed(body string) map[string]string {
	return map[string]string{"x-restore-signature": handler.Sign(webhookSecret, time.Now(), []byte(body))}
}

// signedByApprover signs as the approvers do (RESTORE_APPROVER_SECRET).
func signedByApprover(body string) map[string]string {
	return map[string]string{"x-restore-signature": handler.Sign(approverSecret, time.Now(), []byte(body))}
}

func cmqEvent(t testing.TB, bodies ...string) []byte {
	var recs []events.CMQRecord
	for i, b := range bodies {
		recs = append(recs, events.CMQRecord{CMQ: events.CMQMessage{
			Type: "topic", TopicOwner: "120000", TopicName: "redis-restore-requests",
			PublishTime: time.Now().Add(-time.Second), MsgID: "msg-" + string(rune('a'+i)) + "-" + time.Now().Format("150405.000000"),
			RequestID: "r", MsgBody: b,
		}})
	}
	return mustJSON(t, events.CMQEvent{Records: recs})
}

func timeNow() time.Time { return time.Now() }

func onlyResult(t testing.TB, rs []intent.Result) intent.Result {
	t.Helper()
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(rs), rs)
	}
	return rs[0]
}

func assertNoSecret(t testing.TB, where, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret %q", where, s)
		}
	}
}

// functionURL invokes with a function URL event and decodes its response,
// which must be the function URL form (no isBase64Encoded).
func (e *env) functionURL(payload []byte) (events.FunctionURLResponse, []intent.Result) {
	e.t.Helper()
	ans, err := e.invoke(payload)
	if err != nil {
		e.t.Fatalf("invoke: %v", err)
	}
	resp, ok := ans.(events.FunctionURLResponse)
	if !ok {
		e.t.Fatalf("answer is %T, want events.FunctionURLResponse", ans)
	}
	var body handler.Response
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		e.t.Fatalf("function URL body %q: %v", resp.Body, err)
	}
	return resp, body.Results
}

// functionURLEvent builds a function URL POST of body, as platform-2026.md
// §1 documents it: lower-case headers, the client in x-scf-remote-addr.
func functionURLEvent(t testing.TB, body string, headers map[string]string) []byte {
	h := map[string]string{"content-type": "application/json", "x-scf-remote-addr": "203.0.113.7"}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	return mustJSON(t, map[string]any{"httpMethod": "POST", "path": "/", "queryString": map[string]any{}, "headers": h, "body": body})
}

// assertCallbackBody checks the answer a Cloud Monitor callback needs: its
// sessionId echoed and retCode 0, beside the results.
func assertCallbackBody(t testing.TB, body, sessionID string) {
	t.Helper()
	var b struct {
		SessionID *string         `json:"sessionId"`
		RetCode   *int            `json:"retCode"`
		Results   json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatalf("callback body %q: %v", body, err)
	}
	if b.SessionID == nil || *b.SessionID != sessionID || b.RetCode == nil || *b.RetCode != 0 || len(b.Results) == 0 {
		t.Errorf("callback body %s: want sessionId %q, retCode 0 and results", body, sessionID)
	}
}

// errCode and errMessage read a result's error, "" for none: a test that
// finds no error where it wants one fails and says so, instead of
// dereferencing nil and taking every later test of the binary with it.
func errCode(b *intent.ErrorBody) string {
	if b == nil {
		return ""
	}
	return b.Code
}

func errMessage(b *intent.ErrorBody) string {
	if b == nil {
		return ""
	}
	return b.Message
}

// answered is the one result of an invocation, whether it answered or
// failed (a result the platform must retry comes in the error).
func answered(t *testing.T, ans any, err error) intent.Result {
	t.Helper()
	if err != nil {
		return onlyResult(t, resultsFromError(t, err))
	}
	rs, _ := decodeAnswer(t, ans)
	return onlyResult(t, rs)
}
