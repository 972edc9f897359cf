package fleet

import (
	"errors"
	"testing"
	"time"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

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
