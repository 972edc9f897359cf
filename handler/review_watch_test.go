package handler_test

// A hostile review of the intent's own watch (a605fce, 8e72e05, bebe28b):
// the watch composed with the sweep's skip of late timer events, with
// redeliveries, with the allow-list, with a least-privilege role and with
// lost answers. A test that shows a problem is skipped with "review: ..."
// so that the package stays green; the lead fixes, then removes the skip.

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// ownWatchesCounted is ownWatches that counts the function's own
// asynchronous invocations still running, and records their errors.
func ownWatchesCounted(e *env) (running *atomic.Int32, failed *atomic.Int32) {
	running, failed = new(atomic.Int32), new(atomic.Int32)
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		running.Add(1)
		defer running.Add(-1)
		_, err := invokeWith(e, freshHandler(e), event)
		if err != nil {
			failed.Add(1)
		}
		return err
	})
	return running, failed
}

// lateSweeps delivers the sweep timer events of every second from first
// to last (their Time) as a busy platform delivers queued events: each
// waited more than a sweep's window (three periods of 1 s) in the queue.
func lateSweeps(e *env, first, last time.Time) {
	e.t.Helper()
	time.Sleep(time.Until(last.Add(3500 * time.Millisecond)))
	for at := first.Truncate(time.Second); !at.After(last); at = at.Add(time.Second) {
		if _, err := e.invoke(timerEvent(e.t, at, `{"sweep":true}`)); err != nil {
			e.t.Logf("late sweep of %s: %v", at.Format(time.TimeOnly), err)
		}
	}
}

// A region-wide incident: the function is busy (the case the sweep's skip
// of late timer events was made for) and the queue has a hiccup. The
// intent's watch restores, but the queue refuses its started message; the
// watch ends as if it had been sent ("the sweep's to send again") and its
// invocation succeeds, so the platform does not retry it. The only sweeps
// that would send it again are those whose window holds the restore's
// start: the three after it. They wait in the platform's queue behind the
// incident's work, more than three periods, and are now skipped ("the
// sweeps after it cover it"): none after them looks at a start that old
// (restoreStarted looks only within the window, with no catch-up slot).
// The started message, the one that carries the TaskId of the restore
// the watch began and its undo, is never sent; before 8e72e05 the late
// sweeps ran their window and sent it.
func TestStartedMessageOfTheWatchSurvivesTheSweepsOfItsWindowWaitingInTheQueue(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	running, failed := ownWatchesCounted(e)
	// The accepted message goes out; from then on the queue refuses.
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Sequence: []cloudemu.Fault{{}}, Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
	r := timerRestore(t, e)
	if !waitFor(15*time.Second, func() bool { return len(e.emu.RestoreCalls()) == 1 }) {
		t.Fatalf("the watch did not restore within 15 s: restores %+v", e.emu.RestoreCalls())
	}
	call := e.emu.RestoreCalls()[0]
	began := call.Time.Truncate(time.Second)
	// The watch tries to send the started message until its invocation's
	// time is spent, and ends. The sweeps of the three periods after the
	// restore began wait in the platform's queue past their window; the
	// queue is back by the time they are delivered.
	if !waitFor(20*time.Second, func() bool { return running.Load() == 0 }) {
		t.Fatal("the watch still runs after 20 s")
	}
	t.Logf("watch invocations that failed (the platform retries them): %d", failed.Load())
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{})
	lateSweeps(e, began.Add(time.Second), began.Add(3*time.Second))
	e.sweepUntil("succeeded", 20*time.Second) // the end, in a catch-up slot
	e.sweepFor(2 * time.Second)
	s := lastOf(e.messages(), "started")
	if s.Data.TaskID != call.TaskID || s.Data.UndoBackupID != r.UndoBackupID {
		t.Fatalf("no started message of restore task %d (undo %s) ever sent: messages %s", call.TaskID, r.UndoBackupID, types(e.messages()))
	}
}

// Two deliveries of one alarm (Cloud Monitor sends a firing again at its
// repeats, with the same firstOccurTime; CMQ and CKafka redeliver) where
// the API lists a manual backup only once it is done. The first takes the
// safety backup; it fails, is never listed, and the intent's watch reports
// the intent failed ("nothing was restored", SafetyBackupFailed): its one
// terminal outcome. The second delivery finds no listed safety backup of
// the event (lifeFound reads only the backup list), takes another, whose
// watch then restores: the intent reported failed is restored after all,
// and ends with two terminal outcomes (failed, then succeeded). The failed
// safety backup's task, which the first watch judged by, is the event's
// own as much as a listed backup is.
func TestAlarmDeliveredAgainAfterItsUnlistedSafetyBackupFailedRestoresNothing(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, BackupsListedWhenDone: true})
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	alarm := alarmVia(t, "direct", flapFiring(t, e.demo.InstanceID, time.Now().Add(-2*time.Second)))
	r := onlyResult(t, e.results(alarm))
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup || r.SafetyBackupTaskID == 0 {
		t.Fatalf("first delivery: %+v %+v", r, r.Error)
	}
	failedOnce := func() bool { return len(queuedOfType(e, "failed")) > 0 }
	if !waitFor(15*time.Second, failedOnce) {
		t.Fatalf("the failed safety backup was not reported within 15 s: messages %s", types(e.messages()))
	}
	// In another container: the first one remembers the event.
	ans, err := invokeWith(e, freshHandler(e), alarm)
	if err != nil {
		t.Logf("second delivery: %v", err)
	}
	rs, _ := decodeAnswer(t, ans)
	again := onlyResult(t, rs)
	t.Logf("second delivery: %s %s %+v", again.Status, again.Reason, again.Error)
	time.Sleep(4 * time.Second) // a second safety backup, if taken, is done and its watch restores
	e.sweepFor(2 * time.Second)
	if n, m := len(e.emu.ManualBackups()), len(e.emu.RestoreCalls()); n != 1 || m != 0 {
		t.Fatalf("after the intent was reported failed, its second delivery (%s: %s) took %d safety backups in all and restored %d times: messages %s",
			again.Status, again.Reason, n, m, types(e.messages()))
	}
}

// guardedVars makes e's environment safe to change while the function's
// own invocations run in other goroutines, and returns its setter.
func guardedVars(e *env) func(k, v string) {
	var mu sync.Mutex
	vars := maps.Clone(e.vars)
	e.h.Getenv = func(k string) string {
		mu.Lock()
		defer mu.Unlock()
		return vars[k]
	}
	return func(k, v string) {
		mu.Lock()
		defer mu.Unlock()
		vars[k] = v
	}
}

// gatedWatches is ownWatches whose invocations wait until the gate opens:
// the platform's queue holds them.
func gatedWatches(e *env) (open func()) {
	gate := make(chan struct{})
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		<-gate
		_, err := invokeWith(e, freshHandler(e), event)
		return err
	})
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

// An alarm's restore is accepted with its safety backup; while its watch
// waits, an operator takes the instance out of RESTORE_ALLOWED_INSTANCES
// (it is being decommissioned, or was listed by mistake). Nothing is
// restored, rightly. But nothing says so either: the watch reads the
// instance by ID, finds it "not running yet" (observe leaves an instance
// outside the allow-list out) and looks again until it gives up; the
// sweep never reads an instance outside the allow-list, so the intent is
// neither continued, nor failed, nor expired: accepted, then silence, for
// ever (the status GET answers as for an instance that does not exist).
// The intent the watch names is the function's own, sealed: it can say
// that it will not be restored, and why.
func TestIntentWhoseInstanceLeftTheAllowListWhileItsWatchWaitedIsReported(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	e.vars["RESTORE_ALLOWED_INSTANCES"] = inst + "," + e.demo.PasswordFreeInstanceID
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s"
	set := guardedVars(e)
	open := gatedWatches(e)
	defer open()
	timerRestore(t, e)
	set("RESTORE_ALLOWED_INSTANCES", e.demo.PasswordFreeInstanceID)
	open()
	e.sweepFor(19 * time.Second) // past the safety backup, its deadline and the judge's 10 s of grace, and the window after it
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores of an instance no longer allowed", n)
	}
	if got := types(e.messages()); !strings.Contains(got, "failed") && !strings.Contains(got, "expired") {
		t.Fatalf("the accepted intent of %s, whose instance left the allow-list, has no outcome: messages %s", inst, got)
	}
}

// Holds: the watch of an intent in another of the function's regions
// (RESTORE_REGIONS), under the role make policy writes (the lists granted
// on the allowed instances only), restores there without any sweep: it
// reads its instance, tasks and backups by ID, in the intent's region.
func TestWatchRestoresInAnotherRegionUnderTheLeastPrivilegeRole(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.vars["RESTORE_REGIONS"] = "ap-guangzhou,ap-shanghai"
	const inst, backup = "crs-shanghai", "678362566696298532849001"
	e.emu.AddInstance(cloudemu.Instance{ID: inst, Name: "sessions", Region: "ap-shanghai", Status: 2})
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	e.emu.AddBackup(inst, cloudemu.Backup{ID: backup, Status: 2, Size: 1 << 20, StartTime: start, EndTime: start.Add(5 * time.Minute)})
	leastPrivilege(t, e, inst, e.demo.InstanceID)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","region":"ap-shanghai"}`, inst))))
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup || r.BackupID != backup {
		t.Fatalf("timer in ap-shanghai: %+v %+v", r, r.Error)
	}
	if !waitFor(15*time.Second, func() bool { return strings.Contains(types(e.messages()), "started") }) {
		t.Fatalf("no restore in ap-shanghai within 15 s, no sweep: messages %s, restores %+v", types(e.messages()), e.emu.RestoreCalls())
	}
	calls := e.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].InstanceID != inst || calls[0].BackupID != backup {
		t.Fatalf("restores %+v, want one of %s to %s", calls, inst, backup)
	}
	if s := lastOf(e.messages(), "started"); s.Data.Region != "ap-shanghai" || s.Data.TaskID != calls[0].TaskID || s.Data.UndoBackupID != r.UndoBackupID {
		t.Fatalf("started message %+v", s.Data)
	}
}

// Holds: the watch's RestoreInstance is accepted and its answer lost (the
// connection reset after the restore began). The watch handed Run its
// reading of the task list, taken before the call; the lost answer sends
// it to the task list again, fresh, which shows the restore: one restore,
// one started message with its TaskId, one outcome; the sweep after it
// restores nothing more.
func TestWatchWhoseRestoreAnswerIsLostRestoresOnce(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true, AfterCommit: true}}})
	timerRestore(t, e)
	if !waitFor(15*time.Second, func() bool { return strings.Contains(types(e.messages()), "started") }) {
		t.Fatalf("the watch sent no started message within 15 s: messages %s, restores %+v", types(e.messages()), e.emu.RestoreCalls())
	}
	calls := e.emu.RestoreCalls()
	if s := lastOf(e.messages(), "started"); len(calls) != 1 || s.Data.TaskID != calls[0].TaskID {
		t.Fatalf("restores %+v, started message %+v", calls, s.Data)
	}
	e.sweepUntil("succeeded", 15*time.Second)
	e.sweepFor(2 * time.Second)
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores of one intent after a lost answer", n)
	}
	if got := types(e.messages()); got != "accepted×1 started×1 succeeded×1" {
		t.Fatalf("messages %s", got)
	}
}

// The sweep's skip of late timer events, with a clone: a clone whose
// task fails is reported failed (CloneFailed) only by a sweep whose window
// holds its end (sweepClone: "only within the window"; no catch-up slot).
// The three sweeps after the end wait in the platform's queue past their
// window (a busy function: the case the skip was made for) and are now
// skipped; the sweeps after them never look at that end: the clone the
// request ordered is never reported, neither succeeded nor failed. Before
// 8e72e05 the late sweeps ran their window and reported it.
func TestFailedCloneIsReportedThoughTheSweepsOfItsWindowWaitedInTheQueue(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.emu.FailNextTask("clone", "insufficient resources in the zone")
	asked := time.Now()
	r := onlyResult(t, e.results(timerEvent(t, asked.Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"clone"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted || len(r.NewInstanceIDs) != 1 {
		t.Fatalf("clone: %+v %+v", r, r.Error)
	}
	// The clone task ends within 2 s (1.5 s here). Every sweep whose
	// window holds its end is delivered late.
	lateSweeps(e, asked.Add(time.Second), asked.Add(5*time.Second))
	e.sweepFor(3 * time.Second)
	if got := types(e.messages()); !strings.Contains(got, "failed") {
		t.Fatalf("the clone %s, whose task failed, was never reported: messages %s", r.NewInstanceIDs[0], got)
	}
}

// Holds: a timer's fleet whose members take safety backups (the default
// for timers): each member's hand-off takes its backup and hands its own
// watch, which restores it once the backup is done; no sweep runs. Each
// member is restored once, to its own backup, each with its started
// message carrying its own undo, and the fleet's watch completes with
// every member done.
func TestFleetMembersWithSafetyBackupsAreRestoredOnceByTheirWatches(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 3)
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second})
	r := fleetOf(t, e.results(timerEvent(t, time.Now(), `{"fleet": {"instances": "crs-fleet*"}}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("fleet: %+v %+v", r, r.Error)
	}
	if !waitFor(25*time.Second, func() bool { return len(e.fleetMessages()["fleet.completed"]) > 0 }) {
		t.Fatalf("the fleet did not complete within 25 s, no sweep: restores %+v, async %v", e.emu.RestoreCalls(), e.async)
	}
	e.emu.WaitInvocations()
	if n := len(e.emu.ManualBackups()); n != 3 {
		t.Fatalf("%d safety backups for 3 members", n)
	}
	restored := map[string]string{}
	for _, c := range e.emu.RestoreCalls() {
		if _, twice := restored[c.InstanceID]; twice {
			t.Fatalf("%s restored twice: %+v", c.InstanceID, e.emu.RestoreCalls())
		}
		restored[c.InstanceID] = c.BackupID
	}
	for i, id := range e.ids {
		if want := fmt.Sprintf("8%023d", i+1); restored[id] != want {
			t.Errorf("%s restored to %q, want %s", id, restored[id], want)
		}
	}
	undo := map[string]bool{}
	for _, m := range queuedOfType(e.env, "started") {
		undo[m.Data.UndoBackupID] = true
	}
	if len(undo) != 3 {
		t.Errorf("started messages name %d distinct undo points, want 3: %v", len(undo), undo)
	}
	if c := e.fleetMessages()["fleet.completed"][0]; fmt.Sprint(c["counts"].(map[string]any)["done"]) != "3" {
		t.Errorf("fleet completed %v, want 3 done", c)
	}
}

// Two timer triggers fire at the same second for one instance (two cron
// jobs with one schedule, each its own event: "timer:<trigger>:<time>"),
// asking for two different backups. The first takes its safety backup;
// the second's look for "an earlier delivery's safety backup" (lifeFound,
// now from the one backup reading) takes any signed safety backup that
// started since its event's time for its own, whatever it restores and
// whichever event took it: it answers duplicate, names the first's
// backup, and its own is never restored nor refused. A safety backup is
// this event's only if its remark names what this event restores (and
// the event); another intent's is a lock like any other.
func TestAnotherTimersSafetyBackupIsNotTakenForThisTimersOwn(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	inst, first, second := e.demo.InstanceID, e.demo.LatestBackupID, backupBeforeTheAlarms
	at := time.Now().Truncate(time.Second)
	timer := func(trigger, backup string) []byte {
		return mustJSON(t, events.TimerEvent{Type: "Timer", TriggerName: trigger, Time: at, Message: fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, backup)})
	}
	a := onlyResult(t, e.results(timer("nightly-a", first)))
	if a.Status != intent.Accepted || a.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("first timer: %+v %+v", a, a.Error)
	}
	ans, err := invokeWith(e, freshHandler(e), timer("nightly-b", second))
	rs, _ := decodeAnswer(t, ans)
	b := onlyResult(t, rs)
	if b.Status == intent.Duplicate || b.BackupID == first {
		t.Fatalf("the second timer, for %s, answered %s naming %s (undo %s; %v): another event's safety backup taken for its own",
			second, b.Status, b.BackupID, b.UndoBackupID, err)
	}
}

// SCF retries a failed sweep with the same timer Time, a minute (a
// period) later, and the skip lets it run (it waited less than three
// periods). A sweep judges a safety backup by its Time, not by when it
// runs: one on time reports the intent expired ("it is not started late;
// nothing was restored"), and then the retry of the sweep before it, whose
// Time is before the deadline, judges the same backup ready and restores
// it: a restore after the deadline, after its intent was reported expired
// (two outcomes). Nothing between the judgement and RestoreInstance looks
// at the deadline again (ContinueSafety, Run). The watch, which judges at
// its own clock, never would.
func TestLateRetryOfASweepDoesNotRestoreAnIntentReportedExpired(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s" // no watch here: no invoker (it could not be started)
	timerRestore(t, e)
	// No sweep runs until the deadline has passed (an outage of a few
	// periods, past the judge's 10 s of grace); the first one back
	// reports the intent expired.
	time.Sleep(14 * time.Second)
	e.sweepUntil("expired", 10*time.Second)
	x := lastOf(e.messages(), "expired")
	if x.Data.EndedAt == nil {
		t.Fatalf("expired message without its deadline: %+v", x.Data)
	}
	// The platform's retry of a sweep whose Time is a second before the
	// deadline (it failed for a reason of its own), within its window.
	late := x.Data.EndedAt.Add(-time.Second).Truncate(time.Second)
	_, err := e.invoke(timerEvent(t, late, `{"sweep":true}`))
	if calls := e.emu.RestoreCalls(); len(calls) != 0 {
		t.Fatalf("the intent was reported expired at %s, then the retry of the sweep of %s (received %s later; %v) restored it: %+v; messages %s",
			x.Data.EndedAt.Format(time.TimeOnly), late.Format(time.TimeOnly), time.Since(late).Round(time.Millisecond), err, calls, types(e.messages()))
	}
}

// Holds: anyone who may invoke the function replays a captured intent's
// watch (sealed, step 0) after its restore ended, and again with what it
// restores changed to another backup. The replay finds the intent
// restored and does nothing (no restore, no new message); the altered one
// is refused by its seal.
func TestReplayedOrAlteredIntentWatchRestoresNothing(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	var mu sync.Mutex
	var captured [][]byte
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		mu.Lock()
		captured = append(captured, append([]byte(nil), event...))
		mu.Unlock()
		_, err := invokeWith(e, freshHandler(e), event)
		return err
	})
	timerRestore(t, e)
	e.sweepUntil("succeeded", 20*time.Second)
	mu.Lock()
	first := captured[0]
	mu.Unlock()
	before := ids(e.messages())
	if !strings.Contains(string(first), e.demo.LatestBackupID) {
		t.Fatalf("the first asynchronous invocation is not the intent's watch: %s", first)
	}
	altered := []byte(strings.Replace(string(first), e.demo.LatestBackupID, backupBeforeTheAlarms, 1))
	for _, ev := range [][]byte{first, altered} {
		ans, err := invokeWith(e, freshHandler(e), ev)
		rs, _ := decodeAnswer(t, ans)
		t.Logf("replay: %v %+v", err, rs)
	}
	e.emu.WaitInvocations()
	// The replay may send the restore's started message again, with its
	// id (a retry of a step that could not send it does): no new one.
	if n, m := len(e.emu.RestoreCalls()), ids(e.messages()); n != 1 || !maps.Equal(m, before) {
		t.Fatalf("after the replays: %d restores, messages %v (were %v): %s", n, m, before, types(e.messages()))
	}
}

// ids is the set of the messages' ids.
func ids(msgs []intent.Event) map[string]bool {
	out := map[string]bool{}
	for _, m := range msgs {
		out[m.ID] = true
	}
	return out
}
