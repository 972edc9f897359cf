package intent

import (
	"testing"
	"time"
)

// Review of 5913a43 and cc4438c (the fourth and fifth reviews of the
// fleet's judge): members the fleet really restored that the judge now
// counts unproven.

// A fleet without a key of its own (a bare direct invocation, a webhook
// call without an Idempotency-Key: handler/fleet.go fleetJob) is named by
// its body, and its event's time is its arrival less FleetResendWindow:
// sent again a minute later (the answer FleetHandOutFailed asks for it),
// it is the same fleet, with the same id and the same members' keys,
// but its Since is a minute later. The first delivery's member took its
// safety backup (remark: since S1) and its watch restored it, marked
// (b-fleet, s1). The second delivery finds that restore since its own
// event (TaskID != 0), hands nothing out for the member, and, since
// 5913a43, seals its watch with the member's backup "" ("restored what an
// earlier delivery chose"). That watch's judge finds no safety backup of
// ITS event (s1 names S1, not S2: memberSafety wants OfEvent), and in the
// "case restored" branch the member's own marked restore is
// "o.Restores != backup" for backup "" (5913a43: unproven), and MarkedAny
// without knownSame (cc4438c: unproven again, knownSame is false for
// backup ""). Before 5913a43 the same watch carried b-fleet ("latest",
// unchanged) and counted the member done. Both watches send
// fleet.completed under one id (fleet/<id>/completed): which one the
// consumer keeps is a race, and the second says unproven for every member
// the first delivery restored, each with its own marked restore of the
// very backup the fleet chose.
func TestReviewLast6ResentKeylessFleetCountsTheFirstDeliverysMarkedRestoreUnproven(t *testing.T) {
	// The remark records its trigger and the watch carries the fleet's:
	// a direct invocation's fleet, without a key.
	id := "crs-resent"
	s1 := l3Since                  // the first delivery's event: its arrival less 15 minutes
	s2 := l3Since.Add(time.Minute) // the same body sent again a minute later
	own := SafetyBackup{ID: "s1", Restores: "b-fleet", Trigger: "direct", Since: s1, Status: 2, InstanceID: id,
		StartTime: l3At(15*time.Minute + 2*time.Second), EndTime: l3At(15*time.Minute + 30*time.Second)}
	restore := Task{ID: 41, Kind: RestoreTask, InstanceID: id, StartTime: l3At(15*time.Minute + 40*time.Second), EndTime: l3At(17 * time.Minute), Result: 2}
	in := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, restore.ID, own.Restores, own.ID)}}
	w := World{
		Instances: []Instance{in},
		Tasks:     map[string][]Task{id: {restore}},
		Safety:    map[string][]SafetyBackup{id: {own}},
	}
	now := l3At(30 * time.Minute)
	first := JudgeWatch(w, FleetWatch{ID: "fleet-body", Trigger: "direct", Members: []string{id}, Backups: []string{"b-fleet"}, Since: s1, Start: l3At(15 * time.Minute)}, now, 5*time.Minute, testSeal)
	if m := first.Members[0]; m.Stage != "done" {
		t.Fatalf("premise: the first delivery's watch counts its own marked restore done, got %q", m.Stage)
	}
	// What the same second delivery's watch carried before 5913a43.
	before := JudgeWatch(w, FleetWatch{ID: "fleet-body", Trigger: "direct", Members: []string{id}, Backups: []string{"b-fleet"}, Since: s2, Start: l3At(16 * time.Minute)}, now, 5*time.Minute, testSeal)
	if m := before.Members[0]; m.Stage != "done" {
		t.Fatalf("premise: the second watch with the member's backup carried counts it done, got %q", m.Stage)
	}
	second := JudgeWatch(w, FleetWatch{ID: "fleet-body", Trigger: "direct", Members: []string{id}, Backups: []string{""}, Since: s2, Start: l3At(16 * time.Minute)}, now, 5*time.Minute, testSeal)
	if m := second.Members[0]; m.Stage != "done" {
		t.Errorf("the resent keyless fleet's watch (Since a minute later, the member restored by the first delivery: backup \"\"): its own safety-backed restore %d, marked (%s, %s), counts %q; want done (the first delivery's watch, and this one before 5913a43, say done)", restore.ID, own.Restores, own.ID, m.Stage)
	}
}

// A fleet without safety backups, applied from an approved plan: its
// event is the plan's creation, which may be hours older than its
// members' restores. Meanwhile another intent on one member (an alarm's,
// safety-backed) took a safety backup that failed; its watch marked the
// failed task its own (FailedEntry, its key) before reporting it. The
// member's intent, taking no safety backup, restores (its restore is the
// first since the event: never-twice makes it the event's), nothing else
// restores the instance, and it serves again. cc4438c's failedBefore
// ("a manual backup since the event that the function marked an intent's
// failed safety backup") makes that restore unproven: the judge cannot
// tell a fleet without safety backups from one whose member's own backup
// failed, and the mark says whose event it was (another key) but the
// judge never asks. Before cc4438c: done. The same holds for any
// fleet without safety backups whose member meets another intent's failed
// safety backup between its event and its restore.
func TestReviewLast6AnotherIntentsFailedSafetyBackupMakesANoSafetyMembersRestoreUnproven(t *testing.T) {
	id := "crs-nosafety"
	alarmsBackup := Task{ID: 51, Kind: ManualBackupTask, InstanceID: id, StartTime: l3At(2 * time.Hour), EndTime: l3At(2*time.Hour + 30*time.Second), Result: 4}
	restore := Task{ID: 52, Kind: RestoreTask, InstanceID: id, StartTime: l3At(3 * time.Hour), EndTime: l3At(3*time.Hour + 2*time.Minute), Result: 2}
	in := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: FailedEntry(testSeal, id, alarmsBackup.ID, "alarm:some-other-event")}}
	if found, ours := FailedMark(testSeal, in, alarmsBackup.ID, "fleet:plan-1:"+id); !found || ours {
		t.Fatalf("premise: the failed backup is marked another intent's (found %v, ours %v)", found, ours)
	}
	w := World{
		Instances: []Instance{in},
		Tasks:     map[string][]Task{id: {alarmsBackup, restore}},
		Safety:    map[string][]SafetyBackup{},
	}
	now := l3At(3*time.Hour + 10*time.Minute)
	c := JudgeWatch(w, FleetWatch{ID: "plan-1", Members: []string{id}, Backups: []string{"b-fleet"}, Since: l3Since, Start: l3At(3 * time.Hour)}, now, 5*time.Minute, testSeal)
	if m := c.Members[0]; m.Stage != "done" {
		t.Errorf("a member of a fleet without safety backups restored (task %d, the first since the event, serving again) after ANOTHER intent's failed safety backup (task %d, marked with that intent's key): stage %q; want done (before cc4438c: done)", restore.ID, alarmsBackup.ID, m.Stage)
	}
}
