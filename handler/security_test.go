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
	"redis-restore/internal/intent"
)

func TestWebhookAuthentication(t *testing.T) {
	t.Parallel()
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("ops:s3cret-basic"))
	cases := []struct {
		name    string
		vars    map[string]string
		headers map[string]string
		status  int
	}{
		{"signed", nil, signed(body), 202},
		{"signed, capitalised header", nil, map[string]string{"X-Restore-Signature": handler.Sign(webhookSecret, time.Now(), []byte(body))}, 202},
		{"wrong key", nil, map[string]string{"x-restore-signature": handler.Sign("another", time.Now(), []byte(body))}, 401},
		{"signed another body", nil, map[string]string{"x-restore-signature": handler.Sign(webhookSecret, time.Now(), []byte(body+" "))}, 401},
		{"too old", nil, map[string]string{"x-restore-signature": handler.Sign(webhookSecret, time.Now().Add(-6*time.Minute), []byte(body))}, 401},
		{"from the future", nil, map[string]string{"x-restore-signature": handler.Sign(webhookSecret, time.Now().Add(6*time.Minute), []byte(body))}, 401},
		{"malformed", nil, map[string]string{"x-restore-signature": "v1=abc"}, 401},
		{"no proof", nil, nil, 401},
		{"basic auth", map[string]string{"RESTORE_WEBHOOK_BASIC_AUTH": "ops:s3cret-basic"}, map[string]string{"authorization": basic}, 202},
		{"basic auth wrong", map[string]string{"RESTORE_WEBHOOK_BASIC_AUTH": "ops:other"}, map[string]string{"authorization": basic}, 401},
		{"basic auth not configured", nil, map[string]string{"authorization": basic}, 401},
		{"nothing configured", map[string]string{"RESTORE_WEBHOOK_SECRET": "", "RESTORE_APPROVER_SECRET": ""}, signed(body), 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			for k, v := range c.vars {
				e.vars[k] = v
			}
			resp, rs := e.gateway(gatewayEvent(t, body, c.headers))
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %+v", resp.StatusCode, c.status, rs)
			}
			if c.status != 202 {
				if n := e.emu.Calls("RestoreInstance") + e.emu.Calls("DescribeTaskList"); n != 0 {
					t.Errorf("%d API calls for a refused caller", n)
				}
				assertNoSecret(t, "logs", e.logs.String(), webhookSecret, "s3cret-basic")
				assertNoSecret(t, "answer", resp.Body, webhookSecret, "s3cret-basic")
			}
		})
	}
}

func TestWebhookSignatureCoversTheDecodedBase64Body(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	ev := map[string]any{
		"requestContext":  map[string]any{"serviceId": "service-test", "path": "/restore", "httpMethod": "ANY", "requestId": "gw-b64", "sourceIp": "10.0.0.1", "stage": "release"},
		"headers":         map[string]string{"x-restore-signature": handler.Sign(webhookSecret, time.Now(), []byte(body))},
		"body":            base64.StdEncoding.EncodeToString([]byte(body)),
		"isBase64Encoded": "true",
		"httpMethod":      "POST",
		"path":            "/restore",
	}
	resp, rs := e.gateway(mustJSON(t, ev))
	if resp.StatusCode != 202 || onlyResult(t, rs).Status != intent.Accepted {
		t.Fatalf("status %d %+v", resp.StatusCode, rs)
	}
}

func TestWebhookOnlyPostAndAuthenticatedGet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// GET asks where a restore stands (status.go): authenticated like a POST.
	resp, rs := e.gateway(fixture(t, "apigw-get.json"))
	if resp.StatusCode != http.StatusUnauthorized || onlyResult(t, rs).Status != intent.Failed {
		t.Fatalf("unauthenticated GET: status %d %+v", resp.StatusCode, rs)
	}
	put := strings.Replace(string(fixture(t, "apigw-get.json")), `"httpMethod": "GET"`, `"httpMethod": "PUT"`, 1)
	if !strings.Contains(put, `"PUT"`) {
		t.Fatal("fixture has no httpMethod GET to replace")
	}
	resp, rs = e.gateway([]byte(put))
	if resp.StatusCode != http.StatusMethodNotAllowed || onlyResult(t, rs).Status != intent.Failed {
		t.Fatalf("PUT: status %d %+v", resp.StatusCode, rs)
	}
}

func TestWebhookBodyTooLarge(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	big := `{"instanceId":"crs-5a4py64p","backupId":"latest","pad":"` + strings.Repeat("x", handler.MaxBodyBytes) + `"}`
	resp, _ := e.gateway(gatewayEvent(t, big, signed(big)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// At the bound: a body of exactly MaxBodyBytes is read (and refused
	// for its unknown field), one byte more is too large, whether the
	// gateway passes it as it is or base64-encoded.
	sized := func(n int) string {
		head := `{"instanceId":"crs-5a4py64p","backupId":"latest","pad":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	for _, n := range []int{handler.MaxBodyBytes, handler.MaxBodyBytes + 1} {
		for _, b64 := range []bool{false, true} {
			body := sized(n)
			ev := gatewayEvent(t, body, signed(body))
			if b64 {
				var m map[string]any
				if err := json.Unmarshal(ev, &m); err != nil {
					t.Fatal(err)
				}
				m["body"], m["isBase64Encoded"] = base64.StdEncoding.EncodeToString([]byte(body)), true
				ev = mustJSON(t, m)
			}
			resp, _ := e.gateway(ev)
			if tooLarge := resp.StatusCode == http.StatusRequestEntityTooLarge; tooLarge != (n > handler.MaxBodyBytes) {
				t.Errorf("a body of %d bytes (base64 %v): status %d", n, b64, resp.StatusCode)
			}
		}
	}
}

func TestIdempotencyKeyRestoresOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`
	h := signed(body)
	h["idempotency-key"] = "deploy-42"
	_, first := e.gateway(gatewayEvent(t, body, h))
	_, again := e.gateway(gatewayEvent(t, body, h))
	if onlyResult(t, first).Status != intent.Accepted || onlyResult(t, again).Status != intent.Duplicate || again[0].TaskID != first[0].TaskID {
		t.Fatalf("first %+v again %+v", first, again)
	}
	// A fresh container: the signed time bounds the search of the task list.
	fresh := handler.New(e.h.Log)
	fresh.Getenv, fresh.Clients = e.h.Getenv, e.h.Clients
	e.h = fresh
	_, third := e.gateway(gatewayEvent(t, body, h))
	if onlyResult(t, third).Status != intent.Duplicate {
		t.Fatalf("fresh container: %+v", third)
	}
	if n := len(e.emu.RestoreCalls()); n != 1 {
		t.Fatalf("%d restores", n)
	}
}

func TestPasswordFromSecretManager(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_PASSWORD")
	e.vars["RESTORE_PASSWORD_SECRET"] = e.demo.SecretName
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Accepted {
		t.Fatalf("result %+v %+v", r, r.Error)
	}
	if n := e.emu.Calls("GetSecretValue"); n != 1 {
		t.Fatalf("GetSecretValue called %d times", n)
	}
	// Cached in the warm container: a second restore fetches nothing.
	onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848115"}`)))
	if n := e.emu.Calls("GetSecretValue"); n != 1 {
		t.Fatalf("GetSecretValue called %d times, want the cached value", n)
	}
}

func TestRotatedSecretIsFetchedAgainAfterPasswordError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_PASSWORD")
	e.vars["RESTORE_PASSWORD_SECRET"] = "redis-restore-map"
	e.emu.SetSecret("redis-restore-map", `{"crs-5a4py64p":"old-password"}`)
	// Prime the cache with the old value (a dry run fetches nothing, so
	// restore the password-free instance first... the map lacks it).
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Failed || errCode(r.Error) != "InvalidParameterValue.PasswordError" {
		t.Fatalf("with the old password: %+v", r)
	}
	e.emu.SetSecret("redis-restore-map", fmt.Sprintf(`{"crs-5a4py64p":%q}`, e.demo.Password))
	// The cache still holds the old password: the PasswordError makes the
	// function fetch the secret again and retry once.
	r = onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-5a4py64p","backupId":"latest"}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("after rotation: %+v %+v", r, r.Error)
	}
}

func TestPasswordNotInSecretMapFailsClearly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	delete(e.vars, "RESTORE_PASSWORD")
	e.vars["RESTORE_PASSWORD_SECRET"] = "redis-restore-map"
	e.emu.SetSecret("redis-restore-map", `{"crs-1amp2588":""}`)
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Failed || errCode(r.Error) != "PasswordNotFound" || !strings.Contains(errMessage(r.Error), "crs-5a4py64p") {
		t.Fatalf("result %+v %+v", r, r.Error)
	}
	if n := e.emu.Calls("RestoreInstance"); n != 0 {
		t.Errorf("RestoreInstance called %d times", n)
	}
}

func TestAssumedRoleRestoresAnotherAccountsInstance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.vars["RESTORE_ROLE_ARN"] = e.demo.RoleArn
	r := onlyResult(t, e.results(fixture(t, "timer.json")))
	if r.Status != intent.Accepted || e.emu.Calls("AssumeRole") != 1 {
		t.Fatalf("result %+v, AssumeRole calls %d", r, e.emu.Calls("AssumeRole"))
	}
	e.vars["RESTORE_ROLE_ARN"] = "qcs::cam::uin/100000000001:roleName/Nope"
	r = onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-1amp2588","backupId":"latest"}`)))
	if r.Status != intent.Failed || e.emu.Calls("RestoreInstance") != 1 {
		t.Fatalf("unknown role: %+v", r)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), "Nope") {
		t.Errorf("the failure does not name the role: %s", b)
	}
}
