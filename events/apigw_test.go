package events_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"

	"redis-restore/events"
)

// withoutEmptyMaps is the request as it comes back from a round trip: the
// optional maps are omitempty, so the empty ones a gateway sends
// ("pathParameters": {}) come back absent. Empty and absent mean the same to
// every reader.
func withoutEmptyMaps(r events.APIGatewayRequest) events.APIGatewayRequest {
	if len(r.PathParameters) == 0 {
		r.PathParameters = nil
	}
	if len(r.QueryStringParameters) == 0 {
		r.QueryStringParameters = nil
	}
	if len(r.HeaderParameters) == 0 {
		r.HeaderParameters = nil
	}
	if len(r.QueryString) == 0 {
		r.QueryString = nil
	}
	if r.RequestContext != nil {
		c := *r.RequestContext
		if len(c.Identity) == 0 {
			c.Identity = nil
		}
		r.RequestContext = &c
	}
	return r
}

func assertAPIGatewayRoundTrip(t *testing.T, r events.APIGatewayRequest) {
	t.Helper()
	want := withoutEmptyMaps(r)
	if got := roundTrip(t, r); !reflect.DeepEqual(got, want) {
		t.Errorf("round trip changed the request:\n got %#v\nwant %#v", got, want)
	}
}

func TestAPIGatewayRequest(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw.json")
	const id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"

	if r.RequestContext == nil {
		t.Fatal("RequestContext is nil")
	}
	check(t, "RequestContext.ServiceID", r.RequestContext.ServiceID, "service-f94sy04v")
	check(t, "RequestContext.Path", r.RequestContext.Path, "/restore")
	check(t, "RequestContext.HTTPMethod", r.RequestContext.HTTPMethod, "ANY")
	check(t, "RequestContext.RequestID", r.RequestContext.RequestID, id)
	check(t, "RequestContext.Identity", r.RequestContext.Identity, map[string]any{})
	check(t, "RequestContext.SourceIP", r.RequestContext.SourceIP, "10.0.2.14")
	check(t, "RequestContext.Stage", r.RequestContext.Stage, "release")
	check(t, "Headers", r.Headers, map[string]string{
		"accept":               "*/*",
		"content-length":       "67",
		"content-type":         "application/json",
		"host":                 "service-f94sy04v-1252068037.gz.apigw.tencentcs.com",
		"user-agent":           "curl/8.5.0",
		"x-anonymous-consumer": "true",
		"x-api-requestid":      id,
		"x-b3-traceid":         id,
		"x-qualifier":          "$DEFAULT",
	})
	check(t, "Body", r.Body, restoreBody)
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(false))
	check(t, "PathParameters", r.PathParameters, map[string]string{})
	check(t, "QueryStringParameters", r.QueryStringParameters, map[string]string{})
	check(t, "HeaderParameters", r.HeaderParameters, map[string]string{})
	check(t, "Path", r.Path, "/restore")
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{
		"region":  {Values: []string{"ap-guangzhou"}},
		"tag":     {Values: []string{"a", "b"}},
		"verbose": {Flag: true},
	})
	check(t, "QueryString[region].First", r.QueryString["region"].First(), "ap-guangzhou")
	check(t, "QueryString[tag].First", r.QueryString["tag"].First(), "a")
	check(t, "QueryString[verbose].First", r.QueryString["verbose"].First(), "")
	check(t, "HTTPMethod", r.HTTPMethod, "POST")

	check(t, "Method()", r.Method(), "POST")
	check(t, "RequestID()", r.RequestID(), id)
	check(t, `Header("content-type")`, r.Header("content-type"), "application/json")
	check(t, `Header("Content-Type")`, r.Header("Content-Type"), "application/json")
	check(t, `Header("CONTENT-TYPE")`, r.Header("CONTENT-TYPE"), "application/json")
	check(t, `Header("X-Restore-Signature")`, r.Header("X-Restore-Signature"), "")
	body, err := r.RawBody()
	if err != nil {
		t.Fatalf("RawBody: %v", err)
	}
	check(t, "RawBody()", string(body), restoreBody)

	assertAPIGatewayRoundTrip(t, r)
}

func TestAPIGatewayRequestBase64(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw-base64.json")
	const id = "0b2a7e1c-5d3f-4c8e-9f61-3a1d2c4b5e6f"

	// isBase64Encoded arrives as the string "true".
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(true))
	check(t, "Body", r.Body, base64.StdEncoding.EncodeToString([]byte(restoreBody)))
	check(t, "HTTPMethod", r.HTTPMethod, "POST")
	check(t, "Path", r.Path, "/restore")
	check(t, "RequestContext.HTTPMethod", r.RequestContext.HTTPMethod, "ANY")
	check(t, "RequestContext.RequestID", r.RequestContext.RequestID, id)
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{})
	check(t, `Header("Content-Type")`, r.Header("Content-Type"), "application/octet-stream")
	check(t, "RequestID()", r.RequestID(), id)

	body, err := r.RawBody()
	if err != nil {
		t.Fatalf("RawBody: %v", err)
	}
	check(t, "RawBody()", string(body), restoreBody)

	// IsBase64Encoded marshals as a bool, and comes back true.
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	check(t, "marshalled isBase64Encoded", string(fields["isBase64Encoded"]), "true")
	assertAPIGatewayRoundTrip(t, r)
}

func TestAPIGatewayRequestCapitalisedHeaders(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw-capitalised-headers.json")
	const id = "5e1f0b8a-2c4d-4e6f-8a9b-0c1d2e3f4a5b"
	const sig = "t=1795921200,v1=765315e8efca494c1def26ed05883628dd132331dd5b9e86d5fa1dfac284deaa"

	check(t, "Headers", r.Headers, map[string]string{
		"Accept":              "*/*",
		"Content-Length":      "67",
		"Content-Type":        "application/json",
		"Host":                "service-f94sy04v-1252068037.gz.apigw.tencentcs.com",
		"User-Agent":          "restore-client/1.0",
		"X-Api-Requestid":     id,
		"X-Restore-Signature": sig,
	})
	check(t, `Header("Content-Type")`, r.Header("Content-Type"), "application/json")
	check(t, `Header("content-type")`, r.Header("content-type"), "application/json")
	check(t, `Header("X-Restore-Signature")`, r.Header("X-Restore-Signature"), sig)
	check(t, `Header("x-restore-signature")`, r.Header("x-restore-signature"), sig)
	check(t, `Header("Authorization")`, r.Header("Authorization"), "")
	check(t, "RequestContext.Identity", r.RequestContext.Identity, map[string]any(nil))
	check(t, "RequestContext.RequestID", r.RequestContext.RequestID, id)
	check(t, "RequestID()", r.RequestID(), id)
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(false))
	check(t, "Body", r.Body, restoreBody)
	check(t, "PathParameters", r.PathParameters, map[string]string(nil))
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{"dryRun": {Values: []string{"false"}}})
	check(t, "Path", r.Path, "/restore")
	check(t, "Method()", r.Method(), "POST")

	assertRoundTrip(t, r)
	// No empty maps and every variant field in canonical form: the request
	// marshals back to the fixture.
	assertMarshalsAs(t, "apigw-capitalised-headers.json", r)
}

func TestAPIGatewayRequestBatch(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw-batch.json")
	check(t, "HTTPMethod", r.HTTPMethod, "POST")
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(false))
	check(t, "RequestID()", r.RequestID(), "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a")
	const body = `{"restores":[{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"},` +
		`{"instanceId":"crs-1amp2588","backupId":"678362566696298532850001"}]}`
	check(t, "Body", r.Body, body)
	if raw, err := r.RawBody(); err != nil || string(raw) != body {
		t.Errorf("RawBody() = %q, %v", raw, err)
	}
	assertAPIGatewayRoundTrip(t, r)
}

func TestAPIGatewayRequestGet(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw-get.json")
	check(t, "HTTPMethod", r.HTTPMethod, "GET")
	check(t, "Method()", r.Method(), "GET")
	check(t, "RequestContext.HTTPMethod", r.RequestContext.HTTPMethod, "ANY")
	check(t, "Body", r.Body, "")
	check(t, "IsBase64Encoded", r.IsBase64Encoded, events.Bool(false))
	check(t, "QueryString", r.QueryString, map[string]events.QueryValue{"instanceId": {Values: []string{instance1}}})
	check(t, `Header("Content-Type")`, r.Header("Content-Type"), "")
	check(t, "RequestID()", r.RequestID(), "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
	body, err := r.RawBody()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "len(RawBody())", len(body), 0)
	assertAPIGatewayRoundTrip(t, r)
}

func TestAPIGatewayRequestAlarm(t *testing.T) {
	r := decodeFixture[events.APIGatewayRequest](t, "apigw-alarm.json")
	check(t, "HTTPMethod", r.HTTPMethod, "POST")
	check(t, "Path", r.Path, "/restore/alarm")
	check(t, "RequestContext.Path", r.RequestContext.Path, "/restore/alarm")
	// Cloud Monitor carries basic auth in the callback URL.
	check(t, `Header("Authorization")`, r.Header("Authorization"), "Basic Y2xvdWRtb25pdG9yOnRlc3QtcGFzc3dvcmQ=")
	body, err := r.RawBody()
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), body)
	var a events.AlarmNotification
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	check(t, "alarm InstanceID()", a.InstanceID(), instance1)
	check(t, "alarm Firing()", a.Firing(), true)
	assertAPIGatewayRoundTrip(t, r)
}

func TestAPIGatewayRequestHelpers(t *testing.T) {
	t.Run("Header prefers the exact name", func(t *testing.T) {
		r := events.APIGatewayRequest{Headers: map[string]string{"x-a": "lower", "X-A": "exact"}}
		check(t, `Header("X-A")`, r.Header("X-A"), "exact")
		check(t, `Header("x-a")`, r.Header("x-a"), "lower")
	})
	t.Run("Header without headers", func(t *testing.T) {
		var r events.APIGatewayRequest
		check(t, `Header("Content-Type")`, r.Header("Content-Type"), "")
	})
	t.Run("RawBody refuses bad base64", func(t *testing.T) {
		r := events.APIGatewayRequest{Body: "not base64!", IsBase64Encoded: true}
		if b, err := r.RawBody(); err == nil {
			t.Errorf("RawBody() = %q, want an error", b)
		}
	})
	t.Run("RawBody leaves a plain body alone", func(t *testing.T) {
		r := events.APIGatewayRequest{Body: "eyJ9"}
		b, err := r.RawBody()
		if err != nil || string(b) != "eyJ9" {
			t.Errorf("RawBody() = %q, %v", b, err)
		}
	})
	t.Run("Method upper-cases", func(t *testing.T) {
		r := events.APIGatewayRequest{HTTPMethod: "post"}
		check(t, "Method()", r.Method(), "POST")
	})
	t.Run("RequestID falls back to the header", func(t *testing.T) {
		r := events.APIGatewayRequest{
			RequestContext: &events.APIGatewayRequestContext{},
			Headers:        map[string]string{"X-Api-RequestId": "from-header"},
		}
		check(t, "RequestID()", r.RequestID(), "from-header")
		r.RequestContext = nil
		check(t, "RequestID() without context", r.RequestID(), "from-header")
		r.Headers = nil
		check(t, "RequestID() without anything", r.RequestID(), "")
	})
}

func TestAPIGatewayResponse(t *testing.T) {
	resp := events.APIGatewayResponse{
		StatusCode: 202,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"results":[]}`,
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(`{"isBase64Encoded":false,"statusCode":202,"headers":{"Content-Type":"application/json"},"body":"{\"results\":[]}"}`), b)
	assertRoundTrip(t, resp)
}

func FuzzDecodeAPIGateway(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"httpMethod":"POST","headers":{},"isBase64Encoded":"true","body":"e30="}`))
	f.Add([]byte(`{"httpMethod":"POST","headers":{},"queryString":{"a":null,"b":false,"c":[],"d":[""]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok := checkStableJSON[events.APIGatewayRequest](t, data)
		if !ok {
			return
		}
		_ = r.Header("Content-Type")
		_ = r.Method()
		_ = r.RequestID()
		for _, v := range r.QueryString {
			if v.Flag && len(v.Values) > 0 {
				t.Fatalf("query value both a flag and values: %#v", v)
			}
			_ = v.First()
		}
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
	})
}
