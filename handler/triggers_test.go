package handler_test

// The triggers SCF still creates (function URL, CKafka), EventBridge rules
// and Cloud Monitor calling the function directly, each driven through the
// handler against the emulator over real HTTP.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

func TestFunctionURLRestoreIsAcceptedWithTheFunctionURLAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	resp, rs := e.functionURL(functionURLEvent(t, body, signed(body)))
	r := onlyResult(t, rs)
	if resp.StatusCode != 202 || r.Status != intent.Accepted || r.TaskID == 0 {
		t.Fatalf("status %d result %+v", resp.StatusCode, r)
	}
	if resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("headers %v", resp.Headers)
	}
	// The documented answer has no isBase64Encoded.
	raw, _ := json.Marshal(resp)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["isBase64Encoded"]; ok || len(fields) != 3 {
		t.Errorf("answer %s: want statusCode, headers and body only", raw)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "functionurl" || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
	// The client's address, from x-scf-remote-addr, is in the logs.
	if !strings.Contains(e.logs.String(), `"remoteAddr":"203.0.113.7"`) {
		t.Errorf("logs do not name the client address:\n%s", e.logs.String())
	}
}

func TestFunctionURLAuthenticatesAndAnswersLikeAPIGateway(t *testing.T) {
	t.Parallel()
	body := `{"instanceId":"crs-5a4py64p","backupId":"latest","dryRun":true}`
	cases := []struct {
		name    string
		env     map[string]string
		event   func(t *testing.T) []byte
		status  int
		code    string
		planned bool
	}{
		{"signed", nil, func(t *testing.T) []byte { return functionURLEvent(t, body, signed(body)) }, 202, "", true},
		{"basic auth", map[string]string{"RESTORE_WEBHOOK_BASIC_AUTH": "ops:s3cret"},
			func(t *testing.T) []byte {
				return functionURLEvent(t, body, map[string]string{"authorization": "Basic b3BzOnMzY3JldA=="})
			}, 202, "", true},
		{"unsigned", nil, func(t *testing.T) []byte { return functionURLEvent(t, body, nil) }, 401, "Unauthenticated", false},
		{"wrong signature", nil, func(t *testing.T) []byte {
			return functionURLEvent(t, body, map[string]string{"x-restore-signature": "t=1,v1=00"})
		}, 401, "Unauthenticated", false},
		{"signed for another body", nil, func(t *testing.T) []byte { return functionURLEvent(t, body, signed(body+" ")) }, 401, "Unauthenticated", false},
		{"nothing configured", map[string]string{"RESTORE_WEBHOOK_SECRET": "", "RESTORE_APPROVER_SECRET": ""}, func(t *testing.T) []byte { return functionURLEvent(t, body, signed(body)) }, 403, "Forbidden", false},
		// GET asks where a restore stands (status.go): authenticated like a POST.
		{"GET unsigned", nil, func(t *testing.T) []byte { return fixture(t, "functionurl-get.json") }, 401, "Unauthenticated", false},
		{"PUT", nil, func(t *testing.T) []byte {
			return []byte(strings.Replace(string(fixture(t, "functionurl-get.json")), `"GET"`, `"PUT"`, 1))
		}, 405, "MethodNotAllowed", false},
		{"too large", nil, func(t *testing.T) []byte {
			big := `{"instanceId":"crs-5a4py64p","backupId":"latest","region":"` + strings.Repeat("a", 300<<10) + `"}`
			return functionURLEvent(t, big, signed(big))
		}, 413, "RequestTooLarge", false},
		{"not a request", nil, func(t *testing.T) []byte { return functionURLEvent(t, `{"x":1}`, signed(`{"x":1}`)) }, 400, "InvalidRequest", false},
		// The fixture as documented carries no credentials of ours.
		{"fixture unsigned", nil, func(t *testing.T) []byte { return fixture(t, "functionurl.json") }, 401, "Unauthenticated", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			for k, v := range c.env {
				e.vars[k] = v
			}
			resp, rs := e.functionURL(c.event(t))
			r := onlyResult(t, rs)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %+v", resp.StatusCode, c.status, r)
			}
			if c.planned {
				if r.Status != intent.DryRun {
					t.Errorf("result %+v, want dry-run", r)
				}
				return
			}
			if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != c.code {
				t.Errorf("result %+v, want failed %s", r, c.code)
			}
			if n := e.apiCalls(); n != 0 {
				t.Errorf("%d API calls for a refused call", n)
			}
		})
	}
}

func TestFunctionURLIdempotencyKeyRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	h := signed(body)
	h["idempotency-key"] = "deploy-43"
	_, first := e.functionURL(functionURLEvent(t, body, h))
	_, again := e.functionURL(functionURLEvent(t, body, h))
	if onlyResult(t, first).Status != intent.Accepted || onlyResult(t, again).Status != intent.Duplicate || again[0].TaskID != first[0].TaskID {
		t.Fatalf("first %+v again %+v", first, again)
	}
	// A fresh container: the signed time bounds the search of the task list.
	e.h = freshHandler(e)
	if _, third := e.functionURL(functionURLEvent(t, body, h)); onlyResult(t, third).Status != intent.Duplicate {
		t.Fatalf("fresh container: %+v", third)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores", n)
	}
}

func TestAPIGatewayEventsStillWork(t *testing.T) {
	t.Parallel()
	// Existing API gateway triggers keep their event and their answer.
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	ans, err := e.invoke(gatewayEvent(t, body, signed(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := ans.(events.APIGatewayResponse)
	if !ok || resp.StatusCode != 202 {
		t.Fatalf("answer %T %+v", ans, ans)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "apigw" {
		t.Errorf("messages %+v", m)
	}
	if !strings.Contains(e.logs.String(), `"sourceIp":"10.0.0.1"`) {
		t.Errorf("logs do not name the gateway's source IP")
	}
}

func TestAlarmCallbackThroughFunctionURLEchoesSessionID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	resp, rs := e.functionURL(fixture(t, "functionurl-alarm.json"))
	r := onlyResult(t, rs)
	// firstOccurTime 02:00Z less 5 minutes: the demo's newest backup.
	if resp.StatusCode != 200 || r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("status %d result %+v", resp.StatusCode, r)
	}
	assertCallbackBody(t, resp.Body, "xxxxxxxx")
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "functionurl" || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
	if !strings.Contains(e.logs.String(), `"remoteAddr":"198.51.100.23"`) {
		t.Errorf("logs do not name Cloud Monitor's address")
	}
}

func TestAlarmCallbackIsAnswered200EvenWhenItsRestoreFails(t *testing.T) {
	t.Parallel()
	// Sending the alarm again would not help: the instance is not allowed.
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-other"
	for name, answer := range map[string]func() (int, string, []intent.Result){
		"function URL": func() (int, string, []intent.Result) {
			resp, rs := e.functionURL(fixture(t, "functionurl-alarm.json"))
			return resp.StatusCode, resp.Body, rs
		},
		"API gateway": func() (int, string, []intent.Result) {
			resp, rs := e.gateway(fixture(t, "apigw-alarm.json"))
			return resp.StatusCode, resp.Body, rs
		},
	} {
		status, body, rs := answer()
		r := onlyResult(t, rs)
		if status != 200 || r.Status != intent.Failed || errCode(r.Error) != "InstanceNotAllowed" {
			t.Errorf("%s: status %d result %+v", name, status, r)
		}
		assertCallbackBody(t, body, "xxxxxxxx")
	}
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Errorf("%d restores", n)
	}
}

func TestAlarmCallbackWithWrongCredentialsIsStillRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:another-password"
	resp, rs := e.functionURL(fixture(t, "functionurl-alarm.json"))
	if resp.StatusCode != 401 || errCode(onlyResult(t, rs).Error) != "Unauthenticated" {
		t.Fatalf("status %d results %+v", resp.StatusCode, rs)
	}
	if strings.Contains(resp.Body, "retCode") {
		t.Errorf("a refused caller got the callback answer: %s", resp.Body)
	}
}

func TestDirectCloudMonitorCallbackRestores(t *testing.T) {
	t.Parallel()
	// Cloud Monitor calling SCF:gz/default/<function>/$LATEST: the alarm is
	// the event itself, authenticated by CAM (scf:InvokeFunction), not by
	// the webhook settings, which are all unset here.
	e := newEnv(t)
	delete(e.vars, "RESTORE_WEBHOOK_SECRET")
	r := onlyResult(t, e.results(fixture(t, "alarm-metric-instanceid.json")))
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms || !strings.Contains(r.Reason, "policy-n4exeh88") {
		t.Fatalf("result %+v", r)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
	// The repeat of the firing alarm restores nothing more.
	again := onlyResult(t, e.results(fixture(t, "alarm-metric-instanceid.json")))
	if again.Status != intent.Duplicate || again.TaskID != r.TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("repeat: %+v, %d restores", again, len(e.emu.RestoreCalls()))
	}
	// Its recovery is skipped.
	if rec := onlyResult(t, e.results(fixture(t, "alarm-resolved.json"))); rec.Status != intent.Skipped {
		t.Errorf("recovery: %+v", rec)
	}
}

func TestDirectCallbackOfTheDocumentedMetricAlarmIsRecognised(t *testing.T) {
	t.Parallel()
	// platform-2026.md §4's metric sample, as Cloud Monitor would invoke
	// the function with it: a CVM alarm, so nothing to restore, and said so.
	e := newEnv(t)
	alarm := `{"sessionId":"s","alertId":"s","alarmStatus":"1","alarmType":"metric","alarmObjInfo":{"region":"gz","namespace":"qce/cvm",` +
		`"appId":"1","uin":"1","dimensions":{"unInstanceId":"ins-x","objId":"o","objName":"n"}},"alarmPolicyInfo":{"policyId":"policy-x",` +
		`"policyType":"cvm_device","policyName":"p","policyTypeCName":"c","conditions":{"metricName":"cpu_usage","calcType":">","calcValue":"90",` +
		`"currentValue":"100","period":"60","alarmNotifyType":"continuousAlarm","alarmNotifyPeriod":300}},"firstOccurTime":"2017-03-09 07:00:00",` +
		`"durationTime":500,"recoverTime":"0"}`
	r := onlyResult(t, e.results([]byte(alarm)))
	if r.Status != intent.Skipped || !strings.Contains(r.Reason, "names no Redis instance") {
		t.Fatalf("result %+v", r)
	}
	if n := e.apiCalls(); n != 0 {
		t.Errorf("%d API calls", n)
	}
}

func TestCKafkaRecordRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results(fixture(t, "ckafka.json")))
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("result %+v", r)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "ckafka" || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
	// The same record delivered again (same topic, partition and offset)
	// in the same container is the same restore.
	again := onlyResult(t, e.results(fixture(t, "ckafka.json")))
	if again.Status != intent.Duplicate || again.TaskID != r.TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("again: %+v, %d restores", again, len(e.emu.RestoreCalls()))
	}
}

func TestCKafkaAlarmRecordRestores(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results(fixture(t, "ckafka-alarm.json")))
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms || !strings.Contains(r.Reason, "policy-n4exeh88") {
		t.Fatalf("result %+v", r)
	}
	// A fresh container finds the first delivery's restore by the alarm's
	// own time.
	e.h = freshHandler(e)
	again := onlyResult(t, e.results(fixture(t, "ckafka-alarm.json")))
	if again.Status != intent.Duplicate || again.TaskID != r.TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("again: %+v, %d restores", again, len(e.emu.RestoreCalls()))
	}
}

func TestCKafkaPoisonRecordsAreAnsweredNotRetried(t *testing.T) {
	t.Parallel()
	// Records that can never succeed must not block the partition: the
	// trigger would retry a failed invocation up to 10,000 times.
	e := newEnv(t)
	rs := e.results(fixture(t, "ckafka-batch.json"))
	if len(rs) != 3 {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	if rs[0].Status != intent.Accepted || rs[0].InstanceID != "crs-5a4py64p" {
		t.Errorf("record 0: %+v", rs[0])
	}
	if rs[1].Status != intent.Failed || errCode(rs[1].Error) != "InvalidRequest" || !strings.Contains(rs[1].Reason, "offset 8") {
		t.Errorf("record 1: %+v", rs[1])
	}
	if rs[2].Status != intent.Accepted || rs[2].InstanceID != "crs-1amp2588" {
		t.Errorf("record 2: %+v", rs[2])
	}

	// Each kind of lasting failure, in one batch: the invocation succeeds.
	// A cloud of its own: a CKafka record has no time, so the restores
	// just made would answer these records as their duplicates.
	e = newEnv(t)
	e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-5a4py64p,crs-1amp2588"
	bodies := []string{
		`{"instanceId":"crs-5a4py64p"`,                                                      // not JSON
		`{"instanceId":"crs-5a4py64p","backupId":"latest","colour":"red"}`,                  // invalid request
		`{"instanceId":"crs-9xk2m7qa","backupId":"latest"}`,                                 // not allowed
		`{"instanceId":"crs-1amp2588","backupId":"999999999999999999999999"}`,               // backup not found
		`{"instanceId":"crs-1amp2588","backupId":"latest","password":"pw-in-kafka"}`,        // a password in plain text
		`{"instanceId":"crs-5a4py64p","backupId":"latest","before":"2020-01-01T00:00:00Z"}`, // nothing that old
	}
	wantCodes := []string{"InvalidRequest", "InvalidRequest", "InstanceNotAllowed", "InvalidParameterValue.BackupNotExists", "InvalidRequest", "BackupNotFound"}
	ans, err := e.invoke(ckafkaEvent(t, 100, bodies...))
	if err != nil {
		t.Fatalf("a batch of records that can never succeed failed the invocation: %v", err)
	}
	rs, _ = decodeAnswer(t, ans)
	if len(rs) != len(bodies) {
		t.Fatalf("%d results for %d records", len(rs), len(bodies))
	}
	for i, r := range rs {
		if r.Status != intent.Failed {
			t.Errorf("record %d: %+v, want failed", i, r)
			continue
		}
		if wantCodes[i] != "" && errCode(r.Error) != wantCodes[i] {
			t.Errorf("record %d: code %s, want %s (%s)", i, errCode(r.Error), wantCodes[i], errMessage(r.Error))
		}
	}
	if strings.Contains(e.logs.String(), "pw-in-kafka") {
		t.Error("the password reached the logs")
	}
}

func TestCKafkaTransientFailureFailsTheInvocationForARetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "RequestLimitExceeded"}}})
	_, err := e.invoke(fixture(t, "ckafka.json"))
	failsForARetry(t, err)
	// The retry, once the API answers again, restores.
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{})
	if r := onlyResult(t, e.results(fixture(t, "ckafka.json"))); r.Status != intent.Accepted {
		t.Fatalf("retry: %+v", r)
	}
}

func TestCKafkaUndeliveredTaskIdFailsTheInvocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.emu.SetFaults("SendCmqMsg", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "InternalError"}}})
	_, err := e.invoke(fixture(t, "ckafka.json"))
	calls := e.emu.RestoreCalls()
	if err == nil || len(calls) != 1 || !strings.Contains(err.Error(), "could not be put on the queue") {
		t.Fatalf("err %v, restores %d", err, len(calls))
	}
}

func TestEventBridgeRestoreRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results(fixture(t, "eventbridge-restore.json")))
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("result %+v", r)
	}
	if m := e.messages(); len(m) != 1 || m[0].Data.Trigger != "eventbridge" || m[0].Data.TaskID != r.TaskID {
		t.Errorf("messages %+v", m)
	}
	// Delivered again to a fresh container: the restore that started after
	// the event's time is found, nothing restores twice.
	e.h = freshHandler(e)
	again := onlyResult(t, e.results(fixture(t, "eventbridge-restore.json")))
	if again.Status != intent.Duplicate || again.TaskID != r.TaskID || len(e.emu.RestoreCalls()) != 1 {
		t.Fatalf("again: %+v, %d restores", again, len(e.emu.RestoreCalls()))
	}
}

func TestEventBridgeCloudMonitorEventRestoresNewestBackupBeforeIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results(fixture(t, "eventbridge-alarm.json")))
	// The event at 02:00Z less 5 minutes: the newest backup before it (not
	// the newest of all, taken at 03:00Z), which
	// started 2026-11-28 19:00Z.
	if r.Status != intent.Accepted || r.BackupID != backupBeforeTheAlarms {
		t.Fatalf("result %+v", r)
	}
	if !strings.Contains(r.Reason, "redis:ErrorEvent:ServiceNotAvailable") || !strings.Contains(r.Reason, "before 2026-11-29T01:55:00Z") {
		t.Errorf("reason %q", r.Reason)
	}

	// The margin moves the bound: reaching before every backup, nothing
	// is restored.
	e = newEnv(t)
	e.vars["RESTORE_ALARM_MARGIN"] = "240h"
	if r := onlyResult(t, e.results(fixture(t, "eventbridge-alarm.json"))); r.Status != intent.Failed || errCode(r.Error) != "BackupNotFound" {
		t.Errorf("with a margin of 10 days: %+v", r)
	}
}

func TestEventBridgeBatchSkipsWhatIsNotARequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ans, err := e.invoke(fixture(t, "eventbridge-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := decodeAnswer(t, ans)
	if len(rs) != 3 {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	if rs[0].Status != intent.Accepted || rs[0].InstanceID != "crs-1amp2588" || rs[0].BackupID != e.demo.PasswordFreeBackupID {
		t.Errorf("request: %+v", rs[0])
	}
	if rs[1].Status != intent.Skipped || rs[1].InstanceID != "crs-5a4py64p" || !strings.Contains(rs[1].Reason, "recovered") {
		t.Errorf("recovered event: %+v", rs[1])
	}
	if rs[2].Status != intent.Skipped || !strings.Contains(rs[2].Reason, `"connector:kafka"`) {
		t.Errorf("other event: %+v", rs[2])
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Errorf("%d restores, want 1", n)
	}
}

func TestEventBridgeOddEventsAreSkippedOrRefusedNotRetried(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, event string
		status      intent.Status
		want        string
	}{
		{"own outcome message", `{"specversion":"1.0","id":"1","source":"scf/ap-guangzhou/default/redis-restore",` +
			`"type":"com.tencentcloud.redis.restore.accepted","time":"2026-11-29T12:00:00Z",` +
			`"data":{"taskId":6954227,"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}}`, intent.Skipped, "own outcome message"},
		{"another product's event", `{"specversion":"1.0","id":"2","source":"cvm.cloud.tencent","type":"cvm:ErrorEvent:ping_unreachable",` +
			`"subject":"ins-sjdksjk","time":1615430559146,"status":"1","data":{"instanceId":"ins-sjdksjk"}}`, intent.Skipped, "names no Redis instance"},
		{"unknown status", `{"specversion":"1.0","id":"3","source":"redis.cloud.tencent","type":"redis:ErrorEvent:MasterSlaveSwitched",` +
			`"subject":"crs-5a4py64p","time":1795917600000,"status":"2"}`, intent.Skipped, `status "2"`},
		{"event without a time", `{"specversion":"1.0","id":"4","source":"redis.cloud.tencent","type":"redis:ErrorEvent:ServiceNotAvailable",` +
			`"subject":"crs-5a4py64p","status":"1"}`, intent.Failed, "time"},
		{"request without data", `{"specversion":"1.0","id":"5","source":"ops","type":"com.tencentcloud.redis.restore.requested","time":"1795921200000"}`,
			intent.Failed, "data"},
		{"request with a password", `{"specversion":"1.0","id":"6","source":"ops","type":"com.tencentcloud.redis.restore.requested",` +
			`"time":"1795921200000","data":{"instanceId":"crs-5a4py64p","backupId":"latest","password":"pw-in-eb"}}`, intent.Failed, "password"},
		{"not an event at all", `{"specversion":"1.0","type":"t","time":"soon"}`, intent.Failed, "time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ans, err := e.invoke([]byte(c.event))
			if err != nil {
				t.Fatalf("invocation failed, EventBridge would deliver it again: %v", err)
			}
			rs, _ := decodeAnswer(t, ans)
			r := onlyResult(t, rs)
			text := r.Reason
			if r.Error != nil {
				text += " " + errMessage(r.Error)
			}
			if r.Status != c.status || !strings.Contains(text, c.want) {
				t.Errorf("result %+v, want %s mentioning %q", r, c.status, c.want)
			}
			// A refused event is named in its reason, as the batch's
			// delivery has no other name for it (one that is no event at all
			// fails the whole delivery).
			if r.Status == intent.Failed && c.name != "not an event at all" && !strings.HasPrefix(r.Reason, "EventBridge event 0 (id ") {
				t.Errorf("reason %q does not name the refused event", r.Reason)
			}
			if n := len(e.emu.RestoreCalls()); n != 0 {
				t.Errorf("%d restores", n)
			}
			if strings.Contains(e.logs.String(), "pw-in-eb") {
				t.Error("the password reached the logs")
			}
		})
	}
}

func TestEventBridgeTransientFailureFailsTheInvocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.timeout = 3 * time.Second
	e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "RequestLimitExceeded"}}})
	_, err := e.invoke(fixture(t, "eventbridge-restore.json"))
	failsForARetry(t, err)
	if n := len(e.emu.RestoreCalls()); n != 0 {
		t.Fatalf("%d restores", n)
	}
}

// ckafkaEvent wraps bodies in a CKafka event, one record each, at offsets
// from first on.
func ckafkaEvent(t testing.TB, first int64, bodies ...string) []byte {
	var recs []events.CKafkaRecord
	for i, b := range bodies {
		recs = append(recs, events.CKafkaRecord{Ckafka: events.CKafkaMessage{
			Topic: "redis-restore-requests", Partition: 0, Offset: first + int64(i), MsgKey: "k", MsgBody: b,
		}})
	}
	return mustJSON(t, events.CKafkaEvent{Records: recs})
}
