package intent

import (
	"testing"
	"time"
)

// Review of 3fe2bb0 (judgeMember rewritten) and 440362f (members out of
// sight read by ID): JudgeFleet in worlds where a member's stage is not
// what its own intent's outcome is.

var (
	l3Since = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	l3At    = func(d time.Duration) time.Time { return l3Since.Add(d) }
)

func l3Judge(t *testing.T, w World, id string, now time.Time) fleetMemberState {
	t.Helper()
	c := JudgeFleet(w, []string{id}, l3Since, l3Since, now, 5*time.Minute, testSeal)
	if len(c.Members) != 1 {
		t.Fatalf("members %+v", c.Members)
	}
	return c.Members[0]
}

// A member without a safety backup of its own (the fleet takes none, or
// its intent met a restore since the event before taking one): its
// restore is the first since the fleet's event. Where that restore is
// MARKED another intent's restore of ANOTHER backup (an alarm's, with
// its own undo point: provenance.go), it is provably not the member's:
// the instance holds b-alarm's data, not the backup the fleet's plan
// chose for it. judgeMember takes "proven" to be true whenever the member
// has no safety backup, and counts it "done" under the alarm's TaskId:
// the completed message reports a restore of the wrong backup as the
// fleet's success. A single safety-backed intent meeting the same
// restore is superseded (FirstRestore: RestoredOther).
func TestReviewLast3MarkedRestoreOfAnotherIntentIsNotTheMembersDone(t *testing.T) {
	id := "crs-foreign"
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l3At(-2 * time.Minute), Status: 2, InstanceID: id,
		StartTime: l3At(-time.Minute), EndTime: l3At(-30 * time.Second)}
	theirs := Task{ID: 22, Kind: RestoreTask, InstanceID: id, StartTime: l3At(time.Minute), EndTime: l3At(2 * time.Minute), Result: 2}
	w := World{
		Instances: []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {alarm}},
	}
	m := l3Judge(t, w, id, l3At(10*time.Minute))
	if m.Stage == "done" {
		t.Errorf("the first restore since the fleet's event is marked the alarm's restore of %s (undo %s): stage %q taskId %d; want it not counted the member's success", alarm.Restores, alarm.ID, m.Stage, m.TaskID)
	}
}

// Two events of the same second (one alarm fanned out to a fleet's
// webhook and to the instance's own alarm target; two approved plans
// made in the same second): both intents' safety backups name the same
// event time, and OfEvent cannot tell them apart. memberSafety takes the
// FIRST (the alarm's), while the member's own intent is judged by its own
// backup (its watch and its redelivery: OwnSafety, by the backup it
// restores; the sweep: each backup by itself). Here the alarm's restore
// started before the member's backup was done: the member's own outcome
// is superseded (failed), but the fleet counts the member "done" with the
// alarm's restore of b-alarm. The watch knows no member's backup, so it
// cannot pick as OwnSafety does.
func TestReviewLast3SameSecondEventsMemberSafetyIsAnotherIntentsBackup(t *testing.T) {
	id := "crs-samesec"
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l3Since, Status: 2, InstanceID: id,
		StartTime: l3At(10 * time.Second), EndTime: l3At(30 * time.Second)}
	mine := SafetyBackup{ID: "s-fleet", Restores: "b-fleet", Since: l3Since, Status: 2, InstanceID: id,
		StartTime: l3At(20 * time.Second), EndTime: l3At(40 * time.Second)}
	theirs := Task{ID: 22, Kind: RestoreTask, InstanceID: id, StartTime: l3At(35 * time.Second), EndTime: l3At(2 * time.Minute), Result: 2}
	in := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, theirs.ID, alarm.Restores, alarm.ID)}}
	w := World{
		Instances: []Instance{in},
		Tasks:     map[string][]Task{id: {theirs}},
		Safety:    map[string][]SafetyBackup{id: {alarm, mine}},
	}
	now := l3At(10 * time.Minute)
	// The member's own intent, as the sweep and its watch judge it.
	_, seen := FirstRestore(testSeal, in, w.Tasks[id], mine, w.Safety[id])
	if st := JudgeSafety(mine, seen, now, 5*time.Minute); st != SafetySuperseded {
		t.Fatalf("premise: the member's own intent is %v, want superseded", st)
	}
	// The watch carries each member's backup (FleetWatch.Backups): the
	// member's own safety backup is the one of its event that restores it.
	c := JudgeWatch(w, FleetWatch{Members: []string{id}, Backups: []string{mine.Restores}, Since: l3Since, Start: l3Since}, now, 5*time.Minute, testSeal)
	m := c.Members[0]
	if m.Stage != "failed" {
		t.Errorf("the member's own intent was superseded by the alarm's restore %d (of %s): the fleet counts it %q taskId %d; want failed, as its own message says", theirs.ID, alarm.Restores, m.Stage, m.TaskID)
	}
}

// runningSince keeps a member without a listed backup "running" while
// ANY manual backup task since the event runs. Where the API lists
// running backups, the running backup is listed, and its signed remark
// names another intent (an alarm's, of a later event): provably not the
// member's. A member whose hand-out was lost (never started) is then
// "running" for as long as that backup runs, not failed at its start-by;
// and a manual backup task that never ends (a stuck task, someone's
// hours-long backup) keeps it running past its own intent's watch
// (SafetyWatchLife) and the sweep (an hour), to the fleet watch's 24 h
// end: the fleet never completes, its completed message counts it
// "notEnded".
func TestReviewLast3ForeignRunningManualBackupKeepsANeverStartedMemberRunning(t *testing.T) {
	id := "crs-stuck"
	alarm := SafetyBackup{ID: "s-alarm", Restores: "b-alarm", Since: l3At(5 * time.Minute), Status: 1, InstanceID: id,
		StartTime: l3At(5*time.Minute + 30*time.Second)}
	task := Task{ID: 5, Kind: ManualBackupTask, InstanceID: id, StartTime: alarm.StartTime, Result: 1}
	t.Run("listed as another intent's", func(t *testing.T) {
		w := World{
			Instances: []Instance{{ID: id, Status: 2}},
			Tasks:     map[string][]Task{id: {task}},
			Safety:    map[string][]SafetyBackup{id: {alarm}},
		}
		if m := l3Judge(t, w, id, l3At(2*time.Hour)); m.Stage != "failed" {
			t.Errorf("a member never started, 2 h after its hand-out; the only manual backup running is listed as the alarm's safety backup: stage %q; want failed (never started)", m.Stage)
		}
	})
	t.Run("unlisted, past the intent's own watch", func(t *testing.T) {
		w := World{
			Instances: []Instance{{ID: id, Status: 2}},
			Tasks:     map[string][]Task{id: {task}},
		}
		now := l3At(FleetWatchLife - time.Minute)
		if c := JudgeFleet(w, []string{id}, l3Since, l3Since, now, 5*time.Minute, testSeal); !c.AllEnded() {
			t.Errorf("a manual backup task listed running for %s (past SafetyWatchLife %s, when the member's own watch stops following it): %+v; want the member ended, the fleet completing before its watch's end of life",
				now.Sub(task.StartTime), SafetyWatchLife, c.Members)
		}
	})
}

// memberSafety takes a safety backup whose remark names no event (an
// earlier version's) as the member's own, whoever's it is: a fleet's
// member always writes the event's time in its remark (SafetyRemark), so
// a legacy remark since the fleet's event is another intent's (an alarm
// answered by the previous version during a rollout). Where that backup
// FAILED, the member is counted "failed" at once, before its own intent
// has even started (2 minutes after the hand-out, well within its
// start-by); the fleet may complete, and then the member restores: the
// completed message says failed for a member whose own restore succeeds.
func TestReviewLast3AnotherIntentsLegacyFailedBackupDoesNotFailAMemberNotStartedYet(t *testing.T) {
	id := "crs-legacyfail"
	legacy := SafetyBackup{ID: "s-old", Restores: "b-old", Legacy: true, Status: -2, InstanceID: id, StartTime: l3At(30 * time.Second)}
	w := World{
		Instances: []Instance{{ID: id, Status: 2}},
		Safety:    map[string][]SafetyBackup{id: {legacy}},
	}
	if m := l3Judge(t, w, id, l3At(2*time.Minute)); m.Stage == "failed" {
		t.Errorf("an earlier version's failed safety backup (another intent's) on a member not started yet: stage %q; want it not ended (accepted), within its start-by", m.Stage)
	}
}
