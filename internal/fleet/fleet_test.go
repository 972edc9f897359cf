package fleet

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/scfdriver"
)

// The fleet's verdicts are only as good as its reading of the answers and
// the queue: a TaskId missing from the queue is counted, a failed
// invocation is one the platform would deliver again.
func TestUndeliveredCountsTaskIdsMissingFromTheQueue(t *testing.T) {
	calls := []cloudemu.RestoreCall{{InstanceID: "crs-1", TaskID: 11}, {InstanceID: "crs-2", TaskID: 12}, {InstanceID: "crs-3", TaskID: 13}}
	msgs := []cloudemu.Message{
		{Body: `{"type":"com.tencentcloud.redis.restore.accepted","data":{"taskId":11,"instanceId":"crs-1"}}`},
		{Body: `{"data":{"taskId":13}}`},
		{Body: `not json`},
	}
	if n := undelivered(calls, msgs); n != 1 {
		t.Fatalf("undelivered = %d, want 1 (task 12)", n)
	}
}

func TestOutcomeReadsResultsAndRetries(t *testing.T) {
	for _, c := range []struct {
		name          string
		r             *scfdriver.Result
		status, retry string
	}{
		{"accepted", &scfdriver.Result{Payload: []byte(`{"results":[{"status":"accepted"}]}`)}, "accepted", ""},
		{"a retry with its results", &scfdriver.Result{Error: &messages.InvokeResponse_Error{Message: `TaskId not delivered: {"results":[{"status":"unknown"}]}`}}, "unknown", `TaskId not delivered: {"results":[{"status":"unknown"}]}`},
		{"a retry without results", &scfdriver.Result{Error: &messages.InvokeResponse_Error{Message: "panic"}}, "error", "panic"},
		{"two results for one alarm", &scfdriver.Result{Payload: []byte(`{"results":[{"status":"accepted"},{"status":"accepted"}]}`)}, "error", ""},
	} {
		status, retry := outcome(c.r, nil)
		if status != c.status || (retry != "") != (c.retry != "") {
			t.Errorf("%s: status %q, retry %q; want %q, %q", c.name, status, retry, c.status, c.retry)
		}
	}
	if _, retry := outcome(nil, errTimeout); retry == "" {
		t.Error("an invocation that failed to return is not delivered again")
	}
}

var errTimeout = errors.New("invoke: no answer after the deadline")

func TestFloorIsTheInstancesAtTwentyASecond(t *testing.T) {
	r := Result{Instances: 1000, LastAccepted: 55 * time.Second}
	if r.Floor() != 50*time.Second || r.Ratio() != 1.1 {
		t.Fatalf("floor %s, ratio %v; want 50s, 1.1", r.Floor(), r.Ratio())
	}
}

// The sweep's event is the timer's: a TimerEvent the function reads, at
// the second it fired, carrying the sweep's argument.
func TestSweepTimerIsATimerEventAtItsTime(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 7, 0, time.UTC)
	var ev events.TimerEvent
	if err := json.Unmarshal(sweepTimer(at), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "Timer" || !ev.Time.Equal(at) || ev.Message != `{"sweep":true}` {
		t.Fatalf("timer event %+v; want Type Timer, Time %s, Message {\"sweep\":true}", ev, at)
	}
}

func TestSafetyTargetAddsTheBackupAndOneSweepPeriod(t *testing.T) {
	r := Result{Instances: 100, Safety: &SafetyResult{Backup: 2 * time.Second, SweepEvery: time.Second}}
	if got, want := r.SafetyTarget(), 5750*time.Millisecond+3*time.Second; got != want {
		t.Fatalf("target %s, want %s (1.15 x 5 s + 2 s + 1 s)", got, want)
	}
	if (Result{Instances: 100}).SafetyTarget() != 0 {
		t.Fatal("a run with safety backups off has a safety target")
	}
}
