package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The resource strings of platform-2026.md §6, as patterns: Redis
// [CN 598/112151], TDMQ CMQ (CMQ's CAM page), SSM (its access-control
// page), STS [TC 598/57155].
var documented = map[string]*regexp.Regexp{
	"redis": regexp.MustCompile(`^qcs::redis:[a-z]+-[a-z]+(-[a-z0-9]+)?:uin/[0-9]+:instance/crs-[A-Za-z0-9*]+$`),
	"tdmq":  regexp.MustCompile(`^qcs::tdmq:[a-z]+-[a-z]+:uin/[0-9]+:(queue|topic)/[A-Za-z0-9_-]+$`),
	"ssm":   regexp.MustCompile(`^qcs::ssm:[a-z]+-[a-z]+:uin/[0-9]+:secret/creatorUin/[0-9]+/[A-Za-z0-9_-]+$`),
	"sts":   regexp.MustCompile(`^qcs::cam::uin/[0-9]+:roleName/[A-Za-z0-9_+=,.@-]+$`),
	// platform-2026.md §6, SCF: qcs::scf:<region>:uin/<uin>:namespace/<ns>/function/<fn>
	"scf": regexp.MustCompile(`^qcs::scf:[a-z]+-[a-z]+:uin/[0-9]+:namespace/[A-Za-z0-9_-]+/function/[A-Za-z0-9_-]+$`),
}

func generate(t *testing.T, env map[string]string, args ...string) (Policy, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(args, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("run: %v (%s)", err, errOut.String())
	}
	var p Policy
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("output is not a policy: %v", err)
	}
	return p, errOut.String()
}

func baseEnv() map[string]string {
	return map[string]string{
		"TENCENTCLOUD_REGION":       "ap-guangzhou",
		"TENCENTCLOUD_UIN":          "100000000001",
		"RESTORE_ALLOWED_INSTANCES": "crs-5a4py64p, crs-1amp2588",
		"RESTORE_QUEUE":             "redis-restore-tasks",
		"RESTORE_PASSWORD_SECRET":   "redis-restore-passwords",
	}
}

// statementOf is the statement granting action, failing if several do.
func statementOf(t *testing.T, p Policy, action string) Statement {
	t.Helper()
	var found []Statement
	for _, s := range p.Statement {
		if slices.Contains(s.Action, action) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s is granted by %d statements, want 1: %+v", action, len(found), p.Statement)
	}
	return found[0]
}

func TestPolicyResourcesMatchTheDocuments(t *testing.T) {
	env := baseEnv()
	p, notes := generate(t, env)
	if p.Version != "2.0" {
		t.Errorf("version %q", p.Version)
	}
	want := map[string][]string{
		"redis:RestoreInstance":         {"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", "qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-1amp2588"},
		"redis:DescribeInstances":       {"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", "qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-1amp2588"},
		"redis:DescribeInstanceBackups": {"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", "qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-1amp2588"},
		"redis:DescribeTaskList":        {"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", "qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-1amp2588"},
		"redis:DescribeTaskInfo":        {"*"},
		// The safety backup, on by default for alarms and timers.
		"redis:ManualBackupInstance": {"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", "qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-1amp2588"},
		// Its mark on the instance of a restore started after it.
		"tag:TagResources":         {"*"},
		"tdmq:SendCmqMsg":          {"qcs::tdmq:ap-guangzhou:uin/100000000001:queue/redis-restore-tasks"},
		"ssm:GetSecretValue":       {"qcs::ssm:ap-guangzhou:uin/100000000001:secret/creatorUin/100000000001/redis-restore-passwords"},
		"ssm:ListSecretVersionIds": {"qcs::ssm:ap-guangzhou:uin/100000000001:secret/creatorUin/100000000001/redis-restore-passwords"},
		"scf:InvokeFunction":       {"qcs::scf:ap-guangzhou:uin/100000000001:namespace/default/function/redis-restore"},
		// RESTORE_VERIFY, on by default: the backup's key count.
		"monitor:GetMonitorData": {"*"},
	}
	granted := 0
	for _, s := range p.Statement {
		if s.Effect != "allow" {
			t.Errorf("statement %+v is not an allow", s)
		}
		granted += len(s.Action)
		for _, r := range s.Resource {
			svc, _, _ := strings.Cut(strings.TrimPrefix(r, "qcs::"), ":")
			if r == "*" {
				continue
			}
			if re, ok := documented[svc]; !ok || !re.MatchString(r) {
				t.Errorf("resource %q does not match the documented form", r)
			}
		}
	}
	for action, res := range want {
		if got := statementOf(t, p, action).Resource; !slices.Equal(got, res) {
			t.Errorf("%s on %v, want %v", action, got, res)
		}
	}
	if granted != len(want) {
		t.Errorf("%d actions granted, want exactly %d: %+v", granted, len(want), p.Statement)
	}
	if !strings.Contains(notes, "redis:DescribeTaskInfo") {
		t.Errorf("notes %q do not list the action granted on *", notes)
	}
}

func TestPolicyTopicVersionAndRole(t *testing.T) {
	env := baseEnv()
	delete(env, "RESTORE_QUEUE")
	env["RESTORE_TOPIC"] = "redis-restore-events"
	env["RESTORE_PASSWORD_SECRET"] = "redis-restore-passwords@v3"
	env["RESTORE_ROLE_ARN"] = "qcs::cam::uin/200000000002:roleName/RedisRestoreRole"
	p, notes := generate(t, env, "-uin", "100000000009", "-creator-uin", "100000000003")
	if got := statementOf(t, p, "tdmq:PublishCmqMsg").Resource; !slices.Equal(got, []string{"qcs::tdmq:ap-guangzhou:uin/100000000009:topic/redis-restore-events"}) {
		t.Errorf("topic resource %v", got)
	}
	ssm := statementOf(t, p, "ssm:GetSecretValue")
	if slices.Contains(ssm.Action, "ssm:ListSecretVersionIds") || !slices.Equal(ssm.Resource, []string{"qcs::ssm:ap-guangzhou:uin/100000000009:secret/creatorUin/100000000003/redis-restore-passwords"}) {
		t.Errorf("a named version needs only GetSecretValue on the secret: %+v", ssm)
	}
	if got := statementOf(t, p, "sts:AssumeRole").Resource; !slices.Equal(got, []string{"qcs::cam::uin/200000000002:roleName/RedisRestoreRole"}) {
		t.Errorf("AssumeRole on %v", got)
	}
	for _, s := range p.Statement {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "redis:") || strings.HasPrefix(a, "monitor:") {
				t.Errorf("the function's role gets %s, which belongs to the assumed role", a)
			}
		}
	}
	if !strings.Contains(notes, "-for assumed-role") {
		t.Errorf("notes %q do not say where the Redis actions went", notes)
	}

	// The assumed role's policy: the Redis actions in its own account.
	p, _ = generate(t, env, "-for", "assumed-role")
	if got := statementOf(t, p, "redis:RestoreInstance").Resource; got[0] != "qcs::redis:ap-guangzhou:uin/200000000002:instance/crs-5a4py64p" {
		t.Errorf("assumed role's instances %v", got)
	}
	for _, st := range p.Statement {
		for _, a := range st.Action {
			if !strings.HasPrefix(a, "redis:") && a != "monitor:GetMonitorData" && a != "tag:TagResources" {
				t.Errorf("assumed role gets %s, want the Redis statements (their instances' key count, their restores' mark) only: %+v", a, p.Statement)
			}
		}
	}
	if len(p.Statement) != 5 { // resource-level, DescribeTaskInfo on *, the safety backup's, its restore's mark, the key count
		t.Errorf("assumed role gets %+v, want the Redis statements only", p.Statement)
	}
}

func TestPolicyWithoutAllowListGrantsEveryInstanceAndSaysSo(t *testing.T) {
	env := baseEnv()
	delete(env, "RESTORE_ALLOWED_INSTANCES")
	p, notes := generate(t, env)
	if got := statementOf(t, p, "redis:RestoreInstance").Resource; !slices.Equal(got, []string{"qcs::redis:ap-guangzhou:uin/100000000001:instance/*"}) {
		t.Errorf("resources %v", got)
	}
	if !strings.Contains(notes, "RESTORE_ALLOWED_INSTANCES is not set") {
		t.Errorf("notes %q", notes)
	}
}

func TestPolicyRefusesWhatItCannotWrite(t *testing.T) {
	cases := map[string]struct {
		change func(map[string]string)
		args   []string
		want   string
	}{
		"no uin":          {func(e map[string]string) { delete(e, "TENCENTCLOUD_UIN") }, nil, "TENCENTCLOUD_UIN"},
		"bad uin":         {func(e map[string]string) {}, []string{"-uin", "me"}, "TENCENTCLOUD_UIN"},
		"no region":       {func(e map[string]string) { delete(e, "TENCENTCLOUD_REGION") }, nil, "TENCENTCLOUD_REGION"},
		"no queue":        {func(e map[string]string) { delete(e, "RESTORE_QUEUE") }, nil, "RESTORE_QUEUE"},
		"bad secret":      {func(e map[string]string) { e["RESTORE_PASSWORD_SECRET"] = "redis-restore/passwords" }, nil, "RESTORE_PASSWORD_SECRET"},
		"bad role":        {func(e map[string]string) { e["RESTORE_ROLE_ARN"] = "RedisRestoreRole" }, nil, "RESTORE_ROLE_ARN"},
		"no role to help": {func(e map[string]string) {}, []string{"-for", "assumed-role"}, "RESTORE_ROLE_ARN"},
		"bad audience":    {func(e map[string]string) {}, []string{"-for", "everyone"}, "-for"},
	}
	for name, c := range cases {
		env := baseEnv()
		c.change(env)
		var out, errOut bytes.Buffer
		err := run(c.args, func(k string) string { return env[k] }, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed a policy anyway", name)
		}
	}
}

func TestPolicyFollowsTheLifeCycleSettings(t *testing.T) {
	env := baseEnv()
	env["RESTORE_CLONE"] = "true"
	p, notes := generate(t, env)
	if got := statementOf(t, p, "redis:CloneInstances").Resource; !slices.Equal(got, []string{"*"}) {
		t.Errorf("CloneInstances on %v, want *", got)
	}
	// The sweep finds clones and drills (new IDs) in the region's list,
	// and a drill releases its clone.
	for _, a := range []string{"redis:DestroyPostpaidInstance", "redis:DescribeInstances"} {
		found := false
		for _, st := range p.Statement {
			found = found || slices.Contains(st.Action, a) && slices.Equal(st.Resource, []string{"*"})
		}
		if !found {
			t.Errorf("with RESTORE_CLONE, %s is not granted on *", a)
		}
	}
	if !strings.Contains(notes, "billed") {
		t.Errorf("notes %q do not say a clone is billed", notes)
	}
	env["RESTORE_SAFETY_BACKUP"] = "false"
	delete(env, "RESTORE_CLONE")
	p, _ = generate(t, env)
	for _, s := range p.Statement {
		if slices.Contains(s.Action, "redis:ManualBackupInstance") || slices.Contains(s.Action, "redis:CloneInstances") {
			t.Errorf("without safety backups or clones: %+v", s)
		}
	}
}

// The restored data's check reads the backup's key count from Cloud
// Monitor; without the check, no monitor action is granted.
func TestPolicyGrantsTheKeyCountOnlyWithVerification(t *testing.T) {
	env := baseEnv()
	env["RESTORE_VERIFY"] = "false"
	p, notes := generate(t, env)
	for _, s := range p.Statement {
		if slices.Contains(s.Action, "monitor:GetMonitorData") {
			t.Errorf("RESTORE_VERIFY=false still grants %+v", s)
		}
	}
	if strings.Contains(notes, "GetMonitorData") {
		t.Errorf("notes %q", notes)
	}
	env["RESTORE_VERIFY"] = "true"
	p, notes = generate(t, env)
	if got := statementOf(t, p, "monitor:GetMonitorData").Resource; !slices.Equal(got, []string{"*"}) || !strings.Contains(notes, "monitor:GetMonitorData") {
		t.Errorf("RESTORE_VERIFY=true: GetMonitorData on %v, notes %q", got, notes)
	}
}

// Clone and switch grants the switch on "*" (the clone's ID is not known
// in advance), and the release only where something is released: after
// RESTORE_SWITCH_RETENTION, or a clone that did not verify with
// RESTORE_SWITCH_UNVERIFIED=release. The notes say which. Without
// RESTORE_CLONE_SWITCH neither is granted.
func TestPolicyFollowsCloneSwitch(t *testing.T) {
	env := baseEnv()
	p, notes := generate(t, env)
	for _, s := range p.Statement {
		if slices.Contains(s.Action, "redis:SwitchInstanceVip") || slices.Contains(s.Action, "redis:DestroyPostpaidInstance") {
			t.Errorf("without RESTORE_CLONE_SWITCH: %+v", s)
		}
	}
	if strings.Contains(notes, "RESTORE_CLONE_SWITCH") {
		t.Errorf("notes %q", notes)
	}

	env["RESTORE_CLONE_SWITCH"] = "true"
	p, notes = generate(t, env)
	if got := statementOf(t, p, "redis:SwitchInstanceVip").Resource; !slices.Equal(got, []string{"*"}) {
		t.Errorf("SwitchInstanceVip on %v, want *", got)
	}
	for _, s := range p.Statement {
		if slices.Contains(s.Action, "redis:DestroyPostpaidInstance") {
			t.Errorf("nothing to release, yet %+v", s)
		}
	}
	if !strings.Contains(notes, "SwitchInstanceVip") || !strings.Contains(notes, "DestroyPostpaidInstance is not granted") {
		t.Errorf("notes %q do not say what the switch is granted and why the release is not", notes)
	}

	for setting, value := range map[string]string{"RESTORE_SWITCH_RETENTION": "72h", "RESTORE_SWITCH_UNVERIFIED": "release"} {
		env := baseEnv()
		env["RESTORE_CLONE_SWITCH"], env[setting] = "true", value
		p, notes := generate(t, env)
		st := statementOf(t, p, "redis:DestroyPostpaidInstance")
		if !slices.Equal(st.Resource, []string{"*"}) || !slices.Contains(st.Action, "redis:SwitchInstanceVip") {
			t.Errorf("%s=%s: DestroyPostpaidInstance granted by %+v, want with the switch on *", setting, value, st)
		}
		if !strings.Contains(notes, "redis:DestroyPostpaidInstance on *") {
			t.Errorf("%s=%s: notes %q do not name the release", setting, value, notes)
		}
	}
}

// Through the data flow, the queue is granted as through the cloud API
// (the only send actions TDMQ CMQ's CAM page names), and the notes say
// that this is a reading to check.
func TestPolicyDataflowGrantsTheQueueAndSaysWhy(t *testing.T) {
	env := baseEnv()
	env["RESTORE_QUEUE_API"] = "dataflow"
	p, notes := generate(t, env)
	s := statementOf(t, p, "tdmq:SendCmqMsg")
	if len(s.Resource) != 1 || s.Resource[0] != "qcs::tdmq:ap-guangzhou:uin/100000000001:queue/redis-restore-tasks" {
		t.Errorf("resources %v", s.Resource)
	}
	if !strings.Contains(notes, "RESTORE_QUEUE_API=dataflow") {
		t.Errorf("notes do not mention the data flow: %s", notes)
	}
	if _, notes := generate(t, baseEnv()); strings.Contains(notes, "dataflow") {
		t.Errorf("the cloud API's policy mentions the data flow: %s", notes)
	}
}
