package handler_test

import (
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/intent"
)

func seedFixtures(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(b)
		}
	}
}

// apiCalls counts every request the emulator received, of any action: a read
// (DescribeInstances, the task list and task info, backups, secrets) as
// much as a change (RestoreInstance, ManualBackupInstance, CloneInstances,
// a message), and the actions added after this test was written.
func (e *env) apiCalls() int {
	n := 0
	for _, c := range e.emu.CallCounts() {
		n += c
	}
	return n
}

// FuzzInvoke: any payload gets an answer, never a panic or an internal
// error, and input found invalid makes no API call.
func FuzzInvoke(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"restores":[{"instanceId":"crs-5a4py64p","backupId":"latest","before":"2026-01-01T00:00:00Z"}]}`))
	e := newEnv(f)
	e.timeout = 2 * time.Second
	e.vars["RESTORE_DRY_RUN"] = "true"
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	f.Fuzz(func(t *testing.T, payload []byte) {
		e.t = t
		before := e.emu.CallCounts()
		ans, err := e.invoke(payload)
		if err != nil && !strings.Contains(err.Error(), "transient") {
			t.Fatalf("invocation error: %v", err)
		}
		rs, _ := decodeAnswer(t, ans)
		invalid := len(rs) > 0
		for _, r := range rs {
			if r.Status == intent.Failed && r.Error != nil && errCode(r.Error) == "InternalError" {
				t.Fatalf("internal error for %q: %s", payload, errMessage(r.Error))
			}
			if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidRequest" {
				invalid = false
			}
		}
		if after := e.emu.CallCounts(); invalid && !maps.Equal(after, before) {
			t.Fatalf("invalid input %q reached the API: calls %v, before it %v", payload, after, before)
		}
	})
}

// FuzzWebhookSignature: any signature header is refused unless it is the
// right one, and nothing panics.
func FuzzWebhookSignature(f *testing.F) {
	body := `{"instanceId":"crs-5a4py64p","backupId":"latest","dryRun":true}`
	f.Add(handler.Sign(webhookSecret, time.Now(), []byte(body)), body)
	f.Add("t=1,v1=00", body)
	f.Add("v1=zz,t=x", "")
	f.Add(",,,=", "{}")
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, sig, body string) {
		e.t = t
		resp, _ := e.gateway(gatewayEvent(t, body, map[string]string{"x-restore-signature": sig}))
		if resp.StatusCode == 401 || resp.StatusCode == 413 {
			return
		}
		// Let through: then it must be the signature of this body at a
		// time within five minutes.
		ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
		sec, err := strconv.ParseInt(ts, 10, 64)
		signedAt := time.Unix(sec, 0)
		if err != nil || sig != handler.Sign(webhookSecret, signedAt, []byte(body)) || time.Since(signedAt).Abs() > 5*time.Minute {
			t.Fatalf("signature %q for body %q let through: status %d", sig, body, resp.StatusCode)
		}
	})
}
