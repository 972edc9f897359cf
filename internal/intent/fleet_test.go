package intent

import (
	"testing"
	"time"

	"redis-restore/internal/failure"
)

// Every stage of a fleet's member, judged from the observed world alone:
// a restore by its task's own status and its instance's, before it a
// signed safety backup's stage, and a member with neither past the time
// to start counts as failed; after a safety backup, only a restore the
// function marked its own is the member's done, someone's before the
// backup was done failed, and an unmarked one after it unproven.
func TestJudgeFleetMembers(t *testing.T) {
	since := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := since.Add(10 * time.Minute)
	task := func(id string, result int64, ended bool) Task {
		t := Task{ID: 1, Kind: RestoreTask, InstanceID: id, StartTime: since.Add(time.Minute), Result: result}
		if ended {
			t.EndTime = since.Add(2 * time.Minute)
		}
		return t
	}
	w := World{
		Instances: []Instance{{ID: "crs-done", Status: 2}, {ID: "crs-back", Status: 1}, {ID: "crs-fail", Status: 2}, {ID: "crs-run", Status: 1}},
		Tasks: map[string][]Task{
			"crs-done": {task("crs-done", 2, true)},
			"crs-back": {task("crs-back", 2, true)}, // ended, its instance not serving yet
			"crs-fail": {task("crs-fail", 4, true)},
			"crs-run":  {task("crs-run", 1, false)},
			// A restore before the fleet began is not its member's.
			"crs-old": {{ID: 9, Kind: RestoreTask, InstanceID: "crs-old", StartTime: since.Add(-time.Minute), EndTime: since, Result: 2}},
		},
		Safety: map[string][]SafetyBackup{
			"crs-safe":   {{ID: "s1", Since: since, Status: 1, StartTime: since.Add(time.Minute)}},
			"crs-unsafe": {{ID: "s2", Since: since, Status: -2, StartTime: since.Add(time.Minute)}},
		},
	}
	// After a done safety backup: the restore the function marked is the
	// member's; someone's, unmarked, is not the fleet's.
	undone := SafetyBackup{ID: "s3", Restores: "b3", Since: since, Status: 2, StartTime: since.Add(30 * time.Second), EndTime: since.Add(50 * time.Second)}
	for _, id := range []string{"crs-marked", "crs-someone"} {
		w.Tasks[id] = []Task{task(id, 2, true)}
		w.Safety[id] = []SafetyBackup{undone}
		in := Instance{ID: id, Status: 2}
		if id == "crs-marked" {
			in.Tags = map[string]string{MarkKey: MarkEntry(testSeal, id, 1, "b3", "s3")}
		}
		w.Instances = append(w.Instances, in)
	}
	// Someone's restore that started before the safety backup was done
	// is provably not the member's (FirstRestore).
	before := task("crs-before", 2, true)
	before.StartTime = since.Add(40 * time.Second)
	w.Tasks["crs-before"], w.Safety["crs-before"] = []Task{before}, []SafetyBackup{undone}
	w.Instances = append(w.Instances, Instance{ID: "crs-before", Status: 2})
	want := map[string]string{"crs-done": "done", "crs-back": "running", "crs-fail": "failed", "crs-run": "running",
		"crs-old": "accepted", "crs-safe": "running", "crs-unsafe": "failed", "crs-none": "accepted",
		"crs-marked": "done", "crs-someone": "unproven", "crs-before": "failed"}
	var ids []string
	for id := range want {
		ids = append(ids, id)
	}
	c := JudgeFleet(w, ids, since, since, at, 5*time.Minute, testSeal)
	for _, m := range c.Members {
		if m.Stage != want[m.InstanceID] {
			t.Errorf("%s: %s, want %s", m.InstanceID, m.Stage, want[m.InstanceID])
		}
	}
	if c.Total != 11 || c.Done != 2 || c.Failed != 3 || c.Unproven != 1 || c.Running != 3 || c.Accepted != 2 || c.AllEnded() {
		t.Errorf("counts %+v", c)
	}
	// Past the time to start, a member that never started has failed,
	// and the fleet has ended once the running ones end.
	late := JudgeFleet(w, []string{"crs-none", "crs-done"}, since, since, since.Add(FleetStartWithin+FleetResendWindow), 5*time.Minute, testSeal)
	if late.Failed != 1 || late.Done != 1 || !late.AllEnded() {
		t.Errorf("late %+v", late)
	}
	// A member judged by its own task once it ended: its instance no
	// longer read (out of the allow-list) is done; one still not running
	// long after its task succeeded has failed.
	gone := World{Tasks: map[string][]Task{"crs-left": {{ID: 9, Kind: RestoreTask, StartTime: since.Add(time.Second), EndTime: since.Add(2 * time.Second), Result: 2}}}}
	if c := JudgeFleet(gone, []string{"crs-left"}, since, since, since.Add(time.Minute), 5*time.Minute, testSeal); c.Done != 1 {
		t.Errorf("a member restored, its instance out of the allow-list since: %+v", c.Members)
	}
	stuck := World{Tasks: gone.Tasks, Instances: []Instance{{ID: "crs-left", Status: 1}}}
	if c := JudgeFleet(stuck, []string{"crs-left"}, since, since, since.Add(time.Hour), 5*time.Minute, testSeal); c.Failed != 1 {
		t.Errorf("a member whose instance is not running an hour after its restore: %+v", c.Members)
	}
	// The time to start counts from the hand-out, not the event (an
	// approved fleet's event is its plan, maybe hours older).
	approved := JudgeFleet(w, []string{"crs-none"}, since, since.Add(time.Hour), since.Add(time.Hour+time.Minute), 5*time.Minute, testSeal)
	if approved.Accepted != 1 || approved.AllEnded() {
		t.Errorf("a member handed out a minute ago counted %+v", approved)
	}
}

// A fleet request is refused by the field at fault before any cloud call.
func TestFleetRequestValidate(t *testing.T) {
	before := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for name, c := range map[string]struct {
		f     FleetRequest
		field string
	}{
		"nothing named":   {FleetRequest{}, "instances"},
		"bad ID":          {FleetRequest{Instances: []string{"crs-ok01", "redis-1"}}, "instances"},
		"twice":           {FleetRequest{Instances: []string{"crs-ok01", "crs-ok01"}}, "instances"},
		"bad pattern":     {FleetRequest{Pattern: "crs-[a"}, "instances"},
		"named backup":    {FleetRequest{Pattern: "*", BackupID: "123"}, "backupId"},
		"clone":           {FleetRequest{Pattern: "*", Mode: ModeClone}, "mode"},
		"bad region":      {FleetRequest{Pattern: "*", Region: "shanghai"}, "region"},
		"ok with before":  {FleetRequest{Pattern: "crs-web-*", Before: &before}, ""},
		"ok with a list":  {FleetRequest{Instances: []string{"crs-ok01", "crs-ok02"}, BackupID: "LATEST"}, ""},
		"too many listed": {FleetRequest{Instances: make([]string, MaxFleet+1)}, "instances"},
	} {
		err := c.f.Validate()
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.field != "" && (err == nil || fieldOf(err) != c.field):
			t.Errorf("%s: %v, want an error naming %s", name, err, c.field)
		}
	}
}

func fieldOf(err error) string { return failure.As(err).Field }
