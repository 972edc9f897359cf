package cloudemu_test

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/cloudemu"
)

func TestFaultSequence(t *testing.T) {
	v := newEnv(t)
	v.e.SetFaults("DescribeTaskList", cloudemu.Faults{Sequence: []cloudemu.Fault{
		{Code: "InternalError"}, {}, {HTTPStatus: 503}, {Reset: true}, {Code: "RequestLimitExceeded"},
	}})
	list := func() error {
		_, err := v.demoRedis().DescribeTaskList(redis.NewDescribeTaskListRequest())
		return err
	}
	wantCode(t, list(), "InternalError")
	wantCode(t, list(), "")
	// A plain-text 503 is unreadable JSON to the SDK before it looks at the status.
	wantCode(t, list(), "ClientError.ParseJsonError")
	wantCode(t, list(), "ClientError.NetworkError")
	wantCode(t, list(), "RequestLimitExceeded")
	wantCode(t, list(), "")
	if n := v.e.FaultsInjected(); n != 4 {
		t.Fatalf("FaultsInjected = %d, want 4", n)
	}
	if n := v.e.Calls("DescribeTaskList"); n != 6 {
		t.Fatalf("Calls = %d, want 6", n)
	}
}

func TestFaultAfterCommit(t *testing.T) {
	v := newEnv(t)
	v.e.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{
		{AfterCommit: true, Code: "InternalError"}, {}, {AfterCommit: true},
	}})
	_, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	wantCode(t, err, "InternalError")
	if calls := v.e.RestoreCalls(); len(calls) != 1 {
		t.Fatalf("lost answer: %d restores started, want 1", len(calls))
	}
	// A blind retry meets the restore it started.
	_, err = v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	wantCode(t, err, "ResourceUnavailable.InstanceLockedError")

	v.clock.Advance(5 * time.Second)
	_, err = v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	wantCode(t, err, "ClientError.NetworkError")
	if calls := v.e.RestoreCalls(); len(calls) != 2 {
		t.Fatalf("%d restores started, want 2", len(calls))
	}
}

func TestFaultBeforeCommitDoesNothing(t *testing.T) {
	v := newEnv(t)
	v.e.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true}, {HTTPStatus: 502}}})
	for range 2 {
		if _, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password); err == nil {
			t.Fatal("fault did not fail the call")
		}
	}
	if n := len(v.e.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores started by failed requests", n)
	}
}

// faultPattern sends unauthenticated requests: faults come before
// authentication, so a fault shows as its code and no fault as an auth error.
func faultPattern(t *testing.T, seed int64, n int) []string {
	e := cloudemu.New(cloudemu.Options{Seed: seed})
	e.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 0.5, Kinds: []cloudemu.Fault{{Code: "InternalError"}, {Code: "FailedOperation.SystemError"}}})
	var out []string
	for range n {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("X-TC-Action", "RestoreInstance")
		out = append(out, errCode(serve(t, e, r)))
	}
	return out
}

func TestFaultRateIsSeeded(t *testing.T) {
	a, b := faultPattern(t, 42, 40), faultPattern(t, 42, 40)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	counts := map[string]int{}
	for _, c := range a {
		counts[c]++
	}
	if counts["InternalError"] == 0 || counts["FailedOperation.SystemError"] == 0 || counts["AuthFailure.InvalidAuthorization"] == 0 {
		t.Fatalf("rate 0.5 over 40 requests gave %v", counts)
	}
}

func TestFaultDelay(t *testing.T) {
	v := newEnv(t)
	v.e.SetFaults("DescribeTaskList", cloudemu.Faults{Sequence: []cloudemu.Fault{{Delay: 30 * time.Millisecond}}})
	start := time.Now()
	if _, err := v.demoRedis().DescribeTaskList(redis.NewDescribeTaskListRequest()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("answered after %s", d)
	}
}

func TestRateLimit(t *testing.T) {
	v := newEnv(t)
	v.e.SetRateLimit("DescribeTaskInfo", 2)
	c := v.demoRedis()
	info := func() error {
		req := redis.NewDescribeTaskInfoRequest()
		req.TaskId = common.Uint64Ptr(1)
		_, err := c.DescribeTaskInfo(req)
		return err
	}
	wantCode(t, info(), "InvalidParameter.InvalidParameter")
	wantCode(t, info(), "InvalidParameter.InvalidParameter")
	wantCode(t, info(), "RequestLimitExceeded")
	v.clock.Advance(time.Second)
	wantCode(t, info(), "InvalidParameter.InvalidParameter")
	v.e.SetRateLimit("DescribeTaskInfo", 0)
	for range 5 {
		wantCode(t, info(), "InvalidParameter.InvalidParameter")
	}
}

func TestParseFaults(t *testing.T) {
	got, err := cloudemu.ParseFaults("RestoreInstance=0.3:RequestLimitExceeded,InternalError,reset,503; SendCmqMsg=1:delay=20ms,after:InternalError,lost")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]cloudemu.Faults{
		"RestoreInstance": {Rate: 0.3, Kinds: []cloudemu.Fault{{Code: "RequestLimitExceeded"}, {Code: "InternalError"}, {Reset: true}, {HTTPStatus: 503}}},
		"SendCmqMsg":      {Rate: 1, Kinds: []cloudemu.Fault{{Delay: 20 * time.Millisecond}, {Code: "InternalError", AfterCommit: true}, {AfterCommit: true}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"RestoreInstance", "RestoreInstance=2:InternalError", "X=0.1:", "X=0.1:99", "X=0.1:no spaces", "X=0.1:delay=soon"} {
		if _, err := cloudemu.ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) accepted", bad)
		}
	}
	limits, err := cloudemu.ParseRateLimits("RestoreInstance=20, SendCmqMsg=10")
	if err != nil || !reflect.DeepEqual(limits, map[string]int{"RestoreInstance": 20, "SendCmqMsg": 10}) {
		t.Fatalf("ParseRateLimits: %v %v", limits, err)
	}
	if _, err := cloudemu.ParseRateLimits("RestoreInstance"); err == nil {
		t.Fatal("ParseRateLimits accepted a bare action")
	}
}

// Every injected fault is recorded with its action, its kind and the
// request's body; requests let through are not.
func TestInjectedFaultsAreRecorded(t *testing.T) {
	v := newEnv(t)
	v.e.SetFaults("DescribeTaskList", cloudemu.Faults{Sequence: []cloudemu.Fault{{}, {Code: "InternalError"}, {HTTPStatus: 503}}})
	for range 4 {
		req := redis.NewDescribeTaskListRequest()
		req.InstanceId = common.StringPtr(v.d.InstanceID)
		_, _ = v.demoRedis().DescribeTaskList(req)
	}
	got := v.e.InjectedFaults()
	if len(got) != 2 || got[0].Action != "DescribeTaskList" || got[0].Fault.String() != "InternalError" || got[1].Fault.String() != "HTTP 503" ||
		!strings.Contains(got[0].Body, v.d.InstanceID) {
		t.Fatalf("injected faults %+v", got)
	}
	if v.e.FaultsInjected() != 2 || v.e.CallCounts()["DescribeTaskList"] != 4 {
		t.Fatalf("faults %d, calls %v", v.e.FaultsInjected(), v.e.CallCounts())
	}
}
