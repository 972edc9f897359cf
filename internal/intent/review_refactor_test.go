package intent

import (
	"testing"
	"time"
)

// Review of e7f0817 (a fleet member's restore after its own safety backup
// is judged as its intent is).
//
// A member whose instance the watch no longer reads (out of the
// allow-list since, or gone: w.Instance(id).ID == "") cannot have its mark
// read, so nothing proves its restore after its own safety backup the
// member's. Before e7f0817 such a restore counted "failed" (the mark rule
// ran first, on an empty instance); the fix meant an unmarked restore
// after the backup to count "unproven". But the "unproven" case needs the
// instance Running(), so an unreadable instance falls through to the
// "instance no longer read: judged by its own task" case and counts
// "done": the fleet's completed message calls a restore the function
// cannot prove its own (maybe someone's in the console) the member's
// success. That hides exactly what "unproven" was added to say, and it
// is the unsafe direction (an operator acting on the completed message
// does not look at that member again).
func TestReviewFleetMemberOutOfSightWithUnprovenRestoreIsNotDone(t *testing.T) {
	since := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := since.Add(10 * time.Minute)
	id := "crs-gone"
	own := SafetyBackup{ID: "s1", Restores: "b1", Since: since, Status: 2, InstanceID: id,
		StartTime: since.Add(30 * time.Second), EndTime: since.Add(50 * time.Second)}
	// A restore after the member's safety backup was done, ended well:
	// unmarked (its instance is not read, so no mark can be seen).
	restore := Task{ID: 7, Kind: RestoreTask, InstanceID: id, StartTime: since.Add(time.Minute), EndTime: since.Add(2 * time.Minute), Result: 2}
	w := World{
		Tasks:  map[string][]Task{id: {restore}},
		Safety: map[string][]SafetyBackup{id: {own}},
		// No Instances: the member's instance is out of sight.
	}
	c := JudgeFleet(w, []string{id}, since, since, now, 5*time.Minute, testSeal)
	if len(c.Members) != 1 {
		t.Fatalf("members %+v", c.Members)
	}
	if got := c.Members[0].Stage; got == "done" || c.Done != 0 {
		t.Errorf("an unmarked restore after the member's own safety backup, its instance out of sight (no mark can be read): stage %q, counts %+v; want it not done (unproven, as the fix says of an unmarked restore)", got, c)
	}
}

// Review of e7f0817: with a safety backup whose remark names no event
// time (an earlier version's remark: Since zero, which JudgeFleet keeps as
// the member's own), FirstRestore looks for restores from the backup's
// start, not from the fleet's event. A restore task of the member that
// started after the fleet's event but before that backup was found by
// NewestTask, then replaced by FirstRestore's zero Task (NotRestored):
// the member's TaskId becomes 0 in the completed message ("never lose a
// TaskId") and its stage "running" for the watch's whole life, although
// its restore ended. Before e7f0817 the member was judged by that task:
// done, with its TaskId.
func TestReviewFleetMemberWithLegacySafetyKeepsItsRestoreTask(t *testing.T) {
	since := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := since.Add(10 * time.Minute)
	id := "crs-legacy"
	legacy := SafetyBackup{ID: "s1", Restores: "b1", Legacy: true, Status: 2, InstanceID: id,
		StartTime: since.Add(30 * time.Second), EndTime: since.Add(50 * time.Second)}
	restore := Task{ID: 7, Kind: RestoreTask, InstanceID: id, StartTime: since.Add(10 * time.Second), EndTime: since.Add(2 * time.Minute), Result: 2}
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Tasks:     map[string][]Task{id: {restore}},
		Safety:    map[string][]SafetyBackup{id: {legacy}},
	}
	c := JudgeFleet(w, []string{id}, since, since, now, 5*time.Minute, testSeal)
	if len(c.Members) != 1 {
		t.Fatalf("members %+v", c.Members)
	}
	m := c.Members[0]
	if m.TaskID != restore.ID || m.Stage == "running" {
		t.Errorf("a member whose restore task %d (since the fleet's event) ended, beside a legacy safety backup: taskId %d, stage %q; want its task named and its stage not running", restore.ID, m.TaskID, m.Stage)
	}
}
