package handler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/redisserver/redistest"
	"redis-restore/internal/restore"
)

// dataEnv is lifeEnv with real data: each instance is a redis-server, each
// backup an RDB snapshot holding a canary key dated at the backup's time.
func dataEnv(t *testing.T) *env {
	e := newEnvWith(t, cloudemu.Options{Seed: 1, Redis: redistest.Processes(t)})
	if err := cloudemu.SeedDemoData(context.Background(), e.emu, &e.demo); err != nil {
		t.Fatal(err)
	}
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers
	e.vars["RESTORE_SWEEP_EVERY"] = "1s"
	e.vars["RESTORE_CANARY_KEY"] = e.demo.CanaryKey
	e.vars["RESTORE_CANARY_EVERY"] = "1m"
	e.emu.SetTaskDuration(time.Second)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond})
	return e
}

// The sweep checks what a restore brought back: the backup's keys and its
// canary, in the succeeded message; a backup that holds other data than
// its time says is reported restore.suspect with the numbers.
func TestRestoredDataIsVerifiedAndAWrongBackupIsSuspect(t *testing.T) {
	t.Parallel()
	for _, wrong := range []bool{false, true} {
		t.Run(fmt.Sprint("wrong backup=", wrong), func(t *testing.T) {
			t.Parallel()
			e := dataEnv(t)
			inst, backup := e.demo.InstanceID, e.demo.LatestBackupID
			if wrong {
				// The backup's snapshot holds data a day older than the
				// backup: another state than the one asked for.
				addr, err := e.emu.RedisAddr(inst)
				if err != nil {
					t.Fatal(err)
				}
				c := goredis.NewClient(&goredis.Options{Addr: addr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
				old := e.demo.BackupTimes[backup].Add(-24 * time.Hour)
				if err := c.Set(context.Background(), e.demo.CanaryKey, old.UTC().Format(time.RFC3339), 0).Err(); err != nil {
					t.Fatal(err)
				}
				c.Close()
				if err := e.emu.SnapshotBackup(inst, backup); err != nil {
					t.Fatal(err)
				}
			}
			r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, backup))))
			if r.Status != restore.Accepted {
				t.Fatalf("%+v %+v", r, r.Error)
			}
			msgs := e.sweepUntil("succeeded", 20*time.Second)
			ok := lastOf(msgs, "succeeded")
			v := ok.Data.Verification
			if v == nil || !v.Checked {
				t.Fatalf("succeeded without a check of the data: %+v", v)
			}
			sus := lastOf(e.messages(), "suspect")
			if !wrong {
				if !v.Verified || v.Keys != e.demo.BackupKeys[backup] || v.DataAsOf == nil || !v.DataAsOf.Equal(e.demo.BackupTimes[backup].UTC().Truncate(time.Second)) || sus.ID != "" {
					t.Fatalf("the right backup restored: verification %+v, suspect %+v", v, sus.Data)
				}
				return
			}
			if v.Verified || sus.ID == "" || sus.Data.Error == nil || sus.Data.Error.Code != "RestoreSuspect" || sus.Data.Verification == nil {
				t.Fatalf("a backup holding older data: verification %+v, suspect %+v", v, sus.Data)
			}
		})
	}
}
