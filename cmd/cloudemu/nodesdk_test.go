package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"redis-restore/internal/cloudemu"
)

// nodeSDKDir holds the Node.js SDK, a test-only npm dependency that `make
// nodesdk` installs where node is (make test runs it).
var nodeSDKDir = filepath.Join("..", "..", "tools", "nodesdk")

// apiCall is one call both SDKs make. A string parameter "{{N.Field}}" is
// Field of call N's answer (a TaskId the emulator gave).
type apiCall struct {
	Product   string         `json:"product"`
	Action    string         `json:"action"`
	Params    map[string]any `json:"params"`
	SecretKey string         `json:"secretKey,omitempty"`
}

var versions = map[string]string{"redis": "2018-04-12", "tdmq": "2020-02-17", "ssm": "2019-09-23", "sts": "2018-08-13", "scf": "2018-04-16", "monitor": "2018-07-24"}

// answer is what an SDK read: the response, or the API error.
type answer struct {
	Action   string         `json:"action"`
	Response map[string]any `json:"response,omitempty"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// Every action the function calls (internal/cloud), each as it calls it,
// and the errors a client must read the same way: a lock, a missing
// instance, a wrong key.
func nodeSDKCalls(d cloudemu.DemoData) []apiCall {
	pf := d.PasswordFreeInstanceID
	return []apiCall{
		0: {"redis", "DescribeInstances", map[string]any{"InstanceId": d.InstanceID, "Limit": 10}, ""},
		1: {"redis", "DescribeInstanceBackups", map[string]any{"InstanceId": d.InstanceID, "Limit": 100, "Offset": 0,
			"BeginTime": "2026-11-01 00:00:00", "EndTime": "2026-11-30 00:00:00"}, ""},
		2: {"redis", "DescribeInstanceSecurityGroup", map[string]any{"InstanceIds": []string{d.InstanceID}}, ""},
		3: {"redis", "DescribeTaskList", map[string]any{"InstanceId": d.InstanceID, "Limit": 100}, ""},
		4: {"ssm", "ListSecretVersionIds", map[string]any{"SecretName": d.SecretName}, ""},
		5: {"ssm", "GetSecretValue", map[string]any{"SecretName": d.SecretName, "VersionId": "v1"}, ""},
		6: {"sts", "AssumeRole", map[string]any{"RoleArn": d.RoleArn, "RoleSessionName": "redis-restore", "DurationSeconds": 900}, ""},
		7: {"redis", "RestoreInstance", map[string]any{"InstanceId": d.InstanceID, "BackupId": d.LatestBackupID, "Password": d.Password}, ""},
		8: {"redis", "DescribeTaskInfo", map[string]any{"TaskId": "{{7.TaskId}}"}, ""},
		9: {"redis", "RestoreInstance", map[string]any{"InstanceId": d.InstanceID, "BackupId": d.LatestBackupID, "Password": d.Password}, ""},
		10: {"redis", "CloneInstances", map[string]any{"InstanceId": pf, "BackupId": d.PasswordFreeBackupID, "GoodsNum": 1, "ZoneId": 100003,
			"BillingMode": 0, "Period": 1, "SecurityGroupIdList": []string{"sg-5d1ewgzl"}, "NoAuth": true, "InstanceName": "cache-restored"}, ""},
		11: {"redis", "ManualBackupInstance", map[string]any{"InstanceId": pf, "Remark": "before restore", "StorageDays": 7}, ""},
		12: {"redis", "DescribeTaskInfo", map[string]any{"TaskId": "{{11.TaskId}}"}, ""},
		13: {"tdmq", "SendCmqMsg", map[string]any{"QueueName": d.Queue, "MsgContent": `{"specversion":"1.0"}`, "DelaySeconds": 0}, ""},
		14: {"tdmq", "PublishCmqMsg", map[string]any{"TopicName": d.Topic, "MsgContent": `{"specversion":"1.0"}`, "MsgTag": []string{"restore"}}, ""},
		15: {"scf", "Invoke", map[string]any{"FunctionName": "redis-restore", "InvocationType": "Event", "ClientContext": "{}"}, ""},
		16: {"redis", "RestoreInstance", map[string]any{"InstanceId": "crs-notthere", "BackupId": d.LatestBackupID}, ""},
		17: {"redis", "DescribeInstances", map[string]any{"InstanceId": d.InstanceID}, "not-the-secret-key"},
		18: {"redis", "DescribeTaskList", map[string]any{"InstanceId": d.InstanceID, "Limit": 100}, ""},
		19: {"redis", "DescribeInstances", map[string]any{"InstanceId": pf, "Limit": 10}, ""},
		20: {"monitor", "GetMonitorData", map[string]any{"Namespace": "QCE/REDIS_MEM", "MetricName": "Keys", "Period": 60,
			"Instances": []any{map[string]any{"Dimensions": []any{map[string]any{"Name": "instanceid", "Value": d.InstanceID}}}},
			"StartTime": "2026-11-28T18:50:00+08:00", "EndTime": "2026-11-28T19:00:00+08:00"}, ""},
	}
}

// TestNodeSDKReadsWhatTheGoSDKReads: Tencent's official Node.js SDK,
// pointed at `cloudemu -demo` by IP and by hostname, makes every call the
// function makes and reads the same answers as the Go SDK does from an
// emulator in the same state. The emulator checks TC3 as Tencent publishes
// it, not as the Go SDK happens to sign (internal/cloudemu/auth.go).
func TestNodeSDKReadsWhatTheGoSDKReads(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed here: the Node.js SDK's calls against the emulator are not checked (make test installs the SDK where node exists)")
	}
	if _, err := os.Stat(filepath.Join(nodeSDKDir, "node_modules", "tencentcloud-sdk-nodejs", "package.json")); err != nil {
		msg := "tencentcloud-sdk-nodejs is not installed in tools/nodesdk: run `make nodesdk` (npm ci there)"
		if os.Getenv("NODESDK_REQUIRED") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := filepath.Join(t.TempDir(), "cloudemu")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	d := cloudemu.SeedDemo(cloudemu.New(cloudemu.Options{})) // the names -demo seeds
	calls := nodeSDKCalls(d)
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run("by "+host, func(t *testing.T) {
			nodeEmu, goEmu := startDemo(t, bin), startDemo(t, bin)
			byNode := runNode(t, node, strings.Replace(nodeEmu, "127.0.0.1", host, 1), d, calls)
			byGo := runGo(t, strings.Replace(goEmu, "127.0.0.1", host, 1), d, calls)
			if len(byNode) != len(calls) || len(byGo) != len(calls) {
				t.Fatalf("%d answers by node, %d by Go, for %d calls", len(byNode), len(byGo), len(calls))
			}
			for i, c := range calls {
				n, g := normalize(byNode[i]), normalize(byGo[i])
				if !reflect.DeepEqual(n, g) {
					nj, _ := json.Marshal(n)
					gj, _ := json.Marshal(g)
					t.Errorf("call %d, %s %s:\nnode read %s\nGo read   %s", i, c.Product, c.Action, nj, gj)
				}
			}
			// What the calls were meant to show, beyond agreeing.
			for i, want := range map[int]string{9: "ResourceUnavailable.InstanceLockedError", 15: "ResourceNotFound.Function",
				16: "ResourceNotFound.InstanceNotExists", 17: "AuthFailure.SignatureFailure"} {
				if e := byNode[i].Error; e == nil || !strings.HasPrefix(e.Code, want) {
					t.Errorf("call %d, %s: node read %+v, want error %s", i, calls[i].Action, byNode[i], want)
				}
			}
			for i, a := range byNode {
				_, expectErr := map[int]bool{9: true, 15: true, 16: true, 17: true}[i]
				if a.Error != nil && !expectErr {
					t.Errorf("call %d, %s: node SDK refused: %s: %s", i, a.Action, a.Error.Code, a.Error.Message)
				}
			}
		})
	}
}

// startDemo starts `cloudemu -demo` on a free port and returns its
// host:port. A restore and a backup last an hour, so that both SDKs read
// the same states; a clone is up at once, so that its source can be
// backed up next.
func startDemo(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "-demo", "-addr", "127.0.0.1:0", "-task-duration", "1h", "-backup-duration", "1h", "-clone-duration", "1ns")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if u, ok := strings.CutPrefix(lines.Text(), "export TENCENTCLOUD_ENDPOINT_URL=http://"); ok {
			go func() { // keep reading so that the emulator never blocks on its output
				for lines.Scan() {
				}
			}()
			return u
		}
	}
	t.Fatalf("cloudemu -demo printed no endpoint; stderr:\n%s", stderr.String())
	return ""
}

func runNode(t *testing.T, node, endpoint string, d cloudemu.DemoData, calls []apiCall) []answer {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"endpoint": endpoint, "secretId": d.SecretID, "secretKey": d.SecretKey, "token": d.Token,
		"region": d.Region, "calls": calls})
	cmd := exec.Command(node, "calls.js")
	cmd.Dir = nodeSDKDir
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node calls.js: %v\n%s", err, stderr.String())
	}
	var answers []answer
	if err := json.Unmarshal(out, &answers); err != nil {
		t.Fatalf("node calls.js printed %q: %v", out, err)
	}
	return answers
}

// runGo makes the calls with the Go SDK's CommonClient, as internal/cloud does.
func runGo(t *testing.T, endpoint string, d cloudemu.DemoData, calls []apiCall) []answer {
	t.Helper()
	var answers []answer
	for _, c := range calls {
		key := d.SecretKey
		if c.SecretKey != "" {
			key = c.SecretKey
		}
		p := profile.NewClientProfile()
		p.HttpProfile.Scheme = "HTTP"
		p.HttpProfile.Endpoint = endpoint
		p.HttpProfile.ReqTimeout = 30
		client := common.NewCommonClient(common.NewTokenCredential(d.SecretID, key, d.Token), d.Region, p)
		req := tchttp.NewCommonRequest(c.Product, versions[c.Product], c.Action)
		if err := req.SetActionParameters(substitute(t, c.Params, answers)); err != nil {
			t.Fatal(err)
		}
		resp := tchttp.NewCommonResponse()
		a := answer{Action: c.Action}
		var apiErr *sdkerr.TencentCloudSDKError
		switch err := client.Send(req, resp); {
		case errors.As(err, &apiErr):
			a.Error = &struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			}{apiErr.GetCode(), apiErr.GetMessage()}
		case err != nil:
			t.Fatalf("%s: %v", c.Action, err)
		default:
			var body struct{ Response map[string]any }
			if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
				t.Fatalf("%s: %s: %v", c.Action, resp.GetBody(), err)
			}
			a.Response = body.Response
		}
		answers = append(answers, a)
	}
	return answers
}

var ref = regexp.MustCompile(`^\{\{(\d+)\.(\w+)\}\}$`)

// substitute is calls.js's substitution: "{{N.Field}}" is Field of answer N.
func substitute(t *testing.T, params map[string]any, answers []answer) map[string]any {
	out := map[string]any{}
	for k, v := range params {
		if s, ok := v.(string); ok {
			if m := ref.FindStringSubmatch(s); m != nil {
				var i int
				fmt.Sscan(m[1], &i)
				if i >= len(answers) || answers[i].Response == nil {
					t.Fatalf("%s refers to answer %d, which has no response", s, i)
				}
				v = answers[i].Response[m[2]]
			}
		}
		out[k] = v
	}
	return out
}

var (
	clockTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d`)
	// ManualBackupInstance's backup ID ends with the unix time it started.
	timedID = regexp.MustCompile(`^\d+-\d+-\d{10}$`)
)

// normalize keeps what both SDKs must read alike: the emulators' clocks,
// request ids and the random parts of an answer (a message id, assumed
// credentials) differ between two runs, so only their presence and type
// count.
func normalize(a answer) any {
	var v any
	b, _ := json.Marshal(a)
	_ = json.Unmarshal(b, &v)
	return norm("", v)
}

func norm(key string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k == "RequestId" {
				continue
			}
			out[k] = norm(k, x)
		}
		return out
	case []any:
		for i := range v {
			v[i] = norm(key, v[i])
		}
		return v
	case string:
		switch {
		case key == "MsgId" || key == "Token" || key == "TmpSecretId" || key == "TmpSecretKey" || key == "Expiration",
			key == "DealId" || key == "DealName": // a deal is named after the time it was made
			return "<" + key + ">"
		case clockTime.MatchString(v):
			return "<time>"
		case timedID.MatchString(v):
			return "<backup id>"
		}
		return v
	case float64:
		if key == "ExpiredTime" || key == "Progress" || key == "CreateTime" { // the clock's: each emulator's own start
			return "<" + key + ">"
		}
	}
	return v
}
