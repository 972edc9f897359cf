package handler_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// The seams of issue 18: each feature held alone, and broke where it met
// another. Each test here failed before the intent, its seal and the
// channel were carried through every path.

// webhookPlanOf sends a signed restore request under RESTORE_APPROVAL and
// returns its plan, with the token the approvers read on the queue.
func webhookPlanOf(t *testing.T, e *env, body string) *intent.Plan {
	t.Helper()
	resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
	r := onlyResult(t, rs)
	if resp.StatusCode != http.StatusAccepted || r.Status != intent.Planned || r.Plan == nil {
		t.Fatalf("%s under RESTORE_APPROVAL: %d %+v %+v", body, resp.StatusCode, r, r.Error)
	}
	return withQueuedToken(t, e, r.Plan)
}

// An approved clone plan clones: it never restores the instance in place.
func TestApprovedClonePlanClonesAndNeverRestoresInPlace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_APPROVAL"] = "webhook"
	e.vars["RESTORE_CLONE"] = "true"
	e.emu.SetSecurityGroups(e.demo.InstanceID, "sg-price0001")
	redis4(e, e.demo.InstanceID)
	p := webhookPlanOf(t, e, fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, e.demo.InstanceID, e.demo.LatestBackupID))
	if p.Mode != intent.ModeClone || p.TakesSafetyBackup {
		t.Fatalf("the plan shows mode %q, safety backup %v: want a clone without one", p.Mode, p.TakesSafetyBackup)
	}
	status, a := sendApproval(t, e, e.h, approvalBody(p.Token))
	if status != http.StatusAccepted || a.Status != intent.Accepted || a.Life == nil || len(a.NewInstanceIDs) != 1 {
		t.Fatalf("approving the clone plan: %d %+v %+v", status, a, a.Error)
	}
	if n, c := len(e.emu.RestoreCalls()), len(e.emu.Clones()); n != 0 || c != 1 {
		t.Fatalf("approved clone plan: %d in-place restores, %d clones; want 0 and 1", n, c)
	}
}

// A plan applies exactly the safety backup it showed: one made with
// "safetyBackup": false restores at once, one made with true takes the
// backup first, whatever RESTORE_SAFETY_BACKUP says when it is approved.
func TestApprovedPlanKeepsItsSafetyBackupChoice(t *testing.T) {
	t.Parallel()
	for _, safety := range []bool{false, true} {
		t.Run(fmt.Sprint("safetyBackup=", safety), func(t *testing.T) {
			e := newEnv(t)
			e.vars["RESTORE_APPROVAL"] = "webhook"
			body := fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"safetyBackup":%v}`, e.demo.PasswordFreeInstanceID, e.demo.PasswordFreeBackupID, safety)
			p := webhookPlanOf(t, e, body)
			if p.TakesSafetyBackup != safety {
				t.Fatalf("plan shows takesSafetyBackup %v, asked %v", p.TakesSafetyBackup, safety)
			}
			// The setting changes between the plan and its approval.
			e.vars["RESTORE_SAFETY_BACKUP"] = fmt.Sprint(!safety)
			status, a := sendApproval(t, e, e.h, approvalBody(p.Token))
			if status != http.StatusAccepted || a.Status != intent.Accepted {
				t.Fatalf("approval: %d %+v %+v", status, a, a.Error)
			}
			backups, restores := len(e.emu.ManualBackups()), len(e.emu.RestoreCalls())
			if safety && (backups != 1 || restores != 0) || !safety && (backups != 0 || restores != 1) {
				t.Fatalf("plan with safetyBackup %v applied with %d safety backups and %d restores", safety, backups, restores)
			}
		})
	}
}

// A direct invocation shaped as a hand-off is not the function's own: it
// cannot pass itself off as a webhook call, nor choose its time.
func TestForgedHandoffIsRefusedAndRestoresNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_APPROVAL"] = "invoke"
	body := fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.PasswordFreeInstanceID, e.demo.PasswordFreeBackupID)
	for name, h := range map[string]map[string]any{
		"no seal":     {"trigger": "functionurl", "channel": "signed", "since": time.Now().Add(24 * time.Hour), "body": body},
		"forged seal": {"trigger": "functionurl", "channel": "signed", "since": time.Now(), "body": body, "seal": "AAAAAAAAAAAAAAAA"},
	} {
		ans, err := e.invoke(mustJSON(t, map[string]any{"redisRestoreHandoff": h}))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rs, _ := decodeAnswer(t, ans)
		if r := onlyResult(t, rs); r.Status != intent.Failed || r.Error == nil || r.Error.Code != "Unauthenticated" {
			t.Errorf("%s: %+v %+v, want failed Unauthenticated", name, r, r.Error)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores from forged hand-offs", n)
	}
}

// RESTORE_APPROVAL holds by channel: a request dressed as a timer event is
// held like the direct invocation it is.
func TestApprovalCannotBeEscapedByDressingTheEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_APPROVAL"] = "direct"
	req := fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.PasswordFreeInstanceID, e.demo.PasswordFreeBackupID)
	for name, payload := range map[string][]byte{
		"timer": timerEvent(t, time.Now(), req),
		"cmq":   cmqEvent(t, req),
	} {
		if r := onlyResult(t, e.results(payload)); r.Status != intent.Planned {
			t.Errorf("direct request dressed as %s: %s, want planned", name, r.Status)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores escaped RESTORE_APPROVAL=direct", n)
	}
}

// A backup whose remark only reads like a safety backup's (anyone with
// ManualBackupInstance may write one) never makes the sweep restore.
func TestLookalikeSafetyRemarkNeverMakesTheSweepRestore(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	inst := e.demo.PasswordFreeInstanceID
	e.emu.AddBackup(inst, cloudemu.Backup{ID: "165706999-5832225-1", StartTime: time.Now().Add(-2 * time.Second), Status: 2,
		Remark: "redis-restore undo point; restores " + e.demo.PasswordFreeBackupID + "; console"})
	for i := 0; i < 3; i++ {
		e.sweep()
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("the sweep restored %d times from a remark someone wrote", n)
	}
}

// A request naming a region the sweep does not follow is refused before
// any cloud call: accepted, its safety-backed restore would never happen.
func TestRequestInARegionTheSweepDoesNotFollowIsRefused(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","region":"ap-shanghai"}`, e.demo.InstanceID))))
	if r.Status != intent.Failed || r.Error == nil || r.Error.Code != "RegionNotSwept" || !strings.Contains(r.Error.Message, "RESTORE_REGIONS") {
		t.Fatalf("a restore in ap-shanghai: %+v %+v", r, r.Error)
	}
	// Only the refusal's own message reached the cloud.
	for action, n := range e.emu.CallCounts() {
		if action != "SendCmqMsg" && n != 0 {
			t.Errorf("%s called %d times for a refused region", action, n)
		}
	}
}

// An EventBridge event whose time is ahead of its arrival is taken as
// arrived now: the platform's retry after a lost TaskId finds the first
// delivery's restore instead of restoring again.
func TestFutureEventTimeDoesNotHideTheFirstRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second // the undelivered TaskId is retried until the deadline nears
	e.vars["RESTORE_SAFETY_BACKUP"] = "false"
	ev := eventBridgeAlarm(t, e.demo.PasswordFreeInstanceID, time.Now().Add(10*time.Minute))
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
	if _, err := e.invoke(ev); err == nil {
		t.Fatal("a TaskId that could not be queued did not fail the invocation")
	}
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{})
	r := onlyResult(t, e.results(ev))
	if n := len(e.emu.RestoreCalls()); n != 1 || r.Status != intent.Duplicate {
		t.Fatalf("retry of an event from the future: %s, %d restores; want duplicate and 1", r.Status, n)
	}
	var sent []int64
	for _, m := range e.messages() {
		sent = append(sent, m.Data.TaskID)
	}
	if len(sent) == 0 || sent[len(sent)-1] != e.emu.RestoreCalls()[0].TaskID {
		t.Fatalf("the first restore's TaskId never reached the queue: %v", sent)
	}
}

// The status tells nothing of an instance outside the allow-list: asked
// by its task, it answers exactly as for a task that does not exist.
func TestStatusOfATaskOutsideTheAllowListIsNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q}`, e.demo.PasswordFreeInstanceID, e.demo.PasswordFreeBackupID))))
	if r.Status != intent.Accepted {
		t.Fatalf("%+v", r)
	}
	e.vars["RESTORE_ALLOWED_INSTANCES"] = e.demo.InstanceID
	codeOut, outside := e.statusGet(map[string]string{"taskId": fmt.Sprint(r.TaskID)})
	codeNone, none := e.statusGet(map[string]string{"taskId": "987654321"})
	codeWrong, wrong := e.statusGet(map[string]string{"taskId": fmt.Sprint(r.TaskID), "instanceId": e.demo.InstanceID})
	a, _ := json.Marshal(outside)
	b, _ := json.Marshal(none)
	c, _ := json.Marshal(wrong)
	if codeOut != http.StatusNotFound || codeNone != codeOut || codeWrong != codeOut || string(a) != string(b) || string(c) != string(b) {
		t.Fatalf("outside the allow-list %d %s; no such task %d %s; task of another instance %d %s", codeOut, a, codeNone, b, codeWrong, c)
	}
	if strings.Contains(string(a), e.demo.PasswordFreeInstanceID) {
		t.Fatalf("the answer names the instance outside the allow-list: %s", a)
	}
}

// One clone request, replayed under other Idempotency-Keys, orders one
// billed instance.
func TestCloneRequestReplayedUnderOtherKeysOrdersOneClone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.vars["RESTORE_MAX_CLONES"] = "5"
	e.emu.SetSecurityGroups(e.demo.InstanceID, "sg-price0001")
	redis4(e, e.demo.InstanceID)
	body := fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, e.demo.InstanceID, e.demo.LatestBackupID)
	sig := signed(body)
	for i := 0; i < 4; i++ {
		h := map[string]string{}
		for k, v := range sig {
			h[k] = v
		}
		h["idempotency-key"] = fmt.Sprintf("replay-%d", i)
		if i == 3 {
			delete(h, "idempotency-key")
		}
		e.gateway(gatewayEvent(t, body, h))
	}
	if n := len(e.emu.Clones()); n != 1 {
		t.Fatalf("one clone request replayed 4 times ordered %d clones", n)
	}
}

// A clone counts against the budget as a restore does, across
// invocations: clone requests beyond it are held, not ordered.
func TestClonesCountAgainstTheBudgetAcrossInvocations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.vars["RESTORE_MAX_CLONES"] = "5"
	e.vars["RESTORE_BUDGET_REQUESTS"] = "1/1h"
	e.emu.SetSecurityGroups(e.demo.InstanceID, "sg-price0001")
	redis4(e, e.demo.InstanceID)
	for _, b := range []string{e.demo.LatestBackupID, "678362566696298532848114", "678362566696298532848115"} {
		r := onlyResult(t, e.results(cmqEvent(t, fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, e.demo.InstanceID, b))))
		if r.Status != intent.Accepted && !r.Held {
			t.Errorf("clone of %s: %s %+v", b, r.Status, r.Error)
		}
	}
	if n := len(e.emu.Clones()); n != 1 {
		t.Fatalf("%d clones ordered with RESTORE_BUDGET_REQUESTS=1/1h", n)
	}
}

// Redis 2.8 cannot be cloned (Tencent's cloning guide): refused with the
// way out, before anything is ordered.
func TestRedis28IsNotCloned(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_CLONE"] = "true"
	e.emu.SetSecurityGroups(e.demo.InstanceID, "sg-price0001")
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"clone"}`, e.demo.InstanceID, e.demo.LatestBackupID))))
	if r.Status != intent.Failed || r.Error == nil || r.Error.Code != restore.CodeUnsupportedEdition || len(e.emu.Clones()) != 0 {
		t.Fatalf("clone of Redis 2.8: %+v %+v, %d clones", r, r.Error, len(e.emu.Clones()))
	}
}

// A status GET's signature covers its query: the signature of one question
// does not answer another within its five minutes.
func TestStatusSignatureCoversItsQuery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	asked := map[string]string{"instanceId": e.demo.InstanceID}
	sig := handler.SignQuery(webhookSecret, time.Now(), asked)
	for name, c := range map[string]struct {
		query map[string]string
		want  int
	}{
		"the query signed":  {asked, http.StatusNotFound}, // authenticated; no restore of it yet
		"another instance":  {map[string]string{"instanceId": e.demo.PasswordFreeInstanceID}, http.StatusUnauthorized},
		"a task added":      {map[string]string{"instanceId": e.demo.InstanceID, "taskId": "6954227"}, http.StatusUnauthorized},
		"the query dropped": {map[string]string{}, http.StatusUnauthorized},
	} {
		ans, err := e.invoke(mustJSON(t, map[string]any{"headers": map[string]string{"x-restore-signature": sig}, "body": "",
			"path": "/restore", "httpMethod": "GET", "queryString": c.query}))
		if err != nil {
			t.Fatal(err)
		}
		if _, status := decodeAnswer(t, ans); status != c.want {
			t.Errorf("%s: %d, want %d", name, status, c.want)
		}
	}
}

// ManualBackupInstance's answer lost while the lists cannot be read: the
// safety backup may have been taken, so it is not taken again, the
// outcome is unknown (not "nothing was restored"), and the retry finds it.
func TestLostSafetyBackupAnswerTakesOneBackupAndSaysUnknown(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	ev := timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID))
	e.emu.SetFaults("ManualBackupInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true, AfterCommit: true}}})
	// The lists answer the checks before the backup (the backups once:
	// an earlier safety backup and "latest" in one reading; the task list
	// twice) and fail from the lost answer on.
	blind := func(before int) cloudemu.Faults {
		return cloudemu.Faults{Sequence: make([]cloudemu.Fault, before), Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}}
	}
	e.emu.SetFaults("DescribeInstanceBackups", blind(1))
	e.emu.SetFaults("DescribeTaskList", blind(2))
	_, err := e.invoke(ev)
	if err == nil {
		t.Fatal("an unknown safety backup did not fail the invocation (the platform must retry it)")
	}
	if rs := resultsFromError(t, err); len(rs) != 1 || rs[0].Status != intent.Unknown {
		t.Fatalf("first delivery: %+v, want unknown", rs)
	}
	if n := len(e.emu.ManualBackups()); n != 1 {
		t.Fatalf("%d safety backups for one event", n)
	}
	for _, a := range []string{"ManualBackupInstance", "DescribeInstanceBackups", "DescribeTaskList"} {
		e.emu.SetFaults(a, cloudemu.Faults{})
	}
	r := onlyResult(t, e.results(ev))
	if r.Status != intent.Duplicate || len(e.emu.ManualBackups()) != 1 {
		t.Fatalf("the retry: %s %+v, %d safety backups", r.Status, r.Error, len(e.emu.ManualBackups()))
	}
}

// A sweep outage longer than RESTORE_SAFETY_DEADLINE after a safety backup
// was done: the restore is never started late; it is reported expired,
// with one id however often the sweep looks.
func TestSafetyBackupDoneDuringASweepOutageExpiresAndIsNeverStartedLate(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	e.vars["RESTORE_SAFETY_DEADLINE"] = "3s"
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.InstanceID))))
	if r.Status != intent.Accepted || r.Life == nil || r.Phase != intent.PhaseSafetyBackup {
		t.Fatalf("%+v", r)
	}
	// No sweep while the backup (1 s) ends and the deadline passes, and
	// the judge's grace after it (10 s: a call sent just within it may be
	// listed that much later).
	time.Sleep(15 * time.Second)
	for i := 0; i < 3; i++ {
		e.sweep()
		time.Sleep(300 * time.Millisecond)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("restored %d times after the deadline", n)
	}
	msgs := e.messages()
	if got := types(msgs); got != "accepted×1 expired×1" {
		t.Fatalf("messages %s, want the acceptance and one expiry", got)
	}
	if x := lastOf(msgs, "expired"); x.Data.Error == nil || x.Data.Error.Code != "RestoreExpired" || x.Data.Status != intent.Expired {
		t.Fatalf("expired message %+v", x.Data)
	}
	if code, st := e.statusGet(map[string]string{"instanceId": e.demo.InstanceID}); code != http.StatusOK || st["phase"] != "expired" {
		t.Fatalf("status after the deadline: %d %v", code, st)
	}
}

// On the fast path the task list is read once before the call that starts
// work: "never twice" and the budget are judged on the same reading.
func TestTaskListIsReadOnceBeforeTheRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_BUDGET_REQUESTS"] = "3/1h"
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.PasswordFreeInstanceID))))
	if r.Status != intent.Accepted {
		t.Fatalf("%+v %+v", r, r.Error)
	}
	if n := e.emu.Calls("DescribeTaskList"); n != 1 {
		t.Fatalf("DescribeTaskList read %d times for one restore with a budget, want 1", n)
	}
}

// A named backup that is not listed is refused before the safety backup:
// no undo point is taken for a restore that cannot happen.
func TestUnknownBackupIsRefusedBeforeTheSafetyBackup(t *testing.T) {
	t.Parallel()
	e := lifeEnv(t)
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), fmt.Sprintf(`{"instanceId":%q,"backupId":"678362566696298532840000"}`, e.demo.InstanceID))))
	if r.Status != intent.Failed || r.Error == nil || r.Error.Code != "BackupNotFound" || len(e.emu.ManualBackups()) != 0 {
		t.Fatalf("%+v %+v, %d safety backups", r, r.Error, len(e.emu.ManualBackups()))
	}
}

// The new intents under the old guards: an approved switch plan orders a
// switch's clone, never an in-place restore, and the approvers' drill and
// unswitch plans are exactly those; a switch's clone counts against the
// budget of a later switch; a dry-run drill orders nothing and lists its
// steps; an instance named like a switch clone or a drill by someone else
// is never switched to or released.
func TestSwitchesAndDrillsKeepEveryGuard(t *testing.T) {
	t.Parallel()
	t.Run("approved switch plan", func(t *testing.T) {
		e := newEnv(t)
		e.vars["RESTORE_APPROVAL"] = "webhook"
		e.vars["RESTORE_CLONE_SWITCH"] = "true"
		redis4(e, e.demo.InstanceID)
		p := webhookPlanOf(t, e, fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"switch"}`, e.demo.InstanceID, e.demo.LatestBackupID))
		if p.Mode != intent.ModeSwitch || p.TakesSafetyBackup {
			t.Fatalf("plan mode %q, safety backup %v", p.Mode, p.TakesSafetyBackup)
		}
		status, a := sendApproval(t, e, e.h, approvalBody(p.Token))
		clones := e.emu.Clones()
		if status != http.StatusAccepted || a.Status != intent.Accepted || len(clones) != 1 || !strings.Contains(clones[0].InstanceName, "-switch-") || len(e.emu.RestoreCalls()) != 0 {
			t.Fatalf("approving the switch plan: %d %+v, clones %+v, %d restores", status, a, clones, len(e.emu.RestoreCalls()))
		}
	})
	t.Run("budget counts a switch's clone", func(t *testing.T) {
		e := newEnv(t)
		e.vars["RESTORE_CLONE_SWITCH"] = "true"
		e.vars["RESTORE_BUDGET_REQUESTS"] = "1/1h"
		redis4(e, e.demo.InstanceID)
		first := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"switch"}`, e.demo.InstanceID, e.demo.LatestBackupID))))
		nextFiring()
		second := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":%q,"mode":"switch"}`, e.demo.InstanceID, e.demo.BackupIDs[0]))))
		if first.Status != intent.Accepted || second.Status != intent.Skipped || !second.Held || len(e.emu.Clones()) != 1 {
			t.Fatalf("two switches within a budget of one: %+v then %+v %+v, %d clones", first.Status, second.Status, second.Error, len(e.emu.Clones()))
		}
	})
	t.Run("dry-run drill", func(t *testing.T) {
		e := drillEnv(t)
		r := onlyResult(t, e.results(timerEvent(t, time.Now().Truncate(time.Second), fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","mode":"drill","dryRun":true}`, e.demo.InstanceID))))
		if r.Status != intent.DryRun || r.Life == nil || len(r.Steps) == 0 || !strings.Contains(strings.Join(r.Steps, "\n"), "DestroyPostpaidInstance") || len(e.emu.Clones()) != 0 {
			t.Fatalf("dry-run drill: %+v %+v, %d clones", r, r.Life, len(e.emu.Clones()))
		}
	})
	t.Run("look-alike names", func(t *testing.T) {
		e := drillEnv(t)
		e.vars["RESTORE_CLONE_SWITCH"] = "true"
		src := e.demo.InstanceID
		for i, name := range []string{src + "-switch-656c2a00deadbeef", src + "-drill-656c2a00deadbeef"} {
			e.emu.AddInstance(cloudemu.Instance{ID: fmt.Sprintf("crs-lookal%02d", i), Name: name, Type: 6, Status: 2})
		}
		for i := 0; i < 3; i++ {
			e.sweep()
		}
		if sw, ds := len(e.emu.Switches()), len(e.emu.Destroys()); sw != 0 || ds != 0 {
			t.Fatalf("instances named like the function's: %d switches, %d releases", sw, ds)
		}
	})
}
