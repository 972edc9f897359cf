package handler_test

// A hostile review of the last commits (2a605cb..b9bf522): the safety
// backup's remark carrying "since <event>; made <time>" and a backup
// started more than an hour after its remark's making taken for a copy
// (lifecycle.go SafetyRemark, ParseSafety, CopyAfter); the redelivery
// judged by its own event's safety backup (restore.go
// supersededEarlier); the intent's watch reporting a listed failed
// safety backup of an instance out of the allow-list (watchIntent). A
// test that shows a problem is skipped with "review: ..." so that the
// package stays green; the lead fixes, then removes the skip.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/seal"
)

// legacyRemark is a remark of an earlier version: 3 parts (no since, no
// made; before ee362ed) or 4 parts (since, no made; ee362ed..4b5a4c8).
func legacyRemark(e *env, instanceID, restores, trigger string, since time.Time) string {
	k := seal.New(e.vars["RESTORE_SIGNING_KEY"])
	if since.IsZero() {
		return "redis-restore undo point; restores " + restores + "; " + trigger + "; " +
			k.Sum("safety", instanceID, restores, trigger)
	}
	at := "since " + since.UTC().Truncate(time.Second).Format(time.RFC3339)
	return "redis-restore undo point; restores " + restores + "; " + trigger + "; " + at + "; " +
		k.Sum("safety", instanceID, restores, trigger, at)
}

// CopyAfter guards only the 5-part remark: ParseSafety (lifecycle.go
// 159: len(parts) != 3 && len(parts) != 5) still reads the 3-part remark
// of an earlier version ("an earlier version's remark still reads",
// lifecycle_test.go), which names neither its event nor its making: its
// event is its backup's start (EventAt, lifecycle.go 102). Such remarks
// stay in the backup list for their backup's retention (7 days) after
// the upgrade, readable by anyone who may list backups. The attack of
// TestLateReviewCopiedRemarkOfADayOldIntentNeverRestores, with such a
// remark: its safety backup failed 25 h ago (out of the sweep's one-day
// list), someone with ManualBackupInstance only copies the remark today;
// the copy is "the first listed" (signedOnly), its own start is its
// event, no restore since, done, within its deadline: the sweep restores
// an intent reported failed a day ago, without approval or budget.
func TestLastReviewCopiedLegacyRemarkNeverRestores(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	remark := legacyRemark(e, inst, e.demo.LatestBackupID, "timer", time.Time{})
	started := time.Now().Add(-25 * time.Hour).Truncate(time.Second)
	e.emu.AddBackup(inst, cloudemu.Backup{ID: "678362566696298532840011", BackupType: "0", Status: -1, Size: 1 << 20,
		StartTime: started, Remark: remark})
	e.someonesManualBackup(inst, remark)
	time.Sleep(1500 * time.Millisecond) // the copy is done
	e.sweepFor(3 * time.Second)
	if calls := e.emu.RestoreCalls(); len(calls) != 0 {
		t.Fatalf("a manual backup taken today with an earlier version's remark (its safety backup failed 25 h ago) was restored over %d times (%+v): messages %s",
			len(calls), calls, types(e.messages()))
	}
}

// The other way round: the 4-part remark ("since", no "made") that the
// function wrote from ee362ed until 8ddac8b no longer reads at all
// (ParseSafety, lifecycle.go 159), though the change keeps reading the
// older 3-part one. An intent accepted by that version whose safety
// backup is running or done when the new version is deployed is never
// continued, never reported: no reader (watch, sweep, redelivery) sees a
// safety backup, and the sweep has nothing to judge expired. An accepted
// intent dropped silently at an upgrade.
func TestLastReviewIntentInFlightAcrossTheUpgradeHasAnOutcome(t *testing.T) {
	t.Skip("not a finding on main: the 4-part remark (since, no made) existed only on main within one session (ee362ed to 8ddac8b) and never landed or deployed; the deployed earlier form is the 3-part one, read as legacy (never continued: TestLastReviewCopiedLegacyRemarkNeverRestores)")
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	event := time.Now().Add(-30 * time.Second).Truncate(time.Second)
	e.emu.AddBackup(inst, cloudemu.Backup{ID: "678362566696298532840012", BackupType: "0", Status: 2, Size: 1 << 20,
		StartTime: event.Add(2 * time.Second), EndTime: event.Add(5 * time.Second),
		Remark: legacyRemark(e, inst, e.demo.LatestBackupID, "timer", event)})
	e.sweepFor(4 * time.Second)
	e.emu.WaitInvocations()
	if n, got := len(e.emu.RestoreCalls()), terminalIDs(e, inst); n == 0 && len(got) == 0 {
		t.Fatalf("the intent accepted by the previous version (its safety backup done, remark with since and no made) was neither restored nor reported: messages %s",
			types(e.messages()))
	}
}

// supersededEarlier (restore.go 363-394) now answers a redelivery whose
// event's safety backup was followed by a restore "RestoredOwn" with
// Duplicate, that restore's TaskId and BackupID = the intent's backup
// ("its own"). But it asks FirstRestore (judge.go 42) only, not
// JudgeSafety: FirstRestore never looks at a failed backup (Gone, no
// end: DoneAt is its start, judge.go 97), so any unmarked restore after
// it is "own". A timer's safety backup fails; the sweep reports the
// intent failed, SafetyBackupFailed, "nothing was restored". Then an
// operator restores another backup from the console (the reason the
// timer was there). The platform's retry of the timer is answered
// Duplicate of the operator's task, BackupId the timer's backup: the
// caller is told its restore ran, the opposite of its one outcome, and
// of another backup than was restored (never the wrong thing, one
// terminal outcome). The sweep judges the same backup failed
// (JudgeSafety's first case); the redelivery must say so too.
func TestLastReviewRedeliveryOfAFailedIntentIsNeverAnsweredAnotherRestore(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	timer := timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, e.demo.LatestBackupID))
	r := onlyResult(t, e.results(timer))
	if r.Status != intent.Accepted || r.UndoBackupID == "" {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	e.sweepUntil("failed", 15*time.Second)
	if _, _, err := e.someone().RestoreInstance(context.Background(), e.demo.Region, inst, backupBeforeTheAlarms, e.demo.Password); err != nil {
		t.Fatalf("someone's restore: %v", err)
	}
	ans, err := invokeWith(e, freshHandler(e), timer)
	again := answered(t, ans, err)
	if again.Status == intent.Duplicate {
		t.Fatalf("the retry of an intent reported failed (%s) is answered duplicate of someone's restore %d (BackupId %s; that restore was of %s): %q",
			errMessage(lastOf(e.messages(), "failed").Data.Error), again.TaskID, again.BackupID, backupBeforeTheAlarms, again.Reason)
	}
}
