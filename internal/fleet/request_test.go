package fleet

import (
	"fmt"
	"testing"

	"github.com/tencentyun/scf-go-lib/cloudfunction/messages"

	"redis-restore/internal/scfdriver"
)

// The request's answer decides whether it is sent again: an accepted
// fleet is not; a fleet whose hand-out failed comes back as the
// function's error, with its results, and is; anything else is an error.
func TestReadFleetAnswerSaysWhenToSendAgain(t *testing.T) {
	fleetResult := `{"results":[{"status":"%s","fleetId":"fleet-1","fleet":{"id":"fleet-1","status":"accepted","members":[{"instanceId":"crs-a"},{"instanceId":"crs-b"}]}%s}]}`
	for _, c := range []struct {
		name       string
		r          *scfdriver.Result
		again, err bool
		members    int
	}{
		{"accepted", &scfdriver.Result{Payload: []byte(fmt.Sprintf(fleetResult, "accepted", ""))}, false, false, 2},
		{"hand-out failed", &scfdriver.Result{Error: &messages.InvokeResponse_Error{Message: "retry: " + fmt.Sprintf(fleetResult, "unknown", `,"error":{"code":"FleetHandOutFailed","message":"1 member"}`)}}, true, true, 2},
		{"held", &scfdriver.Result{Payload: []byte(fmt.Sprintf(fleetResult, "skipped", `,"error":{"code":"BudgetExceeded","message":"spent"}`))}, false, true, 2},
		{"not a fleet", &scfdriver.Result{Payload: []byte(`{"results":[{"status":"accepted"}]}`)}, false, true, 0},
		{"a panic", &scfdriver.Result{Error: &messages.InvokeResponse_Error{Message: "panic"}}, true, true, 0},
	} {
		a, again, err := readFleetAnswer(c.r)
		if again != c.again || (err != nil) != c.err || a.Members != c.members {
			t.Errorf("%s: again %v, err %v, members %d; want %v, error %v, %d", c.name, again, err, a.Members, c.again, c.err, c.members)
		}
	}
}

func TestFleetMessagesAreReadAndOthersAreNot(t *testing.T) {
	m, ok := readFleetMessage(`{"id":"p1","type":"com.tencentcloud.redis.restore.fleet.progress","data":{"fleetId":"fleet-1","step":3,"counts":{"total":5,"accepted":1,"running":1,"done":2,"failed":1}}}`)
	if !ok || m.Type != "fleet.progress" || m.FleetID != "fleet-1" || m.Step != 3 || m.Counts != (Counts{Total: 5, Accepted: 1, Running: 1, Done: 2, Failed: 1}) {
		t.Errorf("progress: %+v, %v", m, ok)
	}
	// A fleet that ended at its request counts its members in "total".
	if m, ok := readFleetMessage(`{"id":"c1","type":"com.tencentcloud.redis.restore.fleet.completed","data":{"status":"skipped","total":3}}`); !ok || m.Counts.Total != 3 || m.Status != "skipped" {
		t.Errorf("completed at the request: %+v, %v", m, ok)
	}
	for _, body := range []string{`{"type":"com.tencentcloud.redis.restore.accepted","data":{}}`, `not json`} {
		if _, ok := readFleetMessage(body); ok {
			t.Errorf("%s read as a fleet's message", body)
		}
	}
}

func TestAsyncOutcomeReadsEachMembersStatus(t *testing.T) {
	got, err := asyncOutcome(&scfdriver.Result{Payload: []byte(`{"results":[{"instanceId":"crs-a","status":"accepted"},{"instanceId":"crs-b","status":"duplicate"}]}`)}, nil)
	if err != nil || got["crs-a"] != "accepted" || got["crs-b"] != "duplicate" {
		t.Errorf("%v, %v", got, err)
	}
	got, err = asyncOutcome(&scfdriver.Result{Error: &messages.InvokeResponse_Error{Message: `not delivered: {"results":[{"instanceId":"crs-a","status":"unknown"}]}`}}, nil)
	if err == nil || got["crs-a"] != "unknown" {
		t.Errorf("a failed hand-off: %v, %v; want its statuses and an error, so that it is tried again", got, err)
	}
}
