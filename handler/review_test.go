package handler_test

// The review of 2026-12-06 (docs/review-2026-12-06.md): each test here
// shows a seam where a guarantee of issues 18 and 21 does not hold. They
// are skipped so that the branch stays green; the lead unskips each with
// its fix.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/config"
	"redis-restore/internal/intent"
	"redis-restore/internal/seal"
)

// startDrill orders a drill of the demo instance by a timer event of now
// and returns its clone's ID.
func startDrill(t *testing.T, e *env) (clone string, begun time.Time) {
	t.Helper()
	begun = time.Now().Truncate(time.Second)
	r := onlyResult(t, e.results(timerEvent(t, begun, fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted || len(r.NewInstanceIDs) != 1 {
		t.Fatalf("drill: %+v %+v", r, r.Error)
	}
	return r.NewInstanceIDs[0], begun
}

// sweepFor fires the sweep every 300 ms for d, a failed sweep included
// (the platform retries it).
func (e *env) sweepFor(d time.Duration) {
	e.t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		_, _ = e.invoke(timerEvent(e.t, time.Now().Truncate(time.Second), `{"sweep":true}`))
	}
}

// outcomes are the drill outcome messages on the queue: type and error
// code, in order, each distinct one once (a repeat within the sweep's
// window is the same message, the same id and content, which consumers
// drop; a different content under one id counts).
func (e *env) drillOutcomes() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range e.messages() {
		switch m.Type {
		case intent.EventTypePrefix + "drill.passed", intent.EventTypePrefix + "drill.failed":
			code := ""
			if m.Data.Error != nil {
				code = m.Data.Error.Code
			}
			if k := fmt.Sprintf("%s(%s) id=%s", m.Type, code, m.ID); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// A drill's clone name is the function's proof that an instance is a
// drill's clone, but it proves nothing of the instance that bears it: the
// name of a past drill's clone is listed by DescribeInstances for anyone
// to read, and anyone with ModifyInstance (rename) or CreateInstances may
// give it to another instance. The sweep must never release an instance
// the function did not order: not a production instance renamed so, and
// least of all the drilled instance itself.
func TestReplayedDrillNameNeverReleasesAnInstanceTheFunctionDidNotMake(t *testing.T) {
	t.Parallel()
	for _, victim := range []string{"another instance", "the drilled instance"} {
		t.Run(victim, func(t *testing.T) {
			t.Parallel()
			e := drillEnv(t)
			e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: time.Second, Destroy: 300 * time.Millisecond})
			clone, _ := startDrill(t, e)
			// The drill ends (without data servers its verification fails)
			// and its clone is released: the function is done with it.
			e.sweepUntil("drill.failed", 20*time.Second)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
				if st, _ := e.emu.InstanceStatus(clone); st < 0 {
					break
				}
				e.sweep()
			}
			if st, _ := e.emu.InstanceStatus(clone); st >= 0 {
				t.Fatalf("the drill's clone %s was not released (status %d)", clone, st)
			}
			name := e.emu.Clones()[0].InstanceName
			// Someone renames a running pay-as-you-go instance to the old
			// clone's name (ModifyInstance, Operation rename).
			target := e.demo.InstanceID
			if victim == "another instance" {
				target = "crs-prod0001"
				// A production instance, created long before the drill.
				e.emu.AddInstance(cloudemu.Instance{ID: target, Name: "orders", Region: e.demo.Region, Type: 6, Status: 2, Created: time.Now().Add(-30 * 24 * time.Hour)})
			}
			e.emu.UpdateInstance(target, func(in *cloudemu.Instance) { in.Name = name })
			e.sweepFor(3 * time.Second)
			for _, d := range e.emu.Destroys() {
				if d.InstanceID != clone {
					t.Fatalf("the sweep released %s, named %q by someone else: only the drill's own clone %s may be released", d.InstanceID, name, clone)
				}
			}
		})
	}
}

// Exactly one outcome per drill: once restore.drill.passed is on the
// queue and the clone's release has begun, a release that takes longer
// than what is left of RESTORE_DRILL_MAX_LIFE must not add
// restore.drill.failed (DrillTimedOut) under the same id.
func TestDrillWhoseReleaseOutlastsItsMaximumLifeHasOneOutcome(t *testing.T) {
	t.Parallel()
	e := dataEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.vars["RESTORE_DRILL_MAX_LIFE"] = "5s"
	// Releasing takes 10 s (the instance is in a flow, Status 1, meanwhile).
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 500 * time.Millisecond, Clone: time.Second, Destroy: 10 * time.Second})
	redis4(e, e.demo.InstanceID)
	clone, begun := startDrill(t, e)
	e.sweepUntil("drill.passed", 4*time.Second)
	e.sweepFor(time.Until(begun.Add(8 * time.Second)))
	if ds := e.emu.Destroys(); len(ds) == 0 || ds[0].InstanceID != clone {
		t.Fatalf("released %+v, want the drill's clone %s", ds, clone)
	}
	if got := e.drillOutcomes(); len(got) != 1 {
		t.Fatalf("one drill, outcomes %q: want restore.drill.passed alone", got)
	}
}

// A drill's clone is released at the latest at RESTORE_DRILL_MAX_LIFE,
// its outcome sent or not; but its outcome must still reach the queue
// once the queue can be reached again (a drill is an intent: exactly one
// terminal outcome, none dropped silently). Here CAM refuses SendCmqMsg
// for a while (a policy being edited): the send fails at once, the clone
// is released at its maximum life, and every later sweep skips a
// released clone whose clone task succeeded, so the drill never has an
// outcome.
func TestDrillReleasedAtItsMaximumLifeStillReportsItsOutcome(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.vars["RESTORE_DRILL_MAX_LIFE"] = "3s"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: 1500 * time.Millisecond, Destroy: 300 * time.Millisecond})
	clone, begun := startDrill(t, e)
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	e.sweepFor(time.Until(begun.Add(5 * time.Second)))
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{})
	if ds := e.emu.Destroys(); len(ds) != 1 || ds[0].InstanceID != clone {
		t.Fatalf("released %+v, want the drill's clone %s (no billed clone left)", ds, clone)
	}
	e.sweepFor(4 * time.Second)
	if got := e.drillOutcomes(); len(got) == 0 {
		t.Fatalf("the drill of %s (clone %s, released) has no outcome on the queue: messages %s", e.demo.InstanceID, clone, types(e.messages()))
	}
}

// A drill whose clone came up but was released (or isolated) by someone
// else before the sweep verified it is a drill that failed: it is
// reported restore.drill.failed, never dropped. Today the sweep skips a
// released clone whose clone task succeeded: no outcome ever.
func TestDrillWhoseCloneIsReleasedBeforeVerificationIsReportedFailed(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: time.Second})
	clone, _ := startDrill(t, e)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, _ := e.emu.InstanceStatus(clone); st == 2 {
			break
		}
	}
	// Released from the console (or isolated for arrears) before any sweep.
	e.emu.UpdateInstance(clone, func(in *cloudemu.Instance) { in.Status = -2 })
	e.sweepFor(4 * time.Second)
	if got := e.drillOutcomes(); len(got) != 1 {
		t.Fatalf("the drill of %s whose clone %s was released by someone else: outcomes %q, want one restore.drill.failed; messages %s",
			e.demo.InstanceID, clone, got, types(e.messages()))
	}
}

// The status answers for every region the function restores in
// (RESTORE_REGIONS), as the sweep follows them all: a restore accepted in
// ap-shanghai is told of, by its TaskId and by its instance. Today the
// status reads TENCENTCLOUD_REGION only, and answers 404 for it.
func TestStatusAnswersForARestoreInAnotherOfTheFunctionsRegions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_REGIONS"] = "ap-guangzhou,ap-shanghai"
	const inst, backup = "crs-shanghai", "678362566696298532849001"
	e.emu.AddInstance(cloudemu.Instance{ID: inst, Name: "sessions", Region: "ap-shanghai", Status: 2})
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	e.emu.AddBackup(inst, cloudemu.Backup{ID: backup, Status: 2, Size: 1 << 20, StartTime: start, EndTime: start.Add(5 * time.Minute)})
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"region":"ap-shanghai"}`, inst, backup))))
	if r.Status != intent.Accepted || r.TaskID == 0 {
		t.Fatalf("restore in ap-shanghai: %+v %+v", r, r.Error)
	}
	for _, q := range []map[string]string{{"taskId": fmt.Sprint(r.TaskID)}, {"instanceId": inst}} {
		if code, st := e.statusGet(q); code != http.StatusOK || st["taskId"] != float64(r.TaskID) {
			t.Errorf("status %v of a restore accepted in ap-shanghai: %d %v", q, code, st)
		}
	}
}

// someone is a person at the console, with the account's credentials.
func (e *env) someone() *cloud.Session {
	e.t.Helper()
	u, err := url.Parse(e.vars["TENCENTCLOUD_ENDPOINT_URL"])
	if err != nil {
		e.t.Fatal(err)
	}
	return cloud.New(cloud.Options{RequestsPerSecond: 1000}).Session(config.Credentials{
		SecretID: e.vars["TENCENTCLOUD_SECRETID"], SecretKey: e.vars["TENCENTCLOUD_SECRETKEY"], Token: e.vars["TENCENTCLOUD_SESSIONTOKEN"]}, u)
}

// someonesManualBackup takes a manual backup of an instance as a person
// does from the console, with a remark of their own.
func (e *env) someonesManualBackup(instanceID, remark string) {
	e.t.Helper()
	if _, _, err := e.someone().ManualBackupInstance(context.Background(), e.demo.Region, instanceID, remark); err != nil {
		e.t.Fatalf("someone's manual backup: %v", err)
	}
}

// An alarm fires; the on-call engineer takes a manual backup from the
// console ("before I touch anything"); then the alarm's event arrives. The
// backup list shows that backup, running, with the engineer's remark: it
// is provably not this event's safety backup. The function must not
// answer "it may be this event's safety backup: locked, retry" (a
// non-terminal unknown that, by a trigger that does not retry, or once
// the platform's retries are spent on a long backup, leaves the intent
// with no outcome ever); it waits the lock out as it does for any other,
// or says, terminally, that the instance is busy.
func TestAManualBackupListedAsSomeoneElsesIsNeverTakenForThisEventsSafetyBackup(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 3 * time.Second, Prepare: 200 * time.Millisecond})
	inst := e.demo.InstanceID
	fired := time.Now().Add(-2 * time.Second)
	e.someonesManualBackup(inst, "by hand before the fix (on-call)")
	ans, err := e.invoke(eventBridgeAlarm(t, inst, fired))
	r := answered(t, ans, err)
	if r.Status == intent.Unknown || r.Error != nil && strings.Contains(r.Error.Message, "may be this event's safety backup") {
		t.Fatalf("an alarm while someone's listed manual backup runs: %s %+v", r.Status, r.Error)
	}
}

// Under the other reading of the API that the function supports (a manual
// backup is listed only once it is done: BackupsListedWhenDone), a safety
// backup that fails is never listed, so nothing signed ever says it
// failed, and since provenance judges a failure only by the signed
// backup's own status, the sweep never reports it: the accepted intent
// has no outcome, ever. Its own task (the one ManualBackupInstance
// answered, which the accepted result and message carry) failed, and can
// say so.
func TestFailedSafetyBackupIsReportedWhereTheListShowsOnlyDoneBackups(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	// The function's own asynchronous invocations (the safety backup's
	// watch) run in fresh containers, as SCF runs them.
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		_, err := invokeWith(e, freshHandler(e), event)
		return err
	})
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, BackupsListedWhenDone: true})
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseSafetyBackup || r.SafetyBackupTaskID == 0 {
		t.Fatalf("timer result %+v %+v", r, r.Life)
	}
	e.sweepFor(6 * time.Second)
	if got := types(e.messages()); got != "accepted×1 failed×1" {
		t.Fatalf("a safety backup (task %d) that failed: messages %s, want its failure reported once", r.SafetyBackupTaskID, got)
	}
	if f := lastOf(e.messages(), "failed"); f.Data.Error == nil || f.Data.Error.Code != "SafetyBackupFailed" || f.Data.SafetyBackupTaskID != r.SafetyBackupTaskID {
		t.Fatalf("failed message %+v %+v", f.Data.Error, f.Data.Life)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores after a failed safety backup", n)
	}
}

// RESTORE_SIGNING_KEY is the function's own key, "held by nobody else
// (not the webhook callers, not the approvers)", and RESTORE_APPROVER_SECRET
// is refused where it equals a webhook credential. The signing key is not:
// an operator who sets it to the webhook's secret (one long random value
// for both is an easy mistake) gives every requester the function's key.
// A requester then mints a plan token and applies it through the open
// approval link alone: no second person. (The same key forges safety
// remarks, clone, switch and drill names, and hand-offs.)
func TestSigningKeyThatRequestersHoldIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const shared = "one-long-random-value-for-both-0123456789"
	e.vars["RESTORE_WEBHOOK_SECRET"] = shared
	e.vars["RESTORE_SIGNING_KEY"] = shared
	e.vars["RESTORE_APPROVAL"] = "webhook"
	inst := e.demo.PasswordFreeInstanceID
	const backup = "678362566696298532859999"
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	e.emu.AddBackup(inst, cloudemu.Backup{ID: backup, Status: 2, Size: 4096, StartTime: start, EndTime: start.Add(time.Minute)})
	// The requester, who holds RESTORE_WEBHOOK_SECRET, signs a plan of its
	// own, shaped as the function's (plan.go's PlanClaims).
	now := time.Now().Unix()
	token := seal.New(shared).Token("plan", map[string]any{"v": 1, "id": "plan-00c0ffee00c0ffee", "i": inst, "r": e.demo.Region, "b": backup,
		"bs": start.Unix(), "q": backup, "t": "webhook", "ch": "signed", "m": "restore", "c": now, "e": now + 1800})
	ans, err := e.invoke(linkEvent(t, http.MethodPost, token))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := decodeAnswer(t, ans)
	if calls := e.emu.RestoreCalls(); len(calls) != 0 {
		t.Fatalf("a plan minted by a requester with the webhook's secret was applied through the link: %+v, restores %+v", onlyResult(t, rs).Status, calls)
	}
}

// One drill event, one clone. A drill is named by its start, which is the
// event's time; an event without one (a direct invocation, a CKafka
// record) gets "its arrival less three minutes", which moves with each
// delivery. So the platform's retry of a drill whose first delivery
// ordered its clone but could not queue restore.drill.started (the
// invocation failed, as it must) names another clone, does not find the
// first, and orders a second billed instance: two drills, two outcomes.
func TestUntimedDrillRedeliveredOrdersOneClone(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.timeout = 4 * time.Second
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: time.Second})
	ev := []byte(fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, e.demo.InstanceID))
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
	if _, err := e.invoke(ev); err == nil {
		t.Fatal("a drill whose started message could not be sent did not fail the invocation")
	}
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{})
	if n := len(e.emu.Clones()); n != 1 {
		t.Fatalf("first delivery: %d clones", n)
	}
	time.Sleep(2 * time.Second) // the platform's retry, once the clone is up
	_, _ = e.invoke(ev)
	if cs := e.emu.Clones(); len(cs) != 1 {
		t.Fatalf("one drill event delivered twice ordered %d clones: %q and %q", len(cs), cs[0].InstanceName, cs[len(cs)-1].InstanceName)
	}
}

// A drill never leaves a billed clone behind, whatever changes meanwhile.
// The sweep follows only the clones of instances that are allowed now,
// so a drill whose instance is taken off RESTORE_ALLOWED_INSTANCES while
// it runs (an operator narrowing the list) leaves its clone billed for
// good: no sweep sees it again, past its maximum life or not.
func TestDrillCloneIsReleasedAfterItsInstanceLeavesTheAllowList(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.vars["RESTORE_DRILL_MAX_LIFE"] = "3s"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: 5 * time.Second, Destroy: 300 * time.Millisecond})
	clone, begun := startDrill(t, e)
	e.vars["RESTORE_ALLOWED_INSTANCES"] = e.demo.PasswordFreeInstanceID
	e.sweepFor(time.Until(begun.Add(8 * time.Second)))
	if ds := e.emu.Destroys(); len(ds) != 1 || ds[0].InstanceID != clone {
		st, _ := e.emu.InstanceStatus(clone)
		t.Fatalf("8 s into a drill with RESTORE_DRILL_MAX_LIFE=3s: released %+v; the drill's clone %s is left with status %d", ds, clone, st)
	}
}

// A drill never touches its instance, and must not stand in the way of
// the restore it rehearses. Today a drill's clone task counts against the
// instance's RESTORE_BUDGET (alarms, 1/1h by default), so for an hour
// after the weekly drill an alarm's restore of the same instance is held
// (RestoreBudgetExceeded) instead of restoring: the drill spends the
// budget that exists to stop a flapping alarm from restoring twice.
func TestDrillDoesNotHoldAnAlarmsRestore(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.vars["RESTORE_SAFETY_BACKUP"] = "false"
	inst := e.demo.PasswordFreeInstanceID
	// CKV: restores in place, and can be cloned.
	e.emu.UpdateInstance(inst, func(in *cloudemu.Instance) { in.Type = 3 })
	d := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, inst))))
	if d.Status != intent.Accepted {
		t.Fatalf("drill: %+v %+v", d, d.Error)
	}
	time.Sleep(2 * time.Second) // the clone is up; the instance never stopped serving
	r := onlyResult(t, e.results(eventBridgeAlarm(t, inst, nextFiring())))
	if r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("an alarm after a drill: %s %+v, %d restores", r.Status, r.Error, len(e.emu.RestoreCalls()))
	}
}

// A drill reports the backup it cloned. The sweep names it again from
// the backup list (the newest restorable backup started before the drill)
// instead of from what was ordered, so a backup that started before the
// drill and was done only after the clone was ordered (the nightly backup
// running at 03:00 when the weekly drill fires) becomes the drill's
// backup in its outcome: the wrong backup ID, the wrong RPO (minutes
// instead of a day), and the clone's data verified against another
// backup's state.
func TestDrillOutcomeNamesTheBackupItCloned(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: 1500 * time.Millisecond})
	begun := time.Now().Truncate(time.Second)
	r := onlyResult(t, e.results(timerEvent(t, begun, fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted || r.BackupID != e.demo.LatestBackupID {
		t.Fatalf("drill: %+v %+v", r, r.Error)
	}
	// The nightly backup, begun 30 s before the drill, is done now.
	const nightly = "678362566696298532857777"
	e.emu.AddBackup(e.demo.InstanceID, cloudemu.Backup{ID: nightly, Status: 2, Size: 1 << 20, StartTime: begun.Add(-30 * time.Second), EndTime: time.Now()})
	msgs := e.sweepUntil("drill.failed", 20*time.Second) // no data servers: its verification fails
	if d := lastOf(msgs, "drill.failed").Data.Drill; d == nil || d.BackupID != r.BackupID {
		t.Fatalf("the drill cloned %s; its outcome names %+v", r.BackupID, d)
	}
}

// Provenance for restores too: a restore task that merely started after a
// safety backup may be anyone's. A timer asks to restore the newest backup
// with a safety backup first; the safety backup is done; before the sweep
// continues the intent, someone restores another backup from the console.
// The sweep then takes that task for the intent's restore: it never
// restores what the intent asked for, and reports the intent succeeded
// with its backupId and undo, though the instance holds another backup's
// data. The intent must either restore its own backup or say that it did
// not (a restore by someone else came first), never claim another's.
func TestSomeoneElsesRestoreIsNeverReportedAsTheIntents(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Prepare: 200 * time.Millisecond})
	inst, asked, other := e.demo.InstanceID, e.demo.LatestBackupID, backupBeforeTheAlarms
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, asked))))
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	time.Sleep(2 * time.Second) // the safety backup is done; no sweep has run yet
	if _, _, err := e.someone().RestoreInstance(context.Background(), e.demo.Region, inst, other, e.demo.Password); err != nil {
		t.Fatalf("someone's restore of %s: %v", other, err)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	var ours []string
	for _, c := range e.emu.RestoreCalls() {
		ours = append(ours, c.BackupID)
	}
	if ok := lastOf(msgs, "succeeded"); ok.Data.BackupID == asked && !slicesContains(ours, asked) {
		t.Fatalf("restore.succeeded of %s (undo %s), but the only restores were of %v: someone else's restore reported as the intent's",
			asked, ok.Data.UndoBackupID, ours)
	}
	// Its one outcome is that restore's end, which says it is not proven
	// the intent's; nothing is restored over it.
	ok := lastOf(msgs, "succeeded")
	if ok.Data.UndoBackupID != "" || !strings.Contains(ok.Data.Reason, "nothing the function sealed proves it") {
		t.Fatalf("someone's restore reported %+v (%q), want no undo and a reason that says it is not proven the intent's", ok.Data, ok.Data.Reason)
	}
	e.sweepFor(2 * time.Second)
	if n, got := len(e.emu.RestoreCalls()), types(e.messages()); n != 1 || strings.Contains(got, "failed") {
		t.Fatalf("%d restores, messages %s: want someone's only, and one outcome", n, got)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// A clone's outcome is judged by "the newest clone task of its source",
// which may be another clone's: a clone reported succeeded and later
// released by hand is reported failed ("did not come up", CloneFailed,
// another id) once any later clone of the same source (here the weekly
// drill) ends: two terminal outcomes for one clone.
func TestReleasedCloneIsNotReportedFailedWhenALaterCloneOfItsSourceEnds(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: time.Second, Destroy: 300 * time.Millisecond})
	inst := e.demo.InstanceID
	c := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"clone"}`, inst))))
	if c.Status != intent.Accepted || len(c.NewInstanceIDs) != 1 {
		t.Fatalf("clone: %+v %+v", c, c.Error)
	}
	e.sweepUntil("succeeded", 20*time.Second)
	// The operator is done with the clone and releases it; later sweeps
	// have nothing more to say of it.
	e.emu.UpdateInstance(c.NewInstanceIDs[0], func(in *cloudemu.Instance) { in.Status = -2 })
	time.Sleep(4 * time.Second) // its clone task leaves the sweep's window
	startDrill(t, e)
	e.sweepUntil("drill.failed", 20*time.Second) // no data servers: the drill's verification fails
	e.sweepFor(4 * time.Second)
	for _, m := range e.messages() {
		if m.Type == intent.EventTypePrefix+"failed" {
			t.Fatalf("the clone %s, reported succeeded, is reported failed too: %+v (messages %s)", c.NewInstanceIDs[0], m.Data.Error, types(e.messages()))
		}
	}
}

// leastPrivilege answers in front of the emulator as CAM does for the role
// make policy writes with RESTORE_CLONE: DescribeTaskList and
// DescribeInstanceBackups are resource-level, granted on the allowed
// instances only, so a list without an InstanceId (the whole region) and
// a list of any other instance are refused; the rest goes through.
func leastPrivilege(t *testing.T, e *env, allowed ...string) {
	t.Helper()
	leastPrivilegeInstances(t, e, nil, allowed...)
}

// leastPrivilegeInstances is leastPrivilege with DescribeInstances by ID
// answered by byID: refused, rewritten, or passed on to the emulator
// (nil, or byID answering false).
func leastPrivilegeInstances(t *testing.T, e *env, byID func(ids []string, w http.ResponseWriter, r *http.Request, next http.Handler) bool, allowed ...string) {
	t.Helper()
	next := e.emu
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var p struct {
			InstanceId  string
			InstanceIds []string
		}
		_ = json.Unmarshal(body, &p)
		switch action := r.Header.Get("X-TC-Action"); action {
		case "DescribeTaskList", "DescribeInstanceBackups":
			if !slices.Contains(allowed, p.InstanceId) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"Response":{"Error":{"Code":"UnauthorizedOperation","Message":"you are not authorized to perform operation (redis:%s) on resource (instance/%s)"},"RequestId":"cam-1"}}`, action, p.InstanceId)
				return
			}
		case "DescribeInstances":
			if len(p.InstanceIds) > 0 && byID != nil && byID(p.InstanceIds, w, r, next) {
				return
			}
		}
		next.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.vars["TENCENTCLOUD_ENDPOINT_URL"] = srv.URL
	e.vars["RESTORE_ALLOWED_INSTANCES"] = strings.Join(allowed, ",")
}

// Under the role make policy writes (the lists granted on the allowed
// instances only), the sweep reads each allowed instance's tasks and
// backups by ID, and the function's clones' too ("their switches are
// their tasks"). But a clone's ID is not an allowed instance, so that read
// is refused, and observe fails the whole sweep: from the first clone or
// drill on, no sweep of the region succeeds. Safety-backed restores are
// never continued, no end is reported, and the drill's clone, which only
// the sweep releases, stays billed.
func TestSweepUnderTheLeastPrivilegeRoleSurvivesAClone(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.vars["RESTORE_DRILL_MAX_LIFE"] = "3s"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: time.Second, Destroy: 300 * time.Millisecond})
	leastPrivilege(t, e, e.demo.InstanceID)
	if _, err := e.invoke(timerEvent(t, time.Now().Truncate(time.Second), `{"sweep":true}`)); err != nil {
		t.Fatalf("a sweep before any clone: %v", err)
	}
	clone, begun := startDrill(t, e)
	time.Sleep(time.Until(begun.Add(5 * time.Second)))
	var err error
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(300 * time.Millisecond) {
		_, err = e.invoke(timerEvent(t, time.Now().Truncate(time.Second), `{"sweep":true}`))
	}
	if err != nil {
		t.Errorf("the sweep fails once a drill's clone exists: %v", err)
	}
	for _, r := range e.sweep() {
		if r.Status == intent.Failed && r.InstanceID == "" {
			t.Errorf("the sweep of the region fails once a drill's clone exists: %+v", r.Error)
		}
	}
	if ds := e.emu.Destroys(); len(ds) != 1 || ds[0].InstanceID != clone {
		t.Errorf("8 s into a drill with RESTORE_DRILL_MAX_LIFE=3s: released %+v, want its clone %s", ds, clone)
	}
}
