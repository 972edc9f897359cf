package handler_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"redis-restore/internal/cloudemu"
)

// TestNoSecretLeaks runs every fixture, with and without faults, with known
// secret values, and scans everything the function wrote or answered.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	const (
		basicPassword = "leak-basic-password-71"
		ssmPassword   = "leak-ssm-password-52"
	)
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	for _, faulty := range []bool{false, true} {
		e := newEnv(t)
		e.emu.SetSecret("leak-map", `{"crs-5a4py64p":"`+ssmPassword+`","crs-1amp2588":""}`)
		e.vars["RESTORE_PASSWORD_SECRET"] = "leak-map"
		e.vars["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:" + basicPassword
		delete(e.vars, "RESTORE_PASSWORD")
		if faulty {
			f := cloudemu.Faults{Rate: 0.3, Kinds: []cloudemu.Fault{{Code: "InternalError"}, {HTTPStatus: 502}, {Reset: true}, {Code: "InvalidParameterValue.PasswordError"}}}
			for _, a := range []string{"RestoreInstance", "DescribeInstanceBackups", "DescribeTaskList", "DescribeInstances", "SendCmqMsg", "PublishCmqMsg", "GetSecretValue"} {
				e.emu.SetFaults(a, f)
			}
		}
		var answers strings.Builder
		for _, p := range paths {
			payload, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			// The fixtures' passwords are secrets too.
			ans, err := e.invoke(payload)
			b, _ := json.Marshal(ans)
			answers.Write(b)
			if err != nil {
				answers.WriteString(err.Error())
			}
		}
		// A signed call carrying a password, and one refused.
		body := `{"instanceId":"crs-5a4py64p","backupId":"latest","password":"` + ssmPassword + `"}`
		for _, h := range []map[string]string{signed(body), {"x-restore-signature": "t=1,v1=00"}} {
			ans, _ := e.invoke(gatewayEvent(t, body, h))
			b, _ := json.Marshal(ans)
			answers.Write(b)
		}
		secrets := []string{e.demo.Password, e.demo.SecretKey, e.demo.Token, webhookSecret, basicPassword, ssmPassword, "test-password"}
		assertNoSecret(t, "answers", answers.String(), secrets...)
		assertNoSecret(t, "logs", e.logs.String(), secrets...)
		for _, q := range []string{e.demo.Queue, e.demo.Topic} {
			for _, m := range e.emu.Messages(q) {
				assertNoSecret(t, "message", m.Body, secrets...)
			}
		}
		if !strings.Contains(e.logs.String(), "restore accepted") {
			t.Errorf("faulty=%v: no restore ran, the scan proves little", faulty)
		}
	}
}
