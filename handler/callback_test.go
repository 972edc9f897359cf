package handler_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Cloud Monitor checks a callback address when it is saved: one call that
// carries no alarm and no request, which must be answered 200
// (platform-2026.md §4). It restores nothing and calls no cloud API.
func TestCallbackCheckIsAnswered200AndDoesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, session string
	}{
		{"empty", "", ""},
		{"blank", " \n", ""},
		{"empty object", "{}", ""},
		{"sessionId", `{"sessionId":"check-1"}`, "check-1"},
		{"sessionId and alertId", `{"sessionId":"check-2","alertId":"check-2"}`, "check-2"},
		{"numeric sessionId", `{"sessionId":42}`, "42"},
	}
	for _, c := range cases {
		for _, trigger := range []string{"function URL", "API gateway"} {
			t.Run(c.name+"/"+trigger, func(t *testing.T) {
				e := newEnv(t)
				var status int
				var body string
				if trigger == "function URL" {
					resp, _ := e.functionURL(functionURLEvent(t, c.body, signed(c.body)))
					status, body = resp.StatusCode, resp.Body
				} else {
					e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
					resp, _ := e.gateway(gatewayEvent(t, c.body, map[string]string{"authorization": "Basic Y2xvdWRtb25pdG9yOnRlc3QtcGFzc3dvcmQ="}))
					status, body = resp.StatusCode, resp.Body
				}
				if status != 200 {
					t.Fatalf("status %d, body %s: want 200", status, body)
				}
				var b struct {
					SessionID *string           `json:"sessionId"`
					RetCode   *int              `json:"retCode"`
					Results   []json.RawMessage `json:"results"`
				}
				if err := json.Unmarshal([]byte(body), &b); err != nil {
					t.Fatal(err)
				}
				if b.SessionID == nil || *b.SessionID != c.session || b.RetCode == nil || *b.RetCode != 0 || b.Results == nil || len(b.Results) != 0 {
					t.Errorf("body %s: want sessionId %q, retCode 0, results []", body, c.session)
				}
				if n := cloudCalls(e); n != 0 {
					t.Errorf("%d cloud API calls for a callback check", n)
				}
				if len(e.messages()) != 0 {
					t.Errorf("messages on the queue for a callback check")
				}
				if !strings.Contains(e.logs.String(), `"msg":"callback.check"`) {
					t.Errorf("callback check not logged:\n%s", e.logs.String())
				}
			})
		}
	}
}

// The check is only what carries nothing: an unauthenticated one is
// refused like any call, and a body with any other field is read as a
// request (a misspelt field is still a 400, not a silent 200).
func TestCallbackCheckIsNoBackDoor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, _ := e.functionURL(functionURLEvent(t, "{}", nil))
	if resp.StatusCode != 401 {
		t.Errorf("unsigned check: status %d, want 401", resp.StatusCode)
	}
	for _, body := range []string{`{"sessionId":"s","instanceID_":"crs-5a4py64p"}`, `{"sessionId":{"a":1}}`, `[]`, `{"alarmStatus":"1"}`} {
		resp, _ := e.functionURL(functionURLEvent(t, body, signed(body)))
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", body, resp.StatusCode)
		}
	}
	if strings.Contains(e.logs.String(), `"msg":"callback.check"`) {
		t.Errorf("a refused call was logged as a callback check")
	}
}

// cloudCalls counts the calls of every action the function may make.
func cloudCalls(e *env) int {
	n := 0
	for _, a := range []string{"DescribeInstances", "DescribeInstanceBackups", "DescribeTaskList", "DescribeTaskInfo",
		"RestoreInstance", "ManualBackupInstance", "CloneInstances", "SendCmqMsg", "PublishCmqMsg", "GetSecretValue",
		"ListSecretVersionIds", "AssumeRole", "Invoke"} {
		n += e.emu.Calls(a)
	}
	return n
}
