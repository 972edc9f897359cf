package handler_test

// Helpers of the tests of the decoding (detect_test.go, request_test.go,
// decode_test.go): the fixtures' demo values, what each envelope fixture
// carries, and the property every restore-request parse must keep.

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Values of the emulator's demo data, which the fixtures use.
const (
	instance1 = "crs-5a4py64p"
	backup1   = "678362566696298532848117"
	instance2 = "crs-1amp2588"
	backup2   = "678362566696298532850001"
	instance3 = "crs-9xk2m7qa"
)

// restoreBody is the restore request most fixtures carry, as sent.
const restoreBody = `{"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}`

func readFixture(tb testing.TB, name string) []byte { return fixture(tb, name) }

// fixtureNames lists every fixture, sorted.
func fixtureNames(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	sort.Strings(names)
	return names
}

// check reports a field that differs from what is wanted.
func check(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", field, got, want)
	}
}

// assertJSONEq compares two JSON documents semantically.
func assertJSONEq(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got: %v", err)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("JSON differs:\n got %s\nwant %s", got, want)
	}
}

// fixtureBodies is what an envelope fixture carries (a timer's Message,
// an HTTP body, CMQ and CKafka message bodies, EventBridge data), decoded
// as the handler decodes the envelope; nil for a fixture that is a body.
func fixtureBodies(tb testing.TB, name string, data []byte) [][]byte {
	var out [][]byte
	switch {
	case strings.HasPrefix(name, "timer"):
		var e events.TimerEvent
		if json.Unmarshal(data, &e) == nil {
			out = append(out, []byte(e.Message))
		}
	case strings.HasPrefix(name, "apigw"), strings.HasPrefix(name, "functionurl"):
		if r, err := handler.DecodeWebhook(data); err == nil {
			if b, err := r.RawBody(); err == nil {
				out = append(out, b)
			}
		}
	case strings.HasPrefix(name, "cmq"):
		var e events.CMQEvent
		if json.Unmarshal(data, &e) == nil {
			for _, rec := range e.Records {
				out = append(out, []byte(rec.CMQ.MsgBody))
			}
		}
	case strings.HasPrefix(name, "ckafka"):
		if e, err := handler.DecodeCKafka(data); err == nil {
			for _, rec := range e.Records {
				out = append(out, []byte(rec.Ckafka.MsgBody))
			}
		}
	case strings.HasPrefix(name, "eventbridge"):
		if evs, err := handler.DecodeEventBridge(data); err == nil {
			for _, e := range evs {
				if b, err := e.RequestBody(); err == nil && e.IsRestoreRequest() {
					out = append(out, b)
				}
			}
		}
	}
	return out
}

// seedBodies adds what the envelope fixtures carry to a fuzz corpus, for
// targets that parse bodies rather than events.
func seedBodies(f *testing.F) {
	f.Helper()
	for _, name := range fixtureNames(f) {
		for _, b := range fixtureBodies(f, name, readFixture(f, name)) {
			f.Add(b)
		}
	}
}

// instanceIDRE is the shape of a Redis instance ID, as the contract has it.
var instanceIDRE = regexp.MustCompile(`^crs-[a-z0-9]{4,32}$`)

// checkRestoreRequests is the property of ParseRequests: whatever the
// input, it never panics and either returns at least one valid request or
// an error of kind Invalid, never both, never neither.
func checkRestoreRequests(t *testing.T, data []byte) {
	t.Helper()
	reqs, err := handler.ParseRequests(data)
	if err != nil {
		if k := failure.KindOf(err); k != failure.Invalid {
			t.Fatalf("ParseRequests(%q): error of kind %v, want Invalid: %v", data, k, err)
		}
		if reqs != nil {
			t.Fatalf("ParseRequests(%q): requests %v along with error %v", data, reqs, err)
		}
		return
	}
	if len(reqs) == 0 || len(reqs) > intent.MaxRestores {
		t.Fatalf("ParseRequests(%q): %d requests, no error", data, len(reqs))
	}
	for i, r := range reqs {
		if !instanceIDRE.MatchString(r.InstanceID) {
			t.Fatalf("request %d: instanceId %q accepted", i, r.InstanceID)
		}
		if r.BackupID == "" {
			t.Fatalf("request %d: empty backupId accepted", i)
		}
		if r.Before != nil && r.BackupID != intent.LatestBackup {
			t.Fatalf("request %d: before with backupId %q accepted", i, r.BackupID)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("request %d: marshal: %v", i, err)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b, &keys); err != nil {
			t.Fatalf("request %d: marshalled %s: %v", i, b, err)
		}
		for k := range keys {
			if strings.EqualFold(k, "password") {
				t.Fatalf("request %d: password marshalled: %s", i, b)
			}
		}
	}
}
