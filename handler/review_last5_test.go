package handler_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/seal"
)

// Review of 5913a43 (the fourth review of the fleet's judge).

// 5913a43 seals the number of a watch's Backups (fleetWatchParts) and
// keeps only watches sealed BEFORE 42904f3 (no Backups) verifying. A
// watch handed out by 42904f3..504f652 (main until 5913a43: it carries
// Backups, sealed as strings.Join(Backups, ",") without their count) and
// in flight across the upgrade (a fleet's watch lives 24 hours, stepping
// a period at a time, each step handed on to the next invocation) no
// longer verifies: its next step is refused Unauthenticated, the watch
// ends there, and the fleet NEVER sends its completed message (nor any
// later progress), though every member goes on to its end. The promise
// "always say clearly why something was not done" and "a fleet completes
// within its watch life" break for every fleet in flight at the deploy.
// A watch sealed the earlier way must still verify (try both forms), as
// a watch sealed before Backups does.
func TestReviewLast5WatchSealedBy42904f3IsRefusedAfterTheUpgrade(t *testing.T) {
	t.Skip("not a finding on main: watches with Backups sealed without their count existed only on main within one session (42904f3 to 504f652) and never landed or deployed; a watch sealed before Backups still verifies")
	t.Parallel()
	e := newFleetEnv(t, 2)
	watches := l4CaptureFleetWatches(e)
	if r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": "*"}}`))); r.Status != intent.Accepted {
		t.Fatalf("fleet %+v %+v", r, r.Error)
	}
	e.emu.WaitInvocations()
	ws := watches()
	if len(ws) == 0 {
		t.Fatal("no fleet watch handed out")
	}
	var ev events.FleetWatchEvent
	if err := json.Unmarshal(ws[0], &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Watch.Backups) != 2 {
		t.Fatalf("premise: the watch carries %v, want the 2 members' backups", ev.Watch.Backups)
	}
	// Sealed as 42904f3's fleetWatchParts sealed it.
	w := ev.Watch
	old := []string{w.ID, w.Region, w.Trigger, w.Since.UTC().Format(time.RFC3339Nano), w.Start.UTC().Format(time.RFC3339Nano),
		fmt.Sprint(w.Step), strings.Join(w.Members, ","), fmt.Sprint(w.SafetyTask), w.Restores, w.Key, strings.Join(w.Backups, ",")}
	inFlight := ev
	inFlight.Watch.Seal = seal.New(e.vars["RESTORE_SIGNING_KEY"]).Sum("fleetwatch", old...)
	ans, err := invokeWith(e.env, freshHandler(e.env), mustJSON(t, inFlight))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := decodeAnswer(t, ans)
	if r := onlyResult(t, rs); r.Error != nil && r.Error.Code == "Unauthenticated" {
		t.Errorf("a fleet watch the previous release sealed (Backups %v, joined without their count), in flight across the upgrade: refused %s (%s); the watch ends here and the fleet never completes",
			w.Backups, r.Error.Code, r.Error.Message)
	}
}

// The fleet's watch reads its world from the fleet's event on
// (WatchFleet: Observe from fw.Since), safety backups included: a
// backup is listed by its start. An alarm's intent whose safety backup
// was taken just BEFORE the fleet's event (its remark's event too), and
// whose continuation (its watch's, or the sweep's, within
// RESTORE_SAFETY_DEADLINE) restored ANOTHER backup just after it, marked
// as that intent's: the first restore since the fleet's event is
// provably the alarm's restore of b-alarm. The judge's rule (4454eb1,
// 42904f3, 5913a43: "a restore the mark proves another intent's
// continuation of another backup is not the member's": failed, or
// unproven where the member's backup is not known) looks for the mark
// only among the safety backups in the world, and the alarm's is not
// there: the fleet's completed message counts the member DONE, the
// instance holding the alarm's backup, not the fleet's. (The intent
// tests of that rule, TestReviewLast3MarkedRestoreOfAnotherIntentIsNot-
// TheMembersDone and TestReviewLast4UnknownBackupCountsEveryMarked-
// RestoreFailed, build worlds holding a safety backup started before the
// fleet's event, which the watch never reads.) The restore's own ended
// message (the sweep, reading a day back) says succeeded, of b-alarm,
// with the alarm's undo. The watch must read the safety backups a
// restore since the event may continue (a deadline back), or the judge
// must not count a marked restore it cannot attribute done.
func TestReviewLast5AlarmsSafetyBackupBeforeTheFleetsEventIsNotReadAndItsRestoreCountsDone(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 1)
	id := e.ids[0]
	watches := l4CaptureFleetWatches(e)
	now := time.Now().Truncate(time.Second)
	// A bare direct invocation: its event is "its arrival less the
	// resend window" (handler/fleet.go).
	since := now.Add(-intent.FleetResendWindow)
	k := seal.New(e.vars["RESTORE_SIGNING_KEY"])
	alarmBackup := "700000000000000000000001"
	e.emu.AddBackup(id, cloudemu.Backup{ID: alarmBackup, StartTime: now.Add(-3 * time.Hour), EndTime: now.Add(-3*time.Hour + time.Minute), Status: 2, BackupType: "1", Size: 1 << 20})
	alarmSafety := "700000000000000000000099"
	e.emu.AddBackup(id, cloudemu.Backup{ID: alarmSafety, StartTime: since.Add(-90 * time.Second), EndTime: since.Add(-time.Minute), Status: 2, BackupType: "0", Size: 1 << 20,
		Remark: sealedRemark(e.env, id, alarmBackup, "alarm", since.Add(-2*time.Minute))})
	task := e.emu.AddTask(cloudemu.Task{InstanceID: id, BackupID: alarmBackup, Type: "010", StartTime: since.Add(time.Minute), Duration: time.Minute})
	e.emu.UpdateInstance(id, func(in *cloudemu.Instance) {
		in.Tags = map[string]string{intent.MarkKey: intent.MarkEntry(k, id, task, alarmBackup, alarmSafety)}
	})
	if r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": ["`+id+`"], "safetyBackup": false}}`))); r.Status != intent.Accepted && r.Status != intent.Duplicate {
		t.Fatalf("fleet %+v %+v", r, r.Error)
	}
	e.emu.WaitInvocations()
	ws := watches()
	if len(ws) == 0 {
		t.Fatal("no fleet watch handed out")
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("premise: the member is not restored again over the alarm's restore since its event; %d restores", n)
	}
	if _, err := invokeWith(e.env, freshHandler(e.env), ws[0]); err != nil {
		t.Fatal(err)
	}
	done := e.fleetMessages()["fleet.completed"]
	if len(done) != 1 {
		t.Fatalf("premise: one completed message, got %d (%v)", len(done), e.fleetMessages())
	}
	members, _ := done[0]["members"].([]any)
	if len(members) != 1 {
		t.Fatalf("completed members %v", done[0]["members"])
	}
	m, _ := members[0].(map[string]any)
	if m["stage"] == "done" {
		t.Errorf("the only restore since the fleet's event is task %d, marked the alarm's restore of %s (undo %s, taken just before the fleet's event): the completed message counts the member %v; want failed (or unproven), as the rule for a marked restore of another intent says",
			task, alarmBackup, alarmSafety, m)
	}
}
