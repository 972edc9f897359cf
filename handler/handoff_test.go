package handler_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// handoffEnv is an env whose HTTP calls hand their restores off to the
// function's own asynchronous invocation, which the emulator's SCF Invoke
// delivers to a fresh container of the function, as SCF does. The
// deliveries wait for release, so that a test can look at the world as the
// HTTP caller was answered.
type handoffEnv struct {
	*env
	release chan struct{}
	mu      sync.Mutex
	async   [][]intent.Result // each asynchronous invocation's results
}

func newHandoffEnv(t *testing.T) *handoffEnv {
	e := &handoffEnv{env: newEnv(t), release: make(chan struct{})}
	e.vars["RESTORE_HANDOFF"] = "all" // webhook requests too, unless a test says otherwise
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetAsyncRetryDelay(100 * time.Millisecond)
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		<-e.release
		ans, err := invokeWith(e.env, freshHandler(e.env), event)
		var rs []intent.Result
		if err != nil {
			rs = resultsFromError(t, err)
		} else {
			rs, _ = decodeAnswer(t, ans)
		}
		e.mu.Lock()
		e.async = append(e.async, rs)
		e.mu.Unlock()
		return err
	})
	t.Cleanup(func() {
		select {
		case <-e.release:
		default:
			close(e.release)
		}
		e.emu.WaitInvocations()
	})
	return e
}

func (e *handoffEnv) finish() {
	close(e.release)
	e.emu.WaitInvocations()
}

// slowCloud makes every Redis and queue call answer 2 s late.
func slowCloud(e *env) {
	for _, a := range []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "RestoreInstance", "SendCmqMsg"} {
		e.emu.SetFaults(a, cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Delay: 2 * time.Second}}})
	}
}

func basicAuthHeader() map[string]string {
	return map[string]string{"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("cloudmonitor:test-password"))}
}

// An alarm callback against a cloud that answers every call 2 s late is
// answered without a single Redis or queue call (the answer time is
// measured by make bench), with Cloud Monitor's 200 and sessionId; its
// restore runs in the asynchronous invocation and reaches the queue once.
func TestAlarmCallbackIsHandedOffAndAnsweredWithoutCloudCalls(t *testing.T) {
	t.Parallel()
	e := newHandoffEnv(t)
	slowCloud(e.env)
	e.timeout = 30 * time.Second // the function's timeout: enough for a slow cloud
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	resp, rs := e.functionURL(functionURLEvent(t, alarm, basicAuthHeader()))
	for _, a := range []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "RestoreInstance", "SendCmqMsg"} {
		if n := e.emu.Calls(a); n != 0 {
			t.Errorf("the callback's own invocation called %s %d times", a, n)
		}
	}
	r := onlyResult(t, rs)
	if resp.StatusCode != 200 || r.Status != intent.Queued || r.InstanceID != "crs-5a4py64p" || !strings.Contains(r.Reason, "asynchronous") {
		t.Fatalf("%d %+v", resp.StatusCode, r)
	}
	assertCallbackBody(t, resp.Body, "xxxxxxxx")
	if inv := e.emu.Invocations(); len(inv) != 1 || strings.Contains(string(inv[0].Event), "test-password") {
		t.Fatalf("invocations %+v", inv)
	}
	// The asynchronous invocation's speed is not this test's: it runs on
	// a cloud that answers at once (12 s less of waiting).
	for _, a := range []string{"DescribeTaskList", "DescribeInstanceBackups", "DescribeInstances", "RestoreInstance", "SendCmqMsg"} {
		e.emu.SetFaults(a, cloudemu.Faults{})
	}
	e.finish()
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores", n)
	}
	m := e.messages()
	if len(m) != 1 || m[0].Type != intent.EventTypePrefix+"accepted" || m[0].Data.Trigger != "functionurl+alarm" && m[0].Data.Trigger != "functionurl" {
		t.Errorf("messages %+v", m)
	}
}

// Cloud Monitor sends a callback again while the first's restore runs (it
// waited more than 5 s before): each is handed off, and the restore runs
// once.
func TestAlarmCallbackSentThreeTimesRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newHandoffEnv(t)
	e.emu.SetTaskDuration(1500 * time.Millisecond)
	delete(e.vars, "RESTORE_LOCK_RETRY")
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	for range 3 {
		resp, rs := e.functionURL(functionURLEvent(t, alarm, basicAuthHeader()))
		if resp.StatusCode != 200 || onlyResult(t, rs).Status != intent.Queued {
			t.Fatalf("%d %+v", resp.StatusCode, rs)
		}
	}
	e.finish()
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores, want 1: %+v", n, e.async)
	}
	accepted := 0
	for _, rs := range e.async {
		switch r := onlyResult(t, rs); r.Status {
		case intent.Accepted:
			accepted++
		case intent.Duplicate:
		default:
			t.Errorf("asynchronous result %+v", r)
		}
	}
	if accepted != 1 {
		t.Errorf("%d accepted: %+v", accepted, e.async)
	}
}

// A webhook caller who wants the TaskId in the answer asks to wait.
func TestWaitParameterRunsTheRestoreInTheCall(t *testing.T) {
	t.Parallel()
	e := newHandoffEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	ev := map[string]any{}
	if err := json.Unmarshal(functionURLEvent(t, body, signed(body)), &ev); err != nil {
		t.Fatal(err)
	}
	ev["queryString"] = map[string]any{handler.WaitParam: "1"}
	resp, rs := e.functionURL(mustJSON(t, ev))
	if r := onlyResult(t, rs); resp.StatusCode != 202 || r.Status != intent.Accepted || r.TaskID == 0 {
		t.Fatalf("%d %+v", resp.StatusCode, r)
	}
	if n := len(e.emu.Invocations()); n != 0 {
		t.Errorf("%d hand-offs for a caller who waits", n)
	}
}

// A password never travels in an asynchronous event (the platform keeps
// them), and a hand-off that cannot be made is no reason to fail: both run
// in the call.
func TestRunsInTheCallWhenItCannotHandOff(t *testing.T) {
	t.Parallel()
	t.Run("password", func(t *testing.T) {
		e := newHandoffEnv(t)
		body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117","password":"` + e.demo.Password + `"}`
		resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
		if r := onlyResult(t, rs); resp.StatusCode != 202 || r.Status != intent.Accepted {
			t.Fatalf("%d %+v", resp.StatusCode, r)
		}
		if n := len(e.emu.Invocations()); n != 0 {
			t.Errorf("%d hand-offs of a request with a password", n)
		}
	})
	t.Run("Invoke refused", func(t *testing.T) {
		e := newHandoffEnv(t)
		e.emu.SetFaults("Invoke", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "ResourceNotFound.Function"}}})
		body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
		resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
		if r := onlyResult(t, rs); resp.StatusCode != 202 || r.Status != intent.Accepted {
			t.Fatalf("%d %+v", resp.StatusCode, r)
		}
		if !strings.Contains(e.logs.String(), "hand-off failed") {
			t.Error("the failed hand-off was not logged")
		}
	})
}

// A hand-off event is decoded strictly: it is the function's own.
func TestHandoffEventIsStrict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, payload := range []string{
		`{"redisRestoreHandoff":{"trigger":"functionurl","body":"{}","extra":1}}`,
		`{"redisRestoreHandoff":{"trigger":"","body":"{}"}}`,
	} {
		rs := e.results([]byte(payload))
		if r := onlyResult(t, rs); r.Status != intent.Failed || errCode(r.Error) != "InvalidRequest" {
			t.Errorf("%s: %+v", payload, r)
		}
	}
	if k, _ := handler.Detect([]byte(`{"redisRestoreHandoff":{}}`)); k != handler.Handoff {
		t.Errorf("detected as %s", k)
	}
}

// By default only Cloud Monitor's callbacks are handed off: a webhook
// restore request keeps its answer with the TaskId, as the contract says.
func TestDefaultHandsOffOnlyAlarmCallbacks(t *testing.T) {
	t.Parallel()
	e := newHandoffEnv(t)
	delete(e.vars, "RESTORE_HANDOFF")
	body := `{"instanceId":"crs-1amp2588","backupId":"latest"}`
	resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
	if r := onlyResult(t, rs); resp.StatusCode != 202 || r.Status != intent.Accepted || r.TaskID == 0 {
		t.Fatalf("webhook request: %d %+v", resp.StatusCode, r)
	}
	resp2, rs2 := e.functionURL(functionURLEvent(t, string(fixture(t, "alarm-metric-instanceid.json")), basicAuthHeader()))
	if r := onlyResult(t, rs2); resp2.StatusCode != 200 || r.Status != intent.Queued {
		t.Fatalf("alarm callback: %d %+v", resp2.StatusCode, r)
	}
	if n := len(e.emu.Invocations()); n != 1 {
		t.Errorf("%d hand-offs, want 1 (the alarm's)", n)
	}
	e.finish()
}
