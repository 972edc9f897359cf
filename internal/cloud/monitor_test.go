package cloud_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/failure"
	"redis-restore/internal/redisserver/redistest"
)

// KeysAt reads, through the SDK against the emulator's Cloud Monitor, the
// key count an instance's redis-server had when each backup was taken: a
// minute's point for a recent backup, a 5 minutes' one past the 15 days
// the cloud keeps minutes, and NotFound past the 186 days it keeps
// anything, or where no point was recorded.
func TestKeysAtReadsTheCountAtTheBackupsTime(t *testing.T) {
	v := newCloudEnvWith(t, redistest.Processes(t))
	emu, demo, clk, s := v.emu, v.demo, v.clock, v.session()
	const id = "crs-keysat01"
	now := clk.Now()
	backups := []struct {
		id   string
		at   time.Time
		keys int
	}{
		{"recent", now.Add(-90 * time.Minute), 30},
		{"weeks", now.Add(-20 * 24 * time.Hour), 40},
		{"ancient", now.Add(-200 * 24 * time.Hour), 50},
	}
	emu.AddInstance(cloudemu.Instance{ID: id, Region: demo.Region, Status: 2})
	addr, err := emu.RedisAddr(id)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	for _, b := range backups {
		emu.AddBackup(id, cloudemu.Backup{ID: b.id, StartTime: b.at, Status: 2})
		for i := range b.keys - int(c.DBSize(context.Background()).Val()) {
			c.Set(context.Background(), fmt.Sprintf("%s:%d", b.id, i), "v", 0)
		}
		if err := emu.SnapshotBackup(id, b.id); err != nil {
			t.Fatal(err)
		}
	}

	for _, b := range backups[:2] {
		// Asked at the backup's time and a little after it: the same point.
		for _, at := range []time.Time{b.at, b.at.Add(30 * time.Second)} {
			got, err := s.KeysAt(ctx(t), demo.Region, id, at)
			if err != nil {
				t.Fatalf("%s: %v", b.id, err)
			}
			if got.Keys != int64(b.keys) || got.At.After(b.at) || b.at.Sub(got.At) >= got.Period {
				t.Errorf("%s at %s: %+v, want %d keys of the period holding the backup's time", b.id, at.Format(time.RFC3339), got, b.keys)
			}
		}
	}
	if got, _ := s.KeysAt(ctx(t), demo.Region, id, backups[0].at); got.Period != time.Minute {
		t.Errorf("a backup of 90 minutes ago: %s points, want a minute's", got.Period)
	}
	if got, _ := s.KeysAt(ctx(t), demo.Region, id, backups[1].at); got.Period != 5*time.Minute {
		t.Errorf("a backup of 20 days ago: %s points, want 5 minutes' (minutes are kept 15 days)", got.Period)
	}
	calls := emu.Calls("GetMonitorData")
	_, err = s.KeysAt(ctx(t), demo.Region, id, backups[2].at)
	if e := asFailure(t, err); e.Kind != failure.NotFound || emu.Calls("GetMonitorData") != calls {
		t.Errorf("200 days back: %v (%d calls), want NotFound without a call", err, emu.Calls("GetMonitorData")-calls)
	}
	_, err = s.KeysAt(ctx(t), demo.Region, "crs-notmonitored", now.Add(-time.Hour))
	if e := asFailure(t, err); e.Kind != failure.NotFound || e.Code != "NoMonitorData" {
		t.Errorf("no point recorded: %v, want NotFound NoMonitorData", err)
	}

	// Refused (the role lacks monitor:GetMonitorData): the cloud's error,
	// with its kind.
	emu.SetFaults("GetMonitorData", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	_, err = s.KeysAt(ctx(t), demo.Region, id, backups[0].at)
	if e := asFailure(t, err); e.Kind != failure.Forbidden {
		t.Errorf("refused: %v, want Forbidden", err)
	}
}
