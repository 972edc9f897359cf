package handler_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/redisserver/redistest"
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

// staleBackup makes a backup's snapshot hold data a day older than the
// backup (its canary so dated): another state than the one asked for.
func staleBackup(t *testing.T, e *env, inst, backup string) {
	t.Helper()
	addr, err := e.emu.RedisAddr(inst)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	old := e.demo.BackupTimes[backup].Add(-24 * time.Hour)
	if err := c.Set(context.Background(), e.demo.CanaryKey, old.UTC().Format(time.RFC3339), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.SnapshotBackup(inst, backup); err != nil {
		t.Fatal(err)
	}
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
				staleBackup(t, e, inst, backup)
			}
			r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, backup))))
			if r.Status != intent.Accepted {
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

// A restore drill clones the newest backup of a Redis 4.0 instance, and
// the sweep verifies the clone's data against real redis-server, reports
// restore.drill.passed with the RTO and the RPO, and releases the clone:
// the instance itself is never restored or backed up. A backup that
// holds another state than its time says fails the drill, and its clone
// is released all the same.
func TestDrillVerifiesTheNewestBackupAndReleasesItsClone(t *testing.T) {
	t.Parallel()
	for _, wrong := range []bool{false, true} {
		t.Run(fmt.Sprint("wrong backup=", wrong), func(t *testing.T) {
			e := dataEnv(t)
			e.vars["RESTORE_CLONE"] = "true"
			e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond, Clone: time.Second, Destroy: 500 * time.Millisecond})
			inst, backup := e.demo.InstanceID, e.demo.LatestBackupID
			redis4(e, inst)
			if wrong {
				staleBackup(t, e, inst, backup)
			}
			begun := time.Now().Truncate(time.Second)
			ev := timerEvent(t, begun, fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, inst))
			r := onlyResult(t, e.results(ev))
			if r.Status != intent.Accepted || r.BackupID != backup || r.Life == nil || len(r.NewInstanceIDs) != 1 {
				t.Fatalf("drill: %+v %+v", r, r.Error)
			}
			clone := r.NewInstanceIDs[0]
			// A redelivery finds the drill's clone: one drill, one clone.
			if again := onlyResult(t, e.results(ev)); again.Status != intent.Duplicate || len(e.emu.Clones()) != 1 {
				t.Fatalf("redelivered drill: %+v, %d clones", again, len(e.emu.Clones()))
			}
			want := "drill.passed"
			if wrong {
				want = "drill.failed"
			}
			msgs := e.sweepUntil(want, 30*time.Second)
			m := lastOf(msgs, want)
			d, v := m.Data.Drill, m.Data.Verification
			if d == nil || d.CloneID != clone || d.BackupID != backup || d.RTOSeconds == nil || *d.RTOSeconds < 0 || d.RPOSeconds == nil ||
				*d.RPOSeconds != int64(begun.Sub(e.demo.BackupTimes[backup]).Seconds()) || v == nil || !v.Checked {
				t.Fatalf("%s: drill %+v, verification %+v", want, d, v)
			}
			if wrong == v.Verified || (!wrong && v.Keys != e.demo.BackupKeys[backup]) {
				t.Fatalf("%s: verification %+v", want, v)
			}
			t.Logf("DRILL %s rto=%ds rpo=%ds keys=%d (clone task %s, sweep every 1s)", want, *d.RTOSeconds, *d.RPOSeconds, v.Keys, time.Second)
			// Released once its outcome is out; the instance untouched.
			deadline := time.Now().Add(10 * time.Second)
			for len(e.emu.Destroys()) == 0 && time.Now().Before(deadline) {
				e.sweep()
				time.Sleep(200 * time.Millisecond)
			}
			time.Sleep(time.Second) // the release's task ends
			e.sweep()
			e.sweep()
			ds := e.emu.Destroys()
			if len(ds) != 1 || ds[0].InstanceID != clone {
				t.Fatalf("destroyed %+v, want the drill's clone %s once", ds, clone)
			}
			if n, b := len(e.emu.RestoreCalls()), len(e.emu.ManualBackups()); n != 0 || b != 0 {
				t.Fatalf("a drill restored %d and backed up %d times", n, b)
			}
			if got := types(e.messages()); got != "drill.started×1 "+want+"×1" {
				t.Fatalf("messages %s", got)
			}
		})
	}
}

// freshBackup makes a backup of the demo instance taken ten minutes ago
// holding keys keys (its canary dated at its start), whose key count the
// emulator's Cloud Monitor recorded at that time; the instance then holds
// a few keys more. Recent, so that Cloud Monitor still keeps minutes of
// it whatever the day the test runs.
func freshBackup(t *testing.T, e *env, id string, keys int) (cloudemu.Backup, *goredis.Client) {
	t.Helper()
	ctx := context.Background()
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	b := cloudemu.Backup{ID: id, StartTime: start, EndTime: start.Add(time.Minute), Status: 2, BackupType: "1", Size: 1 << 20}
	e.emu.AddBackup(e.demo.InstanceID, b)
	addr, err := e.emu.RedisAddr(e.demo.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: addr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	fillKeys(t, c, keys, e.demo.CanaryKey, start)
	if err := e.emu.SnapshotBackup(e.demo.InstanceID, id); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		c.Set(ctx, fmt.Sprintf("after:%d", i), "written after the backup", 0)
	}
	return b, c
}

// fillKeys replaces the instance's data with n keys, the canary (dated
// asOf) among them.
func fillKeys(t *testing.T, c *goredis.Client, n int, canaryKey string, asOf time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.FlushAll(ctx)
		for i := range n - 1 {
			p.Set(ctx, fmt.Sprintf("fresh:%05d", i), i, 0)
		}
		p.Set(ctx, canaryKey, asOf.UTC().Format(time.RFC3339), 0)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// restoreAndSweep restores the backup by a timer (its safety backup
// first) and sweeps until the restore's succeeded message.
func restoreAndSweep(t *testing.T, e *env, backupID string) (ok, suspect intent.Event) {
	t.Helper()
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, backupID))))
	if r.Status != intent.Accepted {
		t.Fatalf("%+v %+v", r, r.Error)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	return lastOf(msgs, "succeeded"), lastOf(e.messages(), "suspect")
}

// The succeeded message says what the backup held, by Cloud Monitor's key
// count at the backup's time, beside what came back.
func TestRestoredDataIsComparedWithTheBackupsKeyCount(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	b, _ := freshBackup(t, e, "fresh-1200", 1200)
	ok, sus := restoreAndSweep(t, e, b.ID)
	v := ok.Data.Verification
	if v == nil || !v.Checked || !v.Verified || v.Keys != 1200 || v.ExpectedKeys == nil || *v.ExpectedKeys != 1200 || sus.ID != "" {
		t.Fatalf("verification %+v (expected %v), suspect %+v: want 1200 keys, the backup held 1200, verified", v, v.ExpectedKeys, sus.Data)
	}
	if !strings.Contains(v.ExpectedKeysFrom, "Cloud Monitor") || !strings.Contains(v.ExpectedKeysFrom, b.StartTime.UTC().Format(time.RFC3339)) {
		t.Errorf("expectedKeysFrom %q: want Cloud Monitor's count at the backup's start", v.ExpectedKeysFrom)
	}
}

// A backup whose content is far from what the instance held at the
// backup's time (3 keys where Cloud Monitor counted 1,200) is restored,
// reported succeeded, and restore.suspect with both numbers, though its
// canary is right.
func TestARestoreFarBelowTheBackupsKeyCountIsSuspect(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	b, c := freshBackup(t, e, "fresh-hollow", 1200)
	// The backup's file replaced by a nearly empty one of the same time:
	// the monitor's history stays 1,200.
	fillKeys(t, c, 3, e.demo.CanaryKey, b.StartTime)
	if err := e.emu.SnapshotBackup(e.demo.InstanceID, b.ID); err != nil {
		t.Fatal(err)
	}
	ok, sus := restoreAndSweep(t, e, b.ID)
	v := ok.Data.Verification
	if v == nil || !v.Checked || v.Verified || v.Keys != 3 || v.ExpectedKeys == nil || *v.ExpectedKeys != 1200 {
		t.Fatalf("verification %+v: want 3 keys where the backup held 1200, not verified", v)
	}
	if sus.ID == "" || sus.Data.Error == nil || sus.Data.Error.Code != "RestoreSuspect" ||
		!strings.Contains(sus.Data.Error.Message, "3 keys, the backup held 1200") || sus.Data.Verification == nil || *sus.Data.Verification.ExpectedKeys != 1200 {
		t.Fatalf("suspect %+v: want RestoreSuspect naming 3 keys and the 1200 held", sus.Data)
	}
}

// Cloud Monitor refusing (the role lacks monitor:GetMonitorData): the
// restore is verified by what could be checked, its canary, and says the
// expected keys are unknown; nothing suspect, nothing failed.
func TestARefusedKeyCountLeavesTheExpectedKeysUnknown(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	e.emu.SetFaults("GetMonitorData", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	b, _ := freshBackup(t, e, "fresh-refused", 1200)
	ok, sus := restoreAndSweep(t, e, b.ID)
	v := ok.Data.Verification
	if v == nil || !v.Checked || !v.Verified || v.Keys != 1200 || v.ExpectedKeys != nil || sus.ID != "" {
		t.Fatalf("verification %+v, suspect %+v: want verified by the canary, expected keys unknown", v, sus.Data)
	}
	if !strings.HasPrefix(v.ExpectedKeysFrom, "unknown: Cloud Monitor did not answer") || !strings.Contains(v.ExpectedKeysFrom, "UnauthorizedOperation") {
		t.Errorf("expectedKeysFrom %q: want unknown, with the refusal", v.ExpectedKeysFrom)
	}
	if e.emu.FaultsInjected() == 0 {
		t.Error("GetMonitorData was never asked")
	}
}

// Clone and switch on real data: a Redis 4.0 instance whose data was
// lost is restored by cloning its backup, verifying the clone and only
// then swapping the two addresses, so that clients at the instance's own
// address find the backup's keys again; the undo swaps them back, and the
// clients find the instance as it was. A clone whose data does not check
// out is never switched to.
func TestCloneAndSwitchKeepsTheClientsAddressAndItsUndoSwitchesBack(t *testing.T) {
	t.Parallel()
	for _, wrong := range []bool{false, true} {
		t.Run(fmt.Sprint("wrong backup=", wrong), func(t *testing.T) {
			e := dataEnv(t)
			e.vars["RESTORE_CLONE_SWITCH"] = "true"
			e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond, Clone: time.Second, Switch: 500 * time.Millisecond})
			inst, backup := e.demo.InstanceID, e.demo.LatestBackupID
			redis4(e, inst)
			addr, err := e.emu.RedisAddr(inst)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			client := goredis.NewClient(&goredis.Options{Addr: addr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
			defer client.Close()
			if wrong {
				staleBackup(t, e, inst, backup)
			}
			// The incident: the instance's data is lost.
			if err := client.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			ev := timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"switch"}`, inst))
			r := onlyResult(t, e.results(ev))
			if r.Status != intent.Accepted || r.BackupID != backup || len(r.NewInstanceIDs) != 1 {
				t.Fatalf("switch: %+v %+v", r, r.Error)
			}
			clone := r.NewInstanceIDs[0]
			if again := onlyResult(t, e.results(ev)); again.Status != intent.Duplicate || len(e.emu.Clones()) != 1 {
				t.Fatalf("redelivered switch: %+v, %d clones", again, len(e.emu.Clones()))
			}
			if wrong {
				msgs := e.sweepUntil("failed", 30*time.Second)
				f := lastOf(msgs, "failed")
				if f.Data.Error == nil || f.Data.Error.Code != "SwitchNotVerified" || f.Data.Verification == nil || f.Data.Verification.Verified {
					t.Fatalf("failed %+v %+v", f.Data.Error, f.Data.Verification)
				}
				e.sweep()
				if n := len(e.emu.Switches()); n != 0 {
					t.Fatalf("switched %d times to a clone whose data does not check out", n)
				}
				return
			}
			msgs := e.sweepUntil("succeeded", 30*time.Second)
			ok := lastOf(msgs, "succeeded")
			if ok.Data.Undo == "" || len(ok.Data.NewInstanceIDs) != 1 || ok.Data.NewInstanceIDs[0] != clone {
				t.Fatalf("succeeded %+v", ok.Data.Life)
			}
			if s := lastOf(msgs, "started"); s.Data.Verification == nil || !s.Data.Verification.Verified {
				t.Fatalf("switched without a verified clone: %+v", s.Data.Verification)
			}
			// The clients, at the instance's address, find the backup's keys.
			if n, err := client.DBSize(ctx).Result(); err != nil || n != e.demo.BackupKeys[backup] {
				t.Fatalf("at %s after the switch: %d keys (%v), want the backup's %d", addr, n, err, e.demo.BackupKeys[backup])
			}
			// The undo: the addresses swapped back.
			u := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), ok.Data.Undo)))
			if u.Status != intent.Accepted || u.TaskID == 0 {
				t.Fatalf("undo %s: %+v %+v", ok.Data.Undo, u, u.Error)
			}
			deadline := time.Now().Add(20 * time.Second)
			for countType(e.messages(), "succeeded") < 2 && time.Now().Before(deadline) {
				e.sweep()
				time.Sleep(300 * time.Millisecond)
			}
			if n, err := client.DBSize(ctx).Result(); err != nil || n != 0 {
				t.Fatalf("at %s after the undo: %d keys (%v), want the instance as it was (flushed)", addr, n, err)
			}
			if n, sw := len(e.emu.RestoreCalls()), len(e.emu.Switches()); n != 0 || sw != 2 || len(e.emu.Destroys()) != 0 {
				t.Fatalf("%d restores, %d switches, %d releases: want 0, 2, 0", n, sw, len(e.emu.Destroys()))
			}
			if got := types(e.messages()); got != "cloned×1 started×1 succeeded×2 accepted×1" {
				t.Fatalf("messages %s", got)
			}
		})
	}
}

// countType counts the distinct ids of one message type.
func countType(msgs []intent.Event, typ string) int {
	ids := map[string]bool{}
	for _, m := range msgs {
		if m.Type == intent.EventTypePrefix+typ {
			ids[m.ID] = true
		}
	}
	return len(ids)
}

// switchEnv is dataEnv with clone and switch on, the demo's instance a
// Redis 4.0 one; it returns the instance's address and a client of it.
func switchEnv(t *testing.T) (*env, string) {
	e := dataEnv(t)
	e.vars["RESTORE_CLONE_SWITCH"] = "true"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond, Clone: time.Second, Switch: 500 * time.Millisecond, Destroy: 300 * time.Millisecond})
	redis4(e, e.demo.InstanceID)
	return e, fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"switch"}`, e.demo.InstanceID)
}

// switchedWithRetention asks for a switch with RESTORE_SWITCH_RETENTION.
func switchedWithRetention(t *testing.T, retention string) *env {
	e, body := switchEnv(t)
	e.vars["RESTORE_SWITCH_RETENTION"] = retention
	if r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), body))); r.Status != intent.Accepted {
		t.Fatalf("switch: %+v %+v", r, r.Error)
	}
	return e
}

// RESTORE_SWITCH_RETENTION after the switch ended, the old instance (no
// longer serving, pay-as-you-go) is released, once, with a
// restore.released message; the clone, serving, is not.
func TestSwitchRetentionReleasesTheOldInstanceOnce(t *testing.T) {
	t.Parallel()
	e := switchedWithRetention(t, "2s")
	e.sweepUntil("released", 30*time.Second)
	time.Sleep(500 * time.Millisecond) // the release's task ends
	e.sweep()
	e.sweep()
	if ds := e.emu.Destroys(); len(ds) != 1 || ds[0].InstanceID != e.demo.InstanceID {
		t.Fatalf("released %+v, want the old instance %s once", ds, e.demo.InstanceID)
	}
	if got := types(e.messages()); got != "cloned×1 started×1 succeeded×1 released×1" {
		t.Fatalf("messages %s", got)
	}
}

// A sweep that first sees a switch's end after its retention is over (the
// sweeps were late: an outage, a throttled function) reports the switch
// succeeded before it releases the old instance, never the other way.
func TestSwitchEndIsReportedBeforeTheOldInstanceIsReleased(t *testing.T) {
	t.Parallel()
	e := switchedWithRetention(t, "1s")
	e.sweepUntil("started", 30*time.Second)
	time.Sleep(2500 * time.Millisecond) // the switch ends (500 ms), then its retention (1 s), unseen
	e.sweep()
	if got := types(e.messages()); got != "cloned×1 started×1 succeeded×1 released×1" {
		t.Fatalf("messages %s, want the switch's end before the release", got)
	}
}

// With RESTORE_SWITCH_UNVERIFIED=release, a clone whose data does not
// check out is released once reported, never switched to; without a
// known password for a password-protected instance, no clone is ordered.
func TestSwitchReleasesAnUnverifiedCloneAndNeedsThePassword(t *testing.T) {
	t.Parallel()
	e, body := switchEnv(t)
	e.vars["RESTORE_SWITCH_UNVERIFIED"] = "release"
	inst, backup := e.demo.InstanceID, e.demo.LatestBackupID
	staleBackup(t, e, inst, backup)
	r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), body)))
	if r.Status != intent.Accepted || len(r.NewInstanceIDs) != 1 {
		t.Fatalf("switch: %+v %+v", r, r.Error)
	}
	e.sweepUntil("failed", 30*time.Second)
	if ds, sw := e.emu.Destroys(), e.emu.Switches(); len(ds) != 1 || ds[0].InstanceID != r.NewInstanceIDs[0] || len(sw) != 0 {
		t.Fatalf("released %+v, switched %d times: want the unverified clone released, no switch", ds, len(sw))
	}

	delete(e.vars, "RESTORE_PASSWORD")
	nextFiring()
	p := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), strings.Replace(body, `"latest"`, fmt.Sprintf("%q", e.demo.BackupIDs[0]), 1))))
	if p.Status != intent.Failed || p.Error == nil || p.Error.Code != "PasswordUnknown" || len(e.emu.Clones()) != 1 {
		t.Fatalf("a switch of a password-protected instance with no password known: %+v %+v, %d clones", p, p.Error, len(e.emu.Clones()))
	}
}

// Clone mode on real data: the new instance holds the backup's keys, and
// the instance itself is left as it is.
func TestCloneHoldsTheBackupsData(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond, Clone: time.Second})
	inst, backup := e.demo.InstanceID, e.demo.LatestBackupID
	redis4(e, inst)
	addr, err := e.emu.RedisAddr(inst)
	if err != nil {
		t.Fatal(err)
	}
	src := goredis.NewClient(&goredis.Options{Addr: addr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
	defer src.Close()
	ctx := context.Background()
	if err := src.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, inst, backup))))
	if r.Status != intent.Accepted || len(r.NewInstanceIDs) != 1 {
		t.Fatalf("clone: %+v %+v", r, r.Error)
	}
	e.sweepUntil("succeeded", 30*time.Second)
	cloneAddr, err := e.emu.RedisAddr(r.NewInstanceIDs[0])
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(&goredis.Options{Addr: cloneAddr, Password: e.demo.Password, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	if n, err := c.DBSize(ctx).Result(); err != nil || n != e.demo.BackupKeys[backup] {
		t.Fatalf("the clone holds %d keys (%v), want the backup's %d", n, err, e.demo.BackupKeys[backup])
	}
	if n, err := src.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("the instance holds %d keys (%v): a clone must leave it as it is", n, err)
	}
}
