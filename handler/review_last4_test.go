package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// Review of 42904f3 (the watch carries each member's backup).

// l4CaptureFleetWatches makes e's invoker hold every fleet watch (ID set)
// for the test to run by hand; hand-offs and intents' watches (ID "")
// run as the platform would run them.
func l4CaptureFleetWatches(e *fleetEnv) func() [][]byte {
	var mu sync.Mutex
	var held [][]byte
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		if strings.Contains(string(event), events.FleetWatchField) {
			var ev events.FleetWatchEvent
			if json.Unmarshal(event, &ev) == nil && ev.Watch.ID != "" {
				mu.Lock()
				defer mu.Unlock()
				held = append(held, append([]byte(nil), event...))
				return nil
			}
		}
		_, err := invokeWith(e.env, freshHandler(e.env), event)
		return err
	})
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), held...)
	}
}

// The seal joins Backups with "," (as it does Members) and its length
// prefix covers only the joined string: ["b1","b2"] and ["b1,b2"] are the
// same MAC. Anyone holding one sealed watch (a replay: the platform's
// async payloads are in its logs and its console) can regroup Backups
// into a list whose length differs from Members', and the watch still
// verifies; judgeFleet then silently drops the whole list (len mismatch)
// and judges every member against ANY backup of the event: exactly the
// two-intents-of-one-second confusion the Backups were added to end
// (TestReviewLast3SameSecondEventsMemberSafetyIsAnotherIntentsBackup).
// A watch whose Backups do not match its Members one for one is not one
// the function sealed, and must be refused (the seal should bind the
// list's shape: each element length-prefixed, or the count sealed).
func TestReviewLast4RegroupedBackupsStillVerify(t *testing.T) {
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
	regrouped := ev
	regrouped.Watch.Backups = []string{strings.Join(ev.Watch.Backups, ",")}
	ans, err := invokeWith(e.env, freshHandler(e.env), mustJSON(t, regrouped))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := decodeAnswer(t, ans)
	if r := onlyResult(t, rs); r.Error == nil || r.Error.Code != "Unauthenticated" {
		t.Errorf("a watch whose Backups were regrouped (%q for members %v) after it was sealed: %+v (error %+v); want refused Unauthenticated, as a forged watch is",
			regrouped.Watch.Backups, ev.Watch.Members, r, r.Error)
	}
}

// A timer's fleet (safety backups on) restored its member to its newest
// backup; the timer is delivered again (the platform's retry, within the
// fleet's resend window) after a newer backup was taken (the automatic
// backup's hour). Fleet() marks the member a duplicate (its restore
// started: TaskID) but still names for it the backup "latest" chooses
// NOW, and runFleet puts that one in the watch's Backups. The member's
// own safety backup restores the backup the first hand-out chose, so
// memberSafety finds none for the new one, and the restore, marked the
// function's own (the member's backup and undo), is taken for "another
// intent's continuation of another backup": the fleet's completed
// message counts FAILED a member whose restore succeeded (its own
// restore's ended message, the sweep's, says succeeded). The watch must carry the backup the member
// was handed (or none, for a member already started), not a new choice.
func TestReviewLast4ResentFleetCarriesANewlyLatestBackupAndFailsARestoredMember(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 1)
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 300 * time.Millisecond})
	watches := l4CaptureFleetWatches(e)
	id := e.ids[0]
	ev := timerEvent(t, time.Now().Truncate(time.Second), `{"fleet": {"instances": "crs-fleet*"}}`)
	if r := fleetOf(t, e.results(ev)); r.Status != intent.Accepted {
		t.Fatalf("fleet: %+v %+v", r, r.Error)
	}
	if !waitFor(20*time.Second, func() bool {
		return len(e.emu.RestoreCalls()) == 1
	}) {
		t.Fatalf("the member was not restored within 20 s: %+v; messages %s", e.emu.RestoreCalls(), types(e.messages()))
	}
	restored := e.emu.RestoreCalls()[0].BackupID
	if !waitFor(10*time.Second, func() bool { st, _ := e.emu.InstanceStatus(id); return st == 2 }) {
		t.Fatal("the member's restore did not end within 10 s")
	}
	time.Sleep(1600 * time.Millisecond) // the restore task's end (SetTaskDuration)
	// A newer backup, taken since (the automatic backup).
	now := time.Now().Truncate(time.Second)
	newer := "9" + strings.Repeat("0", 22) + "1"
	e.emu.AddBackup(id, cloudemu.Backup{ID: newer, StartTime: now.Add(-2 * time.Second), EndTime: now.Add(-time.Second), Status: 2, BackupType: "1", Size: 1 << 20})
	again := fleetOf(t, e.results(ev))
	if again.Status != intent.Duplicate && again.Status != intent.Accepted {
		t.Fatalf("the timer again: %+v %+v", again, again.Error)
	}
	e.emu.WaitInvocations()
	ws := watches()
	if len(ws) != 2 {
		t.Fatalf("%d fleet watches, want one per delivery", len(ws))
	}
	var second events.FleetWatchEvent
	_ = json.Unmarshal(ws[1], &second)
	ans, err := invokeWith(e.env, freshHandler(e.env), ws[1])
	if err != nil {
		t.Fatal(err)
	}
	_ = ans
	c := e.fleetMessages()["fleet.completed"]
	if len(c) == 0 {
		t.Fatalf("no completed message: %s", types(e.messages()))
	}
	counts := c[0]["counts"].(map[string]any)
	if fmt.Sprint(counts["done"]) != "1" {
		b, _ := json.Marshal(c[0])
		t.Errorf("the member was restored once, to %s (its restore task succeeded, the instance serving); the resent fleet's watch carries Backups %v and completes %s; want it done",
			restored, second.Watch.Backups, b)
	}
	e.restoredOnce(t)
}
