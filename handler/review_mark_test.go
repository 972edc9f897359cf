package handler_test

// A hostile review of the restore's mark (a81bc02, 5ba0549: the tag that
// proves a restore after a safety backup the intent's) and of the watch
// review's fixes (974c9d9) and the flapping alarm (548d618), composed with
// each other: erased and unwritable marks, the mark's six entries, the
// deadline check against the sweep's expired report, failedEarlier, two
// intents before one restore. A test that shows a problem is skipped with
// "review: ..." so that the package stays green; the lead fixes, then
// removes the skip.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// timerRestore is a safety-backed timer restore of the demo instance's
// newest backup, at now; it fails the test unless it is accepted with
// its safety backup.
func timerRestore(t *testing.T, e *env) intent.Result {
	t.Helper()
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup || r.UndoBackupID == "" {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	return r
}

// outcomesOfTask lists the terminal messages (succeeded, failed,
// expired) that name restore task id, one per distinct message id, as
// "type/code".
func outcomesOfTask(e *env, id int64) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range e.messages() {
		typ := strings.TrimPrefix(m.Type, intent.EventTypePrefix)
		if m.Data.TaskID != id || seen[m.ID] || (typ != "succeeded" && typ != "failed" && typ != "expired") {
			continue
		}
		seen[m.ID] = true
		out = append(out, typ+"/"+errCode(m.Data.Error))
	}
	return out
}

// markOf is the function's mark on an instance, as the emulator holds it.
func markOf(e *env, id string) string {
	var v string
	e.emu.UpdateInstance(id, func(in *cloudemu.Instance) { v = in.Tags[intent.MarkKey] })
	return v
}

// The function's role lacks tag:TagResources (a role written by make
// policy before the mark existed: the upgrade needs a new grant, which
// nothing checks), or the instance already holds its 50 tags (anyone with
// tag rights can fill them). The intent's safety backup is done and its
// watch restores; TagResources is refused, which is only logged
// (restore.unmarked). The sweep then judges the function's own restore
// "not this intent's": it reports the intent failed, RestoreSuperseded,
// "<backup> was not restored over it", naming the restore task that did
// restore that backup; and reports the same task succeeded. One intent,
// one task, two terminal outcomes, and the failed one false: the backup
// was restored. The function knew the restore was its own when it was
// accepted (it sent the started message naming the task); only the proof
// for later sweeps was missing.
func TestRestoreWhoseMarkCouldNotBeWrittenHasOneOutcome(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.emu.SetFaults("TagResources", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	r := timerRestore(t, e)
	if !waitFor(15*time.Second, func() bool { return len(e.emu.RestoreCalls()) == 1 }) {
		t.Fatalf("the watch did not restore within 15 s: messages %s", types(e.messages()))
	}
	call := e.emu.RestoreCalls()[0]
	e.sweepUntil("succeeded", 20*time.Second)
	e.sweepFor(14 * time.Second) // past markGrace (10 periods) and its window
	if got := outcomesOfTask(e, call.TaskID); len(got) != 1 {
		t.Fatalf("restore task %d of the intent (undo %s): outcomes %v, want one; messages %s", call.TaskID, r.UndoBackupID, got, types(e.messages()))
	}
}

// The same by hand: the function restores and marks; then someone who
// manages the instance's tags (a Terraform apply that owns the tag set,
// a tag policy, anyone with tag:TagResources) overwrites the
// redis-restore tag. The next sweeps report the intent failed,
// RestoreSuperseded, after its own restore was reported succeeded: two
// terminal outcomes, the second saying the backup was not restored.
// (Erasing the mark does not make the function restore twice: that
// holds, checked here too.)
func TestErasedMarkNeverGivesTheIntentASecondOutcome(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	r := timerRestore(t, e)
	e.sweepUntil("succeeded", 20*time.Second)
	call := e.emu.RestoreCalls()[0]
	if m := markOf(e, e.demo.InstanceID); !strings.HasPrefix(m, fmt.Sprint(call.TaskID)+".") {
		t.Fatalf("mark %q after restore task %d", m, call.TaskID)
	}
	e.emu.UpdateInstance(e.demo.InstanceID, func(in *cloudemu.Instance) { in.Tags[intent.MarkKey] = "managed-by-terraform" })
	e.sweepFor(14 * time.Second)
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores once the mark was erased", n)
	}
	if got := outcomesOfTask(e, call.TaskID); len(got) != 1 {
		t.Fatalf("restore task %d of the intent (undo %s): outcomes %v, want one; messages %s", call.TaskID, r.UndoBackupID, got, types(e.messages()))
	}
}

// ContinueSafety judges the deadline on the clock, once, before Run; the
// restore's attempts then wait out a lock (RESTORE_LOCK_RETRY, 20 s by
// default) without judging it again. A continuation that starts within
// the deadline and meets a locked instance (someone's backup, a
// parameter change) is still waiting when the deadline passes; the next
// sweep (another invocation: the platform runs timer events in parallel)
// finds no restore after the safety backup and reports the intent
// expired, "it is not started late; nothing was restored"; then the lock
// lifts and the continuation restores. The intent ends expired and
// succeeded, restored after it was reported never to be.
func TestContinuationWaitingOutALockPastTheDeadlineIsNotRestoredAfterItsExpiry(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s"
	e.vars["RESTORE_LOCK_RETRY"] = "20s"
	locked := make([]cloudemu.Fault, 10)
	for i := range locked {
		locked[i] = cloudemu.Fault{Code: "ResourceUnavailable.InstanceLockedError", Delay: 500 * time.Millisecond}
	}
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: locked})
	accepted := time.Now()
	timerRestore(t, e)
	// The safety backup is done about 1 s after; a sweep a second later
	// continues it, within the deadline, and meets the lock for 5 s.
	time.Sleep(time.Until(accepted.Add(2200 * time.Millisecond)))
	continued := make(chan error, 1)
	go func() {
		_, err := invokeWith(e, freshHandler(e), timerEvent(t, time.Now().Truncate(time.Second), `{"sweep":true}`))
		continued <- err
	}()
	// The sweeps after the deadline, while that one waits.
	time.Sleep(time.Until(accepted.Add(4600 * time.Millisecond)))
	e.sweepFor(2 * time.Second)
	<-continued
	e.sweepFor(4 * time.Second)
	if len(queuedOfType(e, "expired")) > 0 && len(e.emu.RestoreCalls()) > 0 {
		t.Fatalf("reported expired (\"never started late\") and restored (%+v): messages %s", e.emu.RestoreCalls(), types(e.messages()))
	}
}

// failedEarlier (974c9d9) refuses any safety-backed event for which a
// manual backup task that started since the event's time failed: "it
// may be this event's safety backup". It runs on every delivery, the
// first included, and takes anyone's task. An alarm fires (firstOccurTime
// is when the condition began, a few minutes before the callback comes);
// meanwhile the on-call engineer tries a backup from the console, which
// fails (the disk the alarm is about is full). The alarm's first delivery
// is refused, SafetyBackupFailed, "nothing was restored ... send a new
// request": an alarm cannot send one, and the engineer's backup, listed
// with the engineer's remark, is provably not the function's (the
// principle of TestAManualBackupListedAsSomeoneElsesIsNeverTakenForThis
// EventsSafetyBackup). Its message id is derived from the engineer's
// task, so a second alarm refused for the same reason sends the same id,
// and consumers drop its one outcome as a copy.
func TestSomeonesFailedManualBackupDoesNotRefuseAnAlarmsFirstDelivery(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	fired := time.Now().Add(-3 * time.Second)
	time.Sleep(time.Second)
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	e.someonesManualBackup(inst, "by hand before the fix (on-call)")
	time.Sleep(2 * time.Second) // it fails
	ans, err := e.invoke(alarmVia(t, "direct", flapFiring(t, inst, fired)))
	r := answered(t, ans, err)
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("the alarm's first delivery after someone's manual backup failed: %s %+v (messages %s)", r.Status, r.Error, types(e.messages()))
	}
}

// The mark keeps the last six restores; the sweep judges a safety-backed
// intent by it for a day (the catch-up slots at 4, 8, 16, ... periods
// after, up to 24 h). An instance restored by seven safety-backed
// intents within that (a timer every few hours and an alarm or two; here
// in seconds) loses the first one's entry, and the first intent, reported
// succeeded, is reported failed RestoreSuperseded in a later catch-up
// slot ("the function did not start it"): two terminal outcomes, the
// second false. (Its end, repeated in the same slots under the same id,
// also loses its backupId and undo.)
func TestSeventhRestoreOfAnInstanceNeverSupersedesTheFirst(t *testing.T) {
	if os.Getenv("REDIS_RESTORE_SLOW_TESTS") == "" {
		t.Skip("passes since the superseded report was dropped; it takes about 80 s: REDIS_RESTORE_SLOW_TESTS=1 go test -run TestSeventhRestore ./handler")
	}
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	inst := e.demo.InstanceID
	var firstTask int64
	for i := 0; i < 7; i++ {
		timerRestore(t, e)
		if !waitFor(15*time.Second, func() bool { return len(e.emu.RestoreCalls()) == i+1 }) {
			t.Fatalf("restore %d not started within 15 s: messages %s", i+1, types(e.messages()))
		}
		if i == 0 {
			firstTask = e.emu.RestoreCalls()[0].TaskID
		}
		if !waitFor(10*time.Second, func() bool { st, _ := e.emu.InstanceStatus(inst); return st == 2 }) {
			t.Fatalf("restore %d did not end", i+1)
		}
		time.Sleep(1100 * time.Millisecond) // the next timer's Time is after this restore
		e.sweep()
	}
	if m := markOf(e, inst); strings.Contains(m, fmt.Sprint(firstTask)+".") {
		t.Fatalf("mark %q still holds the first restore %d", m, firstTask)
	}
	first := e.emu.RestoreCalls()[0].Time
	e.sweepFor(time.Until(first.Add(80 * time.Second)))
	if got := outcomesOfTask(e, firstTask); len(got) != 1 {
		t.Fatalf("the first intent's restore task %d: outcomes %v, want one", firstTask, got)
	}
}

// A timer's fleet with safety backups (the default for timers): a
// member's safety backup is done, and before its watch continues it (the
// platform holds the watch's invocation; here it never runs) someone
// restores that member from the console, another backup. The fleet's own
// watch (JudgeFleet) took any restore task since the fleet began for the
// member's, mark or none, and completed the fleet with that member "done",
// naming someone's task. Only a restore the function marked is the
// member's: the fleet completes with it not done. (Nothing sealed tells
// someone's restore after the member's safety backup from the function's
// own whose mark could not be written,
// TestLifeFleetMemberRestoredByTheFunctionWithoutItsMarkIsNotCountedFailed:
// it counts as unproven, neither done nor failed.)
func TestFleetMemberSupersededBySomeonesRestoreIsNotCountedDone(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 1)
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second})
	id := e.ids[0]
	other := "7" + strings.Repeat("0", 23)
	old := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	e.emu.AddBackup(id, cloudemu.Backup{ID: other, StartTime: old, EndTime: old.Add(time.Minute), Status: 2, BackupType: "1", Size: 1 << 20})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		if strings.Contains(string(event), `"safetyTask"`) {
			return nil // the intent's watch: held by the platform, never run here
		}
		_, err := invokeWith(e.env, freshHandler(e.env), event)
		return err
	})
	r := fleetOf(t, e.results(timerEvent(t, time.Now(), `{"fleet": {"instances": "crs-fleet*"}}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("fleet: %+v %+v", r, r.Error)
	}
	if !waitFor(10*time.Second, func() bool { return len(e.emu.ManualBackups()) == 1 }) {
		t.Fatal("no safety backup of the member within 10 s")
	}
	time.Sleep(1500 * time.Millisecond) // it is done
	if _, _, err := e.someone().RestoreInstance(context.Background(), e.demo.Region, id, other, ""); err != nil {
		t.Fatalf("someone's restore of %s: %v", other, err)
	}
	if !waitFor(25*time.Second, func() bool { return len(e.fleetMessages()["fleet.completed"]) > 0 }) {
		t.Fatalf("the fleet did not complete within 25 s: restores %+v", e.emu.RestoreCalls())
	}
	c := e.fleetMessages()["fleet.completed"][0]
	counts := c["counts"].(map[string]any)
	if fmt.Sprint(counts["done"]) != "0" || fmt.Sprint(counts["unproven"]) != "1" {
		t.Fatalf("someone's restore of the member (restores %+v), the fleet completed %v: want it unproven, not done", e.emu.RestoreCalls(), c)
	}
}

// The watch of an intent whose instance left the allow-list once let Run
// refuse it at once (974c9d9): failed. The operator notices the instance
// went missing from RESTORE_ALLOWED_INSTANCES (an edit that dropped one
// entry) and puts it back a moment later, well within
// RESTORE_SAFETY_DEADLINE; the sweep then restored it: failed, then
// succeeded. Now the watch looks again until the deadline and only then
// reports the intent expired: back within it, the intent is restored,
// with one outcome.
func TestIntentRefusedOutsideTheAllowListIsNotRestoredOnceItIsBack(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	e.vars["RESTORE_ALLOWED_INSTANCES"] = inst + "," + e.demo.PasswordFreeInstanceID
	set := guardedVars(e)
	open := gatedWatches(e)
	defer open()
	timerRestore(t, e)
	time.Sleep(1500 * time.Millisecond) // the safety backup is done
	set("RESTORE_ALLOWED_INSTANCES", e.demo.PasswordFreeInstanceID)
	open()
	time.Sleep(3 * time.Second) // the watch looks, finds it out of the list
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores of an instance out of the allow-list", n)
	}
	set("RESTORE_ALLOWED_INSTANCES", inst+","+e.demo.PasswordFreeInstanceID)
	e.sweepUntil("succeeded", 20*time.Second)
	e.sweepFor(2 * time.Second)
	if n, got := len(e.emu.RestoreCalls()), types(e.messages()); n != 1 || strings.Contains(got, "failed") || strings.Contains(got, "expired") {
		t.Fatalf("back in the allow-list within its deadline: %d restores, messages %s; want one restore, one outcome", n, got)
	}
}

// The accepted answer of a safety-backed intent names its safety backup's
// task (safetyBackupTaskId), the one task the requester has until the
// restore starts; the status GET answers for it (taskId). Asked by that
// task, JudgeState finds the safety backup and stateIn judges it with
// "no restore after it" (JudgeSafety(*undo, false, ...)), whatever the
// task list and the mark say: once the deadline has passed, the intent,
// restored and reported succeeded, is answered "expired" (before it,
// "safety-backup" for ever). The mark proves the restore after it this
// intent's: the status should follow it.
func TestStatusAskedByTheSafetyBackupsTaskFollowsItsMarkedRestore(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s"
	r := timerRestore(t, e)
	if r.SafetyBackupTaskID == 0 {
		t.Fatalf("accepted without its safety backup's task: %+v", r)
	}
	e.sweepUntil("succeeded", 20*time.Second)
	ok := lastOf(e.messages(), "succeeded")
	time.Sleep(3 * time.Second) // past the deadline after the safety backup
	code, st := e.statusGet(map[string]string{"taskId": fmt.Sprint(r.SafetyBackupTaskID)})
	if code != 200 || st["phase"] != "succeeded" {
		t.Fatalf("status of the intent by its safety backup's task %d: %d %v; its restore %d was reported succeeded", r.SafetyBackupTaskID, code, st, ok.Data.TaskID)
	}
}

// WithMark keeps whatever fields the tag held before (up to six), its
// own or not, of any length. Someone with tag rights (no Redis rights at
// all) sets the redis-restore tag to one long value: every mark the
// function writes from then on is longer than a tag value may be (255),
// TagResources refuses it, and every safety-backed restore of that
// instance is then reported both succeeded and failed RestoreSuperseded,
// until someone notices and clears the tag. Fields that are not marks
// of this function's key (or not well formed) need not be kept.
func TestForeignFieldsInTheMarkNeverStopTheFunctionMarking(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.emu.UpdateInstance(e.demo.InstanceID, func(in *cloudemu.Instance) {
		in.Tags = map[string]string{intent.MarkKey: strings.Repeat("x", 240)}
	})
	timerRestore(t, e)
	if !waitFor(15*time.Second, func() bool { return len(e.emu.RestoreCalls()) == 1 }) {
		t.Fatalf("the watch did not restore within 15 s: messages %s", types(e.messages()))
	}
	call := e.emu.RestoreCalls()[0]
	if !waitFor(3*time.Second, func() bool { return strings.HasPrefix(markOf(e, e.demo.InstanceID), fmt.Sprint(call.TaskID)+".") }) {
		t.Fatalf("restore task %d not marked: the tag is still %.40q...", call.TaskID, markOf(e, e.demo.InstanceID))
	}
}

// Holds: TagResources' answer is lost after it tagged (the connection
// reset), then it fails once (InternalError). The mark is retried with
// the same value: the restore is marked, reported succeeded once with its
// backup and undo, and never superseded.
func TestMarkWhoseAnswerIsLostIsWrittenOnce(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.emu.SetFaults("TagResources", cloudemu.Faults{Sequence: []cloudemu.Fault{{AfterCommit: true}, {Code: "InternalError"}}})
	r := timerRestore(t, e)
	e.sweepUntil("succeeded", 20*time.Second)
	call := e.emu.RestoreCalls()[0]
	e.sweepFor(14 * time.Second) // past markGrace and its window
	if n := e.emu.Calls("TagResources"); n != 3 {
		t.Fatalf("%d TagResources calls, want 3 (a lost answer, a failure, the mark)", n)
	}
	if m := strings.Fields(markOf(e, e.demo.InstanceID)); len(m) != 1 || !strings.HasPrefix(m[0], fmt.Sprint(call.TaskID)+".") {
		t.Fatalf("mark %v after restore task %d", m, call.TaskID)
	}
	ok := lastOf(e.messages(), "succeeded")
	if got := outcomesOfTask(e, call.TaskID); len(got) != 1 || ok.Data.BackupID != e.demo.LatestBackupID || ok.Data.UndoBackupID != r.UndoBackupID {
		t.Fatalf("outcomes %v, succeeded %+v", got, ok.Data)
	}
}

// The continuation's RestoreInstance answers late with an error that may
// mean it started (InternalError after a wait: a hostile cloud's slow
// answer, or a lost one after the client's timeout); it did not start.
// Meanwhile someone restores the instance from the console, another
// backup. settled looks for a restore task since the safety backup,
// finds someone's, takes it for its own ("started despite the unclear
// answer") and marks it the intent's: the mark, the proof that stops
// TestSomeoneElsesRestoreIsNeverReportedAsTheIntents, is now written on
// someone's restore, and the sweep reports it succeeded with the intent's
// backup and undo: a restore of another backup reported as the intent's,
// and the intent never superseded. A task found after an unclear answer
// is not proven the function's (the task list names no backup); marking
// it turns a guess into proof.
func TestSomeonesRestoreFoundAfterAnUnclearAnswerIsNeverMarkedTheIntents(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst, asked, other := e.demo.InstanceID, e.demo.LatestBackupID, backupBeforeTheAlarms
	r := timerRestore(t, e)
	time.Sleep(2 * time.Second) // the safety backup is done; no sweep yet
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: "InternalError", Delay: 2 * time.Second}}})
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		_, _ = invokeWith(e, freshHandler(e), timerEvent(t, time.Now().Truncate(time.Second), `{"sweep":true}`))
	}()
	if !waitFor(5*time.Second, func() bool { return e.emu.Calls("RestoreInstance") == 1 }) {
		t.Fatal("the sweep did not continue the intent within 5 s")
	}
	if _, _, err := e.someone().RestoreInstance(context.Background(), e.demo.Region, inst, other, e.demo.Password); err != nil {
		t.Fatalf("someone's restore of %s: %v", other, err)
	}
	<-swept
	e.sweepUntil("succeeded", 20*time.Second)
	e.sweepFor(12 * time.Second)
	var ours []string
	for _, c := range e.emu.RestoreCalls() {
		ours = append(ours, c.BackupID)
	}
	if ok := lastOf(e.messages(), "succeeded"); ok.Data.BackupID == asked && !slicesContains(ours, asked) {
		t.Fatalf("restore.succeeded of %s (undo %s, the intent's %s), but the only restores were of %v: someone's restore reported as the intent's; mark %q; messages %s",
			asked, ok.Data.UndoBackupID, r.UndoBackupID, ours, markOf(e, inst), types(e.messages()))
	}
}

// failedEarlier's refusal also takes another intent's failed safety
// backup for this one's, and sends this intent's one outcome under that
// intent's message id. Where the API lists a backup only once it is done,
// a timer's safety backup fails; its watch reports it failed, id derived
// from its task ("<instance>/safety/task-N/failed"). An alarm on the same
// instance whose firstOccurTime is earlier is then refused "it may be
// this event's safety backup", with the same id: consumers drop the
// alarm's only outcome as a copy of the timer's.
func TestAnotherIntentsFailedSafetyBackupNeverTakesThisIntentsOutcome(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	inst := e.demo.InstanceID
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, BackupsListedWhenDone: true})
	fired := time.Now().Add(-2 * time.Second)
	time.Sleep(time.Second)
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	tr := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, e.demo.LatestBackupID))))
	if tr.Status != intent.Accepted || tr.SafetyBackupTaskID == 0 {
		t.Fatalf("timer: %+v %+v", tr, tr.Error)
	}
	if !waitFor(15*time.Second, func() bool { return len(queuedOfType(e, "failed")) == 1 }) {
		t.Fatalf("the timer's failed safety backup not reported within 15 s: messages %s", types(e.messages()))
	}
	timers := queuedOfType(e, "failed")[0]
	ans, err := e.invoke(alarmVia(t, "direct", flapFiring(t, inst, fired)))
	r := answered(t, ans, err)
	for _, m := range queuedOfType(e, "failed") {
		if m.ID == timers.ID && m.Data.Trigger != timers.Data.Trigger {
			t.Fatalf("the alarm (%s %s) sent its outcome under the timer's failed message id %s", r.Status, errCode(r.Error), m.ID)
		}
	}
	if r.Status != intent.Accepted {
		t.Fatalf("the alarm, refused for the timer's failed safety backup: %s %+v", r.Status, r.Error)
	}
}

// Holds: erasing the mark never makes the function restore twice. The
// function restores and marks; someone overwrites the tag; the timer's
// event is delivered again (another container) and the sweep runs on:
// the redelivery finds its signed safety backup (a duplicate), the sweep
// finds a restore after it (whoever's), and nothing restores again.
func TestErasedMarkNeverRestoresTwice(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	at := time.Now()
	timer := timerEvent(t, at, fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))
	if r := onlyResult(t, e.results(timer)); r.Status != intent.Accepted {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	if !waitFor(15*time.Second, func() bool { return strings.Contains(markOf(e, e.demo.InstanceID), ".") }) {
		t.Fatalf("not restored and marked within 15 s: messages %s", types(e.messages()))
	}
	e.emu.UpdateInstance(e.demo.InstanceID, func(in *cloudemu.Instance) { delete(in.Tags, intent.MarkKey) })
	ans, err := invokeWith(e, freshHandler(e), timer)
	if err != nil {
		t.Logf("redelivery: %v", err)
	}
	rs, _ := decodeAnswer(t, ans)
	again := onlyResult(t, rs)
	e.sweepFor(6 * time.Second)
	if n, m := len(e.emu.RestoreCalls()), len(e.emu.ManualBackups()); n != 1 || m != 1 {
		t.Fatalf("%d restores and %d safety backups once the mark was erased (redelivery: %s %s)", n, m, again.Status, again.Reason)
	}
}
