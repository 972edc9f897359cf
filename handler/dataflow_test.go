package handler_test

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// Through the data flow (RESTORE_QUEUE_API=dataflow), the outcome is sent
// as through the cloud API: the emit's retries carry it past a throttled
// send, a gateway's error page and a lost answer, and every copy on the
// queue carries the TaskId and one id.
func TestDataflowOutcomeSurvivesTransientFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_QUEUE_API"] = "dataflow"
	e.emu.SetFaults("SendMessage", cloudemu.Faults{Sequence: []cloudemu.Fault{
		{Code: "4420"}, {HTTPStatus: 502}, {Reset: true, AfterCommit: true},
	}})
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Accepted || r.MessageID == "" {
		t.Fatalf("result %+v, want accepted with a message id", r)
	}
	msgs := e.messages()
	if len(msgs) == 0 || len(msgs) > 2 {
		t.Fatalf("%d messages, want the outcome once, or twice after the lost answer", len(msgs))
	}
	for _, m := range msgs {
		if m.ID != msgs[0].ID || m.Data.TaskID != r.TaskID {
			t.Errorf("message %+v, want id %s and TaskId %d", m, msgs[0].ID, r.TaskID)
		}
	}
	if n := e.emu.Calls("SendMessage"); n != 4 {
		t.Errorf("SendMessage called %d times, want 4 (three faults, then the send)", n)
	}
	if n := e.emu.Calls("SendCmqMsg"); n != 0 {
		t.Errorf("SendCmqMsg called %d times through the data flow", n)
	}
}

// A data flow that refuses the send until the deadline: the invocation
// fails with the TaskId so that SCF retries, and the retry restores
// nothing and delivers it.
func TestDataflowUndeliveredTaskIdFailsTheInvocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.vars["RESTORE_QUEUE_API"] = "dataflow"
	e.emu.SetFaults("SendMessage", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "4420"}}})
	ev := fixture(t, "timer.json")
	_, err := e.invoke(ev)
	calls := e.emu.RestoreCalls()
	if err == nil || len(calls) != 1 || !strings.Contains(err.Error(), `"taskId":`+itoa(calls[0].TaskID)) {
		t.Fatalf("err %v, restores %d: want a failed invocation naming the TaskId", err, len(calls))
	}
	e.emu.SetFaults("SendMessage", cloudemu.Faults{})
	r := onlyResult(t, e.results(ev))
	if r.Status != intent.Duplicate || r.TaskID != calls[0].TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("retry: %+v, restores %d", r, len(e.emu.RestoreCalls()))
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.TaskID != calls[0].TaskID {
		t.Fatalf("messages after the retry: %+v", m)
	}
}
