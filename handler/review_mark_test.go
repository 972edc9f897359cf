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
	"fmt"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/restore"
)

// timerRestore is a safety-backed timer restore of the demo instance's
// newest backup, at now; it fails the test unless it is accepted with
// its safety backup.
func timerRestore(t *testing.T, e *env) restore.Result {
	t.Helper()
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != restore.Accepted || r.Phase != restore.PhaseSafetyBackup || r.UndoBackupID == "" {
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
		typ := strings.TrimPrefix(m.Type, restore.EventTypePrefix)
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
	e.emu.UpdateInstance(id, func(in *cloudemu.Instance) { v = in.Tags[restore.MarkKey] })
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
	t.Skip("review: a restore whose mark TagResources refused is reported both succeeded and failed RestoreSuperseded (same task)")
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
	t.Skip("review: a mark erased after the function's restore makes the sweep report that intent failed RestoreSuperseded after succeeded")
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	r := timerRestore(t, e)
	e.sweepUntil("succeeded", 20*time.Second)
	call := e.emu.RestoreCalls()[0]
	if m := markOf(e, e.demo.InstanceID); !strings.HasPrefix(m, fmt.Sprint(call.TaskID)+".") {
		t.Fatalf("mark %q after restore task %d", m, call.TaskID)
	}
	e.emu.UpdateInstance(e.demo.InstanceID, func(in *cloudemu.Instance) { in.Tags[restore.MarkKey] = "managed-by-terraform" })
	e.sweepFor(14 * time.Second)
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores once the mark was erased", n)
	}
	if got := outcomesOfTask(e, call.TaskID); len(got) != 1 {
		t.Fatalf("restore task %d of the intent (undo %s): outcomes %v, want one; messages %s", call.TaskID, r.UndoBackupID, got, types(e.messages()))
	}
}
