package handler_test

import (
	"encoding/json"
	"strings"
	"testing"

	"redis-restore/handler"
	"redis-restore/internal/intent"
)

func TestAlarmThroughGatewayWithBasicAuthRestoresNewestBackupBeforeIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	resp, rs := e.gateway(fixture(t, "apigw-alarm.json"))
	r := onlyResult(t, rs)
	// firstOccurTime 2026-11-29 10:00 CST is 02:00Z; less 5m, the newest
	// restorable demo backup before 01:55Z started 2026-11-28 19:00Z.
	// Cloud Monitor is answered 200, its sessionId echoed with retCode 0.
	if resp.StatusCode != 200 || r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("status %d result %+v", resp.StatusCode, r)
	}
	assertCallbackBody(t, resp.Body, "xxxxxxxx")
	if !strings.Contains(r.Reason, "policy-n4exeh88") || !strings.Contains(r.Reason, "metric keys") {
		t.Errorf("reason %q does not say which alarm", r.Reason)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "apigw" || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
}

func TestAlarmWithWrongBasicAuthIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:another-password"
	resp, rs := e.gateway(fixture(t, "apigw-alarm.json"))
	if resp.StatusCode != 401 || errCode(onlyResult(t, rs).Error) != "Unauthenticated" {
		t.Fatalf("status %d results %+v", resp.StatusCode, rs)
	}
	if n := e.emu.Calls("DescribeInstanceBackups") + e.emu.Calls("RestoreInstance"); n != 0 {
		t.Errorf("%d API calls for a refused caller", n)
	}
}

func TestAlarmShapes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture string
		status  intent.Status
		reason  string
	}{
		{"alarm-metric-instanceid.json", intent.DryRun, ""},
		{"alarm-metric-InstanceId.json", intent.DryRun, ""},
		{"alarm-redis-uuid.json", intent.DryRun, ""},
		{"alarm-objid.json", intent.DryRun, ""},
		// This alarm names region ap-shanghai, where the demo instance is
		// not: the restore goes to the alarm's region and finds nothing.
		{"alarm-numbers.json", intent.Failed, ""},
		{"alarm-event.json", intent.DryRun, ""},
		{"cmq-alarm.json", intent.DryRun, ""},
		{"alarm-resolved.json", intent.Skipped, "resolved"},
		{"alarm-no-instance.json", intent.Skipped, "names no Redis instance in its dimensions (objId, objName, unInstanceId)"},
		{"alarm-metric-2025.json", intent.DryRun, ""},
		{"alarm-metric-5s-appid.json", intent.DryRun, ""},
		{"alarm-node-rnodeid.json", intent.DryRun, ""},
		{"alarm-node-objid-only.json", intent.DryRun, ""},
		{"alarm-event-objdetail.json", intent.DryRun, ""},
		{"alarm-event-cvm-objdetail.json", intent.Skipped, "names no Redis instance in its dimensions (objDetail.instanceId, objDetail.instanceName, unInstanceId)"},
		{"alarm-resolved-numbers.json", intent.Skipped, "resolved"},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			e := newEnv(t)
			e.vars["RESTORE_DRY_RUN"] = "true"
			r := onlyResult(t, e.results(fixture(t, c.fixture)))
			if r.Status != c.status || !strings.Contains(r.Reason, c.reason) {
				t.Fatalf("result %+v, want %s (%q)", r, c.status, c.reason)
			}
			if c.status == intent.DryRun {
				if r.InstanceID != "crs-5a4py64p" || r.BackupID != backupBeforeTheAlarms {
					t.Errorf("planned %s from %s", r.InstanceID, r.BackupID)
				}
				if m := e.messages(); len(m) != 1 || m[0].Type != "com.tencentcloud.redis.restore.planned" {
					t.Errorf("messages %+v", m)
				}
			}
			if n := e.emu.Calls("RestoreInstance"); n != 0 {
				t.Errorf("RestoreInstance called %d times", n)
			}
		})
	}
}

func TestAlarmMarginMovesTheBound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_DRY_RUN"] = "true"
	e.vars["RESTORE_ALARM_MARGIN"] = "20h" // 02:00Z less 20h: before 2026-11-28 06:00Z
	r := onlyResult(t, e.results(fixture(t, "alarm-metric-instanceid.json")))
	if r.BackupID != "678362566696298532848115" {
		t.Fatalf("chose %s, want the backup of 2026-11-27 19:00Z", r.BackupID)
	}
}

func TestAlarmOfAnotherPolicyIsSkipped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_ALARM_POLICIES"] = "policy-aaaa, policy-bbbb"
	r := onlyResult(t, e.results(fixture(t, "alarm-metric-instanceid.json")))
	if r.Status != intent.Skipped || !strings.Contains(r.Reason, "RESTORE_ALARM_POLICIES") {
		t.Fatalf("result %+v", r)
	}
	e.vars["RESTORE_ALARM_POLICIES"] = "policy-aaaa,policy-n4exeh88"
	if r := onlyResult(t, e.results(fixture(t, "alarm-metric-instanceid.json"))); r.Status != intent.Accepted {
		t.Fatalf("listed policy: %+v", r)
	}
}

// A firing alarm is notified again every period: the repeats restore once,
// within a batch, within a container, and in a fresh container.
func TestRepeatedAlarmRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alarm := string(fixture(t, "alarm-metric-instanceid.json"))
	rs := e.results(cmqEvent(t, alarm, alarm, alarm))
	var accepted, dup int
	for _, r := range rs {
		switch r.Status {
		case intent.Accepted:
			accepted++
		case intent.Duplicate:
			dup++
		}
	}
	if accepted != 1 || dup != 2 {
		t.Fatalf("batch: %+v", rs)
	}
	// Same container, next period.
	if r := onlyResult(t, e.results(cmqEvent(t, alarm))); r.Status != intent.Duplicate || r.TaskID != rs[0].TaskID {
		t.Fatalf("warm repeat: %+v", r)
	}
	// A fresh container: nothing remembered, the cloud's task list answers.
	fresh := handler.New(e.h.Log)
	fresh.Getenv, fresh.Clients, fresh.MinDelay, fresh.MaxDelay = e.h.Getenv, e.h.Clients, e.h.MinDelay, e.h.MaxDelay
	e.h = fresh
	if r := onlyResult(t, e.results(cmqEvent(t, alarm))); r.Status != intent.Duplicate || r.TaskID != rs[0].TaskID {
		t.Fatalf("fresh container repeat: %+v", r)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores for one alarm", n)
	}
}

func TestDryRunAndAllowListHoldForEveryTrigger(t *testing.T) {
	t.Parallel()
	req := `{"instanceId":"crs-5a4py64p","backupId":"latest"}`
	triggers := map[string]func(t *testing.T) []byte{
		"timer":  func(t *testing.T) []byte { return timerEvent(t, timeNow(), req) },
		"cmq":    func(t *testing.T) []byte { return cmqEvent(t, req) },
		"direct": func(t *testing.T) []byte { return []byte(req) },
		"apigw":  func(t *testing.T) []byte { return gatewayEvent(t, req, signed(req)) },
	}
	for name, ev := range triggers {
		t.Run(name+"/dry-run", func(t *testing.T) {
			e := newEnv(t)
			e.vars["RESTORE_DRY_RUN"] = "true"
			r := e.any(ev(t))
			if r.Status != intent.DryRun || r.BackupID != e.demo.LatestBackupID || e.emu.Calls("RestoreInstance") != 0 {
				t.Fatalf("result %+v, RestoreInstance calls %d", r, e.emu.Calls("RestoreInstance"))
			}
		})
		t.Run(name+"/allow-list", func(t *testing.T) {
			e := newEnv(t)
			e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-1amp*, crs-other001"
			r := e.any(ev(t))
			if r.Status != intent.Failed || errCode(r.Error) != "InstanceNotAllowed" {
				t.Fatalf("result %+v", r)
			}
			for _, a := range []string{"RestoreInstance", "DescribeInstanceBackups", "DescribeTaskList"} {
				if n := e.emu.Calls(a); n != 0 {
					t.Errorf("%s called %d times for a refused instance", a, n)
				}
			}
		})
	}
}

// any invokes with any trigger and returns its one result.
func (e *env) any(payload []byte) intent.Result {
	e.t.Helper()
	ans, err := e.invoke(payload)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(ans)
	var gw struct {
		Body string `json:"body"`
	}
	if json.Unmarshal(b, &gw) == nil && gw.Body != "" {
		b = []byte(gw.Body)
	}
	var resp handler.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		e.t.Fatal(err)
	}
	return onlyResult(e.t, resp.Results)
}
