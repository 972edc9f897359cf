package cloudemu_test

import (
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/cloudemu"
)

func (v *env) taskInfo(id int64) *redis.DescribeTaskInfoResponseParams {
	v.t.Helper()
	req := redis.NewDescribeTaskInfoRequest()
	req.TaskId = common.Uint64Ptr(uint64(id))
	r, err := v.demoRedis().DescribeTaskInfo(req)
	if err != nil {
		v.t.Fatal(err)
	}
	return r.Response
}

func (v *env) taskListEntry(instanceID string, id int64) *redis.TaskInfoDetail {
	v.t.Helper()
	req := redis.NewDescribeTaskListRequest()
	req.InstanceId = common.StringPtr(instanceID)
	r, err := v.demoRedis().DescribeTaskList(req)
	if err != nil {
		v.t.Fatal(err)
	}
	for _, t := range r.Response.Tasks {
		if *t.TaskId == id {
			return t
		}
	}
	v.t.Fatalf("task %d not listed", id)
	return nil
}

func (v *env) instanceStatus(id string) int64 {
	v.t.Helper()
	return *v.instance(id).Status // data_test.go
}

func TestTaskGoesPreparingRunningSucceedAndLocksTheInstance(t *testing.T) {
	v := newEnv(t)
	v.e.SetTaskDuration(10 * time.Second)
	v.e.SetLifecycle(cloudemu.Lifecycle{Prepare: 2 * time.Second, Settle: 3 * time.Second})
	resp, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	if err != nil {
		t.Fatal(err)
	}
	id := *resp.Response.TaskId
	if s := *v.taskInfo(id).Status; s != "preparing" {
		t.Fatalf("status at start = %s, want preparing", s)
	}
	if r := *v.taskListEntry(v.d.InstanceID, id).Result; r != 0 {
		t.Fatalf("DescribeTaskList Result while preparing = %d, want 0", r)
	}
	if s := v.instanceStatus(v.d.InstanceID); s != 1 {
		t.Fatalf("instance status during the restore = %d, want 1 (in a flow)", s)
	}
	_, err = v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	wantCode(t, err, "ResourceUnavailable.InstanceLockedError")

	v.clock.Advance(5 * time.Second)
	if s := *v.taskInfo(id).Status; s != "running" {
		t.Fatalf("status after 5 s = %s, want running", s)
	}
	v.clock.Advance(5 * time.Second)
	info := v.taskInfo(id)
	if *info.Status != "succeed" || *info.TaskMessage != "" {
		t.Fatalf("after 10 s: %s %q", *info.Status, *info.TaskMessage)
	}
	if e := v.taskListEntry(v.d.InstanceID, id); *e.Result != 2 || *e.Progress != 1 || *e.EndTime == "0000-00-00 00:00:00" {
		t.Fatalf("done task listed as Result %d Progress %v EndTime %s", *e.Result, *e.Progress, *e.EndTime)
	}
	// Settling: still in a flow and locked.
	if s := v.instanceStatus(v.d.InstanceID); s != 1 {
		t.Fatalf("instance status while settling = %d, want 1", s)
	}
	v.clock.Advance(3 * time.Second)
	if s := v.instanceStatus(v.d.InstanceID); s != 2 {
		t.Fatalf("instance status after settling = %d, want 2", s)
	}
}

func TestInjectedTaskFailureIsTheTasksStatusAndMessage(t *testing.T) {
	v := newEnv(t)
	v.e.FailNextTask("restore", "restore failed: backup file damaged")
	resp, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	if err != nil {
		t.Fatal(err)
	}
	id := *resp.Response.TaskId
	v.clock.Advance(3 * time.Second)
	info := v.taskInfo(id)
	if *info.Status != "failed" || *info.TaskMessage != "restore failed: backup file damaged" {
		t.Fatalf("failed task answers %s %q", *info.Status, *info.TaskMessage)
	}
	if r := *v.taskListEntry(v.d.InstanceID, id).Result; r != 4 {
		t.Fatalf("failed task's Result = %d, want 4", r)
	}
	if s := v.instanceStatus(v.d.InstanceID); s != 2 {
		t.Fatalf("instance after a failed restore = %d, want 2", s)
	}
}

func (v *env) backups(instanceID string) []*redis.RedisBackupSet {
	v.t.Helper()
	req := redis.NewDescribeInstanceBackupsRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.Limit = common.Int64Ptr(100)
	r, err := v.demoRedis().DescribeInstanceBackups(req)
	if err != nil {
		v.t.Fatal(err)
	}
	return r.Response.BackupSet
}

func TestManualBackupTakesTimeAndAppearsWithItsRemark(t *testing.T) {
	v := newEnv(t)
	v.e.SetLifecycle(cloudemu.Lifecycle{Backup: 4 * time.Second})
	req := redis.NewManualBackupInstanceRequest()
	req.InstanceId = common.StringPtr(v.d.InstanceID)
	req.Remark = common.StringPtr("before restore 42")
	resp, err := v.demoRedis().ManualBackupInstance(req)
	if err != nil {
		t.Fatal(err)
	}
	id := *resp.Response.TaskId
	find := func() *redis.RedisBackupSet {
		for _, b := range v.backups(v.d.InstanceID) {
			if b.Remark != nil && *b.Remark == "before restore 42" {
				return b
			}
		}
		t.Fatal("the manual backup is not listed")
		return nil
	}
	if b := find(); *b.Status != 1 || *b.BackupType != "0" {
		t.Fatalf("running manual backup listed with status %d type %s", *b.Status, *b.BackupType)
	}
	if s := *v.taskInfo(id).Status; s != "running" {
		t.Fatalf("backup task %s, want running", s)
	}
	// The instance is locked while it backs up.
	_, err = v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	wantCode(t, err, "ResourceUnavailable.InstanceLockedError")
	v.clock.Advance(4 * time.Second)
	b := find()
	if *b.Status != 2 || *b.EndTime == "0000-00-00 00:00:00" {
		t.Fatalf("finished manual backup: status %d end %s", *b.Status, *b.EndTime)
	}
	if s := *v.taskInfo(id).Status; s != "succeed" {
		t.Fatalf("backup task %s after 4 s", s)
	}
	// A finished manual backup can be restored: it is the undo.
	if _, err := v.restore(v.d.InstanceID, *b.BackupId, v.d.Password); err != nil {
		t.Fatalf("restoring the manual backup: %v", err)
	}
}

func TestFailedManualBackupIsNotRestorable(t *testing.T) {
	v := newEnv(t)
	v.e.FailNextTask("backup", "disk full")
	req := redis.NewManualBackupInstanceRequest()
	req.InstanceId = common.StringPtr(v.d.InstanceID)
	req.Remark = common.StringPtr("doomed")
	resp, err := v.demoRedis().ManualBackupInstance(req)
	if err != nil {
		t.Fatal(err)
	}
	v.clock.Advance(3 * time.Second)
	if info := v.taskInfo(*resp.Response.TaskId); *info.Status != "failed" || *info.TaskMessage != "disk full" {
		t.Fatalf("failed backup task: %s %q", *info.Status, *info.TaskMessage)
	}
	for _, b := range v.backups(v.d.InstanceID) {
		if *b.Remark == "doomed" && (*b.Status == 2 || *b.Status == 4) {
			t.Fatalf("a failed backup is listed restorable: %d", *b.Status)
		}
	}
}

func TestCloneBecomesARunningInstance(t *testing.T) {
	v := newEnv(t)
	v.e.SetLifecycle(cloudemu.Lifecycle{Clone: 5 * time.Second})
	v.e.SetSecurityGroups(v.d.InstanceID, "sg-aaaa1111", "sg-bbbb2222")
	sg := redis.NewDescribeInstanceSecurityGroupRequest()
	sg.InstanceIds = common.StringPtrs([]string{v.d.InstanceID})
	sgResp, err := v.demoRedis().DescribeInstanceSecurityGroup(sg)
	if err != nil {
		t.Fatal(err)
	}
	details := sgResp.Response.InstanceSecurityGroupsDetail
	if len(details) != 1 || len(details[0].SecurityGroupDetails) != 2 || *details[0].SecurityGroupDetails[1].SecurityGroupId != "sg-bbbb2222" {
		t.Fatalf("security groups: %+v", details)
	}

	req := redis.NewCloneInstancesRequest()
	req.InstanceId = common.StringPtr(v.d.InstanceID)
	req.GoodsNum = common.Uint64Ptr(1)
	req.ZoneId = common.Uint64Ptr(100003)
	req.BillingMode = common.Int64Ptr(0)
	req.Period = common.Uint64Ptr(1)
	req.SecurityGroupIdList = common.StringPtrs([]string{"sg-aaaa1111", "sg-bbbb2222"})
	req.BackupId = common.StringPtr(v.d.LatestBackupID)
	req.InstanceName = common.StringPtr("price-restore-1")
	req.Password = common.StringPtr("clone-pass-1")
	resp, err := v.demoRedis().CloneInstances(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response.DealName == nil || len(resp.Response.InstanceIds) != 1 {
		t.Fatalf("CloneInstances answered %+v", resp.Response)
	}
	id := *resp.Response.InstanceIds[0]
	if s := v.instanceStatus(id); s != 0 {
		t.Fatalf("new instance status %d, want 0 (to be initialised)", s)
	}
	v.clock.Advance(5 * time.Second)
	if s := v.instanceStatus(id); s != 2 {
		t.Fatalf("new instance status after 5 s = %d, want 2", s)
	}
	calls := v.e.Clones()
	if len(calls) != 1 || calls[0].InstanceName != "price-restore-1" || !calls[0].HasPassword || calls[0].BillingMode != 0 {
		t.Fatalf("clone calls %+v", calls)
	}

	// Missing a required field is refused by name.
	bad := redis.NewCloneInstancesRequest()
	bad.InstanceId = common.StringPtr(v.d.InstanceID)
	bad.BackupId = common.StringPtr(v.d.LatestBackupID)
	_, err = v.demoRedis().CloneInstances(bad)
	wantCode(t, err, "MissingParameter")
}
