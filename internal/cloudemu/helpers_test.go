package cloudemu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sdkerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"
	tdmq "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tdmq/v20200217"

	"redis-restore/internal/clock"
	"redis-restore/internal/cloudemu"
)

type env struct {
	t        *testing.T
	e        *cloudemu.Emulator
	clock    *clock.Fake
	endpoint string // host:port
	d        cloudemu.DemoData
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := clock.NewFake(time.Now())
	e := cloudemu.New(cloudemu.Options{Now: c.Now, Seed: 7})
	d := cloudemu.SeedDemo(e)
	url, closeFn, err := e.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closeFn() })
	return &env{t: t, e: e, clock: c, endpoint: strings.TrimPrefix(url, "http://"), d: d}
}

func (v *env) profile() *profile.ClientProfile {
	p := profile.NewClientProfile()
	p.HttpProfile.Endpoint = v.endpoint
	p.HttpProfile.Scheme = "HTTP"
	p.HttpProfile.ReqTimeout = 5
	return p
}

func (v *env) cred() common.CredentialIface {
	return common.NewTokenCredential(v.d.SecretID, v.d.SecretKey, v.d.Token)
}

func (v *env) redis(cred common.CredentialIface, region string) *redis.Client {
	c, err := redis.NewClient(cred, region, v.profile())
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

func (v *env) demoRedis() *redis.Client { return v.redis(v.cred(), v.d.Region) }

func (v *env) tdmq() *tdmq.Client {
	c, err := tdmq.NewClient(v.cred(), v.d.Region, v.profile())
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

func (v *env) sts(cred common.CredentialIface) *sts.Client {
	c, err := sts.NewClient(cred, v.d.Region, v.profile())
	if err != nil {
		v.t.Fatal(err)
	}
	return c
}

// common sends any action through the SDK's CommonClient and returns the
// raw Response object.
func (v *env) common(service, version, action string, params map[string]any) (map[string]any, error) {
	return v.commonWith(v.cred(), service, version, action, params)
}

// commonWith is common signed with cred.
func (v *env) commonWith(cred common.CredentialIface, service, version, action string, params map[string]any) (map[string]any, error) {
	client := common.NewCommonClient(cred, v.d.Region, v.profile())
	req := tchttp.NewCommonRequest(service, version, action)
	if err := req.SetActionParameters(params); err != nil {
		v.t.Fatal(err)
	}
	resp := tchttp.NewCommonResponse()
	if err := client.Send(req, resp); err != nil {
		return nil, err
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &out); err != nil {
		v.t.Fatalf("decode %s", resp.GetBody())
	}
	if out.Response == nil {
		// Some SDK builds hand back only the inner object.
		_ = json.Unmarshal(resp.GetBody(), &out.Response)
	}
	return out.Response, nil
}

func (v *env) restore(instanceID, backupID, password string) (*redis.RestoreInstanceResponse, error) {
	return v.restoreWith(v.demoRedis(), instanceID, backupID, password)
}

func (v *env) restoreWith(c *redis.Client, instanceID, backupID, password string) (*redis.RestoreInstanceResponse, error) {
	req := redis.NewRestoreInstanceRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.BackupId = common.StringPtr(backupID)
	if password != "" {
		req.Password = common.StringPtr(password)
	}
	return c.RestoreInstance(req)
}

func (v *env) describeBackups(c *redis.Client) error {
	req := redis.NewDescribeInstanceBackupsRequest()
	req.InstanceId = common.StringPtr(v.d.InstanceID)
	_, err := c.DescribeInstanceBackups(req)
	return err
}

// code returns the API error code of an SDK error, "" for nil.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var se *sdkerr.TencentCloudSDKError
	if !errors.As(err, &se) {
		t.Fatalf("not an SDK error: %T %v", err, err)
	}
	return se.GetCode()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(t, err); got != want {
		t.Fatalf("error code %q, want %q (err: %v)", got, want, err)
	}
}

func message(err error) string {
	var se *sdkerr.TencentCloudSDKError
	if errors.As(err, &se) {
		return se.GetMessage()
	}
	return ""
}

// signedRequest builds a request signed like the SDK, with an arbitrary
// body, for inputs the SDK itself would never send.
func signedRequest(secretID, secretKey, service, action, version, body string, ts time.Time) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "http://emu.local/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-TC-Action", action)
	r.Header.Set("X-TC-Version", version)
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	date := ts.UTC().Format("2006-01-02")
	sum := sha256.Sum256([]byte(body))
	canon := "POST\n/\n\ncontent-type:application/json\nhost:emu.local\n\ncontent-type;host\n" + hex.EncodeToString(sum[:])
	csum := sha256.Sum256([]byte(canon))
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(ts.Unix(), 10) + "\n" + scope + "\n" + hex.EncodeToString(csum[:])
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	k := mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request")
	r.Header.Set("Authorization", fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%x", secretID, scope, mac(k, toSign)))
	return r
}

// serve runs a request through the handler and decodes the answer.
func serve(t *testing.T, e *cloudemu.Emulator, r *http.Request) map[string]any {
	t.Helper()
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var out struct{ Response map[string]any }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("bad JSON %q: %v", w.Body, err)
	}
	if id, _ := out.Response["RequestId"].(string); len(id) != 36 || id[14] != '4' {
		t.Fatalf("RequestId %q is not a UUID v4", id)
	}
	return out.Response
}

func errCode(resp map[string]any) string {
	e, _ := resp["Error"].(map[string]any)
	c, _ := e["Code"].(string)
	return c
}
