package main

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
)

// TestResignSignsFunctionURLFixtures: make run EVENT=testdata/functionurl.json
// passes the webhook authentication, with the header in the lower case a
// function URL hands over; a fixture with basic auth is left unsigned.
func TestResignSignsFunctionURLFixtures(t *testing.T) {
	const secret = "local-webhook-secret"
	for name, want := range map[string]string{
		"functionurl.json":       "x-restore-signature",
		"apigw.json":             handler.SignatureHeader,
		"functionurl-alarm.json": "",
		"apigw-alarm.json":       "",
	} {
		payload, err := os.ReadFile("../../testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := resign(payload, secret)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var req events.APIGatewayRequest
		if err := json.Unmarshal(out, &req); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sig, ok := req.Headers[want]
		if want == "" {
			if s := req.Header(handler.SignatureHeader); s != "" {
				t.Errorf("%s: signed (%s), though it carries basic auth", name, s)
			}
			continue
		}
		if !ok {
			t.Fatalf("%s: no %s header in %v", name, want, req.Headers)
		}
		body, _ := req.RawBody()
		ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
		sec, _ := strconv.ParseInt(ts, 10, 64)
		if sig != handler.Sign(secret, time.Unix(sec, 0), body) || time.Since(time.Unix(sec, 0)) > time.Minute {
			t.Errorf("%s: signature %q is not a fresh one of the body", name, sig)
		}
	}
}
