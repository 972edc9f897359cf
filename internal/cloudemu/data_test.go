package cloudemu_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/redisserver/redistest"
)

// newDataEnv is newEnv with each instance served by a real redis-server,
// stopped at the test's end, and the demo's data written.
func newDataEnv(t *testing.T) *env {
	t.Helper()
	c := clock.NewFake(time.Now())
	e := cloudemu.New(cloudemu.Options{Now: c.Now, Seed: 7, Redis: redistest.Processes(t)})
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("emulator Close: %v", err)
		}
	})
	d := cloudemu.SeedDemo(e)
	if err := cloudemu.SeedDemoData(context.Background(), e, &d); err != nil {
		t.Fatal(err)
	}
	url, closeFn, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return &env{t: t, e: e, clock: c, endpoint: strings.TrimPrefix(url, "http://"), d: d}
}

// instance is DescribeInstances' entry for one instance.
func (v *env) instance(id string) *redis.InstanceSet {
	v.t.Helper()
	req := redis.NewDescribeInstancesRequest()
	req.InstanceId = common.StringPtr(id)
	r, err := v.demoRedis().DescribeInstances(req)
	if err != nil {
		v.t.Fatal(err)
	}
	if len(r.Response.InstanceSet) != 1 {
		v.t.Fatalf("DescribeInstances %s: %d instances", id, len(r.Response.InstanceSet))
	}
	return r.Response.InstanceSet[0]
}

// addr is the address DescribeInstances answers for an instance.
func (v *env) addr(id string) string {
	in := v.instance(id)
	return net.JoinHostPort(*in.WanIp, strconv.FormatInt(*in.Port, 10))
}

// dial is a client of whatever serves addr.
func (v *env) dial(addr, password string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr, Password: password, Protocol: 2, DisableIdentity: true, MaxRetries: -1, DialTimeout: time.Second, DialerRetries: 1})
	v.t.Cleanup(func() { c.Close() })
	return c
}

func keys(t *testing.T, c *goredis.Client) int64 {
	t.Helper()
	n, err := c.DBSize(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func canary(t *testing.T, c *goredis.Client, key string) string {
	t.Helper()
	s, err := c.Get(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("canary %s: %v", key, err)
	}
	return s
}

// waitTask advances the clock past a task's end and returns its status.
func (v *env) endTask(id int64, d time.Duration) string {
	v.t.Helper()
	v.clock.Advance(d)
	return *v.taskInfo(id).Status
}

// The demo's instance is served at the address DescribeInstances gives,
// with the demo's password, and holds the demo's data.
func TestDataInstanceIsServedAtItsAddress(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	in := v.instance(v.d.InstanceID)
	if *in.WanIp != "127.0.0.1" || *in.Port == 6379 || *in.Port == 0 {
		t.Errorf("address %s:%d: want a loopback port of the emulator's server", *in.WanIp, *in.Port)
	}
	got, err := v.e.RedisAddr(v.d.InstanceID)
	if err != nil || got != v.addr(v.d.InstanceID) {
		t.Errorf("RedisAddr = %q, %v; DescribeInstances says %s", got, err, v.addr(v.d.InstanceID))
	}
	c := v.dial(got, v.d.Password)
	if n := keys(t, c); n != 1250 {
		t.Errorf("the demo instance holds %d keys, want 1250", n)
	}
	if err := v.dial(got, "wrong").Ping(context.Background()).Err(); err == nil {
		t.Error("a wrong password was accepted")
	}
	if n := v.d.BackupKeys[v.d.LatestBackupID]; n != 1200 {
		t.Errorf("BackupKeys[latest] = %d, want 1200", n)
	}
}

// RestoreInstance loads the backup into the instance when its task
// succeeds, not before, at the same address; the data is the backup's,
// down to its canary.
func TestDataRestoreLoadsTheBackupWhenItsTaskSucceeds(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	ctx := context.Background()
	addr := v.addr(v.d.InstanceID)
	c := v.dial(addr, v.d.Password)
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "damage", "x", 0)

	resp, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	if err != nil {
		t.Fatal(err)
	}
	id := *resp.Response.TaskId
	if st := *v.taskInfo(id).Status; st != "running" {
		t.Fatalf("task status at start = %s, want running", st)
	}
	if n := keys(t, c); n != 1 {
		t.Fatalf("while the restore runs the instance holds %d keys, want the 1 damaged one", n)
	}
	if st := v.endTask(id, 3*time.Second); st != "succeed" {
		t.Fatalf("task status after its end = %s", st)
	}
	if got := v.addr(v.d.InstanceID); got != addr {
		t.Errorf("address after the restore %s, before %s: a restore keeps it", got, addr)
	}
	c = v.dial(addr, v.d.Password)
	if n := keys(t, c); n != v.d.BackupKeys[v.d.LatestBackupID] {
		t.Errorf("after the restore %d keys, the backup held %d", n, v.d.BackupKeys[v.d.LatestBackupID])
	}
	if got, want := canary(t, c, v.d.CanaryKey), "2026-11-28T19:00:00Z"; got != want {
		t.Errorf("canary %q, want the backup's time %q", got, want)
	}
	if c.Exists(ctx, "damage").Val() != 0 {
		t.Error("a key written after the backup survived the restore")
	}
}

// A restore task that fails leaves the data as it was.
func TestDataFailedRestoreLeavesTheData(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	c := v.dial(v.addr(v.d.InstanceID), v.d.Password)
	c.Set(context.Background(), "after-backup", "1", 0)
	v.e.FailNextTask("restore", "disk full")
	resp, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password)
	if err != nil {
		t.Fatal(err)
	}
	if st := v.endTask(*resp.Response.TaskId, 3*time.Second); st != "failed" {
		t.Fatalf("status %s, want failed", st)
	}
	if n := keys(t, c); n != 1251 {
		t.Errorf("after a failed restore %d keys, want the 1251 there were", n)
	}
}

// ManualBackupInstance snapshots the data as of the call: keys written
// after it are not in the backup.
func TestDataManualBackupHoldsTheDataAsOfTheCall(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	ctx := context.Background()
	c := v.dial(v.addr(v.d.PasswordFreeInstanceID), "")
	req := redis.NewManualBackupInstanceRequest()
	req.InstanceId = common.StringPtr(v.d.PasswordFreeInstanceID)
	resp, err := v.demoRedis().ManualBackupInstance(req)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 7 {
		c.Set(ctx, fmt.Sprintf("later:%d", i), i, 0)
	}
	if st := v.endTask(*resp.Response.TaskId, 4*time.Second); st != "succeed" {
		t.Fatalf("backup task %s", st)
	}
	backup := v.e.ManualBackups()[0].BackupID
	r, err := v.restore(v.d.PasswordFreeInstanceID, backup, "")
	if err != nil {
		t.Fatal(err)
	}
	if st := v.endTask(*r.Response.TaskId, 3*time.Second); st != "succeed" {
		t.Fatalf("restore task %s", st)
	}
	if n := keys(t, v.dial(v.addr(v.d.PasswordFreeInstanceID), "")); n != 100 {
		t.Errorf("restored %d keys, the backup was taken at 100", n)
	}
}

// cloneLatest clones the demo instance's newest backup with a password of
// its own and waits until the clone runs.
func (v *env) cloneLatest(password string) string {
	v.t.Helper()
	req := redis.NewCloneInstancesRequest()
	req.InstanceId, req.BackupId = common.StringPtr(v.d.InstanceID), common.StringPtr(v.d.LatestBackupID)
	req.GoodsNum, req.ZoneId, req.BillingMode, req.Period = common.Uint64Ptr(1), common.Uint64Ptr(100003), common.Int64Ptr(0), common.Uint64Ptr(1)
	req.SecurityGroupIdList = common.StringPtrs([]string{"sg-gl1egaj1"})
	req.Password = common.StringPtr(password)
	resp, err := v.demoRedis().CloneInstances(req)
	if err != nil {
		v.t.Fatal(err)
	}
	id := *resp.Response.InstanceIds[0]
	v.clock.Advance(5 * time.Second)
	if s := v.instanceStatus(id); s != 2 {
		v.t.Fatalf("clone %s status %d, want 2", id, s)
	}
	return id
}

// A clone starts from the backup, at an address of its own, with the
// password the request gave.
func TestDataCloneStartsFromTheBackup(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	id := v.cloneLatest("clone-pw")
	addr := v.addr(id)
	if addr == v.addr(v.d.InstanceID) {
		t.Fatalf("the clone answers at its source's address %s", addr)
	}
	c := v.dial(addr, "clone-pw")
	if n := keys(t, c); n != 1200 {
		t.Errorf("clone holds %d keys, the backup 1200", n)
	}
	if got := canary(t, c, v.d.CanaryKey); got != "2026-11-28T19:00:00Z" {
		t.Errorf("clone's canary %q", got)
	}
}

// SwitchInstanceVip swaps the addresses when its task ends: the old
// instance's address then serves the clone's data, and each instance
// keeps its own password and data.
func TestDataSwitchInstanceVipServesTheCloneAtTheOldAddress(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	ctx := context.Background()
	clone := v.cloneLatest(v.d.Password)
	oldAddr, cloneAddr := v.addr(v.d.InstanceID), v.addr(clone)
	v.dial(cloneAddr, v.d.Password).Set(ctx, "written-to-clone", "1", 0)

	resp, err := v.common("redis", "2018-04-12", "SwitchInstanceVip", map[string]any{
		"SrcInstanceId": v.d.InstanceID, "DstInstanceId": clone, "ForceSwitch": 1, "SwitchTime": "now"})
	if err != nil {
		t.Fatal(err)
	}
	id := int64(resp["TaskId"].(float64))
	if got := v.addr(v.d.InstanceID); got != oldAddr {
		t.Errorf("address changed while the switch runs: %s", got)
	}
	if s := v.instanceStatus(v.d.InstanceID); s != 1 {
		t.Errorf("source status during the switch %d, want 1 (in a flow)", s)
	}
	if st := v.endTask(id, 2*time.Second); st != "succeed" {
		t.Fatalf("switch task %s", st)
	}
	if got := v.addr(v.d.InstanceID); got != cloneAddr {
		t.Errorf("source's address after the switch %s, want the clone's %s", got, cloneAddr)
	}
	if got := v.addr(clone); got != oldAddr {
		t.Errorf("clone's address after the switch %s, want the source's %s", got, oldAddr)
	}
	atOld := v.dial(oldAddr, v.d.Password)
	if n := keys(t, atOld); n != 1201 || atOld.Exists(ctx, "written-to-clone").Val() != 1 {
		t.Errorf("the old address serves %d keys; want the clone's 1201, its own write included", n)
	}
	if n := keys(t, v.dial(cloneAddr, v.d.Password)); n != 1250 {
		t.Errorf("the clone's old address serves %d keys; want the source's 1250", n)
	}
	if s := v.instanceStatus(v.d.InstanceID); s != 2 {
		t.Errorf("source status after the switch %d, want 2", s)
	}
}

// DestroyPostpaidInstance isolates the instance when its task ends: its
// server is gone and its address released.
func TestDataDestroyPostpaidInstanceReleasesTheServer(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	clone := v.cloneLatest("pw")
	addr := v.addr(clone)
	req := redis.NewDestroyPostpaidInstanceRequest()
	req.InstanceId = common.StringPtr(clone)
	resp, err := v.demoRedis().DestroyPostpaidInstance(req)
	if err != nil {
		t.Fatal(err)
	}
	if st := v.endTask(*resp.Response.TaskId, 2*time.Second); st != "succeed" {
		t.Fatalf("destroy task %s", st)
	}
	in := v.instance(clone)
	if *in.Status != -2 || *in.WanIp != "" {
		t.Errorf("destroyed instance: Status %d WanIp %q, want -2 (isolated) and no address", *in.Status, *in.WanIp)
	}
	if err := v.dial(addr, "pw").Ping(context.Background()).Err(); err == nil {
		t.Errorf("the destroyed instance's server still answers at %s", addr)
	}
	_, err = v.demoRedis().DestroyPostpaidInstance(req)
	wantCode(t, err, "ResourceUnavailable.InstanceStatusError")
}

// Close stops every server.
func TestDataCloseStopsTheServers(t *testing.T) {
	t.Parallel()
	v := newDataEnv(t)
	addr := v.addr(v.d.InstanceID)
	if err := v.e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.dial(addr, v.d.Password).Ping(context.Background()).Err(); err == nil {
		t.Errorf("a server still answers at %s after Close", addr)
	}
	if _, err := v.e.RedisAddr(v.d.InstanceID); err == nil {
		t.Error("RedisAddr after Close: no error")
	}
}
