package cloudemu_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestOddInputsNeverBreakTheHandler sends every action every field with
// values of every JSON type: each must get a well-formed answer.
func TestOddInputsNeverBreakTheHandler(t *testing.T) {
	e := newEnv(t).e
	actions := map[string][3]string{
		"RestoreInstance":         {"redis", "2018-04-12", "InstanceId BackupId Password"},
		"DescribeInstanceBackups": {"redis", "2018-04-12", "InstanceId BeginTime EndTime Status Limit Offset"},
		"DescribeTaskInfo":        {"redis", "2018-04-12", "TaskId"},
		"DescribeTaskList":        {"redis", "2018-04-12", "InstanceId InstanceName TaskTypes BeginTime EndTime Result TaskStatus Limit Offset"},
		"SendCmqMsg":              {"tdmq", "2020-02-17", "QueueName MsgContent DelaySeconds"},
		"PublishCmqMsg":           {"tdmq", "2020-02-17", "TopicName MsgContent MsgTag"},
		"GetSecretValue":          {"ssm", "2019-09-23", "SecretName VersionId"},
		"ListSecretVersionIds":    {"ssm", "2019-09-23", "SecretName"},
		"DescribeInstances":       {"redis", "2018-04-12", "InstanceId InstanceIds Limit Offset"},
		"AssumeRole":              {"sts", "2018-08-13", "RoleArn RoleSessionName DurationSeconds"},
	}
	values := []any{nil, "", "x", "crs-5a4py64p", -1, 0, 1e300, json.Number("99999999999999999999"), 3.5, true,
		[]any{}, []any{nil}, []any{"a", 1}, map[string]any{}, "2026-11-29 03:00:00", "9999-99-99 99:99:99"}
	for action, a := range actions {
		for _, f := range strings.Fields(a[2]) {
			for _, val := range values {
				body, _ := json.Marshal(map[string]any{f: val})
				r := signedRequest("AKIDdemoRedisRestore00000000000000", "demoSecretKeyRedisRestore000000",
					a[0], action, a[1], string(body), time.Now())
				r.Header.Set("X-TC-Token", "demo-session-token-redis-restore")
				serve(t, e, r) // fails the test on anything but a 200 JSON answer
			}
		}
	}
}
