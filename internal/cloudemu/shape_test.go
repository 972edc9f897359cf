package cloudemu_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
)

// apiExamples holds Tencent's own example requests and answers with each
// field's declared type (tccli's examples.json and api.json), one file per
// action: the repository's copy in testdata/api-examples (its SOURCES.md
// names where they come from). They are the yardstick of the emulator's
// answers.
var apiExamples = filepath.Join("..", "..", "testdata", "api-examples")

type member struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Member string `json:"member"`
}

type apiDoc struct {
	Examples []struct {
		Response struct {
			Response map[string]any `json:"Response"`
		} `json:"response"`
	} `json:"examples"`
	ResponseMembers []member `json:"responseMembers"`
}

func readAPIDoc(t *testing.T, service, action string) apiDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(apiExamples, service, action+".json"))
	if err != nil {
		t.Fatalf("the API's example (testdata/api-examples): %v", err)
	}
	var d apiDoc
	if err := json.Unmarshal(b, &d); err != nil || len(d.Examples) == 0 {
		t.Fatalf("%s/%s: %v", service, action, err)
	}
	return d
}

// jsonKind is the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case nil:
		return "null"
	}
	return "?"
}

// declaredKind is the JSON type of an api.json type.
func declaredKind(m member) string {
	switch m.Type {
	case "string":
		return "string"
	case "int", "float", "double":
		return "number"
	case "bool":
		return "bool"
	case "list":
		return "array"
	case "object":
		return "object"
	}
	return m.Type
}

// sameShape compares an emulator value with the example's at path: the
// same JSON type, for objects the same fields (none missing, none extra),
// for arrays each element against the union of the example's elements.
func sameShape(t *testing.T, path string, got, want any) {
	t.Helper()
	if want == nil {
		return // the example says nothing of its type
	}
	if gk, wk := jsonKind(got), jsonKind(want); gk != wk {
		t.Errorf("%s: %s in the emulator's answer, %s in the API's example", path, gk, wk)
		return
	}
	switch w := want.(type) {
	case float64:
		// An integer in the example must be one here, but for the fields
		// the SDK types float (Progress, Size, SizeUsed).
		floats := strings.HasSuffix(path, ".Progress") || strings.HasSuffix(path, ".Size") || strings.HasSuffix(path, ".SizeUsed")
		if g := got.(float64); w == float64(int64(w)) && g != float64(int64(g)) && !floats {
			t.Errorf("%s: %v is not an integer as in the example", path, g)
		}
	case map[string]any:
		g := got.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if _, ok := g[k]; !ok {
				t.Errorf("%s.%s: in the API's example, missing from the emulator's answer", path, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if _, ok := w[k]; !ok {
				t.Errorf("%s.%s: in the emulator's answer, not in the API's example", path, k)
				continue
			}
			sameShape(t, path+"."+k, g[k], w[k])
		}
	case []any:
		if len(w) == 0 {
			return
		}
		union := map[string]any{}
		isObjects := true
		for _, e := range w {
			m, ok := e.(map[string]any)
			if !ok {
				isObjects = false
				break
			}
			for k, v := range m {
				if _, seen := union[k]; !seen || union[k] == nil {
					union[k] = v
				}
			}
		}
		for _, e := range got.([]any) {
			if isObjects {
				sameShape(t, path+"[]", e, union)
			} else {
				sameShape(t, path+"[]", e, w[0])
			}
		}
	}
}

// Every answer the emulator gives to an action the function calls has the
// fields and JSON types of the API's declared response members and its
// example, down to the elements of lists.
func TestEmulatorAnswersAreShapedLikeTheAPIsExamples(t *testing.T) {
	v := newEnv(t)
	if _, err := v.restore(v.d.InstanceID, v.d.LatestBackupID, v.d.Password); err != nil {
		t.Fatal(err)
	}
	v.e.AddTask(cloudemu.Task{InstanceID: v.d.InstanceID, Type: cloudemu.TaskTypeAutoBackup})
	v.e.UpdateInstance(v.d.InstanceID, func(in *cloudemu.Instance) { in.Type = 15 })
	for _, id := range []string{"crs-shape001", "crs-shape002"} {
		v.e.AddInstance(cloudemu.Instance{ID: id, Region: v.d.Region, Status: 2})
		v.e.AddBackup(id, cloudemu.Backup{ID: "154572601-1165734322-153705740", StartTime: time.Now().Add(-time.Hour), Status: 2})
	}

	type call struct {
		service, version, action string
		params                   map[string]any
		check                    func(t *testing.T, answer map[string]any)
	}
	calls := []call{
		{"redis", "2018-04-12", "RestoreInstance", map[string]any{"InstanceId": v.d.PasswordFreeInstanceID, "BackupId": v.d.PasswordFreeBackupID}, nil},
		{"redis", "2018-04-12", "DescribeInstanceBackups", map[string]any{"InstanceId": v.d.InstanceID}, func(t *testing.T, a map[string]any) {
			b := a["BackupSet"].([]any)[0].(map[string]any)
			if b["InstanceType"] != float64(15) || b["FileType"] != "RDB-Redis 6.2" {
				t.Errorf("backup of a Type 15 instance: InstanceType %v FileType %v", b["InstanceType"], b["FileType"])
			}
		}},
		{"redis", "2018-04-12", "DescribeTaskList", map[string]any{"InstanceId": v.d.InstanceID, "TaskTypes": []string{"010"}}, func(t *testing.T, a map[string]any) {
			code := regexp.MustCompile(`^[0-9]{3}$`)
			types := map[string]bool{}
			for _, x := range a["Tasks"].([]any) {
				typ := x.(map[string]any)["TaskType"].(string)
				if !code.MatchString(typ) {
					t.Errorf("TaskType %q is not a code like the example's \"037\"", typ)
				}
				types[typ] = true
			}
			if !types["010"] || !types["017"] {
				t.Errorf("types %v: want the restore 010 and, filter or not, the automatic backup 017", types)
			}
		}},
		{"redis", "2018-04-12", "DescribeTaskInfo", map[string]any{"TaskId": 6954227}, func(t *testing.T, a map[string]any) {
			if typ, _ := a["TaskType"].(string); regexp.MustCompile(`^[0-9]+$|^FLOW_`).MatchString(typ) || !strings.Contains(typ, "流程") {
				t.Errorf("TaskType %q: want free Chinese text like the example's \"redis缓存清空流程\"", typ)
			}
		}},
		{"redis", "2018-04-12", "DescribeInstances", map[string]any{"InstanceId": v.d.InstanceID}, func(t *testing.T, a map[string]any) {
			in := a["InstanceSet"].([]any)[0].(map[string]any)
			// The restore above runs: the instance is in a flow (Status 1).
			if in["Type"] != float64(15) || in["Status"] != float64(1) || in["InstanceId"] != v.d.InstanceID {
				t.Errorf("instance %v %v %v", in["InstanceId"], in["Type"], in["Status"])
			}
		}},
		{"tdmq", "2020-02-17", "SendCmqMsg", map[string]any{"QueueName": v.d.Queue, "MsgContent": "x", "DelaySeconds": 0}, nil},
		{"tdmq", "2020-02-17", "PublishCmqMsg", map[string]any{"TopicName": v.d.Topic, "MsgContent": "x"}, nil},
		// The restore's life (lifecycle.go), on instances of their own: each locks its instance.
		{"redis", "2018-04-12", "ManualBackupInstance", map[string]any{"InstanceId": "crs-shape001", "Remark": "note_message"}, nil},
		{"redis", "2018-04-12", "DescribeInstanceSecurityGroup", map[string]any{"InstanceIds": []string{"crs-shape002"}}, nil},
		{"redis", "2018-04-12", "CloneInstances", map[string]any{"InstanceId": "crs-shape002", "GoodsNum": 1, "ZoneId": 100003, "BillingMode": 0,
			"Period": 1, "SecurityGroupIdList": []string{"sg-gl1egaj1"}, "BackupId": "154572601-1165734322-153705740"}, nil},
		{"ssm", "2019-09-23", "GetSecretValue", map[string]any{"SecretName": v.d.SecretName, "VersionId": "v1"}, nil},
		{"ssm", "2019-09-23", "ListSecretVersionIds", map[string]any{"SecretName": v.d.SecretName}, nil},
		{"sts", "2018-08-13", "AssumeRole", map[string]any{"RoleArn": v.d.RoleArn, "RoleSessionName": "redis-restore"}, nil},
		{"sts", "2018-08-13", "GetCallerIdentity", map[string]any{}, nil},
		{"monitor", "2018-07-24", "GetMonitorData", map[string]any{"Namespace": "QCE/REDIS_MEM", "MetricName": "Keys", "Period": 60,
			"Instances": []any{map[string]any{"Dimensions": []any{map[string]any{"Name": "instanceid", "Value": v.d.InstanceID}}}}}, nil},
	}
	for _, c := range calls {
		t.Run(c.action, func(t *testing.T) {
			doc := readAPIDoc(t, c.service, c.action)
			answer, err := v.common(c.service, c.version, c.action, c.params)
			if err != nil {
				t.Fatalf("%s: %v", c.action, err)
			}
			declared := map[string]member{}
			for _, m := range doc.ResponseMembers {
				declared[m.Name] = m
			}
			for _, k := range slices.Sorted(maps.Keys(answer)) {
				m, ok := declared[k]
				if !ok {
					t.Errorf("%s: not a declared response member of %s", k, c.action)
					continue
				}
				if gk, dk := jsonKind(answer[k]), declaredKind(m); gk != dk {
					t.Errorf("%s: %s, declared %s (%s)", k, gk, dk, m.Type)
				}
			}
			example := doc.Examples[0].Response.Response
			sameShape(t, c.action, answer, example)
			if c.check != nil {
				c.check(t, answer)
			}
		})
	}
}
