package handler_test

// A hostile review of this session's fixes (2da15a2..e664600): the
// judgement of an intent by the first restore since its event
// (FirstRestore, SafetySuperseded), the event time in the safety
// backup's remark, the failed safety backup's mark entry named by a MAC
// over the event's key, the continuations quiet at every try, the fleet
// fixes and the redelivery answered with its intent's outcome. A test
// that shows a problem is skipped with "review: ..." so that the package
// stays green; the lead fixes, then removes the skip. A test named
// "Holds" guards what was tried and held.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// The safety backup's remark is the function's proof that an intent
// passed its guard rails (admit.go: a continuation skips the budget and
// the approval, "which its sealed remark proves"), and "whoever may call
// ManualBackupInstance can write any remark ... none of them holds
// RESTORE_SIGNING_KEY" (docs/provenance.md). But a dry run, or a plan,
// hands the requester the very remark, MAC included (lifePlan and steps:
// "ManualBackupInstance first (remark ...)"), now with the event's time
// the sweep judges by (ee362ed). Under RESTORE_APPROVAL=invoke a
// requester asks for a dry run (answered at once: no approval), takes a
// manual backup of the instance with the remark it was shown (the
// console, or any role with redis:ManualBackupInstance and no
// RestoreInstance), and the sweep restores the backup: no approver saw
// it, no budget counted it, and the plan the approvers would have
// signed was never made.
func TestFixReviewDryRunsRemarkNeverRestoresWithoutApproval(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_APPROVAL"] = "invoke"
	inst := e.demo.InstanceID
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"dryRun":true}`, inst, backupBeforeTheAlarms))))
	if r.Status != intent.DryRun || r.Plan == nil {
		t.Fatalf("dry run: %+v %+v", r, r.Error)
	}
	_, rest, ok := strings.Cut(r.Plan.SafetyBackup, "(remark ")
	if !ok {
		t.Fatalf("the dry run's plan shows no remark: %q", r.Plan.SafetyBackup)
	}
	remark, err := strconv.QuotedPrefix(rest)
	if err != nil {
		t.Fatalf("the dry run's remark %q: %v", rest, err)
	}
	remark, _ = strconv.Unquote(remark)
	t.Logf("the dry run's answer shows the remark %q", remark)
	e.someonesManualBackup(inst, remark)
	time.Sleep(1500 * time.Millisecond) // the backup is done
	e.sweepFor(3 * time.Second)
	if calls := e.emu.RestoreCalls(); len(calls) != 0 {
		t.Fatalf("under RESTORE_APPROVAL=invoke, a manual backup with the remark a dry run showed was restored over %d times without approval (%+v): messages %s",
			len(calls), calls, types(e.messages()))
	}
}

// The remark is a bearer proof, bound to the instance, the backup it
// restores, the trigger and (ee362ed) the event's time, but to no one
// backup: any manual backup that carries it is the intent's safety
// backup, and the sweep judges each such backup on its own. The backup
// list shows every remark to whoever may list backups. A timer's safety
// backup fails; the sweep reports the intent failed, SafetyBackupFailed,
// "nothing was restored, and no other is taken for this event". Someone
// with redis:ManualBackupInstance (no RestoreInstance) then takes a
// manual backup with the failed one's remark, copied from the list: the
// sweep finds a signed safety backup done, no restore since the event's
// time, and restores the intent reported failed. (An intent reported
// expired is brought back the same way, past RESTORE_SAFETY_DEADLINE.)
func TestFixReviewCopiedRemarkNeverRestoresAnIntentThatEnded(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	r := timerRestore(t, e)
	e.sweepUntil("failed", 15*time.Second)
	var remark string
	for _, b := range e.emu.ManualBackups() {
		if b.BackupID == r.UndoBackupID {
			remark = b.Remark
		}
	}
	if remark == "" {
		t.Fatalf("the failed safety backup %s is not among the manual backups %+v", r.UndoBackupID, e.emu.ManualBackups())
	}
	e.someonesManualBackup(inst, remark)
	time.Sleep(1500 * time.Millisecond) // the copy is done
	e.sweepFor(3 * time.Second)
	if calls := e.emu.RestoreCalls(); len(calls) != 0 {
		t.Fatalf("the intent reported failed (%s) was restored %d times after someone copied its remark into a manual backup: outcomes %v",
			errCode(lastOf(e.messages(), "failed").Data.Error), len(calls), terminalIDs(e, inst))
	}
}

// A timer without Time is keyed by the minute it arrived in
// (identity.go timerSource), and the platform retries an asynchronous
// event a minute apart: every delivery of it has another key. The failed
// safety backup's mark entry names the event by a MAC over that key
// (FailedEntry, def1a56), and FailedMark reads an entry under another
// key as "another intent's failure" (found && !ours): failedEarlier
// skips the task, the retry takes a second safety backup, and its watch
// restores. The intent, reported failed ("nothing was restored, and no
// other is taken for this event"), is restored after all: two terminal
// outcomes, the second contradicting the first. The direct invocation's
// case (no key: "ours") holds; the untimed timer's, whose key changes,
// does not.
func TestFixReviewUntimedTimerRetriedAfterItsSafetyBackupFailedRestoresNothing(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	timer := mustJSON(t, map[string]any{"Type": "Timer", "TriggerName": "nightly-restore",
		"Message": fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, e.demo.LatestBackupID)})
	// The first delivery late in a minute, so that the test need not
	// wait a whole one for the retry's minute (the platform's is a minute
	// later: always another minute).
	if s := time.Now().Second(); s < 45 {
		time.Sleep(time.Duration(45-s) * time.Second)
	}
	first := time.Now().Truncate(time.Minute)
	r := failedUnlisted(t, e, timer)
	if m := markOf(e, inst); !strings.HasPrefix(m, fmt.Sprint(r.SafetyBackupTaskID)+".") {
		t.Fatalf("the failed safety backup's task %d is not marked: %q", r.SafetyBackupTaskID, m)
	}
	for time.Now().Truncate(time.Minute).Equal(first) {
		time.Sleep(100 * time.Millisecond)
	}
	// The platform's retry (the first invocation failed after taking the
	// backup: a timeout, an undelivered accepted message), in the next
	// minute, in another container.
	noSecondLife(t, e, timer, inst)
}

// A member's start-by time is sealed per hand-out (handOutMembers: the
// hand-out's time plus FleetStartWithin), but the fleet's watch counts a
// member "never started" by its own Start (JudgeFleet: began), and a
// fleet sent again is the same fleet with a second hand-out and a second
// watch ("a request sent again may start a second watch; both send the
// same ids", docs/fleet-request.md). A direct invocation's fleet (named
// by its body, 15 minutes back) whose hand-out failed is sent again ten
// minutes later: its members are handed out again, to start by 40
// minutes after the first. Thirty minutes after the first, the first
// watch counts them never started and completes the fleet, 2 failed.
// The second hand-out, queued by the platform, reaches a container at
// 35 minutes, before its own start-by time: both members are restored
// after their fleet's one end counted them failed (a30986f's promise:
// "never restored after its fleet counted it failed").
func TestFixReviewFleetSentAgainNeverRestoresAMemberItsFleetCountedFailed(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 2)
	at := func(d time.Duration) *handler.Handler {
		h := freshHandler(e.env)
		h.Now = func() time.Time { return time.Now().Add(d) }
		return h
	}
	var mu sync.Mutex
	var queued [][]byte // the platform's asynchronous queue, run by hand below
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		mu.Lock()
		defer mu.Unlock()
		queued = append(queued, event)
		return nil
	})
	e.emu.SetFaults("Invoke", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: "InternalError"}}}) // the first hand-out
	req := []byte(`{"fleet": {"instances": "crs-fleet*", "safetyBackup": false}}`)
	if _, err := e.invoke(req); err == nil || !strings.Contains(err.Error(), "FleetHandOutFailed") {
		t.Fatalf("first delivery: %v, want FleetHandOutFailed", err)
	}
	ans, err := invokeWith(e.env, at(10*time.Minute), req) // sent again ten minutes later
	if err != nil {
		t.Fatalf("sent again: %v", err)
	}
	if r := fleetOf(t, ans.(handler.Response).Results); r.Status != intent.Accepted {
		t.Fatalf("sent again: %+v %+v", r, r.Error)
	}
	mu.Lock()
	async := append([][]byte(nil), queued...)
	mu.Unlock()
	var firstWatch, handOff []byte
	for _, ev := range async {
		switch isWatch := strings.Contains(string(ev), events.FleetWatchField); {
		case isWatch && firstWatch == nil:
			firstWatch = ev
		case !isWatch && handOff == nil:
			handOff = ev
		}
	}
	if firstWatch == nil || handOff == nil {
		t.Fatalf("queued %d invocations, want the first watch and the second hand-out", len(async))
	}
	if _, err := invokeWith(e.env, at(31*time.Minute), firstWatch); err != nil {
		t.Fatalf("the first watch, 31 minutes on: %v", err)
	}
	completed := e.fleetMessages()["fleet.completed"]
	if len(completed) == 0 {
		// Not counted failed yet: the second hand-out, within its
		// start-by, restores them, and the fleet then ends once, done.
		_, _ = invokeWith(e.env, at(35*time.Minute), handOff)
		if n := len(e.emu.RestoreCalls()); n != 2 {
			t.Fatalf("the second hand-out, before the fleet ended, restored %d members, want 2: %s", n, types(e.messages()))
		}
		// The watch runs 46 minutes ahead of the emulator's clock: a
		// restore task that ends between its read of the instances and its
		// read of the tasks looks ended 46 minutes ago with its instance
		// not serving (failed, rightly, at that age). It looks once both
		// restores are over.
		if !waitFor(15*time.Second, func() bool {
			for _, c := range e.emu.RestoreCalls() {
				if st, _ := e.emu.InstanceStatus(c.InstanceID); st != 2 {
					return false
				}
			}
			return true
		}) {
			t.Fatal("the members' restores did not end within 15 s")
		}
		if !waitFor(15*time.Second, func() bool {
			_, _ = invokeWith(e.env, at(46*time.Minute), firstWatch)
			return len(e.fleetMessages()["fleet.completed"]) > 0
		}) {
			t.Fatal("the first watch, 46 minutes on, did not complete the fleet")
		}
		c, _ := e.fleetMessages()["fleet.completed"][0]["counts"].(map[string]any)
		if fmt.Sprint(c["done"]) != "2" || fmt.Sprint(c["failed"]) != "0" {
			t.Fatalf("the fleet whose members the second hand-out restored completed %v, want done 2, failed 0", c)
		}
		return
	}
	counts, _ := json.Marshal(completed[0]["counts"])
	_, _ = invokeWith(e.env, at(35*time.Minute), handOff) // the second hand-out, queued 25 minutes
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("the fleet completed %s (each member \"never started\"), then the second hand-out restored its members %d times: %s",
			counts, n, types(e.messages()))
	}
}

// A restore since the event that is provably not the intent's (here
// someone's, started while the intent's ManualBackupInstance was on its
// way: a slow cloud) now settles the intent: failed, RestoreSuperseded,
// "nothing of it restored" (ee362ed). The intent's redelivery (Cloud
// Monitor sending the same firing again, the platform's retry) is
// answered by never-twice's rule 1 before anything else (restore.go run:
// startedEarlier, then lifeFound's safetyEnded): duplicate of that very
// restore, its TaskId given as the event's own. One intent, two
// contradicting ends: the queue says it was not restored, the answer
// gives the caller a TaskId "already started" for it.
func TestFixReviewRedeliveryOfASupersededIntentIsAnsweredItsOutcome(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.InstanceID
	alarm := alarmVia(t, "direct", flapFiring(t, inst, time.Now().Add(-2*time.Second)))
	if r := beforeItsSafetyBackup(t, e, alarm); r.Status != intent.Accepted || r.UndoBackupID == "" {
		t.Skipf("the alarm was not accepted with a safety backup (%s %s: %s): no superseded intent to redeliver", r.Status, errCode(r.Error), r.Reason)
	}
	e.sweepUntil("failed", 20*time.Second)
	outcome := lastOf(e.messages(), "failed")
	if errCode(outcome.Data.Error) != "RestoreSuperseded" {
		t.Fatalf("the intent's outcome %s %s, want RestoreSuperseded; messages %s", outcome.Type, errCode(outcome.Data.Error), types(e.messages()))
	}
	ans, err := invokeWith(e, freshHandler(e), alarm)
	again := answered(t, ans, err)
	if again.Status != intent.Failed || errCode(again.Error) != "RestoreSuperseded" {
		t.Fatalf("the redelivery of the intent reported failed, RestoreSuperseded, is answered %s %s (TaskId %d): %q; messages %s",
			again.Status, errCode(again.Error), again.TaskID, again.Reason, types(e.messages()))
	}
}

// A continuation's failure is now quiet at every try, the last included
// (ff670e5): the intent's one outcome is expired at its deadline. That
// outcome no longer says why: "no sweep ran meanwhile, or each try
// failed (the function's log: sweep.restoreFailed, with the reason)".
// Here the function's role has lost RestoreInstance (CAM refuses it):
// every try failed UnauthorizedOperation, and before ff670e5 the last
// try's message said so; now the consumer, who has no access to the
// function's log, reads a message that cannot tell a sweep outage from a
// missing grant, and cannot act on it ("always say clearly why").
//
// Not fixed: e7f0817 named the last failure the reporting container had
// seen, and the review of it (TestReviewExpiredOutcomeIsTheSameFromEveryContainer)
// found one outcome's id carrying another body from every other
// container (the sweep's catch-up slots, the watch, a redelivery's
// answer). Without a store of its own the function cannot carry a try's
// failure into the one outcome every container sends alike; the log has
// each try's (sweep.restoreFailed).
func TestFixReviewExpiredAfterFailedTriesSaysWhyTheyFailed(t *testing.T) {
	t.Skip("not fixed: a try's failure in the expired outcome would differ between containers under one message id (TestReviewExpiredOutcomeIsTheSameFromEveryContainer); the log has it: sweep.restoreFailed")
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s" // no watch (no invoker): the sweep continues
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	timerRestore(t, e)
	e.sweepFor(19 * time.Second) // the backup (1 s), its deadline (3 s) and the judge's grace (10 s), the window after it
	if got := terminalIDs(e, e.demo.InstanceID); len(got) != 1 || got[0] != "expired/RestoreExpired" {
		t.Fatalf("the intent's terminal outcomes %v, want one, expired; messages %s", got, types(e.messages()))
	}
	msg := errMessage(lastOf(e.messages(), "expired").Data.Error)
	if !strings.Contains(msg, "UnauthorizedOperation") {
		t.Fatalf("the expired message does not name why every try failed (UnauthorizedOperation, %d tries): %q",
			e.emu.Calls("RestoreInstance"), msg)
	}
}
