package cloudemu_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/cloudemu"
)

func (v *env) switchVIP(params map[string]any) (map[string]any, error) {
	return v.common("redis", "2018-04-12", "SwitchInstanceVip", params)
}

// Without data servers the addresses are made up, one per instance, and
// the switch swaps them all the same.
func TestSwitchInstanceVipSwapsAddressesWithoutData(t *testing.T) {
	v := newEnv(t)
	a, b := v.d.InstanceID, v.d.PasswordFreeInstanceID
	addrA, addrB := v.addr(a), v.addr(b)
	if addrA == addrB {
		t.Fatalf("two instances share the address %s", addrA)
	}
	resp, err := v.switchVIP(map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1})
	if err != nil {
		t.Fatal(err)
	}
	id := int64(resp["TaskId"].(float64))
	if v.addr(a) != addrA {
		t.Error("the addresses swapped before the task ended")
	}
	if st := v.endTask(id, 2*time.Second); st != "succeed" {
		t.Fatalf("switch task %s", st)
	}
	if v.addr(a) != addrB || v.addr(b) != addrA {
		t.Errorf("after the switch %s is at %s and %s at %s; want them swapped from %s, %s", a, v.addr(a), b, v.addr(b), addrA, addrB)
	}
	calls := v.e.Switches()
	if len(calls) != 1 || calls[0].SrcInstanceID != a || calls[0].DstInstanceID != b || calls[0].ForceSwitch != 1 || calls[0].TaskID != id {
		t.Errorf("Switches() = %+v", calls)
	}
}

// A switch that fails leaves the addresses where they were.
func TestFailedSwitchLeavesTheAddresses(t *testing.T) {
	v := newEnv(t)
	a, b := v.d.InstanceID, v.d.PasswordFreeInstanceID
	addrA := v.addr(a)
	v.e.FailNextTask("switch", "vip busy")
	resp, err := v.switchVIP(map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1, "SwitchTime": "now"})
	if err != nil {
		t.Fatal(err)
	}
	id := int64(resp["TaskId"].(float64))
	if st := v.endTask(id, 2*time.Second); st != "failed" || *v.taskInfo(id).TaskMessage != "vip busy" {
		t.Fatalf("switch task %s", st)
	}
	if v.addr(a) != addrA {
		t.Errorf("a failed switch moved %s to %s", a, v.addr(a))
	}
}

// The switch's refusals, each with the code the API lists and the reason.
func TestSwitchInstanceVipRefusals(t *testing.T) {
	v := newEnv(t)
	a, b := v.d.InstanceID, v.d.PasswordFreeInstanceID
	v.e.AddInstance(cloudemu.Instance{ID: "crs-isolated", Region: v.d.Region, Status: -2})
	for _, c := range []struct {
		name   string
		params map[string]any
		code   string
	}{
		{"no source", map[string]any{"DstInstanceId": b, "ForceSwitch": 1}, "MissingParameter"},
		{"same instance", map[string]any{"SrcInstanceId": a, "DstInstanceId": a, "ForceSwitch": 1}, "InvalidParameter.InvalidParameter"},
		{"unknown destination", map[string]any{"SrcInstanceId": a, "DstInstanceId": "crs-nothere", "ForceSwitch": 1}, "ResourceNotFound.InstanceNotExists"},
		{"ForceSwitch 2", map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 2}, "InvalidParameterValue"},
		{"SwitchTime later", map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1, "SwitchTime": "later"}, "InvalidParameterValue"},
		{"not forced", map[string]any{"SrcInstanceId": a, "DstInstanceId": b}, "FailedOperation.DtsStatusAbnormal"},
		{"waits for a sync", map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1, "SwitchTime": "syncComplete"}, "FailedOperation.DtsStatusAbnormal"},
		{"isolated destination", map[string]any{"SrcInstanceId": a, "DstInstanceId": "crs-isolated", "ForceSwitch": 1}, "ResourceUnavailable.InstanceStateError"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.switchVIP(c.params)
			wantCode(t, err, c.code)
			if message(err) == "" {
				t.Error("no message")
			}
		})
	}
	if n := len(v.e.Switches()); n != 0 {
		t.Errorf("%d switches recorded from refused calls", n)
	}
	// A switch under way locks its source.
	if _, err := v.switchVIP(map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1}); err != nil {
		t.Fatal(err)
	}
	_, err := v.switchVIP(map[string]any{"SrcInstanceId": a, "DstInstanceId": b, "ForceSwitch": 1})
	wantCode(t, err, "ResourceUnavailable.InstanceStatusAbnormal")
}

// DestroyPostpaidInstance releases pay-as-you-go instances only, running
// ones, once.
func TestDestroyPostpaidInstance(t *testing.T) {
	v := newEnv(t)
	v.e.AddInstance(cloudemu.Instance{ID: "crs-monthly1", Region: v.d.Region, Status: 2, BillingMode: 1})
	destroy := func(id string) (map[string]any, error) {
		return v.common("redis", "2018-04-12", "DestroyPostpaidInstance", map[string]any{"InstanceId": id})
	}
	_, err := destroy("crs-monthly1")
	wantCode(t, err, "InvalidParameterValue.UnSupportedType")
	_, err = destroy("crs-nothere")
	wantCode(t, err, "ResourceNotFound.InstanceNotExists")

	resp, err := destroy(v.d.PasswordFreeInstanceID)
	if err != nil {
		t.Fatal(err)
	}
	id := int64(resp["TaskId"].(float64))
	if s := v.instanceStatus(v.d.PasswordFreeInstanceID); s != 1 {
		t.Errorf("status while the release runs %d, want 1", s)
	}
	if st := v.endTask(id, 2*time.Second); st != "succeed" {
		t.Fatalf("destroy task %s", st)
	}
	if s := v.instanceStatus(v.d.PasswordFreeInstanceID); s != -2 {
		t.Errorf("status after the release %d, want -2 (isolated)", s)
	}
	_, err = destroy(v.d.PasswordFreeInstanceID)
	wantCode(t, err, "ResourceUnavailable.InstanceStatusError")
	if got := v.e.Destroys(); len(got) != 1 || got[0].InstanceID != v.d.PasswordFreeInstanceID || got[0].TaskID != id {
		t.Errorf("Destroys() = %+v", got)
	}
	if typ := v.taskListEntry(v.d.PasswordFreeInstanceID, id).TaskType; *typ != cloudemu.TaskTypeDestroy {
		t.Errorf("DescribeTaskList type %s", *typ)
	}
}

// The two actions answer with the fields and JSON types of the API's
// declared response members and examples (DestroyPostpaidInstance's
// example answers TaskId as a string, which TaskIDAsString plays).
func TestSwitchAndDestroyAreShapedLikeTheAPIsExamples(t *testing.T) {
	v := newEnv(t)
	v.e.SetTaskIDAsString(true)
	for _, c := range []struct {
		action string
		params map[string]any
	}{
		{"SwitchInstanceVip", map[string]any{"SrcInstanceId": v.d.InstanceID, "DstInstanceId": v.d.PasswordFreeInstanceID, "ForceSwitch": 1, "SwitchTime": "now"}},
		{"DestroyPostpaidInstance", map[string]any{"InstanceId": "crs-shape003"}},
	} {
		t.Run(c.action, func(t *testing.T) {
			v.e.AddInstance(cloudemu.Instance{ID: "crs-shape003", Region: v.d.Region, Status: 2})
			doc := readAPIDoc(t, "redis", c.action)
			answer, err := v.common("redis", "2018-04-12", c.action, c.params)
			if err != nil {
				t.Fatal(err)
			}
			declared := map[string]bool{}
			for _, m := range doc.ResponseMembers {
				declared[m.Name] = true
			}
			for _, k := range slices.Sorted(maps.Keys(answer)) {
				if !declared[k] {
					t.Errorf("%s: not a declared response member", k)
				}
			}
			sameShape(t, c.action, answer, doc.Examples[0].Response.Response)
		})
	}
}

// tasksOf lists DescribeTaskList's tasks of an instance ("" for the
// region's), through the SDK, by TaskId.
func (v *env) tasksOf(instanceID string) map[int64]*redis.TaskInfoDetail {
	v.t.Helper()
	req := redis.NewDescribeTaskListRequest()
	if instanceID != "" {
		req.InstanceId = common.StringPtr(instanceID)
	}
	req.Limit = common.Int64Ptr(100)
	r, err := v.demoRedis().DescribeTaskList(req)
	if err != nil {
		v.t.Fatal(err)
	}
	out := map[int64]*redis.TaskInfoDetail{}
	for _, t := range r.Response.Tasks {
		out[*t.TaskId] = t
	}
	return out
}

// SwitchInstanceVip's task is FLOW_SWITCHINSTANCEVIP ("036" in the
// TaskTypes list), one task with one InstanceId: the source's, listed
// under it and in the region's list, not under the destination;
// DestroyPostpaidInstance's is FLOW_CLOSE ("003") under the instance it
// releases. Each is running (Result 1), then done (2), read through the
// SDK.
func TestSwitchAndDestroyTasksAreListed(t *testing.T) {
	v := newEnv(t)
	src, dst := v.d.InstanceID, v.d.PasswordFreeInstanceID
	v.e.AddInstance(cloudemu.Instance{ID: "crs-release1", Region: v.d.Region, Status: 2})
	sw, err := v.switchVIP(map[string]any{"SrcInstanceId": src, "DstInstanceId": dst, "ForceSwitch": 1, "SwitchTime": "now"})
	if err != nil {
		t.Fatal(err)
	}
	switchID := int64(sw["TaskId"].(float64))
	ds, err := v.common("redis", "2018-04-12", "DestroyPostpaidInstance", map[string]any{"InstanceId": "crs-release1"})
	if err != nil {
		t.Fatal(err)
	}
	destroyID := int64(ds["TaskId"].(float64))

	check := func(when string, result int64) {
		t.Helper()
		for _, c := range []struct {
			list, instance, typ string
			id                  int64
		}{
			{src, src, "036", switchID}, {"", src, "036", switchID},
			{"crs-release1", "crs-release1", "003", destroyID}, {"", "crs-release1", "003", destroyID},
		} {
			got, ok := v.tasksOf(c.list)[c.id]
			if !ok {
				t.Errorf("%s: task %d not in the list of %q", when, c.id, c.list)
				continue
			}
			if *got.TaskType != c.typ || *got.InstanceId != c.instance || *got.Result != result {
				t.Errorf("%s: task %d in the list of %q: type %s, instance %s, result %d; want %s, %s, %d",
					when, c.id, c.list, *got.TaskType, *got.InstanceId, *got.Result, c.typ, c.instance, result)
			}
		}
		if _, ok := v.tasksOf(dst)[switchID]; ok {
			t.Errorf("%s: the switch is listed under its destination %s too", when, dst)
		}
	}
	check("running", 1)
	if st := v.endTask(switchID, 2*time.Second); st != "succeed" {
		t.Fatalf("switch task %s", st)
	}
	if st := *v.taskInfo(destroyID).Status; st != "succeed" {
		t.Fatalf("destroy task %s", st)
	}
	check("ended", 2)
	if got := *v.taskInfo(switchID).InstanceId; got != src {
		t.Errorf("DescribeTaskInfo of the switch: instance %s, want the source %s", got, src)
	}
}
