package events_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"redis-restore/events"
	"redis-restore/internal/failure"
)

func TestFunctionURLRequest(t *testing.T) {
	r, err := events.DecodeFunctionURL(readFixture(t, "functionurl.json"))
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

	check(t, "Method()", r.Method(), "POST")
	check(t, "RemoteAddr()", r.RemoteAddr(), "203.0.113.7")
	check(t, `Header("Content-Type")`, r.Header("Content-Type"), "application/json")
	check(t, `Header("X-Restore-Signature")`, r.Header("X-Restore-Signature"), "")
	body, err := r.RawBody()
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := events.ParseRestoreRequests(body)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	check(t, "body requests", reqs, []events.RestoreRequest{{InstanceID: instance1, BackupID: backup1}})

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
	r, err := events.DecodeFunctionURL(readFixture(t, "functionurl-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Method()", r.Method(), "POST")
	check(t, "RemoteAddr()", r.RemoteAddr(), "198.51.100.23")
	check(t, `Header("Authorization")`, r.Header("Authorization"), "Basic Y2xvdWRtb25pdG9yOnRlc3QtcGFzc3dvcmQ=")
	check(t, `Header("user-agent")`, r.Header("user-agent"), "Go-http-client/1.1")
	body, err := r.RawBody()
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), body)
	if k, err := events.DetectBody(body); err != nil || k != events.Alarm {
		t.Errorf("DetectBody(body) = %v, %v; want alarm", k, err)
	}
	assertRoundTrip(t, r)
}

func TestFunctionURLRequestGet(t *testing.T) {
	r, err := events.DecodeFunctionURL(readFixture(t, "functionurl-get.json"))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Method()", r.Method(), "GET")
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{"instanceId": {Values: []string{instance1}}})
	check(t, "Body", r.Body, "")
	check(t, "RemoteAddr()", r.RemoteAddr(), "203.0.113.7")
	assertRoundTrip(t, r)
}

func TestFunctionURLRequestBase64(t *testing.T) {
	// Not documented: should the platform mark a body base64, it is decoded.
	enc := base64.StdEncoding.EncodeToString([]byte(restoreBody))
	r, err := events.DecodeFunctionURL([]byte(`{"httpMethod":"post","headers":{},"body":"` + enc + `","isBase64Encoded":"true"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, err := r.RawBody()
	if err != nil || string(body) != restoreBody {
		t.Errorf("RawBody() = %q, %v", body, err)
	}
	check(t, "Method()", r.Method(), "POST")
	r.Body = "not base64!"
	if b, err := r.RawBody(); err == nil {
		t.Errorf("RawBody() of bad base64 = %q, want an error", b)
	}
}

func TestDecodeFunctionURLErrorsNameTheField(t *testing.T) {
	for input, field := range map[string]string{
		`{"httpMethod":"POST","headers":{"a":1},"body":""}`:       "headers",
		`{"httpMethod":"POST","headers":{},"body":7}`:             "body",
		`{"httpMethod":"POST","headers":{},"body":"","body":"x"}`: "body",
		`[]`: "",
	} {
		_, err := events.DecodeFunctionURL([]byte(input))
		if err == nil {
			t.Errorf("DecodeFunctionURL(%s): no error", input)
			continue
		}
		if e := failure.As(err); e.Kind != failure.Invalid || e.Field != field {
			t.Errorf("DecodeFunctionURL(%s): %v (kind %v, field %q), want Invalid naming %q", input, err, e.Kind, e.Field, field)
		}
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

func FuzzDecodeFunctionURL(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"httpMethod":"POST","headers":{},"isBase64Encoded":"true","body":"e30="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := events.DecodeFunctionURL(data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("error of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		checkStableJSON[events.FunctionURLRequest](t, data)
		_ = r.Method()
		_ = r.RemoteAddr()
		body, err := r.RawBody()
		if err != nil {
			if !r.IsBase64Encoded {
				t.Fatalf("RawBody of a plain body: %v", err)
			}
			return
		}
		if !r.IsBase64Encoded && string(body) != r.Body {
			t.Fatalf("RawBody changed a plain body")
		}
		checkRestoreRequests(t, body)
	})
}
