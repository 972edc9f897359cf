package handler_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

var grCST = time.FixedZone("CST", 8*3600)

const alarmBasicAuth = "monitor:alarm-pass-77"

// firing is the example metric alarm on instance, first occurring at first.
func flapFiring(t testing.TB, instance string, first time.Time) string {
	return strings.NewReplacer("crs-5a4py64p", instance, "2026-11-29 10:00:00", first.In(grCST).Format(time.DateTime)).
		Replace(string(fixture(t, "alarm-metric-instanceid.json")))
}

// alarmVia wraps an alarm as one of the triggers that bring alarms.
func alarmVia(t testing.TB, trigger, alarm string) []byte {
	auth := map[string]string{"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(alarmBasicAuth))}
	switch trigger {
	case "apigw":
		return gatewayEvent(t, alarm, auth)
	case "functionurl":
		return functionURLEvent(t, alarm, auth)
	case "cmq":
		return cmqEvent(t, alarm)
	case "ckafka":
		return mustJSON(t, map[string]any{"Records": []any{map[string]any{"Ckafka": map[string]any{
			"topic": "redis-restore-alarms", "partition": 2, "offset": time.Now().UnixNano(), "msgKey": "policy-n4exeh88", "msgBody": alarm}}}})
	}
	return []byte(alarm)
}

// eventBridgeAlarm is the Cloud Monitor event alarm of the EventBridge
// example (testdata/eventbridge-alarm.json) on instance at a time.
func eventBridgeAlarm(t testing.TB, instance string, at time.Time) []byte {
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, "eventbridge-alarm.json"), &ev); err != nil {
		t.Fatal(err)
	}
	ev["subject"], ev["time"] = instance, at.UnixMilli()
	ev["data"].(map[string]any)["instanceId"] = instance
	ev["data"].(map[string]any)["dimensions"] = map[string]any{"instanceid": instance}
	return mustJSON(t, ev)
}

// flapVia is a firing at first through trigger: a metric alarm callback
// through any of its triggers, or an event alarm through EventBridge.
func flapVia(t testing.TB, trigger, instance string, first time.Time) []byte {
	if trigger == "eventbridge" {
		return eventBridgeAlarm(t, instance, first)
	}
	return alarmVia(t, trigger, flapFiring(t, instance, first))
}

// nextFiring waits for the next whole second and returns it: a firing
// that first occurs then is in the past when it is delivered, as every
// alarm is, and after any restore started before the call (the API's
// times have a resolution of one second).
func nextFiring() time.Time {
	next := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(next) + 20*time.Millisecond)
	return next
}

// flapTriggers are the triggers an alarm can come through.
var flapTriggers = []string{"apigw", "functionurl", "cmq", "ckafka", "direct", "eventbridge"}

func queuedOfType(e *env, typ string) []intent.Event {
	var out []intent.Event
	for _, m := range e.messages() {
		if m.Type == intent.EventTypePrefix+typ {
			out = append(out, m)
		}
	}
	return out
}

// The loop: an alarm that flaps fires ten times, each firing a new
// event a second or more after the previous restore started, each reaching
// two containers at once, through every trigger that brings alarms in
// turn (API gateway, function URL, CMQ, CKafka, direct, EventBridge). One restore; every later firing is held back (skipped,
// RestoreBudgetExceeded) with the task that used the budget and when it
// frees up, and restore.held tells the operators, once per firing.
func TestFlappingAlarmAcrossContainersRestoresOnceAndHoldsTheRest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	realistic(e)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = alarmBasicAuth
	inst := e.demo.PasswordFreeInstanceID
	first := atOnce(t, e, 2, alarmVia(t, "apigw", flapFiring(t, inst, time.Now().Add(-2*time.Second))))
	exactlyOnce(t, e, first)
	task := e.emu.RestoreCalls()[0]
	// Later firings first occur after the restore started, as a flapping
	// alarm's do: each is a new event, not a delivery of the first.
	for k := 1; k < 10; k++ {
		trigger := flapTriggers[k%len(flapTriggers)]
		for c, rs := range atOnce(t, e, 2, flapVia(t, trigger, inst, nextFiring())) {
			r := onlyResult(t, rs)
			if r.Status != intent.Skipped || r.Error == nil || errCode(r.Error) != intent.CodeBudgetExceeded {
				t.Fatalf("firing %d (%s), container %d: %s %+v, want skipped with %s", k+1, trigger, c, r.Status, r.Error, intent.CodeBudgetExceeded)
			}
			if r.Budget == nil || len(r.Budget.Used) != 1 || r.Budget.Used[0].TaskID != task.TaskID || r.Budget.FreesAt == nil ||
				!r.Budget.FreesAt.Equal(r.Budget.Used[0].StartTime.Add(time.Hour)) || r.Budget.Setting != "RESTORE_BUDGET" {
				t.Fatalf("firing %d: budget %+v, want task %d used until an hour after it started", k+1, r.Budget, task.TaskID)
			}
			if !strings.Contains(errMessage(r.Error), fmt.Sprint(task.TaskID)) || !strings.Contains(errMessage(r.Error), r.Budget.FreesAt.Format(time.RFC3339)) {
				t.Errorf("firing %d: message %q names neither the task nor when the budget frees up", k+1, errMessage(r.Error))
			}
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores, want 1", n)
	}
	held := queuedOfType(e, "held")
	ids := map[string]bool{}
	for _, m := range held {
		ids[m.ID] = true
		if m.Data.Error == nil || errCode(m.Data.Error) != intent.CodeBudgetExceeded || m.Data.Budget == nil || m.Data.Status != intent.Skipped {
			t.Errorf("held message %+v lacks the budget or its code", m.Data)
		}
	}
	// Two containers per firing send the same message: one id per firing.
	if len(held) != 18 || len(ids) != 9 {
		t.Errorf("%d held messages with %d ids, want 18 with 9 (one per held firing)", len(held), len(ids))
	}
}

// A delivery of the same firing whose restore ran is a duplicate, never
// held: the search for an earlier delivery's restore comes first.
func TestRedeliveredFiringIsADuplicateNotHeld(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	realistic(e)
	ev := flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Second))
	var deliveries [][]intent.Result
	for _, trigger := range []string{"direct", "cmq", "direct"} {
		ans, err := invokeWith(e, freshHandler(e), alarmVia(t, trigger, ev))
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := decodeAnswer(t, ans)
		deliveries = append(deliveries, rs)
	}
	exactlyOnce(t, e, deliveries)
	if n := len(queuedOfType(e, "held")); n != 0 {
		t.Errorf("%d held messages, want none", n)
	}
}

// RESTORE_BUDGET=off lets every firing restore; RESTORE_BUDGET_REQUESTS
// bounds webhooks, which only an authenticated webhook's "force" passes.
func TestBudgetSettingsAndForce(t *testing.T) {
	t.Parallel()
	t.Run("off", func(t *testing.T) {
		e := newEnv(t)
		e.vars["RESTORE_BUDGET"] = "off"
		inst := e.demo.PasswordFreeInstanceID
		e.results([]byte(flapFiring(t, inst, time.Now().Add(-time.Second))))
		r := onlyResult(t, e.results([]byte(flapFiring(t, inst, nextFiring()))))
		if r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 2 {
			t.Fatalf("second firing with RESTORE_BUDGET=off: %s %+v, %d restores", r.Status, r.Error, len(e.emu.RestoreCalls()))
		}
	})
	t.Run("requests", func(t *testing.T) {
		e := newEnv(t)
		e.vars["RESTORE_BUDGET_REQUESTS"] = "1/1h"
		send := func(body string) (int, intent.Result) {
			resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
			return resp.StatusCode, onlyResult(t, rs)
		}
		if _, r := send(`{"instanceId":"crs-1amp2588","backupId":"latest"}`); r.Status != intent.Accepted {
			t.Fatalf("first: %+v", r)
		}
		time.Sleep(1100 * time.Millisecond) // a new signature: a new request
		status, r := send(`{"instanceId":"crs-1amp2588","backupId":"latest"}`)
		if status != http.StatusOK || r.Status != intent.Skipped || r.Error == nil || errCode(r.Error) != intent.CodeBudgetExceeded || r.Budget == nil || r.Budget.Setting != "RESTORE_BUDGET_REQUESTS" {
			t.Fatalf("second: %d %+v %+v", status, r, r.Error)
		}
		status, r = send(`{"instanceId":"crs-1amp2588","backupId":"latest","force":true}`)
		if status != http.StatusAccepted || r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 2 {
			t.Fatalf("forced: %d %+v %+v", status, r, r.Error)
		}
		if !strings.Contains(e.logs.String(), "force: true") {
			t.Error("the override is not logged")
		}
	})
	t.Run("force only from a webhook", func(t *testing.T) {
		e := newEnv(t)
		req := `{"instanceId":"crs-1amp2588","backupId":"latest","force":true}`
		for name, ev := range map[string][]byte{"timer": timerEvent(t, time.Now(), req), "cmq": cmqEvent(t, req), "direct": []byte(req)} {
			r := onlyResult(t, e.results(ev))
			if r.Status != intent.Failed || r.Error == nil || !strings.HasPrefix(errMessage(r.Error), "force:") {
				t.Errorf("%s with force: %s %+v, want failed naming force", name, r.Status, r.Error)
			}
		}
		if n := len(e.emu.RestoreCalls()); n != 0 {
			t.Errorf("%d restores", n)
		}
	})
}

// approvalEnv holds alarm restores for approval.
func approvalEnv(t *testing.T) *env {
	e := newEnv(t)
	e.vars["RESTORE_APPROVAL"] = "alarm"
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = alarmBasicAuth
	return e
}

func planFor(t *testing.T, e *env, alarm string) intent.Result {
	t.Helper()
	resp, rs := e.gateway(alarmVia(t, "apigw", alarm))
	r := onlyResult(t, rs)
	// An alarm callback is answered 200 whatever happened (callback.go).
	if resp.StatusCode != http.StatusOK || r.Status != intent.Planned || r.Plan == nil || r.Plan.ID == "" {
		t.Fatalf("alarm with RESTORE_APPROVAL=alarm: %d %+v %+v", resp.StatusCode, r, r.Error)
	}
	r.Plan = withQueuedToken(t, e, r.Plan)
	return r
}

// withQueuedToken checks that the requester's answer does not carry the
// plan's token (whoever asked could otherwise approve alone), and returns
// the plan with the token the approvers read on the queue.
func withQueuedToken(t *testing.T, e *env, answered *intent.Plan) *intent.Plan {
	t.Helper()
	if answered.Token != "" {
		t.Fatalf("the requester's answer carries plan %s's token: the requester could approve alone", answered.ID)
	}
	p := *answered
	for _, m := range queuedOfType(e, "planned") {
		if m.Data.Plan != nil && m.Data.Plan.ID == p.ID {
			p.Token = m.Data.Plan.Token
		}
	}
	if p.Token == "" {
		t.Fatalf("no planned message on the queue carries plan %s's token", p.ID)
	}
	return &p
}

func sendApproval(t *testing.T, e *env, h *handler.Handler, body string) (int, intent.Result) {
	t.Helper()
	ans, err := invokeWith(e, h, gatewayEvent(t, body, signedByApprover(body)))
	if err != nil {
		t.Fatal(err)
	}
	rs, status := decodeAnswer(t, ans)
	return status, onlyResult(t, rs)
}

func approvalBody(token string) string { return fmt.Sprintf(`{"approve":%q}`, token) }

// An alarm under RESTORE_APPROVAL plans instead of restoring; approving the
// plan restores exactly its backup, once, however often and however it is
// approved (webhook, link, another container).
func TestApprovalAppliesExactlyThePlanOnce(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	inst := e.demo.PasswordFreeInstanceID
	r := planFor(t, e, flapFiring(t, inst, time.Now().Add(-time.Minute)))
	p := r.Plan
	if p.InstanceID != inst || p.BackupID != e.demo.PasswordFreeBackupID || p.Why == "" || p.SafetyBackup == "" ||
		p.Budget == nil || p.Budget.Limit != 1 || len(p.Budget.Used) != 0 || !p.Expires.Equal(p.Created.Add(30*time.Minute)) {
		t.Errorf("plan %+v", p)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("planning restored %d times", n)
	}
	planned := queuedOfType(e, "planned")
	if len(planned) != 1 || planned[0].Data.Plan == nil || planned[0].Data.Plan.Token != p.Token {
		t.Fatalf("planned messages: %+v", planned)
	}

	status, a := sendApproval(t, e, e.h, approvalBody(p.Token))
	if status != http.StatusAccepted || a.Status != intent.Accepted || a.BackupID != p.BackupID || !strings.Contains(a.Reason, p.ID) {
		t.Fatalf("approval: %d %+v %+v", status, a, a.Error)
	}
	calls := e.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].BackupID != p.BackupID || calls[0].InstanceID != inst {
		t.Fatalf("restores %+v, want one of %s", calls, p.BackupID)
	}
	// Approving again: the same container, a fresh one, the link.
	for i, h := range []*handler.Handler{e.h, freshHandler(e)} {
		if _, again := sendApproval(t, e, h, approvalBody(p.Token)); again.Status != intent.Duplicate || again.TaskID != a.TaskID {
			t.Errorf("approval again (%d): %+v", i, again)
		}
	}
	link := linkEvent(t, http.MethodPost, p.Token)
	ans, err := invokeWith(e, freshHandler(e), link)
	if err != nil {
		t.Fatal(err)
	}
	if rs, _ := decodeAnswer(t, ans); onlyResult(t, rs).Status != intent.Duplicate {
		t.Errorf("link after approval: %+v", rs)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want 1", n)
	}
	// The token approves: whoever reads the logs must not find it there.
	if sig := p.Token[strings.LastIndex(p.Token, ".")+1:]; strings.Contains(e.logs.String(), sig) {
		t.Error("a plan's token is in the logs")
	}
}

func linkEvent(t testing.TB, method, token string) []byte {
	return mustJSON(t, map[string]any{
		"headers": map[string]string{"content-type": "text/plain"}, "body": "", "path": "/",
		"queryString": map[string]any{"approve": token}, "httpMethod": method,
	})
}

// A chat tool that previews the link GETs it: that shows the plan and
// restores nothing; the page's button POSTs the link, which restores.
func TestApprovalLinkShowsOnGetAndAppliesOnPost(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	p := planFor(t, e, flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Minute))).Plan
	ans, err := e.invoke(linkEvent(t, http.MethodGet, p.Token))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ans)
	if !strings.Contains(string(b), "text/html") || !strings.Contains(string(b), `method=\"post\"`) || len(e.emu.RestoreCalls()) != 0 {
		t.Fatalf("GET of the link: %s; %d restores", b, len(e.emu.RestoreCalls()))
	}
	ans, err = e.invoke(linkEvent(t, http.MethodPost, p.Token))
	if err != nil {
		t.Fatal(err)
	}
	if rs, _ := decodeAnswer(t, ans); onlyResult(t, rs).Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("POST of the link: %+v", rs)
	}
}

// A plan changed in any way, or signed with another key, is refused
// (401 InvalidApproval) and restores nothing.
func TestTamperedPlanIsRefused(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	p := planFor(t, e, flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Minute))).Plan
	parts := strings.Split(p.Token, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	// Another backup of another instance, re-encoded, the signature kept.
	changed := strings.Replace(string(claims), p.BackupID, e.demo.LatestBackupID, 1)
	changed = strings.Replace(changed, p.InstanceID, e.demo.InstanceID, 1)
	e2 := approvalEnv(t)
	e2.vars["RESTORE_SIGNING_KEY"] = "another-signing-key-of-32-characters"
	foreign := planFor(t, e2, flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Minute))).Plan.Token
	cases := map[string]string{
		"claims changed":      parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(changed)) + "." + parts[2],
		"signature changed":   parts[0] + "." + parts[1] + "." + flipFirst(parts[2]),
		"truncated":           p.Token[:len(p.Token)-4],
		"another key":         foreign,
		"not a token":         p.ID,
		"signature of nobody": parts[0] + "." + parts[1] + ".",
	}
	for name, token := range cases {
		status, r := sendApproval(t, e, e.h, approvalBody(token))
		if status != http.StatusUnauthorized || r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != intent.CodeInvalidApproval {
			t.Errorf("%s: %d %+v %+v", name, status, r, r.Error)
		}
		ans, err := e.invoke(linkEvent(t, http.MethodPost, token))
		if err != nil {
			t.Fatal(err)
		}
		if _, status := decodeAnswer(t, ans); status != http.StatusUnauthorized {
			t.Errorf("%s by link: %d", name, status)
		}
		ans, err = e.invoke(linkEvent(t, http.MethodGet, token))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(ans); !strings.Contains(string(b), `"statusCode":401`) || strings.Contains(string(b), "text/html") {
			t.Errorf("%s shown by link: %s", name, b)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Errorf("%d restores from tampered plans", n)
	}
	// The approval itself is a webhook call: unsigned, it is refused
	// before the plan is looked at.
	body := approvalBody(p.Token)
	resp, _ := e.gateway(gatewayEvent(t, body, nil))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned approval: %d", resp.StatusCode)
	}
}

func flipFirst(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

// An approval that comes too late, or after the plan's backup stopped
// being the right one, is refused with the reason (409) and a fresh plan,
// which can be approved.
func TestStalePlansAreRefusedWithAFreshPlan(t *testing.T) {
	t.Parallel()
	webhookPlan := func(t *testing.T, e *env) *intent.Plan {
		body := fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, e.demo.PasswordFreeInstanceID)
		resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
		r := onlyResult(t, rs)
		if resp.StatusCode != http.StatusAccepted || r.Status != intent.Planned || r.Plan == nil {
			t.Fatalf("webhook under RESTORE_APPROVAL=webhook: %d %+v", resp.StatusCode, r)
		}
		return withQueuedToken(t, e, r.Plan)
	}
	newer := cloudemu.Backup{ID: "779000000000000000000001", StartTime: time.Now().Add(-time.Hour), Status: 2}
	cases := map[string]struct {
		code   string
		change func(e *env, p *intent.Plan)
		fresh  string // the fresh plan's backup
	}{
		// An expired plan mints nothing: the request is sent again.
		"expired": {intent.CodePlanExpired, func(e *env, p *intent.Plan) { time.Sleep(2100 * time.Millisecond) }, "none"},
		"newer backup": {intent.CodePlanOutdated, func(e *env, p *intent.Plan) {
			e.emu.AddBackup(p.InstanceID, newer)
		}, newer.ID},
		"backup locked": {intent.CodePlanOutdated, func(e *env, p *intent.Plan) {
			e.emu.AddBackup(p.InstanceID, cloudemu.Backup{ID: p.BackupID, StartTime: p.BackupStart, Status: 2, Locked: true})
		}, "none"},
		"instance changed edition": {intent.CodePlanOutdated, func(e *env, p *intent.Plan) {
			e.emu.UpdateInstance(p.InstanceID, func(in *cloudemu.Instance) { in.Type = 3 })
		}, ""},
		"instance not running": {"ResourceUnavailable.InstanceStateError", func(e *env, p *intent.Plan) {
			e.emu.UpdateInstance(p.InstanceID, func(in *cloudemu.Instance) { in.Status = 1 })
		}, "none"},
		"backup expired": {intent.CodePlanOutdated, func(e *env, p *intent.Plan) {
			e.emu.AddBackup(p.InstanceID, cloudemu.Backup{ID: p.BackupID, StartTime: p.BackupStart, Status: -1})
			e.emu.AddBackup(p.InstanceID, newer)
		}, newer.ID},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.vars["RESTORE_APPROVAL"] = "webhook"
			if name == "expired" {
				// Only this plan may expire: under load, a plan of 1 s
				// could expire before another case's change is seen.
				e.vars["RESTORE_APPROVAL_TTL"] = "1s"
			}
			p := webhookPlan(t, e)
			c.change(e, p)
			e.vars["RESTORE_APPROVAL_TTL"] = "30m"
			status, r := sendApproval(t, e, freshHandler(e), approvalBody(p.Token))
			if status != http.StatusConflict || r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != c.code ||
				(c.code != "ResourceUnavailable.InstanceStateError" && !strings.Contains(errMessage(r.Error), p.ID)) {
				t.Fatalf("stale approval: %d %+v %+v", status, r, r.Error)
			}
			if n := len(e.emu.RestoreCalls()); n != 0 {
				t.Fatalf("%d restores from a stale plan", n)
			}
			if c.fresh == "none" {
				if r.Plan != nil {
					t.Fatalf("fresh plan %+v, want none (no other backup)", r.Plan)
				}
				return
			}
			want := c.fresh
			if want == "" {
				want = p.BackupID
			}
			if r.Plan == nil || r.Plan.BackupID != want || r.Plan.ID == p.ID || !strings.Contains(r.Plan.Edition, "Type") {
				t.Fatalf("fresh plan %+v, want one of backup %s", r.Plan, want)
			}
			r.Plan = withQueuedToken(t, e, r.Plan)
			// The fresh plan says what its restore would do first, as the
			// first plan did.
			if r.Plan.SafetyBackup == "" || r.Plan.SafetyBackup != p.SafetyBackup {
				t.Errorf("fresh plan's safety backup %q, the first's %q", r.Plan.SafetyBackup, p.SafetyBackup)
			}
			if ms := queuedOfType(e, "planned"); len(ms) != 2 || ms[1].Data.Plan == nil || ms[1].Data.Plan.ID != r.Plan.ID || ms[1].Data.Error == nil {
				t.Errorf("planned messages %+v: want the fresh plan with the refusal", ms)
			}
			if status, a := sendApproval(t, e, freshHandler(e), approvalBody(r.Plan.Token)); status != http.StatusAccepted || a.Status != intent.Accepted || a.BackupID != want {
				t.Fatalf("approving the fresh plan: %d %+v %+v", status, a, a.Error)
			}
		})
	}
}

// The dry run is the plan without its signature: the same backup choice
// and budget, no token.
func TestDryRunAnswersWithThePlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results([]byte(fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","dryRun":true}`, e.demo.InstanceID))))
	if r.Status != intent.DryRun || r.Plan == nil || r.Plan.BackupID != e.demo.LatestBackupID || r.Plan.Token != "" || r.Plan.ID != "" || r.Plan.Why == "" {
		t.Fatalf("dry run: %+v %+v", r, r.Plan)
	}
	ms := queuedOfType(e, "planned")
	if len(ms) != 1 || ms[0].Data.Plan == nil || ms[0].Data.Status != intent.DryRun {
		t.Errorf("dry run messages %+v", ms)
	}
}

// Settings that cannot work stop every restore with the setting's name in
// the log, and the alarm restores nothing.
func TestBadGuardrailSettingsFailClosed(t *testing.T) {
	t.Parallel()
	for name, val := range map[string]string{"RESTORE_BUDGET": "1", "RESTORE_APPROVAL": "alarms"} {
		e := newEnv(t)
		e.vars[name] = val
		r := onlyResult(t, e.results([]byte(flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now()))))
		if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidConfiguration" || !strings.Contains(e.logs.String(), name) {
			t.Errorf("%s=%q: %+v %+v", name, val, r, r.Error)
		}
		if n := len(e.emu.RestoreCalls()); n != 0 {
			t.Errorf("%s=%q: %d restores", name, val, n)
		}
	}
}

// One approval delivered to three containers at once (a caller's retries,
// a chat tool and a person): one restore, the rest duplicates of it.
func TestApprovalAtOnceInSeveralContainersRestoresOnce(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	realistic(e)
	p := planFor(t, e, flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Minute))).Plan
	body := approvalBody(p.Token)
	exactlyOnce(t, e, atOnce(t, e, 3, gatewayEvent(t, body, signedByApprover(body))))
}

// Approving takes a second person: the requesters' credential (the
// webhook's secret, or basic auth) cannot apply a plan even with its
// token, and the approvers' credential (RESTORE_APPROVER_SECRET) cannot ask
// for a restore; it may read a status. Without an approvers' secret, only
// the plan's link applies it.
func TestApprovingTakesTheApproversCredential(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	inst := e.demo.PasswordFreeInstanceID
	p := planFor(t, e, flapFiring(t, inst, time.Now().Add(-time.Minute))).Plan
	body := approvalBody(p.Token)
	for name, h := range map[string]map[string]string{"webhook secret": signed(body),
		"basic auth": {"authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(alarmBasicAuth))}} {
		resp, rs := e.gateway(gatewayEvent(t, body, h))
		r := onlyResult(t, rs)
		if resp.StatusCode != http.StatusForbidden || r.Error == nil || r.Error.Code != "ApproverCredentialRequired" {
			t.Errorf("approval signed with the %s: %d %+v %+v", name, resp.StatusCode, r, r.Error)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores from approvals with the requesters' credential", n)
	}
	req := fmt.Sprintf(`{"instanceId":%q,"backupId":"latest"}`, inst)
	resp, rs := e.gateway(gatewayEvent(t, req, signedByApprover(req)))
	if r := onlyResult(t, rs); resp.StatusCode != http.StatusForbidden || r.Error == nil || r.Error.Code != "RequesterCredentialRequired" {
		t.Errorf("restore request signed by an approver: %d %+v", resp.StatusCode, r)
	}
	if n := len(e.emu.RestoreCalls()); n != 0 || len(queuedOfType(e, "planned")) != 1 {
		t.Fatalf("an approver's restore request reached the cloud: %d restores", n)
	}
	// Without RESTORE_APPROVER_SECRET, no webhook call applies a plan.
	delete(e.vars, "RESTORE_APPROVER_SECRET")
	resp, rs = e.gateway(gatewayEvent(t, body, signed(body)))
	if r := onlyResult(t, rs); resp.StatusCode != http.StatusForbidden || len(e.emu.RestoreCalls()) != 0 {
		t.Errorf("approval without an approvers' secret: %d %+v, %d restores", resp.StatusCode, r, len(e.emu.RestoreCalls()))
	}
	e.vars["RESTORE_APPROVER_SECRET"] = approverSecret
	status, a := sendApproval(t, e, e.h, body)
	if status != http.StatusAccepted || a.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("approval signed by an approver: %d %+v %+v", status, a, a.Error)
	}
}

// An alarm whose firstOccurTime runs ahead of the cloud's clock, and whose
// restore's answer is lost after the restore started: the search for this
// event's restore cannot see it (it started "before" the alarm), and the
// budget, which counts it, must not hold it back as someone else's and
// lose its TaskId. It is this restore: accepted, reported, once.
func TestBudgetDoesNotHoldItsOwnUnclearRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	realistic(e)
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Reset: true, AfterCommit: true}}})
	r := onlyResult(t, e.results([]byte(flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(3*time.Second)))))
	calls := e.emu.RestoreCalls()
	if len(calls) != 1 || r.Status != intent.Accepted || r.TaskID != calls[0].TaskID {
		t.Fatalf("%+v %+v with restores %+v: want accepted with the one restore's TaskId", r, r.Error, calls)
	}
	if m := queuedOfType(e, "accepted"); len(m) != 1 || m[0].Data.TaskID != r.TaskID {
		t.Errorf("accepted messages %+v", m)
	}
}

// With hand-off (RESTORE_HANDOFF), an alarm callback is answered queued at
// once and its plan reaches the queue from the asynchronous invocation;
// the approval, and a forced request, run in the call.
func TestPlansAndForceWithHandOff(t *testing.T) {
	t.Parallel()
	e := newHandoffEnv(t)
	e.vars["RESTORE_APPROVAL"] = "alarm"
	inst := e.demo.PasswordFreeInstanceID
	resp, rs := e.gateway(gatewayEvent(t, flapFiring(t, inst, time.Now().Add(-time.Minute)), basicAuthHeader()))
	if r := onlyResult(t, rs); resp.StatusCode != http.StatusOK || r.Status != intent.Queued {
		t.Fatalf("alarm callback: %d %+v", resp.StatusCode, r)
	}
	e.finish()
	planned := queuedOfType(e.env, "planned")
	if len(planned) != 1 || planned[0].Data.Plan == nil || planned[0].Data.Plan.Token == "" {
		t.Fatalf("planned messages %+v", planned)
	}
	status, a := sendApproval(t, e.env, e.h, approvalBody(planned[0].Data.Plan.Token))
	if status != http.StatusAccepted || a.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("approval: %d %+v %+v", status, a, a.Error)
	}
	// A forced request past a spent budget, signed after that restore.
	e.vars["RESTORE_BUDGET_REQUESTS"] = "1/1h"
	nextFiring()
	body := fmt.Sprintf(`{"instanceId":%q,"backupId":"latest","force":true}`, inst)
	resp, rs = e.gateway(gatewayEvent(t, body, signed(body)))
	if r := onlyResult(t, rs); resp.StatusCode != http.StatusAccepted || r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 2 {
		t.Fatalf("forced request under RESTORE_HANDOFF=all: %d %+v %+v", resp.StatusCode, r, r.Error)
	}
}

// With the webhook's auth settings wrong, a link is refused as "not
// authenticated" whether it is looked at (GET) or applied (POST): neither
// answer tells the link's holder anything of the configuration.
func TestApprovalLinkWithBadAuthSettingsSaysOnlyNotAuthenticated(t *testing.T) {
	t.Parallel()
	e := approvalEnv(t)
	p := planFor(t, e, flapFiring(t, e.demo.PasswordFreeInstanceID, time.Now().Add(-time.Minute))).Plan
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "user-without-password"
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		ans, err := e.invoke(linkEvent(t, method, p.Token))
		if err != nil {
			t.Fatal(err)
		}
		rs, status := decodeAnswer(t, ans)
		r := onlyResult(t, rs)
		if status != http.StatusUnauthorized || r.Error == nil || errCode(r.Error) != failure.CodeUnauthenticated {
			t.Errorf("%s: %d %+v %+v, want 401 %s", method, status, r, r.Error, failure.CodeUnauthenticated)
		}
		if b, _ := json.Marshal(ans); strings.Contains(string(b), "RESTORE_") {
			t.Errorf("%s: the answer names a setting: %s", method, b)
		}
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Errorf("%d restores, want none", n)
	}
}
