package handler_test

import (
	"cmp"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

func TestTimerRestoreIsAcceptedAndItsTaskIdQueued(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := onlyResult(t, e.results(fixture(t, "timer.json")))

	calls := e.emu.RestoreCalls()
	if len(calls) != 1 {
		t.Fatalf("emulator saw %d restores, want 1", len(calls))
	}
	if r.Status != intent.Accepted || r.TaskID != calls[0].TaskID || r.TaskID == 0 {
		t.Fatalf("result %+v, want accepted with task %d", r, calls[0].TaskID)
	}
	if r.InstanceID != e.demo.InstanceID || r.BackupID != backupBeforeTheAlarms || r.Region != e.demo.Region || r.RequestID == "" {
		t.Errorf("result fields: %+v", r)
	}
	msgs := e.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages on the queue, want 1", len(msgs))
	}
	m := msgs[0]
	if m.SpecVersion != "1.0" || m.Type != "com.tencentcloud.redis.restore.accepted" || m.DataContentType != "application/json" ||
		m.Source != "scf/ap-guangzhou/default/redis-restore" || m.ID == "" || m.Time.IsZero() {
		t.Errorf("envelope: %+v", m)
	}
	if m.Data.TaskID != r.TaskID || m.Data.InstanceID != r.InstanceID || m.Data.BackupID != r.BackupID ||
		m.Data.Region != "ap-guangzhou" || m.Data.RequestID != r.RequestID || m.Data.Trigger != "timer" {
		t.Errorf("data: %+v, result %+v", m.Data, r)
	}
	if sent := e.emu.Messages(e.demo.Queue)[0]; sent.DelaySeconds != 0 {
		t.Errorf("DelaySeconds %d, want 0", sent.DelaySeconds)
	}
}

func TestTaskIdReadAsNumberOrString(t *testing.T) {
	t.Parallel()
	for _, asString := range []bool{false, true} {
		t.Run(fmt.Sprintf("string=%v", asString), func(t *testing.T) {
			e := newEnv(t)
			e.emu.SetTaskIDAsString(asString)
			r := onlyResult(t, e.results(fixture(t, "timer.json")))
			calls := e.emu.RestoreCalls()
			if len(calls) != 1 || r.Status != intent.Accepted || r.TaskID != calls[0].TaskID {
				t.Fatalf("result %+v, restores %+v", r, calls)
			}
			if m := e.messages(); len(m) != 1 || m[0].Data.TaskID != calls[0].TaskID {
				t.Fatalf("messages %+v", m)
			}
		})
	}
}

func TestRoleCredentialsAreReadForEveryInvocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	onlyResult(t, e.results(fixture(t, "timer.json")))
	// The role's credentials rotate: the next invocation is handed new
	// ones, and the old ones stop working.
	e.emu.RemoveCredential(e.demo.SecretID)
	e.emu.AddCredential("AKIDrotated000000000000000000000", "rotated-key", "rotated-token", time.Time{})
	e.vars["TENCENTCLOUD_SECRETID"] = "AKIDrotated000000000000000000000"
	e.vars["TENCENTCLOUD_SECRETKEY"] = "rotated-key"
	e.vars["TENCENTCLOUD_SESSIONTOKEN"] = "rotated-token"
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-1amp2588","backupId":"678362566696298532850001"}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("with rotated credentials: %+v", r)
	}
}

func TestMissingCredentialsFailClearlyAndSendNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN"} {
		delete(e.vars, k)
	}
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "MissingCredentials" ||
		!strings.Contains(errMessage(r.Error), "TENCENTCLOUD_SECRETID") {
		t.Fatalf("result %+v", r)
	}
	for _, a := range []string{"RestoreInstance", "DescribeTaskList", "SendCmqMsg"} {
		if n := e.emu.Calls(a); n != 0 {
			t.Errorf("%s called %d times without credentials", a, n)
		}
	}
}

func TestNoQueueConfiguredRefusesToRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_QUEUE")
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Failed || errCode(r.Error) != "MissingConfiguration" || !strings.Contains(errMessage(r.Error), "RESTORE_QUEUE") {
		t.Fatalf("result %+v", r)
	}
	if n := e.emu.Calls("RestoreInstance"); n != 0 {
		t.Fatalf("RestoreInstance called %d times with nowhere to send the TaskId", n)
	}
}

func TestTopicReceivesTheOutcomeWithTags(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_QUEUE")
	e.vars["RESTORE_TOPIC"] = e.demo.Topic
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	msgs := e.emu.Messages(e.demo.Topic)
	if r.Status != intent.Accepted || len(msgs) != 1 {
		t.Fatalf("result %+v, topic messages %d", r, len(msgs))
	}
	if got := strings.Join(msgs[0].Tags, ","); got != "accepted,timer" {
		t.Errorf("tags %q", got)
	}
	if !strings.Contains(msgs[0].Body, fmt.Sprintf(`"taskId":%d`, r.TaskID)) {
		t.Errorf("topic message lacks the TaskId: %s", msgs[0].Body)
	}
}

func TestDirectInvocationBothSpellingsAndBatch(t *testing.T) {
	t.Parallel()
	want := map[string][]intent.Status{
		"direct.json":              {intent.Accepted},
		"direct-api-spelling.json": {intent.Accepted},
		"direct-batch.json":        {intent.Accepted, intent.DryRun},
	}
	var calls []cloudemu.RestoreCall
	var e *env
	for name, statuses := range want {
		// Each in a cloud of its own: a direct invocation carries no
		// identity, so a restore of the same instance minutes earlier
		// would be taken for its own (see TestDirectInvocationTwiceRestoresOnce).
		e = newEnv(t)
		rs := e.results(fixture(t, name))
		if len(rs) != len(statuses) {
			t.Fatalf("%s: %d results, want %d", name, len(rs), len(statuses))
		}
		for i, r := range rs {
			if r.Status != statuses[i] {
				t.Errorf("%s[%d]: %+v %+v, want %s", name, i, r, r.Error, statuses[i])
			}
		}
		calls = append(calls, e.emu.RestoreCalls()...)
	}
	// direct-batch.json restores "latest" before 2026-11-29T03:00+08:00:
	// the backup of 2026-11-27 19:00Z, the newest before 2026-11-28 19:00Z.
	if len(calls) != 3 {
		t.Fatalf("%d restores, want 3", len(calls))
	}
	backups := map[string]bool{}
	for _, c := range calls {
		backups[c.BackupID] = true
	}
	if !backups["678362566696298532848115"] || !backups[backupBeforeTheAlarms] {
		t.Errorf("restored backups %v", backups)
	}
}

func TestInvalidInputNeverReachesTheAPI(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		payload string
		field   string
	}{
		"not json":              {`{"instanceId":`, ""},
		"array":                 {`[1,2]`, ""},
		"unknown shape":         {`{"hello":"world"}`, ""},
		"missing instance":      {`{"backupId":"678362566696298532848117"}`, "instanceId"},
		"bad instance":          {`{"instanceId":"i-123","backupId":"678362566696298532848117"}`, "instanceId"},
		"missing backup":        {`{"instanceId":"crs-5a4py64p"}`, "backupId"},
		"bad backup":            {`{"instanceId":"crs-5a4py64p","backupId":"../../etc"}`, "backupId"},
		"before without latest": {`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117","before":"2026-11-29T00:00:00Z"}`, "before"},
		"timer empty message":   {`{"Type":"Timer","TriggerName":"x","Time":"2026-11-29T03:00:00Z","Message":""}`, "Message"},
		"timer bad message":     {`{"Type":"Timer","TriggerName":"x","Time":"2026-11-29T03:00:00Z","Message":"{\"instanceId\":\"crs-5a4py64p\"}"}`, "backupId"},
		"timer password":        {`{"Type":"Timer","TriggerName":"x","Time":"2026-11-29T03:00:00Z","Message":"{\"instanceId\":\"crs-5a4py64p\",\"backupId\":\"latest\",\"password\":\"p\"}"}`, "password"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			r := onlyResult(t, e.results([]byte(c.payload)))
			if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != "InvalidRequest" {
				t.Fatalf("result %+v", r)
			}
			if c.field != "" && !strings.Contains(errMessage(r.Error), c.field) {
				t.Errorf("error %q does not name %s", errMessage(r.Error), c.field)
			}
			for _, a := range []string{"RestoreInstance", "DescribeInstanceBackups", "DescribeTaskList"} {
				if n := e.emu.Calls(a); n != 0 {
					t.Errorf("%s called %d times for invalid input", a, n)
				}
			}
		})
	}
}

// Not parallel: "bad gateway page" retries until its deadline nears, and
// which error ends it (the page's or the deadline's) depends on the time
// left for the last look at the task list.
func TestErrorClassesGiveFailedResultsAndGatewayStatuses(t *testing.T) {
	cases := []struct {
		name   string
		setup  func(e *env)
		body   string
		code   string
		status int
		want   intent.Status // failed unless said
	}{
		{"unknown instance", nil, `{"instanceId":"crs-zzzzzzzz","backupId":"678362566696298532848117"}`, "ResourceNotFound.InstanceNotExists", 404, ""},
		{"unknown backup", nil, `{"instanceId":"crs-5a4py64p","backupId":"999999999999999999999999"}`, "InvalidParameterValue.BackupNotExists", 404, ""},
		{"wrong password", nil, `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117","password":"nope"}`, "InvalidParameterValue.PasswordError", 400, ""},
		{"expired backup", nil, `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848001"}`, "ResourceUnavailable.BackupStatusAbnormal", 409, ""},
		{"locked instance", func(e *env) { e.emu.UpdateInstance(e.demo.InstanceID, func(i *cloudemu.Instance) { i.Locked = true }) },
			`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "ResourceUnavailable.InstanceLockedError", 409, ""},
		{"instance state", func(e *env) { e.emu.UpdateInstance(e.demo.InstanceID, func(i *cloudemu.Instance) { i.Status = 1 }) },
			`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "ResourceUnavailable.InstanceStateError", 409, ""},
		{"not allowed", func(e *env) { e.vars["RESTORE_ALLOWED_INSTANCES"] = "crs-1amp*" },
			`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "InstanceNotAllowed", 403, ""},
		{"no permission", func(e *env) {
			e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: "UnauthorizedOperation.NoCAMAuthed"}}})
		}, `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "UnauthorizedOperation.NoCAMAuthed", 403, ""},
		{"throttled to the end", func(e *env) {
			e.timeout = 3 * time.Second // retried until the deadline nears
			e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "RequestLimitExceeded"}}})
		}, `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "RequestLimitExceeded", 503, ""},
		{"bad gateway page", func(e *env) {
			e.timeout = 3 * time.Second
			e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{HTTPStatus: 502}}})
		}, `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`, "ClientError.ParseJsonError", 502, intent.Unknown},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if c.setup != nil {
				c.setup(e)
			}
			resp, rs := e.gateway(gatewayEvent(t, c.body, signed(c.body)))
			r := onlyResult(t, rs)
			want := cmp.Or(c.want, intent.Failed)
			if r.Status != want || r.Error == nil || errCode(r.Error) != c.code {
				t.Fatalf("result %+v (error %+v), want %s %s", r, r.Error, want, c.code)
			}
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d", resp.StatusCode, c.status)
			}
			if resp.Headers["Content-Type"] != "application/json" || resp.IsBase64Encoded {
				t.Errorf("integration response %+v", resp)
			}
			if strings.HasPrefix(c.code, "ResourceNotFound") || strings.HasPrefix(c.code, "InvalidParameterValue") {
				if r.Error.RequestID == "" {
					t.Errorf("API error without its RequestId: %+v", r.Error)
				}
			}
			if len(e.emu.RestoreCalls()) != 0 {
				t.Errorf("a restore started: %+v", e.emu.RestoreCalls())
			}
			if c.code != "InstanceNotAllowed" {
				msgs := e.messages()
				if len(msgs) != 1 || msgs[0].Type != intent.EventTypePrefix+string(want) || msgs[0].Data.Error == nil || errCode(msgs[0].Data.Error) != c.code {
					t.Errorf("failed message: %+v", msgs)
				}
			}
		})
	}
}

// Every error code the API documents, and the Redis SDK lists, gives a
// failed result with that code, or (for the transient and lock codes)
// is retried until the restore is accepted, once.
func TestEveryAPIErrorCode(t *testing.T) {
	t.Parallel()
	codes := []string{
		"FailedOperation.SystemError", "InternalError.InternalError", "InvalidParameter.InvalidParameter",
		"InvalidParameter.PermissionDenied", "InvalidParameterValue.BackupNotExists", "InvalidParameterValue.PasswordError",
		"ResourceNotFound.InstanceNotExists", "ResourceUnavailable.BackupLockedError", "ResourceUnavailable.BackupSpecError",
		"ResourceUnavailable.BackupStatusAbnormal", "ResourceUnavailable.InstanceLockedError", "ResourceUnavailable.InstanceStateError",
		"ResourceUnavailable.InstanceStatusAbnormal", "UnauthorizedOperation.NoCAMAuthed",
		"AuthFailure", "FailedOperation.Unknown", "FailedOperation.FlowNotExists", "InternalError", "InternalError.DbOperationFailed",
		"InternalError.NetWorkErr", "InvalidParameter", "InvalidParameter.EmptyParam", "InvalidParameterValue",
		"LimitExceeded", "ResourceInUse.InstanceBeenLocked", "ResourceNotFound", "ResourceUnavailable.InstanceDeleted",
		"ResourceUnavailable.InstanceIsolated", "UnauthorizedOperation", "UnsupportedOperation", "UnsupportedOperation.LowVersion",
		"RequestLimitExceeded",
	}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			e := newEnv(t)
			e.emu.SetFaults("RestoreInstance", cloudemu.Faults{Sequence: []cloudemu.Fault{{Code: code}}})
			r := onlyResult(t, e.results(fixture(t, "timer.json")))
			retried := strings.HasPrefix(code, "InternalError") || code == "FailedOperation.SystemError" ||
				code == "RequestLimitExceeded" || strings.Contains(code, "Locked") || strings.HasPrefix(code, "ResourceInUse")
			if retried {
				if r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
					t.Fatalf("%s: want retried and accepted once, got %+v and %d restores", code, r, len(e.emu.RestoreCalls()))
				}
				return
			}
			if r.Status != intent.Failed || r.Error == nil || errCode(r.Error) != code || r.Error.RequestID == "" {
				t.Fatalf("%s: result %+v error %+v", code, r, r.Error)
			}
			if n := e.emu.Calls("RestoreInstance"); n != 1 {
				t.Errorf("%s: a permanent error was retried: %d calls", code, n)
			}
		})
	}
}

func TestCMQBatchRecordsAreHandledOneByOne(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rs := e.results(cmqEvent(t,
		`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`,
		`not json at all`,
		`{"instanceId":"crs-1amp2588","backupId":"678362566696298532850001"}`,
	))
	if len(rs) != 3 {
		t.Fatalf("%d results, want 3: %+v", len(rs), rs)
	}
	var accepted, failed int
	for _, r := range rs {
		switch r.Status {
		case intent.Accepted:
			accepted++
		case intent.Failed:
			failed++
			if errCode(r.Error) != "InvalidRequest" {
				t.Errorf("bad record: %+v", r.Error)
			}
		}
	}
	if accepted != 2 || failed != 1 || len(e.emu.RestoreCalls()) != 2 {
		t.Fatalf("accepted %d failed %d restores %d", accepted, failed, len(e.emu.RestoreCalls()))
	}
	// The results keep the records' order.
	if rs[0].InstanceID != "crs-5a4py64p" || rs[1].Status != intent.Failed || !strings.Contains(rs[1].Reason, "CMQ record 1") || rs[2].InstanceID != "crs-1amp2588" {
		t.Errorf("results out of the records' order: %+v", rs)
	}
	if n := len(e.messages()); n != 2 {
		t.Errorf("%d messages, want 2 (one per accepted restore)", n)
	}
}

func TestCMQFixturesDecodeAndRestore(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"cmq-topic.json", "cmq-topic-string-owner.json"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			r := onlyResult(t, e.results(fixture(t, name)))
			if r.Status != intent.Accepted || len(e.emu.RestoreCalls()) != 1 {
				t.Fatalf("result %+v", r)
			}
		})
	}
}

func TestPasswordNeverLeaves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_PASSWORD")
	body := fmt.Sprintf(`{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117","password":%q}`, e.demo.Password)
	resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
	if r := onlyResult(t, rs); r.Status != intent.Accepted {
		t.Fatalf("result %+v", r)
	}
	assertNoSecret(t, "answer", resp.Body, e.demo.Password)
	assertNoSecret(t, "logs", e.logs.String(), e.demo.Password, e.demo.SecretKey, e.demo.Token, webhookSecret)
	for _, m := range e.emu.Messages(e.demo.Queue) {
		assertNoSecret(t, "message", m.Body, e.demo.Password)
	}
}

func TestGatewayStatusForAcceptedRestore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	resp, rs := e.gateway(gatewayEvent(t, body, signed(body)))
	if resp.StatusCode != http.StatusAccepted || onlyResult(t, rs).Status != intent.Accepted {
		t.Fatalf("status %d results %+v", resp.StatusCode, rs)
	}
}

// Outside SCF, the SDK's credential file serves when the environment has
// none; inside SCF (TENCENTCLOUD_RUNENV=SCF) only the role's credentials do.
func TestLocalCredentialFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".tencentcloud"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	e.emu.AddCredential("AKIDlocalfile0000000000000000000", "local-file-key", "", time.Time{})
	file := "[default]\nsecret_id = AKIDlocalfile0000000000000000000\nsecret_key = local-file-key\n"
	if err := os.WriteFile(filepath.Join(dir, ".tencentcloud", "credentials"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	e.h.LocalCredentials = cloud.ProfileCredentials
	for _, k := range []string{"TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN"} {
		delete(e.vars, k)
	}
	if r := onlyResult(t, e.results(fixture(t, "timer.json"))); r.Status != intent.Accepted {
		t.Fatalf("with the credential file: %+v %+v", r, r.Error)
	}
	e.vars["TENCENTCLOUD_RUNENV"] = "SCF"
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-1amp2588","backupId":"latest"}`)))
	if r.Status != intent.Failed || errCode(r.Error) != "MissingCredentials" {
		t.Fatalf("in SCF without role credentials: %+v", r)
	}
}
