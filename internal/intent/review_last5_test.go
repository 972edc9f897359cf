package intent

import (
	"testing"
	"time"
)

// Review of 5913a43 (the fourth review of the fleet's judge), and what
// the judge still says against the members' own outcome messages.

// Where the API lists a manual backup only once it is done
// (BackupsListedWhenDone), a member's safety backup that FAILED is never
// listed: memberSafety finds no backup of the member, and nothing stands
// between the judge and "the first restore since the event". The
// member's own watch (follow/lifecycle.go watchIntent, by the sealed
// task it names) reports it failed: SafetyBackupFailed, "nothing was
// restored", and marks the failed task the member's (FailedEntry, on the
// instance's tag) so that no later delivery gives it a second life.
// Minutes later someone restores the instance (the console, or an
// alarm's intent without a safety backup: unmarked, as every restore
// without an undo is): the judge counts that restore the member's, and
// the completed message says DONE, with that restore's TaskId, for a
// member whose only outcome message says it failed and nothing of it
// was restored. The judge should see the member's failed safety backup
// task (since the event, failed, marked by its watch) as the member's
// end, as its own watch and a redelivery (restore/lifecycle.go
// failedEarlier) do.
func TestReviewLast5UnlistedFailedSafetyBackupThenSomeonesRestoreIsCountedDone(t *testing.T) {
	id := "crs-unlisted"
	failedBackup := Task{ID: 31, Kind: ManualBackupTask, InstanceID: id, StartTime: l3At(10 * time.Second), EndTime: l3At(40 * time.Second), Result: 4}
	someones := Task{ID: 32, Kind: RestoreTask, InstanceID: id, StartTime: l3At(5 * time.Minute), EndTime: l3At(6 * time.Minute), Result: 2}
	w := World{
		Instances: []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: FailedEntry(testSeal, id, failedBackup.ID, "fleet:member-key")}}},
		Tasks:     map[string][]Task{id: {failedBackup, someones}},
		Safety:    map[string][]SafetyBackup{},
	}
	if found, _ := FailedMark(testSeal, w.Instances[0], failedBackup.ID, ""); !found {
		t.Fatal("premise: the member's watch marked its failed safety backup task")
	}
	c := JudgeWatch(w, FleetWatch{ID: "fleet-x", Members: []string{id}, Backups: []string{"b-fleet"}, Since: l3Since, Start: l3Since}, l3At(10*time.Minute), 5*time.Minute, testSeal)
	if m := c.Members[0]; m.Stage == "done" {
		t.Errorf("the member's safety backup task %d failed (its watch reported SafetyBackupFailed, nothing restored, and marked it), then someone's restore %d: stage %q taskId %d; want failed, as the member's own message says", failedBackup.ID, someones.ID, m.Stage, m.TaskID)
	}
}

// A member superseded by another intent's restore (an alarm's marked
// continuation of another backup, which SUCCEEDED) is counted failed,
// with that restore's TaskId as the member's taskId. The completed
// message's member entry has only instanceId, stage and taskId: it reads
// "the member's restore task 22 failed", though task 22 is the alarm's
// and succeeded, and the member's own message (RestoreSuperseded, the
// sweep's or its watch's) carries no taskId at all. An operator acting
// on the fleet's message (DescribeTaskInfo 22: succeeded; or undoing it)
// acts on someone else's restore. A task that is not the member's must
// not stand in its taskId (or the entry must say whose it is).
func TestReviewLast5SupersededMemberNamesAnotherIntentsTaskAsItsOwn(t *testing.T) {
	id := "crs-superseded"
	mine := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l3Since, Status: 2, InstanceID: id,
		StartTime: l3At(10 * time.Second), EndTime: l3At(30 * time.Second)}
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l3At(5 * time.Second), Status: 2, InstanceID: id,
		StartTime: l3At(12 * time.Second), EndTime: l3At(32 * time.Second)}
	theirs := Task{ID: 22, Kind: RestoreTask, InstanceID: id, StartTime: l3At(40 * time.Second), EndTime: l3At(2 * time.Minute), Result: 2}
	in := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}
	w := World{
		Instances: []Instance{in},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {mine, alarm}},
	}
	if _, seen := FirstRestore(testSeal, in, w.Tasks[id], mine, w.Safety[id]); seen != RestoredOther {
		t.Fatalf("premise: the member's own intent is superseded (RestoredOther), got %v", seen)
	}
	c := JudgeWatch(w, FleetWatch{ID: "fleet-x", Members: []string{id}, Backups: []string{"b-fleet"}, Since: l3Since, Start: l3Since}, l3At(10*time.Minute), 5*time.Minute, testSeal)
	m := c.Members[0]
	if m.Stage != "failed" {
		t.Fatalf("premise: superseded counts failed, got %q", m.Stage)
	}
	if m.TaskID == theirs.ID {
		t.Errorf("member superseded by the alarm's restore %d (of %s, succeeded): the completed message lists it {stage %q, taskId %d}, naming another intent's successful task as the member's failed one without saying so", theirs.ID, alarm.Restores, m.Stage, m.TaskID)
	}
}
