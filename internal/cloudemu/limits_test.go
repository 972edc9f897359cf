package cloudemu_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
	tdmq "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tdmq/v20200217"

	"redis-restore/internal/cloudemu"
)

// atSecond moves the frozen clock to the start of the next second, so
// that a test's requests fall in one window.
func (v *env) atSecond() {
	now := v.clock.Now()
	v.clock.Advance(now.Truncate(time.Second).Add(time.Second).Sub(now))
}

// taskList sends one DescribeTaskList and returns its error code.
func taskList(t *testing.T, c *redis.Client) string {
	t.Helper()
	_, err := c.DescribeTaskList(redis.NewDescribeTaskListRequest())
	return code(t, err)
}

// Sixteen containers, each with credentials of its own but all of the one
// execution role, call DescribeTaskList as fast as they can, ignoring the
// limit: in one second of the emulator's clock exactly 20 pass, whoever
// sent them, and the rest are refused in Tencent's shape; another account
// is not held back by them; the next second lets 20 through again.
func TestAccountLimitHoldsAcrossClients(t *testing.T) {
	v := newEnv(t)
	v.e.LimitAccount()
	v.atSecond()
	const containers, each = 16, 5
	clients := make([]*redis.Client, containers)
	for i := range clients {
		id, key := "AKIDcontainer"+string(rune('a'+i)), "key"+string(rune('a'+i))
		v.e.AddCredential(id, key, "tok", time.Time{}) // the role's, as SCF hands every container
		clients[i] = v.redis(common.NewTokenCredential(id, key, "tok"), v.d.Region)
	}
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := c.DescribeTaskList(redis.NewDescribeTaskListRequest())
				mu.Lock()
				codes[code(t, err)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if codes[""] != 20 || codes["RequestLimitExceeded"] != containers*each-20 || len(codes) != 2 {
		t.Fatalf("answers by error code %v, want 20 passed and %d RequestLimitExceeded", codes, containers*each-20)
	}
	if got := v.e.Throttled()["DescribeTaskList"]; got != containers*each-20 {
		t.Errorf("Throttled counts %d, want %d", got, containers*each-20)
	}

	v.e.AddCredentialOf(cloudemu.Principal{Account: "200000000002", Name: "other"}, "AKIDother", "other-key", "", time.Time{})
	if c := taskList(t, v.redis(common.NewCredential("AKIDother", "other-key"), v.d.Region)); c != "" {
		t.Fatalf("another account's request in the same second: %q, want it through", c)
	}
	if c := taskList(t, clients[0]); c != "RequestLimitExceeded" {
		t.Fatalf("the role's 21st request of the second: %q", c)
	}
	v.clock.Advance(time.Second)
	if c := taskList(t, clients[0]); c != "" {
		t.Fatalf("the role's first request of the next second: %q", c)
	}
}

// The window is the second of arrival, as the cloud documents, not a
// sliding one: 20 at the end of a second and 20 at the start of the next
// all pass.
func TestAccountLimitIsAFixedWindow(t *testing.T) {
	v := newEnv(t)
	v.e.SetRateLimit("DescribeTaskList", 20)
	v.atSecond()
	v.clock.Advance(900 * time.Millisecond)
	c := v.demoRedis()
	for i := range 20 {
		if got := taskList(t, c); got != "" {
			t.Fatalf("request %d at .9 s: %q", i+1, got)
		}
	}
	if got := taskList(t, c); got != "RequestLimitExceeded" {
		t.Fatalf("21st request at .9 s: %q", got)
	}
	v.clock.Advance(200 * time.Millisecond)
	for i := range 20 {
		if got := taskList(t, c); got != "" {
			t.Fatalf("request %d 0.2 s later, in the next second: %q", i+1, got)
		}
	}
}

// TDMQ CMQ's sends: 10 a second for a sub-account or role, 20 for the root
// account's own keys.
func TestCMQSendLimitBySubAccountAndRoot(t *testing.T) {
	v := newEnv(t)
	v.e.LimitAccount()
	v.atSecond()
	root := cloudemu.Principal{Account: cloudemu.DefaultAccount}
	v.e.AddCredentialOf(root, "AKIDroot", "root-key", "", time.Time{})
	send := func(c *tdmq.Client) string {
		req := tdmq.NewSendCmqMsgRequest()
		req.QueueName = common.StringPtr(v.d.Queue)
		req.MsgContent = common.StringPtr("m")
		req.DelaySeconds = common.Int64Ptr(0)
		_, err := c.SendCmqMsg(req)
		return code(t, err)
	}
	count := func(c *tdmq.Client) int {
		n := 0
		for range 25 {
			if send(c) == "" {
				n++
			}
		}
		return n
	}
	rootClient, err := tdmq.NewClient(common.NewCredential("AKIDroot", "root-key"), v.d.Region, v.profile())
	if err != nil {
		t.Fatal(err)
	}
	if n := count(v.tdmq()); n != 10 {
		t.Errorf("the role's sends passed in one second: %d, want 10", n)
	}
	if n := count(rootClient); n != 20 {
		t.Errorf("the root account's sends passed in one second: %d, want 20", n)
	}
}

// Every session of a role counts against the role: two AssumeRole
// sessions share its 20 a second.
func TestAssumedRoleSessionsShareTheRoleLimit(t *testing.T) {
	v := newEnv(t)
	v.e.LimitAccount()
	v.e.AddCredential("AKIDcaller", "caller-key", "", time.Time{})
	caller := v.sts(common.NewCredential("AKIDcaller", "caller-key"))
	session := func() *redis.Client {
		req := sts.NewAssumeRoleRequest()
		req.RoleArn = common.StringPtr(v.d.RoleArn)
		req.RoleSessionName = common.StringPtr("restore")
		resp, err := caller.AssumeRole(req)
		if err != nil {
			t.Fatal(err)
		}
		cr := resp.Response.Credentials
		return v.redis(common.NewTokenCredential(*cr.TmpSecretId, *cr.TmpSecretKey, *cr.Token), v.d.Region)
	}
	a, b := session(), session()
	v.atSecond()
	passed := 0
	for range 15 {
		for _, c := range []*redis.Client{a, b} {
			if taskList(t, c) == "" {
				passed++
			}
		}
	}
	if passed != 20 {
		t.Fatalf("two sessions of one role passed %d requests in one second, want 20", passed)
	}
}
