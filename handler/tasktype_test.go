package handler_test

import (
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// The nightly automatic backup (type 017) starts after the alarm fired; the
// emulator, like the API may, ignores the TaskTypes filter and lists it. It
// must not pass for the alarm's restore: the alarm restores, exactly once,
// and its redelivery finds that restore.
func TestAlarmAfterAutomaticBackupRestoresExactlyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	// firstOccurTime of the fixture: 2026-11-29 10:00 CST = 02:00Z.
	fired := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	e.emu.AddTask(cloudemu.Task{InstanceID: e.demo.InstanceID, Type: cloudemu.TaskTypeAutoBackup, StartTime: fired.Add(time.Hour), Duration: time.Hour})
	e.emu.AddTask(cloudemu.Task{InstanceID: e.demo.InstanceID, Type: "037", StartTime: fired.Add(2 * time.Hour)})

	_, rs := e.gateway(fixture(t, "apigw-alarm.json"))
	r := onlyResult(t, rs)
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("first delivery: %+v, want accepted (the automatic backup is no restore)", r)
	}
	calls := e.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].TaskID != r.TaskID {
		t.Fatalf("restores %+v, want one with task %d", calls, r.TaskID)
	}

	// Cloud Monitor sends it again; a fresh container has no memory of it.
	e.h.Memory = restore.NewMemory(time.Hour, 10)
	_, rs = e.gateway(fixture(t, "apigw-alarm.json"))
	again := onlyResult(t, rs)
	if again.Status != intent.Duplicate || again.TaskID != r.TaskID {
		t.Fatalf("redelivery: %+v, want duplicate of task %d", again, r.TaskID)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores after the redelivery, want 1", n)
	}
}
