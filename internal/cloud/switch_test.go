package cloud_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
	"redis-restore/internal/redisserver/redistest"
)

// fill writes n keys prefix:0 ... into the redis-server that serves addr.
func fill(t *testing.T, addr, prefix string, n int) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	for i := range n {
		if err := c.Set(context.Background(), fmt.Sprintf("%s:%d", prefix, i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// served counts the keys of each prefix that the server at addr holds.
func served(t *testing.T, addr string, prefixes ...string) map[string]int {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	out := map[string]int{}
	for _, p := range prefixes {
		keys, err := c.Keys(context.Background(), p+":*").Result()
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		out[p] = len(keys)
	}
	return out
}

// SwitchInstanceVip, signed and sent through the SDK to the emulator,
// asks for a forced switch now; once its task ends (and not before) the
// two instances' addresses are swapped, once: the clients of the old
// address reach the other instance's redis-server, whose data it is. A
// request signed with a wrong key switches nothing.
func TestSwitchInstanceVipSwapsTheAddressesOnceItsTaskEnds(t *testing.T) {
	v := newCloudEnvWith(t, redistest.Processes(t))
	s, region := v.session(), v.demo.Region
	const src, dst = "crs-switchs1", "crs-switchd1" // the clone, the instance its clients use
	for _, id := range []string{src, dst} {
		v.emu.AddInstance(cloudemu.Instance{ID: id, Region: region, Status: 2, Type: 6})
	}
	addrs := func() map[string]string {
		t.Helper()
		ins, err := s.ListInstances(ctx(t), region, src, dst)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, in := range ins {
			out[in.ID] = in.Addr
		}
		return out
	}
	before := addrs()
	if before[src] == "" || before[dst] == "" || before[src] == before[dst] {
		t.Fatalf("addresses before the switch: %v", before)
	}
	fill(t, before[src], "restored", 7)
	fill(t, before[dst], "damaged", 3)

	wrong := v.clients.Session(config.Credentials{SecretID: v.demo.SecretID, SecretKey: "not-the-key", Token: v.demo.Token}, v.endpoint)
	if _, _, err := wrong.SwitchInstanceVip(ctx(t), region, src, dst); err == nil || asFailure(t, err).Code != "AuthFailure.SignatureFailure" {
		t.Fatalf("a wrongly signed switch: %v, want AuthFailure.SignatureFailure", err)
	}
	if n := len(v.emu.Switches()); n != 0 {
		t.Fatalf("a wrongly signed request switched: %d switches", n)
	}

	taskID, requestID, err := s.SwitchInstanceVip(ctx(t), region, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if taskID <= 0 || requestID == "" {
		t.Errorf("SwitchInstanceVip answered task %d, request %q", taskID, requestID)
	}
	calls := v.emu.Switches()
	if len(calls) != 1 || calls[0].SrcInstanceID != src || calls[0].DstInstanceID != dst || calls[0].ForceSwitch != 1 || calls[0].SwitchTime != "now" || calls[0].TaskID != taskID {
		t.Fatalf("the emulator saw %+v; want one forced switch now of %s and %s, task %d", calls, src, dst, taskID)
	}

	// While the task runs: the addresses stay, and the task is the
	// source's switch.
	if got := addrs(); got[src] != before[src] || got[dst] != before[dst] {
		t.Errorf("addresses changed before the task ended: %v, were %v", got, before)
	}
	now := v.clock.Now()
	tasks, err := s.DescribeTasks(ctx(t), region, src, now.Add(-time.Minute), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var listed *intent.Task
	for i := range tasks {
		if tasks[i].ID == taskID {
			listed = &tasks[i]
		}
	}
	if listed == nil || listed.Kind != intent.SwitchTask || listed.InstanceID != src || !listed.EndTime.IsZero() {
		t.Errorf("the source's tasks %+v; want task %d, a running switch of %s", tasks, taskID, src)
	}

	v.clock.Advance(2 * time.Second)
	info, err := s.DescribeTaskInfo(ctx(t), region, taskID)
	if err != nil || !info.Succeeded() {
		t.Fatalf("switch task: %+v %v", info, err)
	}
	after := addrs()
	if after[src] != before[dst] || after[dst] != before[src] {
		t.Fatalf("addresses after the switch %v; want %v swapped", after, before)
	}
	if got := served(t, before[dst], "restored", "damaged"); got["restored"] != 7 || got["damaged"] != 0 {
		t.Errorf("the old address of %s serves %v; want the 7 restored keys only", dst, got)
	}
	if got := served(t, before[src], "restored", "damaged"); got["restored"] != 0 || got["damaged"] != 3 {
		t.Errorf("the clone's old address serves %v; want %s's 3 keys only", got, dst)
	}

	// Once: later reads find them where the switch left them.
	v.clock.Advance(10 * time.Second)
	if got := addrs(); got[src] != after[src] || got[dst] != after[dst] || len(v.emu.Switches()) != 1 {
		t.Errorf("later: addresses %v, %d switches; want %v and one", got, len(v.emu.Switches()), after)
	}
}
