package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
)

// realistic makes the cloud behave as it does in production for the
// promises below: a restore task runs for a while, the instance answers
// InstanceLockedError meanwhile, and the lock is retried for the default
// RESTORE_LOCK_RETRY.
func realistic(e *env) {
	e.emu.SetTaskDuration(1500 * time.Millisecond)
	delete(e.vars, "RESTORE_LOCK_RETRY")
	e.h.MinDelay, e.h.MaxDelay = 50*time.Millisecond, 300*time.Millisecond
}

// atOnce delivers payload to n containers at the same moment, as SCF does
// when one event reaches several instances of the function, and returns
// each container's results (from its answer, or from its error).
func atOnce(t *testing.T, e *env, n int, payload []byte) [][]intent.Result {
	t.Helper()
	containers := make([]*handler.Handler, n)
	for i := range containers {
		containers[i] = freshHandler(e)
	}
	out := make([][]intent.Result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, h := range containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ans, err := invokeWith(e, h, payload)
			if err != nil {
				out[i] = resultsFromError(t, err)
				return
			}
			out[i], _ = decodeAnswer(t, ans)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// exactlyOnce checks that the deliveries restored once: one accepted, the
// others duplicates of the same TaskId, and one restore in the cloud.
func exactlyOnce(t *testing.T, e *env, deliveries [][]intent.Result) {
	t.Helper()
	if calls := e.emu.RestoreCalls(); len(calls) != 1 {
		t.Fatalf("%d restores, want 1: %+v (answers %+v)", len(calls), calls, deliveries)
	}
	task := e.emu.RestoreCalls()[0].TaskID
	accepted := 0
	for i, rs := range deliveries {
		r := onlyResult(t, rs)
		switch {
		case r.TaskID != task:
			t.Errorf("delivery %d: %+v %+v, want task %d", i, r, r.Error, task)
		case r.Status == intent.Accepted:
			accepted++
		case r.Status != intent.Duplicate:
			t.Errorf("delivery %d: status %s, want accepted or duplicate", i, r.Status)
		}
	}
	if accepted != 1 {
		t.Errorf("%d deliveries answered accepted, want 1: %+v", accepted, deliveries)
	}
}

func TestSameEventInSeveralContainersAtOnceRestoresOnce(t *testing.T) {
	t.Parallel()
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	req := `{"instanceId":"crs-5a4py64p","backupId":"latest"}`
	keyed := func() []byte {
		h := signed(req)
		h["idempotency-key"] = "retry-me-1"
		return gatewayEvent(t, req, h)
	}
	cases := map[string]func() []byte{
		"timer":                  func() []byte { return timerEvent(t, time.Now().Add(-time.Second), req) },
		"one CMQ msgId":          func() []byte { return cmqEvent(t, req) },
		"one alarm firing":       func() []byte { return []byte(alarm) },
		"signed webhook one key": keyed,
		// No key: the signature names the event, and the task list is
		// searched from the earlier of its time and the arrival. A caller
		// whose clock runs two minutes fast must not hide the restore one
		// container started from the two others.
		"signed webhook from a fast clock": func() []byte {
			return gatewayEvent(t, req, map[string]string{
				"x-restore-signature": handler.Sign(webhookSecret, time.Now().Add(2*time.Minute), []byte(req))})
		},
		"direct invocation": func() []byte { return []byte(req) },
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			realistic(e)
			exactlyOnce(t, e, atOnce(t, e, 3, payload()))
		})
	}
}

// A container whose RestoreInstance waits long for its share of the rate
// limit, after it looked at the task list, while another container
// restores the same event and that restore ends (a fast cloud): the look
// is made again as the call is sent, after the wait, and finds the other
// restore. Without it, the instance is no longer locked and the call
// restores a second time.
func TestRestoreWaitingForTheRateLimitLooksAgainBeforeItIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ev := timerEvent(t, time.Now().Add(-time.Second), `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`)
	slow := freshHandler(e)
	slow.Clients = cloud.New(cloud.Options{RequestsPerSecond: 0.4}) // a call of each action every 2.5 s
	// Its RestoreInstance token is spent: its next call waits about 2.5 s.
	u, _ := url.Parse(e.vars["TENCENTCLOUD_ENDPOINT_URL"])
	session := slow.Clients.Session(config.Credentials{SecretID: e.vars["TENCENTCLOUD_SECRETID"], SecretKey: e.vars["TENCENTCLOUD_SECRETKEY"],
		Token: e.vars["TENCENTCLOUD_SESSIONTOKEN"]}, u)
	_, _, _ = session.RestoreInstance(context.Background(), e.demo.Region, "crs-nosuch01", "x", "")
	done := make(chan []intent.Result)
	go func() {
		ans, err := invokeWith(e, slow, ev)
		if err != nil {
			done <- resultsFromError(t, err)
			return
		}
		rs, _ := decodeAnswer(t, ans)
		done <- rs
	}()
	time.Sleep(700 * time.Millisecond) // it has looked, and waits for its token
	fast := onlyResult(t, e.results(ev))
	if fast.Status != intent.Accepted {
		t.Fatalf("the fast container: %+v", fast)
	}
	r := onlyResult(t, <-done)
	if n := len(e.emu.RestoreCalls()); n != 1 || r.Status != intent.Duplicate || r.TaskID != fast.TaskID {
		t.Fatalf("%d restores; the waiting container answered %s %+v", n, r.Status, r)
	}
}

// The same event again while its restore runs, and again after it ended,
// each time to a fresh container: still one restore.
func TestRedeliveryWhileAndAfterTheRestoreRunsRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	realistic(e)
	ev := timerEvent(t, time.Now().Add(-time.Second), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)
	var deliveries [][]intent.Result
	for _, wait := range []time.Duration{0, 300 * time.Millisecond, 2 * time.Second} {
		time.Sleep(wait)
		ans, err := invokeWith(e, freshHandler(e), ev)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		deliveries = append(deliveries, rs)
	}
	exactlyOnce(t, e, deliveries)
}

// A signed webhook sent again as it was (no Idempotency-Key) within the
// signature's 5 minutes is the same request: it is answered as a duplicate,
// in the warm container and in a fresh one.
func TestReplayedSignedWebhookDoesNotRestoreAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	ev := gatewayEvent(t, body, signed(body))
	var deliveries [][]intent.Result
	for _, h := range []*handler.Handler{e.h, e.h, freshHandler(e)} {
		ans, err := invokeWith(e, h, ev)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		deliveries = append(deliveries, rs)
	}
	exactlyOnce(t, e, deliveries)
}

// A caller whose clock runs two minutes fast signs "in the future"; its
// retry with the same Idempotency-Key, signed anew, reaches a fresh
// container: the restore that started before the signature's time is
// found all the same.
func TestFastCallerClockDoesNotHideTheRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	send := func(h *handler.Handler, at time.Time) []intent.Result {
		headers := map[string]string{
			"x-restore-signature": handler.Sign(webhookSecret, at, []byte(body)),
			"idempotency-key":     "fast-clock-1",
		}
		ans, err := invokeWith(e, h, gatewayEvent(t, body, headers))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		return rs
	}
	fast := time.Now().Add(2 * time.Minute)
	exactlyOnce(t, e, [][]intent.Result{send(e.h, fast), send(freshHandler(e), fast.Add(30*time.Second))})
}

func TestIdempotencyKeyReusedWithAnotherBodyIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	send := func(body string) (int, intent.Result) {
		h := signed(body)
		h["idempotency-key"] = "same-key"
		resp, rs := e.gateway(gatewayEvent(t, body, h))
		return resp.StatusCode, onlyResult(t, rs)
	}
	if status, r := send(`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`); status != 202 || r.Status != intent.Accepted {
		t.Fatalf("first: %d %+v", status, r)
	}
	status, r := send(`{"instanceId":"crs-1amp2588","backupId":"latest"}`)
	if status != 409 || r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "IdempotencyKeyReused" {
		t.Fatalf("same key, other body: %d %+v %+v", status, r, r.Error)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want 1", n)
	}
}

// RestoreInstance starts the restore but its answer is unusable or late:
// the function finds the task and reports it accepted, never failed, and
// never calls RestoreInstance again.
func TestUnclearAnswerAfterCommitIsResolvedFromTheTaskList(t *testing.T) {
	t.Parallel()
	cases := map[string]cloudemu.Fault{
		"no TaskId":                    {Body: `{"Response":{"RequestId":"r1"}}`},
		"TaskId null":                  {Body: `{"Response":{"TaskId":null,"RequestId":"r1"}}`},
		"TaskId zero":                  {Body: `{"Response":{"TaskId":0,"RequestId":"r1"}}`},
		"FailedOperation after commit": {Code: "FailedOperation.Unknown", AfterCommit: true},
		"answer after the timeout":     {Late: 4 * time.Second},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			realistic(e)
			e.timeout = 3 * time.Second
			e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{f}})
			start := time.Now()
			body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
			resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
			if took := time.Since(start); took >= e.timeout {
				t.Errorf("answered after %s, past the deadline", took)
			}
			r := onlyResult(t, rs)
			calls := e.emu.RestoreCalls()
			if len(calls) != 1 || e.emu.Calls("RestoreInstance") != 1 {
				t.Fatalf("%d restores in %d calls", len(calls), e.emu.Calls("RestoreInstance"))
			}
			if r.Status != intent.Accepted || r.TaskID != calls[0].TaskID || resp.StatusCode != 202 {
				t.Fatalf("%d %+v %+v, want accepted task %d", resp.StatusCode, r, r.Error, calls[0].TaskID)
			}
			if m := e.messages(); len(m) != 1 || m[0].Type != intent.EventTypePrefix+"accepted" || m[0].Data.TaskID != r.TaskID {
				t.Errorf("messages %+v", m)
			}
		})
	}
}

// An answer that never comes, for a call that never reached the cloud,
// leaves the outcome unknown: the webhook caller gets 504 and no failed
// message goes out; its retry with the same key restores exactly once.
func TestUnknownOutcomeIsSaidAndTheRetryResolvesIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 2 * time.Second
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Delay: 3 * time.Second}}})
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	send := func() (int, intent.Result) {
		h := signed(body)
		h["idempotency-key"] = "unknown-1"
		resp, rs := e.gateway(gatewayEvent(t, body, h))
		return resp.StatusCode, onlyResult(t, rs)
	}
	status, r := send()
	if status != 504 || r.Status != intent.Unknown {
		t.Fatalf("first: %d %+v %+v, want 504 unknown", status, r, r.Error)
	}
	for _, m := range e.messages() {
		if m.Type == intent.EventTypePrefix+"failed" {
			t.Errorf("a failed message for a restore whose outcome is unknown: %+v", m)
		}
	}
	e.timeout = 10 * time.Second
	status, r = send()
	if status != 202 || r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("retry: %d %+v, %d restores", status, r, len(e.emu.RestoreCalls()))
	}
}

// Settings that are present but unusable stop the function with the
// setting's name; they never widen what is allowed. A webhook caller
// learns nothing of them: 401 before authentication, a generic 500 after.
func TestBlankSettingsFailClosed(t *testing.T) {
	t.Parallel()
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	for name, val := range map[string]string{
		"RESTORE_ALLOWED_INSTANCES": " , ",
		"RESTORE_ALARM_POLICIES":    ",",
		"TENCENTCLOUD_REGION":       "Guangzhou",
		"TENCENTCLOUD_ENDPOINT_URL": "http://user:hunter2@", // a password must not reach a caller
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.vars[name] = val
			resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
			r := onlyResult(t, rs)
			if resp.StatusCode != 500 || r.Status != intent.Failed || r.Error == nil {
				t.Fatalf("%d %+v", resp.StatusCode, r)
			}
			if strings.Contains(resp.Body, name) || strings.Contains(resp.Body, "hunter2") {
				t.Errorf("the answer tells the configuration: %s", resp.Body)
			}
			if !strings.Contains(e.logs.String(), name) {
				t.Errorf("the log does not name %s", name)
			}
			if len(e.emu.RestoreCalls()) != 0 {
				t.Error("restored despite the configuration")
			}
			// Unauthenticated, the same call learns only that.
			resp, _ = e.gateway(gatewayEvent(t, body, nil))
			if resp.StatusCode != 401 || strings.Contains(resp.Body, name) || strings.Contains(resp.Body, "hunter2") {
				t.Errorf("unauthenticated: %d %s", resp.StatusCode, resp.Body)
			}
		})
	}
	for name, val := range map[string]string{
		"RESTORE_WEBHOOK_SECRET":     "   ",
		"RESTORE_WEBHOOK_BASIC_AUTH": ":",
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.vars[name] = val
			// The caller proves itself with the blank setting itself: a
			// signature made with the blank secret, basic auth ":".
			h := signed(body)
			if name == "RESTORE_WEBHOOK_SECRET" {
				h["x-restore-signature"] = handler.Sign(val, time.Now(), []byte(body))
			}
			h["authorization"] = "Basic Og==" // ":"
			resp, rs := e.gateway(gatewayEvent(t, body, h))
			if r := onlyResult(t, rs); resp.StatusCode != 401 || r.Status != intent.Failed || r.Error == nil ||
				errCode(r.Error) != "Unauthenticated" || strings.Contains(resp.Body, name) {
				t.Errorf("webhook: %d %s", resp.StatusCode, resp.Body)
			}
			if n := len(e.emu.RestoreCalls()); n != 0 {
				t.Fatalf("%d restores through a webhook authenticated by a blank %s", n, name)
			}
			// Any other trigger's restore stops with the setting named.
			r := onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)))
			if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidConfiguration" || !strings.Contains(errMessage(r.Error), name) {
				t.Errorf("timer: %+v %+v, want failed InvalidConfiguration naming %s", r, r.Error, name)
			}
			if n := len(e.emu.RestoreCalls()); n != 0 {
				t.Errorf("%d restores with a blank %s", n, name)
			}
			if !strings.Contains(e.logs.String(), name) {
				t.Errorf("logs lack %s", name)
			}
		})
	}
}

// A configuration or role failure is an outcome like any other: its failed
// message reaches the queue, with the same fields.
func TestSetupFailuresAreReportedOnTheQueue(t *testing.T) {
	t.Parallel()
	for name, setup := range map[string]func(e *env){
		"configuration": func(e *env) { e.vars["RESTORE_ALLOWED_INSTANCES"] = " , " },
		"AssumeRole":    func(e *env) { e.vars["RESTORE_ROLE_ARN"] = "qcs::cam::uin/100000000001:roleName/NoSuchRole" },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			setup(e)
			rs := e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`))
			r := onlyResult(t, rs)
			if r.Status != intent.Failed || len(e.emu.RestoreCalls()) != 0 {
				t.Fatalf("%+v", r)
			}
			m := e.messages()
			if len(m) != 1 || m[0].Type != intent.EventTypePrefix+"failed" || m[0].Data.InstanceID != "crs-5a4py64p" ||
				m[0].Data.Trigger != "timer" || m[0].Data.Error == nil || errCode(m[0].Data.Error) != errCode(r.Error) {
				t.Errorf("messages %+v", m)
			}
		})
	}
}

func TestStrictBoundedInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	cases := map[string]struct {
		payload []byte
		field   string
	}{
		"alarm key twice":       {[]byte(strings.Replace(alarm, `"alarmStatus": "1",`, `"alarmStatus": "0", "alarmStatus": "1",`, 1)), "alarmStatus"},
		"alarm key two cases":   {[]byte(strings.Replace(alarm, `"alarmStatus": "1",`, `"alarmStatus": "1", "AlarmStatus": "0",`, 1)), "AlarmStatus"},
		"nested dimension case": {[]byte(strings.Replace(alarm, `"objId": "crs-5a4py64p",`, `"objId": "crs-5a4py64p", "OBJID": "crs-1amp2588",`, 1)), "alarmObjInfo.dimensions.OBJID"},
		"nested 10000 deep":     {[]byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), ""},
		"alarm in CMQ nested":   {cmqEvent(t, `{"restores":`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`}`), ""},
	}
	for name, c := range cases {
		ans, err := e.invoke(c.payload)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		rs, _ := decodeAnswer(t, ans)
		r := onlyResult(t, rs)
		if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidRequest" || !strings.Contains(errMessage(r.Error), c.field) {
			t.Errorf("%s: %+v %+v", name, r, r.Error)
		}
	}
	if len(e.emu.RestoreCalls()) != 0 || e.emu.Calls("DescribeTaskList") != 0 {
		t.Error("bad input reached the cloud")
	}
	if !strings.Contains(e.logs.String(), "nested deeper than") {
		t.Error("the nesting refusal was not logged")
	}
}

// The SCF library decodes the payload before the handler sees it unless
// the function takes raw bytes: a payload nested 10,000 deep must still
// get an answer, through the same entry point SCF calls.
func TestRPCEntryAnswersAPayloadTooDeepForTheDecoder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out, err := handler.RPC{Handler: e.h}.Invoke(t.Context(), []byte(strings.Repeat("[", 10001)+strings.Repeat("]", 10001)))
	if err != nil {
		t.Fatal(err)
	}
	var resp handler.Response
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.Results) != 1 || resp.Results[0].Error == nil || errCode(resp.Results[0].Error) != "InvalidRequest" {
		t.Fatalf("answer %s: %v", out, err)
	}
}

// However many records a batch holds (CKafka's maxMsgNum and an
// EventBridge batch go up to 10,000), one invocation starts at most
// MaxRestores restores: the rest are refused by name.
func TestBatchesAreCappedAtMaxRestores(t *testing.T) {
	t.Parallel()
	var bodies []string
	var evs []map[string]any
	for i := 0; i < 101; i++ {
		body := fmt.Sprintf(`{"instanceId":"crs-cap%05d","backupId":"latest","dryRun":true}`, i)
		bodies = append(bodies, body)
		evs = append(evs, map[string]any{"specversion": "1.0", "id": fmt.Sprintf("ev-%d", i), "source": "ops",
			"type": "com.tencentcloud.redis.restore.requested", "data": json.RawMessage(body)})
	}
	for name, ev := range map[string][]byte{
		"CMQ":         cmqEvent(t, bodies...),
		"CKafka":      ckafkaEvent(t, 0, bodies...),
		"EventBridge": mustJSON(t, map[string]any{"EventList": evs}),
	} {
		t.Run(name, func(t *testing.T) {
			rs := newEnv(t).results(ev)
			if len(rs) != 101 || rs[100].Status != intent.Failed || !strings.Contains(errMessage(rs[100].Error), "more than 100 restores in one "+name) {
				t.Fatalf("%d results, last %+v %+v", len(rs), rs[len(rs)-1], rs[len(rs)-1].Error)
			}
			if rs[99].Error != nil && strings.Contains(errMessage(rs[99].Error), "more than") {
				t.Errorf("the 100th restore was refused by the cap: %+v", rs[99].Error)
			}
		})
	}
}

// A timer event without Time is keyed by its firing: a firing ten minutes
// after the last restore restores (the earlier restore is not its own),
// and the same firing delivered again does not.
func TestTimerWithoutTimeIsKeyedByItsFiring(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The previous firing's restore, ten minutes ago.
	e.emu.AddTask(cloudemu.Task{InstanceID: "crs-5a4py64p", Type: "010", StartTime: time.Now().Add(-10 * time.Minute), Duration: time.Minute})
	ev := []byte(`{"Type":"Timer","TriggerName":"nightly","Message":"{\"instanceId\":\"crs-5a4py64p\",\"backupId\":\"678362566696298532848117\"}"}`)
	first := onlyResult(t, e.results(ev))
	if first.Status != intent.Accepted {
		t.Fatalf("this firing: %+v %+v", first, first.Error)
	}
	for _, h := range []*handler.Handler{e.h, freshHandler(e)} {
		ans, err := invokeWith(e, h, ev)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		if r := onlyResult(t, rs); r.Status != intent.Duplicate || r.TaskID != first.TaskID {
			t.Errorf("the same firing again: %+v", r)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want 1", n)
	}
}

// The nesting bound is 32 levels, counted over the whole event: an alarm
// carrying an extra field that brings it to 32 levels is read as usual, one
// level more is refused with the bound in the result, before the cloud.
func TestNestingBoundIs32Levels(t *testing.T) {
	t.Parallel()
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	nested := func(depth int) []byte { // the alarm's own object is the first level
		return []byte(strings.Replace(alarm, "{", `{"extra":`+strings.Repeat("[", depth-1)+strings.Repeat("]", depth-1)+",", 1))
	}
	e := newEnv(t)
	e.vars["RESTORE_DRY_RUN"] = "true"
	if r := onlyResult(t, e.results(nested(32))); r.Status != intent.DryRun || r.BackupID != backupBeforeTheAlarms {
		t.Errorf("32 levels: %+v %+v, want the alarm's dry run", r, r.Error)
	}
	before := e.apiCalls()
	r := onlyResult(t, e.results(nested(33)))
	if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidRequest" || !strings.Contains(errMessage(r.Error), "nested deeper than 32 levels") {
		t.Errorf("33 levels: %+v %+v, want refused for its nesting", r, r.Error)
	}
	if n := e.apiCalls() - before; n != 0 {
		t.Errorf("33 levels: %d API calls", n)
	}
}
