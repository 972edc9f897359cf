package cloudemu_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
)

func TestAuthentication(t *testing.T) {
	v := newEnv(t)
	v.e.AddCredential("AKIDpermanent", "permanent-key", "", time.Time{})
	v.e.AddCredential("AKIDexpired", "expired-key", "tok", v.clock.Now().Add(-time.Second))

	cases := []struct {
		name string
		cred common.CredentialIface
		want string
	}{
		{"valid temporary", v.cred(), ""},
		{"valid permanent", common.NewCredential("AKIDpermanent", "permanent-key"), ""},
		{"wrong key", common.NewTokenCredential(v.d.SecretID, "not-the-key", v.d.Token), "AuthFailure.SignatureFailure"},
		{"missing token", common.NewCredential(v.d.SecretID, v.d.SecretKey), "AuthFailure.TokenFailure"},
		{"wrong token", common.NewTokenCredential(v.d.SecretID, v.d.SecretKey, "other"), "AuthFailure.TokenFailure"},
		{"token on permanent key", common.NewTokenCredential("AKIDpermanent", "permanent-key", "x"), "AuthFailure.TokenFailure"},
		{"expired temporary", common.NewTokenCredential("AKIDexpired", "expired-key", "tok"), "AuthFailure.TokenFailure"},
		{"unknown id", common.NewCredential("AKIDnobody", "k"), "AuthFailure.SecretIdNotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, v.describeBackups(v.redis(tc.cred, v.d.Region)), tc.want)
		})
	}

	t.Run("skewed clock", func(t *testing.T) {
		v.clock.Advance(301 * time.Second)
		defer v.clock.Advance(-301 * time.Second)
		wantCode(t, v.describeBackups(v.demoRedis()), "AuthFailure.SignatureExpire")
	})
	t.Run("clock within 300 s", func(t *testing.T) {
		v.clock.Advance(-250 * time.Second)
		defer v.clock.Advance(250 * time.Second)
		wantCode(t, v.describeBackups(v.demoRedis()), "")
	})
}

func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t).e
	now := time.Now()
	ok := func() *http.Request {
		return signedRequest("AKIDdemoRedisRestore00000000000000", "demoSecretKeyRedisRestore000000",
			"redis", "DescribeTaskList", "2018-04-12", `{}`, now)
	}
	// The hand-made signer agrees with the emulator (and so with the SDK).
	r := ok()
	r.Header.Set("X-TC-Token", "demo-session-token-redis-restore")
	if c := errCode(serve(t, e, r)); c != "" {
		t.Fatalf("signed request refused: %s", c)
	}

	garbled := []string{
		"",
		"Basic dXNlcjpwYXNz",
		"TC3-HMAC-SHA256",
		"TC3-HMAC-SHA256 Credential=AKID/2026-01-01/redis, SignedHeaders=content-type;host, Signature=00",
		"TC3-HMAC-SHA256 Credential=AKID/2026-01-01/redis/tc3_request, SignedHeaders=host, Signature=00",
		"TC3-HMAC-SHA256 Credential=AKID/2026-01-01/redis/tc3_request, SignedHeaders=content-type;host, Signature=zz",
		"TC3-HMAC-SHA256 Credential=AKID/2026-01-01/redis/tc3_request, SignedHeaders=content-type;host",
	}
	for _, a := range garbled {
		r := ok()
		r.Header.Set("Authorization", a)
		if c := errCode(serve(t, e, r)); c != "AuthFailure.InvalidAuthorization" {
			t.Errorf("Authorization %q: code %q", a, c)
		}
	}

	// A body changed after signing no longer matches.
	r = ok()
	r.Header.Set("X-TC-Token", "demo-session-token-redis-restore")
	r.Body = httptest.NewRequest("POST", "/", strings.NewReader(`{"Limit":1}`)).Body
	if c := errCode(serve(t, e, r)); c != "AuthFailure.SignatureFailure" {
		t.Fatalf("tampered body: code %q", c)
	}
}

func TestActionAndVersion(t *testing.T) {
	v := newEnv(t)
	_, err := v.common("redis", "2018-04-12", "DeleteEverything", map[string]any{})
	wantCode(t, err, "InvalidAction")
	_, err = v.common("redis", "2017-01-01", "DescribeTaskList", map[string]any{})
	wantCode(t, err, "InvalidParameter")
	_, err = v.common("tdmq", "2018-04-12", "SendCmqMsg", map[string]any{})
	wantCode(t, err, "InvalidParameter")
	// The service is the signed scope, so a redis action under tdmq is unknown.
	_, err = v.common("tdmq", "2020-02-17", "RestoreInstance", map[string]any{})
	wantCode(t, err, "InvalidAction")
	if n := v.e.Calls("RestoreInstance"); n != 1 {
		t.Fatalf("Calls(RestoreInstance) = %d, want 1", n)
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t).e
	for body, want := range map[string]string{
		`not json`:              "InvalidParameter",
		`[1,2]`:                 "InvalidParameter",
		`{"InstanceId": 5}`:     "InvalidParameter",
		`{"Limit": "ten"}`:      "InvalidParameter",
		`{"Limit": 1.5}`:        "InvalidParameter",
		`{"TaskTypes": "010"}`:  "InvalidParameter",
		`{"Result": ["x"]}`:     "InvalidParameter",
		`{"Unknown": {"a": 1}}`: "",
		``:                      "",
		`{} {}`:                 "InvalidParameter",
	} {
		r := signedRequest("AKIDdemoRedisRestore00000000000000", "demoSecretKeyRedisRestore000000",
			"redis", "DescribeTaskList", "2018-04-12", body, time.Now())
		r.Header.Set("X-TC-Token", "demo-session-token-redis-restore")
		resp := serve(t, e, r)
		if c := errCode(resp); c != want {
			t.Errorf("body %q: code %q, want %q", body, c, want)
		}
		if want == "InvalidParameter" && strings.HasPrefix(body, `{"`) {
			field := strings.Split(body, `"`)[1]
			if msg := resp["Error"].(map[string]any)["Message"].(string); !strings.Contains(msg, field) {
				t.Errorf("body %q: message %q does not name %s", body, msg, field)
			}
		}
	}
}
