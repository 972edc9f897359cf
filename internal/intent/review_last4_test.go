package intent

import (
	"testing"
	"time"
)

// Review of 42904f3: judgeMember with the watch's Backups.

// A watch without Backups (one sealed before 42904f3, which the commit
// promises still verifies and is judged as before; and JudgeFleet, which
// passes none) judges each member with backup "". The new rule "a
// restore the mark proves another intent's continuation of ANOTHER
// backup is not the member's" tests o.Restores != backup, which with
// backup "" holds for every signed safety backup: any marked restore
// counts the member FAILED, even one of the very backup the member was
// to restore. Here the fleet takes no safety backups, and an alarm's
// intent (safety-backed) restored the same "latest" backup (b-fleet)
// since the fleet's event: the member's own intent is a duplicate of
// that restore (never-twice), whose end is its end, and a watch that
// carries Backups counts it done. The same world under an old watch says
// failed: a restore of the right backup reported as the fleet's failure.
// Where the backup is not known the judge cannot prove "another backup":
// it must not say failed (unproven at most).
func TestReviewLast4UnknownBackupCountsEveryMarkedRestoreFailed(t *testing.T) {
	id := "crs-sameback"
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-fleet", Since: l3At(-2 * time.Minute), Status: 2, InstanceID: id,
		StartTime: l3At(-time.Minute), EndTime: l3At(-30 * time.Second)}
	theirs := Task{ID: 22, Kind: RestoreTask, InstanceID: id, StartTime: l3At(time.Minute), EndTime: l3At(2 * time.Minute), Result: 2}
	w := World{
		Instances: []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {alarm}},
	}
	now := l3At(10 * time.Minute)
	carried := JudgeWatch(w, FleetWatch{ID: "fleet-x", Members: []string{id}, Backups: []string{"b-fleet"}, Since: l3Since, Start: l3Since}, now, 5*time.Minute, testSeal)
	if m := carried.Members[0]; m.Stage != "done" {
		t.Fatalf("premise: with the member's backup carried, stage %q; want done", m.Stage)
	}
	old := JudgeWatch(w, FleetWatch{ID: "fleet-x", Members: []string{id}, Since: l3Since, Start: l3Since}, now, 5*time.Minute, testSeal)
	if m := old.Members[0]; m.Stage == "failed" {
		t.Errorf("a watch without Backups (sealed before them): the first restore since the event is marked a restore of %s by another intent, the member's backup unknown: stage %q taskId %d; want not failed (the same world with the backup carried is done)", alarm.Restores, m.Stage, m.TaskID)
	}
}

// The member's own safety backup (of its event, restoring b-fleet) is
// done; another intent of the same second's event (an alarm also
// restoring "latest", the same b-fleet) took its own safety backup too,
// and its continuation restored b-fleet, marked as its own (b-fleet,
// s-alarm). FirstRestore counts that restore the member's (RestoredOwn:
// "another intent's restore of the same backup put back what this one
// asked for: its end is this intent's end too"), and the restore's own
// ended message (the sweep's restoreEnded, UndoOf) says succeeded, of
// b-fleet, with the alarm's undo. judgeMember then asks the mark only
// for the member's own backup pair, finds none, and counts it
// "unproven" ("not provably its own") although the mark proves the
// function restored exactly the member's backup. Without the member's
// safety backup (the case restored branch) the same marked restore of
// the same backup is done: the two branches disagree, and the completed
// message contradicts the member's own outcome.
func TestReviewLast4SameBackupRestoreMarkedByAnotherIntentIsUnproven(t *testing.T) {
	id := "crs-samebackup2"
	mine := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l3Since, Status: 2, InstanceID: id,
		StartTime: l3At(10 * time.Second), EndTime: l3At(30 * time.Second)}
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-fleet", Since: l3Since, Status: 2, InstanceID: id,
		StartTime: l3At(12 * time.Second), EndTime: l3At(32 * time.Second)}
	theirs := Task{ID: 23, Kind: RestoreTask, InstanceID: id, StartTime: l3At(40 * time.Second), EndTime: l3At(2 * time.Minute), Result: 2}
	in := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}
	w := World{
		Instances: []Instance{in},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {mine, alarm}},
	}
	now := l3At(10 * time.Minute)
	if _, seen := FirstRestore(testSeal, in, w.Tasks[id], mine, w.Safety[id]); seen != RestoredOwn {
		t.Fatalf("premise: the member's own intent sees %v, want RestoredOwn", seen)
	}
	c := JudgeWatch(w, FleetWatch{ID: "fleet-x", Members: []string{id}, Backups: []string{"b-fleet"}, Since: l3Since, Start: l3Since}, now, 5*time.Minute, testSeal)
	if m := c.Members[0]; m.Stage != "done" {
		t.Errorf("the first restore after the member's done safety backup is marked the function's restore of the member's own backup %s (another intent's undo %s): stage %q; want done, as its own intent and its ended message say", alarm.Restores, alarm.ID, m.Stage)
	}
}
