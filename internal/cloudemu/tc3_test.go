package cloudemu_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// tc3 signs a request as Tencent's "Signature v3" page describes it, with
// the choices a client makes spelt out: which host it signs, which headers
// (in its order) and what it sends.
type tc3 struct {
	url         string            // where the request goes; its host is the Host header
	signedHost  string            // the host the client puts in CanonicalHeaders
	contentType string            // sent as Content-Type
	signed      []string          // SignedHeaders, in the client's order
	values      map[string]string // a signed header's canonical value, when not the published one
	extra       map[string]string // other headers sent
	service     string            // the credential scope's service
	version     string
	action      string
}

func (c tc3) request(t *testing.T, body string) *http.Request {
	t.Helper()
	now := time.Now()
	r := httptest.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	r.Header.Set("Content-Type", c.contentType)
	r.Header.Set("X-TC-Action", c.action)
	r.Header.Set("X-TC-Version", c.version)
	r.Header.Set("X-TC-Region", "ap-guangzhou")
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(now.Unix(), 10))
	r.Header.Set("X-TC-Token", "demo-session-token-redis-restore")
	for k, v := range c.extra {
		r.Header.Set(k, v)
	}
	var canon strings.Builder
	for _, name := range c.signed {
		v, ok := c.values[name]
		switch {
		case ok:
		case name == "host":
			v = c.signedHost
		default: // published: the value trimmed and lowercased
			v = strings.ToLower(strings.TrimSpace(r.Header.Get(name)))
		}
		canon.WriteString(name + ":" + v + "\n")
	}
	sum := sha256.Sum256([]byte(body))
	canonical := "POST\n/\n\n" + canon.String() + "\n" + strings.Join(c.signed, ";") + "\n" + hex.EncodeToString(sum[:])
	csum := sha256.Sum256([]byte(canonical))
	date := now.UTC().Format("2006-01-02")
	scope := date + "/" + c.service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(now.Unix(), 10) + "\n" + scope + "\n" + hex.EncodeToString(csum[:])
	mac := func(k []byte, s string) []byte { h := hmac.New(sha256.New, k); h.Write([]byte(s)); return h.Sum(nil) }
	k := mac(mac(mac([]byte("TC3demoSecretKeyRedisRestore000000"), date), c.service), "tc3_request")
	r.Header.Set("Authorization", fmt.Sprintf("TC3-HMAC-SHA256 Credential=AKIDdemoRedisRestore00000000000000/%s, SignedHeaders=%s, Signature=%x",
		scope, strings.Join(c.signed, ";"), mac(k, toSign)))
	return r
}

// TestTC3AsPublished: the emulator checks TC3 as Tencent publishes it, so
// that any client that follows the page is accepted, whatever choices it
// makes that the page allows, and a client that does not is refused.
func TestTC3AsPublished(t *testing.T) {
	e := newEnv(t).e
	base := tc3{
		url: "http://127.0.0.1:9000/", signedHost: "127.0.0.1:9000", contentType: "application/json",
		signed: []string{"content-type", "host"}, service: "redis", version: "2018-04-12", action: "DescribeInstances",
	}
	cases := []struct {
		name string
		edit func(c *tc3)
		want string
	}{
		{"the Go SDK's way: host with its port", func(c *tc3) {}, ""},
		{"the Node.js SDK's way: the hostname without the port", func(c *tc3) { c.signedHost = "127.0.0.1" }, ""},
		{"by hostname, with the port", func(c *tc3) { c.url, c.signedHost = "http://localhost:9000/", "localhost:9000" }, ""},
		{"by hostname, without the port", func(c *tc3) { c.url, c.signedHost = "http://localhost:9000/", "localhost" }, ""},
		{"a host name's case does not matter", func(c *tc3) { c.url, c.signedHost = "http://LocalHost:9000/", "localhost" }, ""},
		{"IPv6 as a URL writes it", func(c *tc3) { c.url, c.signedHost = "http://[::1]:9000/", "[::1]" }, ""},
		{"a host the request did not go to", func(c *tc3) { c.signedHost = "redis.tencentcloudapi.com" }, "AuthFailure.SignatureFailure"},
		{"another port", func(c *tc3) { c.signedHost = "127.0.0.1:9001" }, "AuthFailure.SignatureFailure"},
		{"header values are lowercased and trimmed", func(c *tc3) { c.contentType = " Application/JSON; charset=UTF-8 " }, ""},
		{"a value signed as sent, not lowercased", func(c *tc3) {
			c.contentType = "Application/JSON"
			c.values = map[string]string{"content-type": "Application/JSON"}
		}, "AuthFailure.SignatureFailure"},
		{"more signed headers, in the client's order", func(c *tc3) {
			c.signed = []string{"content-type", "host", "x-tc-action", "x-tc-requestclient"}
			c.extra = map[string]string{"X-TC-RequestClient": "SDK_NODEJS_4.1.313"}
		}, ""},
		{"a signed header changed on the way", func(c *tc3) {
			c.signed = []string{"content-type", "host", "x-tc-requestclient"}
			c.extra = map[string]string{"X-TC-RequestClient": "SDK_NODEJS_4.1.313"}
			c.values = map[string]string{"x-tc-requestclient": "sdk_nodejs_4.1.312"}
		}, "AuthFailure.SignatureFailure"},
		// An SDK takes the scope's service from the endpoint's first label:
		// for an emulator by IP or hostname it names no product, and the
		// version says which.
		{"the scope's service from an IP endpoint", func(c *tc3) { c.service = "127" }, ""},
		{"the scope's service from a hostname endpoint", func(c *tc3) { c.service = "localhost:9000" }, ""},
		{"an unknown service and an unknown version", func(c *tc3) { c.service, c.version = "127", "2000-01-01" }, "InvalidAction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			resp := serve(t, e, c.request(t, `{"InstanceId":"crs-5a4py64p"}`))
			if got := errCode(resp); got != tc.want {
				t.Fatalf("code %q, want %q: %v", got, tc.want, resp["Error"])
			}
			if tc.want == "" {
				if n, _ := resp["TotalCount"].(float64); n != 1 {
					t.Errorf("DescribeInstances answered %v, want the demo instance", resp)
				}
			}
		})
	}
}
