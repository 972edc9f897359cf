package events_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"redis-restore/events"
)

func TestFunctionURLRequest(t *testing.T) {
	r, err := decodeJSON[events.FunctionURLRequest](readFixture(t, "functionurl.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "HTTPMethod", r.HTTPMethod, "POST")
	check(t, "Path", r.Path, "/")
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{})
	check(t, "Headers", r.Headers, map[string]string{
		"accept":            "*/*",
		"content-length":    "67",
		"content-type":      "application/json",
		"host":              "1252068037-a1b2c3d4e5.gz.tencentscf.com",
		"user-agent":        "curl/8.5.0",
		"x-scf-remote-addr": "203.0.113.7",
	})
	check(t, "Body", r.Body, restoreBody)
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(false))

	check(t, "Method()", strings.ToUpper(r.HTTPMethod), "POST")
	check(t, "RemoteAddr()", r.Headers[events.RemoteAddrHeader], "203.0.113.7")
	check(t, `Header("Content-Type")`, r.Headers["content-type"], "application/json")
	check(t, `Header("X-Restore-Signature")`, r.Headers["x-restore-signature"], "")
	if body, err := webhookBody(r); err != nil || string(body) != restoreBody {
		t.Errorf("RawBody() = %q, %v", body, err)
	}

	// A round trip keeps every field, and marshals none of API gateway's
	// own fields back in.
	assertRoundTrip(t, r)
	b, _ := json.Marshal(r)
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requestContext", "pathParameters", "queryStringParameters", "headerParameters", "isBase64Encoded"} {
		if _, ok := fields[k]; ok {
			t.Errorf("marshalled function URL event has %s: %s", k, b)
		}
	}
}

func TestFunctionURLRequestAlarm(t *testing.T) {
	r, err := decodeJSON[events.FunctionURLRequest](readFixture(t, "functionurl-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Method()", strings.ToUpper(r.HTTPMethod), "POST")
	check(t, "RemoteAddr()", r.Headers[events.RemoteAddrHeader], "198.51.100.23")
	check(t, `Header("Authorization")`, r.Headers["authorization"], "Basic Y2xvdWRtb25pdG9yOnRlc3QtcGFzc3dvcmQ=")
	check(t, `Header("user-agent")`, r.Headers["user-agent"], "Go-http-client/1.1")
	body, err := webhookBody(r)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), body)
	assertRoundTrip(t, r)
}

func TestFunctionURLRequestGet(t *testing.T) {
	r, err := decodeJSON[events.FunctionURLRequest](readFixture(t, "functionurl-get.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Method()", strings.ToUpper(r.HTTPMethod), "GET")
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{"instanceId": {Values: []string{instance1}}})
	check(t, "Body", r.Body, "")
	check(t, "RemoteAddr()", r.Headers[events.RemoteAddrHeader], "203.0.113.7")
	assertRoundTrip(t, r)
}

func TestFunctionURLRequestBase64(t *testing.T) {
	// Not documented: should the platform mark a body base64, it is decoded.
	enc := base64.StdEncoding.EncodeToString([]byte(restoreBody))
	r, err := decodeJSON[events.FunctionURLRequest]([]byte(`{"httpMethod":"post","headers":{},"body":"` + enc + `","isBase64Encoded":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := webhookBody(r)
	if err != nil || string(body) != restoreBody {
		t.Errorf("RawBody() = %q, %v", body, err)
	}
	check(t, "Method()", strings.ToUpper(r.HTTPMethod), "POST")
	r.Body = "not base64!"
	if b, err := webhookBody(r); err == nil {
		t.Errorf("RawBody() of bad base64 = %q, want an error", b)
	}
}

func TestFunctionURLResponse(t *testing.T) {
	resp := events.FunctionURLResponse{
		StatusCode: 202,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"results":[]}`,
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	// The documented answer: no isBase64Encoded.
	assertJSONEq(t, []byte(`{"statusCode":202,"headers":{"Content-Type":"application/json"},"body":"{\"results\":[]}"}`), b)
	assertRoundTrip(t, resp)
}

// webhookBody is the body as the handler reads a function URL's: through
// API gateway's shape.
func webhookBody(r events.FunctionURLRequest) ([]byte, error) {
	g := events.APIGatewayRequest{Body: r.Body, IsBase64Encoded: r.IsBase64Encoded}
	return g.RawBody()
}
