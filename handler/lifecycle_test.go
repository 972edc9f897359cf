package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// lifeEnv is a world where restores live their life in seconds: tasks run
// for a second or two, manual backups too, and the sweep's period is one
// second (its window three), as a minute is in production.
func lifeEnv(t *testing.T) *env {
	e := newEnv(t)
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for alarms and timers
	e.vars["RESTORE_SWEEP_EVERY"] = "1s"
	e.emu.SetTaskDuration(1500 * time.Millisecond)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Prepare: 200 * time.Millisecond, Clone: 1500 * time.Millisecond})
	return e
}

// sweep fires the sweep timer once, now, and returns its results.
func (e *env) sweep() []intent.Result {
	e.t.Helper()
	ans, err := e.invoke(timerEvent(e.t, time.Now().Truncate(time.Second), `{"sweep":true}`))
	if err != nil {
		e.t.Fatalf("sweep: %v", err)
	}
	resp, ok := ans.(handler.Response)
	if !ok {
		e.t.Fatalf("sweep answered %T, want handler.Response", ans)
	}
	return resp.Results
}

// sweepUntil fires the sweep every 400 ms until a message of the type
// is on the queue, or fails after the timeout.
func (e *env) sweepUntil(typ string, timeout time.Duration) []intent.Event {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if _, err := e.invoke(timerEvent(e.t, time.Now().Truncate(time.Second), `{"sweep":true}`)); err != nil {
			e.t.Logf("sweep failed (it is retried): %v", err)
		}
		msgs := e.messages()
		for _, m := range msgs {
			if m.Type == intent.EventTypePrefix+typ {
				return msgs
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s message within %s; messages: %s", typ, timeout, types(msgs))
		}
		time.Sleep(400 * time.Millisecond)
	}
}

// types lists the distinct message types in order of first appearance,
// and how many distinct ids each has.
func types(msgs []intent.Event) string {
	ids := map[string]map[string]bool{}
	var order []string
	for _, m := range msgs {
		t := strings.TrimPrefix(m.Type, intent.EventTypePrefix)
		if ids[t] == nil {
			ids[t] = map[string]bool{}
			order = append(order, t)
		}
		ids[t][m.ID] = true
	}
	var parts []string
	for _, t := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", t, len(ids[t])))
	}
	return strings.Join(parts, " ")
}

func lastOf(msgs []intent.Event, typ string) intent.Event {
	var out intent.Event
	for _, m := range msgs {
		if m.Type == intent.EventTypePrefix+typ {
			out = m
		}
	}
	return out
}

func TestTimerRestoreTakesASafetyBackupAndTheSweepFinishesIt(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	req := fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), req)))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseSafetyBackup || r.UndoBackupID == "" {
		t.Fatalf("timer result %+v", r)
	}
	if !strings.Contains(r.Undo, r.UndoBackupID) || !strings.Contains(r.Undo, `"safetyBackup":false`) {
		t.Fatalf("undo request %q", r.Undo)
	}
	mb := e.emu.ManualBackups()
	if len(mb) != 1 || !strings.Contains(mb[0].Remark, e.demo.LatestBackupID) {
		t.Fatalf("manual backups %+v", mb)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores before the safety backup was done", n)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	if got := types(msgs); got != "accepted×1 started×1 succeeded×1" {
		t.Fatalf("messages %s", got)
	}
	ok := lastOf(msgs, "succeeded")
	calls := e.emu.RestoreCalls()
	if ok.Data.Life == nil || len(calls) != 1 || ok.Data.TaskID != calls[0].TaskID || ok.Data.BackupID != e.demo.LatestBackupID || ok.Data.UndoBackupID != r.UndoBackupID ||
		ok.Data.TaskStatus != "succeed" || ok.Data.StartedAt == nil || ok.Data.EndedAt == nil || ok.Data.DurationSeconds == nil {
		t.Fatalf("succeeded message %+v %+v, restores %+v", ok.Data, ok.Data.Life, calls)
	}
	if st, _ := e.emu.InstanceStatus(e.demo.InstanceID); st != 2 {
		t.Fatalf("instance status %d after succeeded", st)
	}

	// The undo is one request: the safety backup, restored without another.
	var undo map[string]any
	if err := json.Unmarshal([]byte(r.Undo), &undo); err != nil {
		t.Fatal(err)
	}
	// Sent through the webhook, signed now: the restore it undoes started
	// before, so it is not taken for that restore's redelivery.
	_, us := e.gateway(gatewayEvent(t, r.Undo, signed(r.Undo)))
	u := onlyResult(t, us)
	if u.Status != intent.Accepted || u.BackupID != r.UndoBackupID || len(e.emu.ManualBackups()) != 1 {
		t.Fatalf("undo: %+v, manual backups %d", u, len(e.emu.ManualBackups()))
	}
}

func TestFailedSafetyBackupRestoresNothingAndSaysWhy(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.emu.FailNextTask("backup", "backup failed: not enough disk")
	req := fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), req)))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("timer result %+v %+v", r, r.Life)
	}
	msgs := e.sweepUntil("failed", 15*time.Second)
	f := lastOf(msgs, "failed")
	if f.Data.Error == nil || errCode(f.Data.Error) != "SafetyBackupFailed" || !strings.Contains(errMessage(f.Data.Error), "not enough disk") ||
		!strings.Contains(errMessage(f.Data.Error), "nothing was restored") || f.Data.Life == nil || f.Data.TaskMessage != "backup failed: not enough disk" {
		t.Fatalf("failed message %+v: error %+v, life %+v", f.Data, f.Data.Error, f.Data.Life)
	}
	// A few more sweeps: still nothing restored, one failure.
	for i := 0; i < 3; i++ {
		time.Sleep(300 * time.Millisecond)
		e.sweep()
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores after a failed safety backup", n)
	}
	if got := types(e.messages()); got != "accepted×1 failed×1" {
		t.Fatalf("messages %s", got)
	}
}

func TestFailedRestoreTaskIsReportedWithTheTasksOwnMessage(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.emu.FailNextTask("restore", "restore failed: backup file damaged")
	// A direct invocation restores at once (no safety backup by default).
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != intent.Accepted || r.TaskID == 0 || r.Life != nil {
		t.Fatalf("direct result %+v", r)
	}
	msgs := e.sweepUntil("failed", 15*time.Second)
	f := lastOf(msgs, "failed")
	if f.Data.Life == nil || f.Data.TaskID != r.TaskID || f.Data.TaskStatus != "failed" || f.Data.TaskMessage != "restore failed: backup file damaged" ||
		f.Data.Error == nil || errCode(f.Data.Error) != "RestoreTaskFailed" || f.Data.Phase != intent.PhaseFailed {
		t.Fatalf("failed message %+v %+v", f.Data, f.Data.Life)
	}
	if got := types(msgs); got != "accepted×1 failed×1" {
		t.Fatalf("messages %s", got)
	}
	// The id is derived from instance, task and outcome: the same on every sweep.
	e.sweep()
	for _, m := range e.messages() {
		if m.Type == f.Type && m.ID != f.ID {
			t.Fatalf("the failed outcome went out with two ids: %s and %s", f.ID, m.ID)
		}
	}
}

func TestSucceededOnlyOnceTheInstanceRunsAgain(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	// After its task, the instance stays in a flow (Status 1) for 2 s.
	e.emu.SetLifecycle(cloudemu.Lifecycle{Settle: 2 * time.Second})
	e.emu.SetTaskDuration(time.Second)
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != intent.Accepted {
		t.Fatalf("%+v", r)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		e.sweep()
		if lastOf(e.messages(), "succeeded").ID != "" {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	ok := lastOf(e.messages(), "succeeded")
	if ok.ID == "" {
		t.Fatalf("no succeeded message: %s", types(e.messages()))
	}
	// The message came only after the instance was running again: the
	// task ended at EndedAt, the instance ran 2 s later.
	if ok.Data.Life == nil || ok.Data.EndedAt == nil {
		t.Fatalf("succeeded message without its task's end: %+v", ok.Data)
	}
	if ok.Time.Before(ok.Data.EndedAt.Add(2 * time.Second)) {
		t.Fatalf("succeeded sent at %s, the task ended at %s and the instance ran only 2 s later", ok.Time, ok.Data.EndedAt)
	}
}

func TestRedeliveriesTakeOneSafetyBackup(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ev := timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID))
	deliveries := atOnce(t, e, 3, ev)
	time.Sleep(300 * time.Millisecond)
	later := e.results(ev) // a retry while the backup runs
	if n := len(e.emu.ManualBackups()); n != 1 {
		t.Fatalf("%d safety backups for one timer event", n)
	}
	undo := e.emu.ManualBackups()[0].BackupID
	for _, rs := range append(deliveries, later) {
		r := onlyResult(t, rs)
		if (r.Status != intent.Accepted && r.Status != intent.Duplicate) || r.Life == nil || r.UndoBackupID != undo {
			t.Fatalf("delivery %+v", r)
		}
	}
	e.sweepUntil("succeeded", 20*time.Second)
	// And after the restore: a late redelivery restores nothing either.
	r := onlyResult(t, e.results(ev))
	if r.Status != intent.Duplicate || len(e.emu.RestoreCalls()) != 1 || len(e.emu.ManualBackups()) != 1 {
		t.Fatalf("late redelivery %+v, restores %d, backups %d", r, len(e.emu.RestoreCalls()), len(e.emu.ManualBackups()))
	}
}

func TestDryRunShowsThePlanWithTheSafetyBackup(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","dryRun":true}`, e.demo.InstanceID))))
	if r.Status != intent.DryRun || r.Life == nil || len(r.Steps) < 2 || !strings.HasPrefix(r.Steps[0], "ManualBackupInstance") || !strings.Contains(r.Steps[1], "RestoreInstance") {
		t.Fatalf("dry run %+v", r)
	}
	if r.Plan == nil || !strings.HasPrefix(r.Plan.SafetyBackup, "ManualBackupInstance first") {
		t.Fatalf("the plan's safety backup: %+v", r.Plan)
	}
	if len(e.emu.ManualBackups()) != 0 || len(e.emu.RestoreCalls()) != 0 {
		t.Fatal("a dry run backed up or restored")
	}
	if m := lastOf(e.messages(), "planned"); m.Data.Life == nil || len(m.Data.Steps) != len(r.Steps) || m.Data.Plan == nil {
		t.Fatalf("planned message without the plan: %+v", m.Data)
	}
	// Without the safety backup, the plan says so.
	d := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","dryRun":true}`, e.demo.InstanceID))))
	if d.Plan == nil || !strings.HasPrefix(d.Plan.SafetyBackup, "none") || len(d.Steps) == 0 || !strings.HasPrefix(d.Steps[0], "RestoreInstance") {
		t.Fatalf("direct dry run %+v %+v", d.Plan, d.Life)
	}
}

func TestSafetyBackupRefusesARequestPasswordWithAReason(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	body := fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","password":"request-pass-1","safetyBackup":true}`, e.demo.InstanceID)
	r := onlyResult(t, e.results([]byte(body)))
	if r.Status != intent.Failed || r.Error == nil || !strings.Contains(errMessage(r.Error), "password") || strings.Contains(errMessage(r.Error), "request-pass-1") {
		t.Fatalf("%+v", r)
	}
	if len(e.emu.ManualBackups()) != 0 {
		t.Fatal("backed up anyway")
	}
	assertNoSecret(t, "logs", e.logs.String(), "request-pass-1")
}

// statusGet asks the webhook where a restore stands.
func (e *env) statusGet(query map[string]string) (int, map[string]any) {
	e.t.Helper()
	ev := map[string]any{
		"headers":     map[string]string{"x-restore-signature": handler.SignQuery(webhookSecret, time.Now(), query)},
		"body":        "",
		"path":        "/restore",
		"httpMethod":  "GET",
		"queryString": query,
	}
	ans, err := e.invoke(mustJSON(e.t, ev))
	if err != nil {
		e.t.Fatal(err)
	}
	// A GET without requestContext is a function URL call: answered as one.
	b, _ := json.Marshal(ans)
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		e.t.Fatal(err)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func TestStatusSaysWhereTheRestoreStands(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID))))
	code, st := e.statusGet(map[string]string{"instanceId": e.demo.InstanceID})
	if code != http.StatusOK || st["phase"] != "safety-backup" || st["undoBackupId"] != r.UndoBackupID {
		t.Fatalf("during the safety backup: %d %v", code, st)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	taskID := lastOf(msgs, "succeeded").Data.TaskID
	code, st = e.statusGet(map[string]string{"taskId": fmt.Sprint(taskID)})
	if code != http.StatusOK || st["phase"] != "succeeded" || st["taskId"] != float64(taskID) || st["undoBackupId"] != r.UndoBackupID || st["endedAt"] == nil {
		t.Fatalf("after: %d %v", code, st)
	}
	// Unknown or not allowed: the same 404; unauthenticated: 401.
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-other000"
	if code, _ := e.statusGet(map[string]string{"instanceId": e.demo.InstanceID}); code != http.StatusNotFound {
		t.Fatalf("not allowed: %d", code)
	}
	if code, _ := e.statusGet(map[string]string{"taskId": "x"}); code != http.StatusBadRequest {
		t.Fatalf("bad taskId: %d", code)
	}
}

func TestCloneModeMakesOneNewInstanceOnceAndReportsIt(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	body := fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, e.demo.InstanceID, e.demo.LatestBackupID)
	if r := onlyResult(t, e.results([]byte(body))); r.Status != intent.Failed || errCode(r.Error) != "CloneNotEnabled" {
		t.Fatalf("without RESTORE_CLONE: %+v", r)
	}
	e.vars["RESTORE_CLONE"] = "true"
	e.emu.SetSecurityGroups(e.demo.InstanceID, "sg-price0001", "sg-price0002")
	redis4(e, e.demo.InstanceID)
	r := onlyResult(t, e.results([]byte(body)))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseCloning || len(r.NewInstanceIDs) != 1 || r.DealID == "" {
		t.Fatalf("clone %+v", r)
	}
	calls := e.emu.Clones()
	if len(calls) != 1 {
		t.Fatalf("%d clones", len(calls))
	}
	c := calls[0]
	if c.GoodsNum != 1 || c.BillingMode != 0 || c.Period != 1 || c.ZoneID != 100003 || c.VpcID != "vpc-mjwornzj" || c.SubnetID != "subnet-1ed4w7to" ||
		strings.Join(c.SecurityGroupIDList, ",") != "sg-price0001,sg-price0002" || !strings.HasPrefix(c.InstanceName, e.demo.InstanceID+"-clone-") || !c.HasPassword {
		t.Fatalf("CloneInstances asked %+v", c)
	}
	// The same request again finds the clone by its name.
	if again := onlyResult(t, e.results([]byte(body))); again.Status != intent.Duplicate || len(e.emu.Clones()) != 1 {
		t.Fatalf("again: %+v, clones %d", again, len(e.emu.Clones()))
	}
	msgs := e.sweepUntil("succeeded", 15*time.Second)
	// The refusal without RESTORE_CLONE was reported too.
	if got := types(msgs); got != "failed×1 cloned×1 succeeded×1" {
		t.Fatalf("messages %s", got)
	}
	if ok := lastOf(msgs, "succeeded"); ok.Data.Life == nil || r.Life == nil || len(ok.Data.NewInstanceIDs) != 1 || len(r.NewInstanceIDs) != 1 || ok.Data.NewInstanceIDs[0] != r.NewInstanceIDs[0] {
		t.Fatalf("succeeded %+v", ok.Data.Life)
	}
	assertNoSecret(t, "logs", e.logs.String(), e.demo.Password)
}

func TestClonesPerInvocationAreCapped(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	redis4(e, e.demo.InstanceID)
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-second01", Region: "ap-guangzhou", Status: 2, Type: 6})
	e.emu.AddBackup("crs-second01", cloudemu.Backup{ID: "999000111", StartTime: time.Now().Add(-time.Hour), Status: 2})
	body := fmt.Sprintf(`{"restores":[{"instanceId":%q,"backupId":%q,"mode":"clone"},{"instanceId":"crs-second01","backupId":"999000111","mode":"clone"}]}`,
		e.demo.InstanceID, e.demo.LatestBackupID)
	rs := e.results([]byte(body))
	accepted, capped := 0, 0
	for _, r := range rs {
		switch {
		case r.Status == intent.Accepted:
			accepted++
		case r.Status == intent.Failed && errCode(r.Error) == "CloneLimit":
			capped++
		}
	}
	if accepted != 1 || capped != 1 || len(e.emu.Clones()) != 1 {
		t.Fatalf("RESTORE_MAX_CLONES 1: %+v, clones %d", rs, len(e.emu.Clones()))
	}
}

func TestSweepFollowsOnlyAllowedInstances(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.PasswordFreeInstanceID, e.demo.PasswordFreeBackupID))))
	if r.Status != intent.Accepted {
		t.Fatalf("%+v", r)
	}
	// Now only the other instance may be restored: the sweep does not report this one.
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-5a4p*"
	time.Sleep(2500 * time.Millisecond)
	for i := 0; i < 3; i++ {
		e.sweep()
		time.Sleep(300 * time.Millisecond)
	}
	if got := types(e.messages()); got != "accepted×1" {
		t.Fatalf("messages %s", got)
	}
}

// An alarm under RESTORE_APPROVAL=all plans; the approval takes the safety
// backup (the plan said it would), and the sweep restores once it is done
// without a second plan.
func TestApprovedPlanTakesItsSafetyBackupAndTheSweepFinishesIt(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_APPROVAL"] = "all"
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = alarmBasicAuth
	inst := e.demo.PasswordFreeInstanceID
	r := planFor(t, e, flapFiring(t, inst, time.Now().Add(-time.Minute)))
	if !strings.HasPrefix(r.Plan.SafetyBackup, "ManualBackupInstance first") {
		t.Fatalf("the plan does not say a safety backup comes first: %q", r.Plan.SafetyBackup)
	}
	if len(e.emu.ManualBackups()) != 0 {
		t.Fatal("a safety backup before the approval")
	}
	status, a := sendApproval(t, e, e.h, approvalBody(r.Plan.Token))
	if status != http.StatusAccepted || a.Status != intent.Accepted || a.Life == nil || a.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("approval: %d %+v %+v", status, a, a.Error)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	if got := types(msgs); got != "planned×1 accepted×1 started×1 succeeded×1" {
		t.Fatalf("messages %s", got)
	}
	if calls := e.emu.RestoreCalls(); len(calls) != 1 || calls[0].BackupID != r.Plan.BackupID || len(e.emu.ManualBackups()) != 1 {
		t.Fatalf("restores %+v, safety backups %d", calls, len(e.emu.ManualBackups()))
	}
}

// The other reading of the API: a manual backup is listed only once it is
// done. Redeliveries while it runs find it by its task instead of its
// remark and take no second one; the sweep restores once it is listed.
func TestSafetyBackupListedOnlyWhenDoneIsNotTakenTwice(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 2 * time.Second, BackupsListedWhenDone: true})
	ev := timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID))
	first := onlyResult(t, e.results(ev))
	if first.Status != intent.Accepted || first.Life == nil || first.SafetyBackupTaskID == 0 || first.UndoBackupID != "" {
		t.Fatalf("first delivery %+v %+v", first, first.Life)
	}
	// While it runs and is not listed, nothing proves the running manual
	// backup this event's (it could be anyone's): redeliveries take no
	// other, and answer "locked, retry" (unknown, so that the platform
	// retries), not a duplicate of a backup they cannot see.
	for _, rs := range atOnce(t, e, 2, ev) {
		if r := onlyResult(t, rs); r.Status != intent.Unknown || r.Error == nil || r.Error.Code != "ResourceUnavailable.InstanceLockedError" ||
			!strings.Contains(r.Error.Message, fmt.Sprint(first.SafetyBackupTaskID)) {
			t.Fatalf("redelivery while the backup runs: %+v %+v", r, r.Error)
		}
	}
	if n := len(e.emu.ManualBackups()); n != 1 {
		t.Fatalf("%d safety backups for one timer event", n)
	}
	// Once done it is listed with its signed remark: the retry, in a
	// container that has not seen the event, finds it.
	time.Sleep(time.Until(e.emu.ManualBackups()[0].Time.Add(2500 * time.Millisecond)))
	ans, err := invokeWith(e, freshHandler(e), ev)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := decodeAnswer(t, ans)
	if r := onlyResult(t, rs); r.Status != intent.Duplicate || r.Life == nil || r.UndoBackupID != e.emu.ManualBackups()[0].BackupID {
		t.Fatalf("retry once the backup is listed: %+v %+v", r, r.Life)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	if got := types(msgs); got != "accepted×1 unknown×2 started×1 succeeded×1" {
		t.Fatalf("messages %s", got)
	}
	if ok := lastOf(msgs, "succeeded"); ok.Data.Life == nil || ok.Data.UndoBackupID != e.emu.ManualBackups()[0].BackupID {
		t.Fatalf("succeeded without the undo: %+v", ok.Data.Life)
	}
}

// redis4 makes an instance Redis 4.0 (Type 6): the editions that restore
// by cloning. Redis 2.8, the demo's, cannot be cloned.
func redis4(e *env, id string) {
	e.emu.UpdateInstance(id, func(in *cloudemu.Instance) { in.Type = 6 })
}

// drillEnv is lifeEnv with clones allowed and the demo's instance a Redis
// 4.0 one, which can be cloned.
func drillEnv(t *testing.T) *env {
	e := lifeEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	redis4(e, e.demo.InstanceID)
	return e
}

// A drill whose clone never comes up (its clone task fails) is reported
// restore.drill.failed once, with the reason; nothing is released, as
// nothing runs.
func TestDrillWhoseCloneFailsIsReportedFailed(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.emu.FailNextTask("clone", "insufficient resources in the zone")
	r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted {
		t.Fatalf("drill: %+v %+v", r, r.Error)
	}
	msgs := e.sweepUntil("drill.failed", 20*time.Second)
	for i := 0; i < 3; i++ {
		e.sweep()
	}
	m := lastOf(e.messages(), "drill.failed")
	if m.Data.Error == nil || m.Data.Error.Code != "DrillFailed" || !strings.Contains(m.Data.Error.Message, "did not come up") || m.Data.Drill == nil {
		t.Fatalf("drill.failed %+v %+v", m.Data.Error, m.Data.Drill)
	}
	if got := types(e.messages()); got != "drill.started×1 drill.failed×1" {
		t.Fatalf("messages %s (first seen: %s)", got, types(msgs))
	}
	if n := len(e.emu.RestoreCalls()) + len(e.emu.ManualBackups()) + len(e.emu.Destroys()); n != 0 {
		t.Fatalf("%d restores, backups or releases for a drill whose clone failed", n)
	}
}

// A drill's clone that is still not verified when the drill's maximum
// life ends is reported failed (DrillTimedOut) and released as soon as it
// can be, never verified late: one outcome, no billed instance left.
func TestDrillCloneOutlivingItsMaximumLifeIsReleased(t *testing.T) {
	t.Parallel()
	e := drillEnv(t)
	e.vars["RESTORE_DRILL_MAX_LIFE"] = "3s"
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second, Clone: 5 * time.Second, Destroy: 300 * time.Millisecond})
	r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted || len(r.NewInstanceIDs) != 1 {
		t.Fatalf("drill: %+v %+v", r, r.Error)
	}
	e.sweepUntil("drill.failed", 20*time.Second)
	deadline := time.Now().Add(15 * time.Second)
	for len(e.emu.Destroys()) == 0 && time.Now().Before(deadline) {
		e.sweep()
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	e.sweep()
	if ds := e.emu.Destroys(); len(ds) != 1 || ds[0].InstanceID != r.NewInstanceIDs[0] {
		t.Fatalf("released %+v, want the drill's clone once", ds)
	}
	m := lastOf(e.messages(), "drill.failed")
	if m.Data.Error == nil || m.Data.Error.Code != "DrillTimedOut" || m.Data.Verification != nil {
		t.Fatalf("drill.failed %+v, verification %+v", m.Data.Error, m.Data.Verification)
	}
	if got := types(e.messages()); got != "drill.started×1 drill.failed×1" {
		t.Fatalf("messages %s", got)
	}
}

// ownWatches makes the function's asynchronous invocations of itself (an
// intent's watch, a hand-off) run, each in a fresh container as SCF runs
// them.
func ownWatches(e *env) {
	e.emu.AddFunction(cloudemu.Function{Name: "redis-restore", Runtime: "Go1", Handler: "main", Timeout: 10})
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		_, err := invokeWith(e, freshHandler(e), event)
		return err
	})
}

// waitFor polls until ok or the timeout.
func waitFor(timeout time.Duration, ok func() bool) bool {
	for end := time.Now().Add(timeout); !ok(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

// A safety-backed restore is continued by its own watch, the function's
// asynchronous invocation of itself, as soon as its backup is done: not
// by the sweep, which one invocation runs at one container's share of the
// API's limits (a region-wide incident's backups expired waiting for it).
// No sweep runs here.
func TestSafetyBackedRestoreIsContinuedByItsOwnWatchWithoutASweep(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	inst, asked := e.demo.InstanceID, e.demo.LatestBackupID
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, inst, asked))))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseSafetyBackup || r.UndoBackupID == "" {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	started := func() bool { return strings.Contains(types(e.messages()), "started") }
	if !waitFor(15*time.Second, started) {
		t.Fatalf("no restore within 15 s of the safety backup (%s), no sweep: messages %s, restores %d", r.UndoBackupID, types(e.messages()), len(e.emu.RestoreCalls()))
	}
	calls := e.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].BackupID != asked || calls[0].InstanceID != inst {
		t.Fatalf("restores %+v, want one of %s to %s", calls, inst, asked)
	}
	s := lastOf(e.messages(), "started")
	if s.Data.UndoBackupID != r.UndoBackupID || s.Data.TaskID == 0 || s.Data.BackupID != asked {
		t.Fatalf("started message %+v, want task, backup %s and undo %s", s.Data, asked, r.UndoBackupID)
	}
}

// The intent's watch and the sweep, running at once, both find the same
// safety backup done: the intent is restored once, with one outcome.
func TestIntentsWatchAndTheSweepTogetherRestoreOnce(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ownWatches(e)
	inst := e.demo.InstanceID
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, inst))))
	if r.Status != intent.Accepted || r.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("timer: %+v %+v", r, r.Error)
	}
	msgs := e.sweepUntil("succeeded", 30*time.Second)
	e.sweep() // and once more within the window: the same outcome, the same id
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores of one intent (its watch and the sweep at once); messages %s", n, types(e.messages()))
	}
	if got := types(e.messages()); got != "accepted×1 started×1 succeeded×1" {
		t.Fatalf("messages %s (first seen %s), want one of each", got, types(msgs))
	}
}

// A sweep's timer event that waited in the platform's queue longer than a
// sweep's window (three periods) reads nothing and says why: the sweeps
// after it cover its window. One that waited less (1 to 2 s) sweeps as usual.
func TestSweepWhoseEventWaitedLongerThanItsWindowIsSkipped(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t) // a period of 1 s: a window of 3 s
	stale := onlyResult(t, e.results(timerEvent(t, time.Now().Add(-4*time.Second).Truncate(time.Second), `{"sweep":true}`)))
	if stale.Status != intent.Skipped || !strings.Contains(stale.Reason, "queue") {
		t.Fatalf("a sweep 4 s late: %+v, want skipped, saying it waited in the queue", stale)
	}
	if n := e.emu.Calls("DescribeInstances") + e.emu.Calls("DescribeTaskList") + e.emu.Calls("DescribeInstanceBackups"); n != 0 {
		t.Fatalf("a skipped sweep read the cloud %d times", n)
	}
	e.results(timerEvent(t, time.Now().Add(-time.Second).Truncate(time.Second), `{"sweep":true}`))
	if e.emu.Calls("DescribeInstances") == 0 {
		t.Fatal("a sweep 1 to 2 s late, within its window, did not read the region")
	}
}

// The budget holds for safety-backed restores too: an alarm that flaps
// (each firing a new event) with RESTORE_BUDGET at 1/1h restores its
// instance once. Here the second firing comes once the first's safety
// backup is done and before anything restored it (no watch runs, no
// sweep yet), so the budget cannot hold it: it takes a safety backup of
// its own. The first restore after both backups is then the end of both:
// one restore, one succeeded message, with the backup and undo of the
// intent its mark proves it was (never the newer, unmarked one's).
func TestFlappingAlarmWithSafetyBackupsRestoresOnceWithinItsBudget(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_BUDGET"] = "1/1h"
	inst := e.demo.InstanceID
	first := onlyResult(t, e.results(alarmVia(t, "direct", flapFiring(t, inst, time.Now().Add(-time.Second)))))
	if first.Status != intent.Accepted || first.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("first firing: %+v %+v", first, first.Error)
	}
	time.Sleep(2 * time.Second)
	second := onlyResult(t, e.results(alarmVia(t, "direct", flapFiring(t, inst, time.Now()))))
	if second.Status != intent.Accepted || second.Phase != intent.PhaseSafetyBackup || second.UndoBackupID == first.UndoBackupID {
		t.Fatalf("second firing: %+v %+v, want its own safety backup", second, second.Error)
	}
	msgs := e.sweepUntil("succeeded", 20*time.Second)
	e.sweepFor(2 * time.Second)
	if n, got := len(e.emu.RestoreCalls()), types(e.messages()); n != 1 || strings.Contains(got, "failed") {
		t.Fatalf("%d restores of %s within RESTORE_BUDGET=1/1h; messages %s", n, inst, got)
	}
	ok := lastOf(msgs, "succeeded")
	if undo := ok.Data.UndoBackupID; (undo != first.UndoBackupID && undo != second.UndoBackupID) || ok.Data.BackupID != first.BackupID {
		t.Fatalf("succeeded %+v: want the backup and undo of the intent it restored for (its mark's, not the newer safety backup's)", ok.Data)
	}
}
