package handler_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// SCF retries a failed timer invocation, possibly in a fresh container: the
// retry must not restore again.
func TestRedeliveredTimerRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ev := timerEvent(t, time.Now().Add(-2*time.Second), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)
	first := onlyResult(t, e.results(ev))
	fresh := *e.h
	fresh.Memory = restore.NewMemory(time.Hour, 10) // a new container remembers nothing
	e.h = &fresh
	again := onlyResult(t, e.results(ev))
	if first.Status != intent.Accepted || again.Status != intent.Duplicate || again.TaskID != first.TaskID {
		t.Fatalf("first %+v again %+v", first, again)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores", n)
	}
	if !strings.Contains(again.Reason, "started at") {
		t.Errorf("duplicate without a reason: %q", again.Reason)
	}
}

// A restore whose answer is lost (the connection drops after the cloud
// started it) is found in the task list, not started again.
func TestLostAnswerIsNotRestoredTwice(t *testing.T) {
	t.Parallel()
	for _, f := range []cloudemu.Fault{{Reset: true, AfterCommit: true}, {Code: "InternalError", AfterCommit: true}, {HTTPStatus: 502, AfterCommit: true}} {
		e := newEnv(t)
		e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{f}})
		r := onlyResult(t, e.results(fixture(t, "timer.json")))
		calls := e.emu.RestoreCalls()
		if len(calls) != 1 || r.Status != intent.Accepted || r.TaskID != calls[0].TaskID {
			t.Fatalf("fault %+v: result %+v, restores %+v", f, r, calls)
		}
		if m := e.messages(); len(m) != 1 || m[0].Data.TaskID != r.TaskID {
			t.Fatalf("fault %+v: messages %+v", f, m)
		}
	}
}

// When the queue refuses the message until the deadline, the TaskId is in
// the result and an ERROR line, the invocation fails so that SCF retries,
// and the retry restores nothing but sends the message.
func TestUndeliveredTaskIdFailsTheInvocationAndTheRetryDeliversIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
	ev := fixture(t, "timer.json")
	_, err := e.invoke(ev)
	calls := e.emu.RestoreCalls()
	if err == nil || len(calls) != 1 {
		t.Fatalf("err %v, restores %d", err, len(calls))
	}
	want := []string{"could not be put on the queue", `"taskId":` + itoa(calls[0].TaskID)}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if !strings.Contains(e.logs.String(), `"level":"ERROR","msg":"outcome.undelivered"`) || !strings.Contains(e.logs.String(), `"detail":"TaskId NOT delivered`) || !strings.Contains(e.logs.String(), `"taskId":`+itoa(calls[0].TaskID)) {
		t.Errorf("no ERROR line with the TaskId in the logs")
	}

	// The platform's retry, in the same warm container.
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{})
	r := onlyResult(t, e.results(ev))
	if r.Status != intent.Duplicate || r.TaskID != calls[0].TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("retry: %+v, restores %d", r, len(e.emu.RestoreCalls()))
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.TaskID != calls[0].TaskID || m[0].Type != "com.tencentcloud.redis.restore.accepted" {
		t.Fatalf("messages after the retry: %+v", m)
	}
}

func TestTransientFailureOfTimerFailsTheInvocationForARetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "RequestLimitExceeded"}}})
	_, err := e.invoke(fixture(t, "timer.json"))
	failsForARetry(t, err)
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores", n)
	}
}

func TestLockedInstanceIsRetriedBrieflyThenRestored(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Long enough for two pauses on a loaded machine: the third call
	// succeeds, so the test takes no longer.
	e.vars["RESTORE_LOCK_RETRY"] = "5s"
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{
		{Code: "ResourceUnavailable.InstanceLockedError"}, {Code: "ResourceUnavailable.BackupLockedError"},
	}})
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Accepted || e.emu.Calls("RestoreInstance") != 3 {
		t.Fatalf("result %+v after %d calls", r, e.emu.Calls("RestoreInstance"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// SCF cuts an invocation off at its deadline: the function must answer
// before it, saying what happened, even when the cloud hangs. A restore
// whose answer never came may have started: it is reported unknown (not
// failed), and the invocation fails so that the platform retries it.
func TestAnswerComesBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 2 * time.Second
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Delay: 2500 * time.Millisecond}}})
	start := time.Now()
	_, err := e.invoke([]byte(`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`))
	if took := time.Since(start); took >= e.timeout {
		t.Errorf("answered after %s, past the %s deadline", took, e.timeout)
	}
	if err == nil {
		t.Fatal("an unknown outcome must fail the invocation, so that the platform retries it")
	}
	r := onlyResult(t, resultsFromError(t, err))
	if r.Status != intent.Unknown || r.Error == nil || errCode(r.Error) != "DeadlineExceeded" {
		t.Fatalf("result %+v %+v", r, r.Error)
	}
	if m := e.messages(); len(m) != 1 || m[0].Type != "com.tencentcloud.redis.restore.unknown" {
		t.Errorf("the unknown outcome was not reported on the queue: %+v", m)
	}
}

// Two requests for the same instance in one CMQ batch (two messages, each
// asking for a restore): they run in turn, and the second finds the
// first's restore instead of restoring again.
func TestSameInstanceTwiceInABatchRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.h.Concurrency = 8
	req := `{"instanceId":"crs-1amp2588","backupId":"latest"}`
	rs := e.results(cmqEvent(t, req, req, req))
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores of one instance: %+v", n, rs)
	}
	if rs[0].Status != intent.Accepted || rs[1].Status != intent.Duplicate || rs[2].Status != intent.Duplicate {
		t.Fatalf("results %+v", rs)
	}
}

// A queue (or topic) that fails once and then recovers still gets the
// outcome: the message is sent again, the restore is not started again, and
// the invocation succeeds. The fault kinds are those where nothing reached
// the queue, so exactly one message is there in the end.
func TestOutcomeMessageIsSentAgainAfterAQueueFault(t *testing.T) {
	t.Parallel()
	faults := map[string]cloudemu.Fault{
		"InternalError": {Code: "InternalError"}, "503": {HTTPStatus: 503}, "reset": {Reset: true},
		"RequestLimitExceeded": {Code: "RequestLimitExceeded"},
	}
	for _, out := range []struct{ action, setting string }{{"SendCmqMsg", "RESTORE_QUEUE"}, {"PublishCmqMsg", "RESTORE_TOPIC"}} {
		for fname, f := range faults {
			t.Run(out.action+" "+fname, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t)
				name := e.demo.Queue
				if out.setting == "RESTORE_TOPIC" {
					delete(e.vars, "RESTORE_QUEUE")
					e.vars["RESTORE_TOPIC"] = e.demo.Topic
					name = e.demo.Topic
				}
				e.emu.SetFaults(out.action, cloudemu.Faults{Sequence: []cloudemu.Fault{f}})
				ans, err := e.invoke(fixture(t, "timer.json"))
				if err != nil {
					t.Fatalf("invocation failed after one queue fault: %v", err)
				}
				rs, _ := decodeAnswer(t, ans)
				r := onlyResult(t, rs)
				calls := e.emu.RestoreCalls()
				if len(calls) != 1 || r.Status != intent.Accepted || r.TaskID != calls[0].TaskID || r.MessageID == "" || r.Undelivered {
					t.Fatalf("result %+v, restores %+v", r, calls)
				}
				if n := e.emu.Calls(out.action); n != 2 {
					t.Errorf("%s called %d times, want 2 (one fault, one success)", out.action, n)
				}
				msgs := e.emu.Messages(name)
				if len(msgs) != 1 || !strings.Contains(msgs[0].Body, `"taskId":`+itoa(r.TaskID)) {
					t.Errorf("messages on %s: %+v, want one with task %d", name, msgs, r.TaskID)
				}
			})
		}
	}
}

// failsForARetry checks the error of an invocation whose RestoreInstance is
// throttled until its deadline: the invocation fails so that the platform
// retries it. Its kind is transient, unless the last throttled attempt was
// itself cut off by the deadline (on a loaded machine a call can take more
// than the 100 ms the last attempt is given): then whether the restore
// started is unknown, which is retried too. TestErrorClassesGiveFailedResults-
// AndGatewayStatuses, run alone, holds the kind to transient.
func failsForARetry(t *testing.T, err error) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatal("the invocation succeeded: the platform would not retry it")
	case strings.Contains(err.Error(), "transient"):
	case strings.Contains(err.Error(), "is unknown: retry the event") && strings.Contains(err.Error(), "DeadlineExceeded"):
		t.Logf("the last throttled attempt was cut off by the deadline: %v", err)
	default:
		t.Fatalf("err %v, want a transient failure", err)
	}
}
