package cloudemu_test

import (
	"regexp"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
)

// cst writes t as the Redis API writes times: China Standard Time, no
// zone ("2020-01-15 10:20:00", InstanceSet.Createtime's documented form).
func cst(t time.Time) string {
	return t.In(time.FixedZone("UTC+8", 8*3600)).Format("2006-01-02 15:04:05")
}

var apiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)

// DescribeInstances answers each instance's Createtime, read through the
// SDK: the emulator's time when it was added (or the time it was given),
// a clone's order time, in the API's form.
func TestDescribeInstancesAnswersCreatetime(t *testing.T) {
	v := newEnv(t)
	// The clock moves by seconds: the SDK signs with the real time, which
	// the emulator checks against its own.
	v.clock.Advance(7 * time.Second)
	added := v.clock.Now()
	v.e.AddInstance(cloudemu.Instance{ID: "crs-created1", Region: v.d.Region, Status: 2})
	given := time.Date(2020, 1, 15, 2, 20, 0, 0, time.UTC) // the documented example, 10:20:00 in China
	v.e.AddInstance(cloudemu.Instance{ID: "crs-created2", Region: v.d.Region, Status: 2, Created: given})
	v.clock.Advance(11 * time.Second)
	ordered := v.clock.Now()
	clone := v.cloneLatest("clone-pw") // ends 5 s later: still created when ordered

	for id, want := range map[string]string{"crs-created1": cst(added), "crs-created2": "2020-01-15 10:20:00", clone: cst(ordered)} {
		in := v.instance(id)
		if in.Createtime == nil {
			t.Fatalf("%s: no Createtime", id)
		}
		if got := *in.Createtime; got != want || !apiTime.MatchString(got) {
			t.Errorf("%s: Createtime %q, want %q", id, got, want)
		}
	}
	// Replacing an instance makes a new one, created now.
	v.e.AddInstance(cloudemu.Instance{ID: "crs-created1", Region: v.d.Region, Status: 2})
	if got := *v.instance("crs-created1").Createtime; got != cst(v.clock.Now()) {
		t.Errorf("a replaced instance's Createtime %q, want %q", got, cst(v.clock.Now()))
	}
}
