package intent

import (
	"testing"
	"time"
)

// Review of 4454eb1 ("Review of the two fixes"): JudgeFleet in worlds the
// cloud can present that the tests so far do not.

var (
	l2Since = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l2At    = func(d time.Duration) time.Time { return l2Since.Add(d) }
)

func l2Restore(id string, taskID int64, start, end time.Duration, result int64) Task {
	t := Task{ID: taskID, Kind: RestoreTask, InstanceID: id, StartTime: l2At(start), Result: result}
	if end > 0 {
		t.EndTime = l2At(end)
	}
	return t
}

func l2Judge(t *testing.T, w World, id string, now time.Time) fleetMemberState {
	t.Helper()
	c := JudgeFleet(w, []string{id}, l2Since, l2Since, now, 5*time.Minute, testSeal)
	if len(c.Members) != 1 {
		t.Fatalf("members %+v", c.Members)
	}
	return c.Members[0]
}

// JudgeFleet takes the NEWEST safety backup since the fleet's event and,
// where it is another intent's (an alarm's on the same instance, a later
// fleet's), drops it and judges the member by its NEWEST restore task.
// So a later intent on a member that the fleet already restored takes the
// member over: the later intent's restore (marked that intent's restore
// of another backup: provably not the member's) becomes the member's
// TaskId and its stage. Its failure makes the member "failed" although the
// member's own restore (marked, ended well; the sweep's message for it:
// succeeded) is what the fleet did; its success counts the member "done"
// under the other intent's TaskId, and the member's own TaskId is lost
// from the completed message. The member's own safety backup (the one
// whose remark names the fleet's event) is still listed: it, not the
// newest, decides (OwnSafety-like: OfEvent(since)).
func TestReviewLast2FleetMemberIsNotTakenOverByALaterIntentsRestore(t *testing.T) {
	id := "crs-taken"
	own := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l2Since, Status: 2, InstanceID: id,
		StartTime: l2At(30 * time.Second), EndTime: l2At(50 * time.Second)}
	alarmAt := l2At(5 * time.Minute)
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: alarmAt, Status: 2, InstanceID: id,
		StartTime: l2At(5*time.Minute + 30*time.Second), EndTime: l2At(6 * time.Minute)}
	mine := l2Restore(id, 11, time.Minute, 2*time.Minute, 2) // the fleet's, marked, ended well
	for name, later := range map[string]int64{"its restore failed": 4, "its restore succeeded": 2} {
		theirs := l2Restore(id, 22, 7*time.Minute, 8*time.Minute, later) // the alarm's, marked its own
		mark := WithMark(MarkEntry(testSeal, id, mine.ID, own.Restores, own.ID), MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID))
		w := World{
			Instances: []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: mark}}},
			Tasks:     map[string][]Task{id: {mine, theirs}},
			Safety:    map[string][]SafetyBackup{id: {own, alarm}},
		}
		m := l2Judge(t, w, id, l2At(10*time.Minute))
		if m.Stage != "done" || m.TaskID != mine.ID {
			t.Errorf("a later alarm's intent on a restored member, %s: stage %q taskId %d; want done with the member's own restore task %d (task %d is marked the alarm's restore of %s, provably not the member's)",
				name, m.Stage, m.TaskID, mine.ID, theirs.ID, alarm.Restores)
		}
	}
}

// The same choice of the newest safety backup, where the member's own
// safety backup FAILED (nothing of the member was restored: its own
// outcome, the sweep's, is failed, SafetyBackupFailed) and an alarm's
// intent on the instance then took its own safety backup and restored:
// the member is counted "done" with the alarm's TaskId. A restore that is
// provably not the member's (marked the alarm's restore of its backup) is
// counted the member's success, and the fleet's completed message
// contradicts the member's own failed message.
func TestReviewLast2FleetMemberWhoseSafetyBackupFailedIsNotDoneByAnAlarmsRestore(t *testing.T) {
	id := "crs-failed"
	own := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l2Since, Status: -2, InstanceID: id, StartTime: l2At(30 * time.Second)}
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l2At(5 * time.Minute), Status: 2, InstanceID: id,
		StartTime: l2At(5*time.Minute + 30*time.Second), EndTime: l2At(6 * time.Minute)}
	theirs := l2Restore(id, 22, 7*time.Minute, 8*time.Minute, 2)
	w := World{
		Instances: []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {own, alarm}},
	}
	m := l2Judge(t, w, id, l2At(10*time.Minute))
	if m.Stage != "failed" {
		t.Errorf("a member whose own safety backup failed, then an alarm's marked restore of another backup: stage %q taskId %d; want failed (the alarm's restore is provably not the member's)", m.Stage, m.TaskID)
	}
}

// An unmarked restore after the member's own safety backup is "unproven"
// (e7f0817, 4454eb1), as the sweep's message for it says (restoreEnded:
// succeeded, with the "unproven" note). But any later safety backup on
// the instance (an alarm's intent, still taking it) makes JudgeFleet drop
// the member's own backup, and the same unmarked restore counts "done":
// whether a restore is proven the member's depends on what came after.
func TestReviewLast2UnprovenMemberStaysUnprovenAfterALaterSafetyBackup(t *testing.T) {
	id := "crs-unproven"
	own := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l2Since, Status: 2, InstanceID: id,
		StartTime: l2At(30 * time.Second), EndTime: l2At(50 * time.Second)}
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l2At(5 * time.Minute), Status: 1, InstanceID: id,
		StartTime: l2At(5*time.Minute + 30*time.Second)}
	someone := l2Restore(id, 11, time.Minute, 2*time.Minute, 2) // unmarked
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Tasks:     map[string][]Task{id: {someone}},
		Safety:    map[string][]SafetyBackup{id: {own}},
	}
	if m := l2Judge(t, w, id, l2At(10*time.Minute)); m.Stage != "unproven" {
		t.Fatalf("premise: an unmarked restore after the member's own safety backup: %q, want unproven", m.Stage)
	}
	w.Safety[id] = []SafetyBackup{own, alarm}
	if m := l2Judge(t, w, id, l2At(10*time.Minute)); m.Stage != "unproven" {
		t.Errorf("the same unmarked restore once an alarm's safety backup follows it: stage %q, want unproven (nothing proves it the member's)", m.Stage)
	}
}

// 4454eb1 drops a safety backup whose remark names no event (Since zero,
// an earlier version's) and judges the member by its restore task. Where
// the unmarked restore came AFTER that safety backup, the sweep's message
// for it says "succeeded" with the "unproven" note (restoreEnded:
// SafetyBefore takes any safety backup), and before 4454eb1 the fleet
// counted it "unproven"; now it counts "done": an unmarked restore after
// a safety backup (maybe someone's in the console) is the member's
// success in the completed message, and the completed message disagrees
// with the member's own.
func TestReviewLast2UnmarkedRestoreAfterALegacySafetyBackupIsNotDone(t *testing.T) {
	id := "crs-legacy"
	legacy := SafetyBackup{ID: "s1", Restores: "b1", Legacy: true, Status: 2, InstanceID: id,
		StartTime: l2At(30 * time.Second), EndTime: l2At(50 * time.Second)}
	after := l2Restore(id, 7, time.Minute, 2*time.Minute, 2) // unmarked
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Tasks:     map[string][]Task{id: {after}},
		Safety:    map[string][]SafetyBackup{id: {legacy}},
	}
	m := l2Judge(t, w, id, l2At(10*time.Minute))
	if m.Stage == "done" || m.TaskID != after.ID {
		t.Errorf("an unmarked restore after a legacy safety backup: stage %q taskId %d; want it named and not done (unproven, as the sweep's message says)", m.Stage, m.TaskID)
	}
}

// A fleet without safety backups: the member's restore is the first
// since the fleet's event (a restore since the event is the event's: the
// member never restores twice). JudgeFleet takes the NEWEST restore task
// since the event, so someone's later restore (the console, an alarm
// without a safety backup) replaces the member's: its failure counts the
// member "failed" and its TaskId replaces the member's in the completed
// message, while the member's own message (the sweep's, for task 11) says
// succeeded. A later restore is provably not the member's.
func TestReviewLast2FleetMemberIsJudgedByItsFirstRestoreNotTheNewest(t *testing.T) {
	id := "crs-twice"
	mine := l2Restore(id, 11, time.Minute, 2*time.Minute, 2)
	later := l2Restore(id, 22, 5*time.Minute, 6*time.Minute, 4)
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Tasks:     map[string][]Task{id: {mine, later}},
	}
	m := l2Judge(t, w, id, l2At(10*time.Minute))
	if m.Stage != "done" || m.TaskID != mine.ID {
		t.Errorf("the member's restore %d ended well, someone's later restore %d failed: stage %q taskId %d; want done with task %d", mine.ID, later.ID, m.Stage, m.TaskID, mine.ID)
	}
}

// The member's own restore after its own safety backup (marked, ended
// well); then another restore (someone's, long: a large instance) keeps
// the instance out of "running". The sweep reports the member's restore
// succeeded (restoreEnded: a later task proves the instance ran in
// between, TaskAfter); JudgeFleet asks only whether the instance runs
// now, and 30 minutes after the member's restore ended counts it
// "failed" ("succeeded, and not running long after"): the completed
// message calls a member failed whose own message says succeeded.
func TestReviewLast2MemberRestoredThenBusyWithALaterTaskIsNotFailed(t *testing.T) {
	id := "crs-busy"
	own := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l2Since, Status: 2, InstanceID: id,
		StartTime: l2At(30 * time.Second), EndTime: l2At(50 * time.Second)}
	mine := l2Restore(id, 11, time.Minute, 2*time.Minute, 2)
	later := l2Restore(id, 22, 5*time.Minute, 0, 1) // someone's, still running
	w := World{
		Instances: []Instance{{ID: id, Status: 1, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, mine.ID, own.Restores, own.ID)}}},
		Tasks:     map[string][]Task{id: {mine, later}},
		Safety:    map[string][]SafetyBackup{id: {own}},
	}
	m := l2Judge(t, w, id, l2At(40*time.Minute))
	if m.Stage == "failed" {
		t.Errorf("the member's marked restore %d ended well, then a later task runs on the instance: stage %q taskId %d; want it not failed (the sweep reports it succeeded: TaskAfter)", mine.ID, m.Stage, m.TaskID)
	}
}

// Where the API lists a manual backup only once it is done (the cloud
// emulator's BackupsListedWhenDone; lifecycle.go's watch of an unlisted
// safety backup), a member whose safety backup takes longer than
// FleetStartWithin+FleetResendWindow (45 minutes: a large instance) shows
// neither a listed safety backup nor a restore task, only its running
// manual backup task. JudgeFleet counts it "failed" (never started), the
// fleet ends and sends its one completed message, and then the member's
// backup is done and the member restores (its continuation is bound by
// RESTORE_SAFETY_DEADLINE after the backup, not by the fleet's start-by):
// the completed message is sent while a member still runs, and says it
// failed.
func TestReviewLast2MemberWithAnUnlistedRunningSafetyBackupIsNotEnded(t *testing.T) {
	id := "crs-big"
	backup := Task{ID: 5, Kind: ManualBackupTask, InstanceID: id, StartTime: l2At(20 * time.Second), Result: 1}
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Tasks:     map[string][]Task{id: {backup}},
	}
	now := l2At(FleetStartWithin + FleetResendWindow + time.Minute)
	c := JudgeFleet(w, []string{id}, l2Since, l2Since, now, 5*time.Minute, testSeal)
	if c.AllEnded() {
		t.Errorf("a member whose manual backup task since the fleet's event still runs (its safety backup, unlisted until done): %+v; want the fleet not ended", c.Members)
	}
}
