package events_test

// Helpers shared by the per-source test files: reading the fixtures under
// the module's testdata directory, round trips, semantic JSON comparison,
// fuzz seeding, and the property every restore-request parse must keep.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"redis-restore/events"
)

// testdataDir is the module's top-level testdata directory: the fixtures are
// shared with `make run` and the other packages' tests.
const testdataDir = "../testdata"

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

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, name))
	if err != nil {
		tb.Fatalf("fixture: %v", err)
	}
	return b
}

// fixtureNames lists every fixture, sorted.
func fixtureNames(tb testing.TB) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(testdataDir, "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no fixtures in %s", testdataDir)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	sort.Strings(names)
	return names
}

// decodeJSON decodes data into a T, as encoding/json does.
func decodeJSON[T any](data []byte) (T, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

func decodeJSONT[T any](t *testing.T, data string) T {
	t.Helper()
	v, err := decodeJSON[T]([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// decodeEventBridge decodes one event or a batch {"EventList": [...]}.
func decodeEventBridge(data []byte) ([]events.EventBridgeEvent, error) {
	var b events.EventBridgeBatch
	if json.Unmarshal(data, &b) == nil && b.EventList != nil {
		return b.EventList, nil
	}
	e, err := decodeJSON[events.EventBridgeEvent](data)
	return []events.EventBridgeEvent{e}, err
}

// decodeFixture decodes a fixture into a T, as the runtime would.
func decodeFixture[T any](t *testing.T, name string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(readFixture(t, name), &v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return v
}

// roundTrip marshals v and decodes the result into a new T.
func roundTrip[T any](t *testing.T, v T) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decode the marshalled value: %v\n%s", err, b)
	}
	return out
}

// assertRoundTrip checks that v survives marshal and decode unchanged.
func assertRoundTrip[T any](t *testing.T, v T) {
	t.Helper()
	if got := roundTrip(t, v); !reflect.DeepEqual(got, v) {
		t.Errorf("round trip changed the value:\n got %#v\nwant %#v", got, v)
	}
}

// assertJSONEq compares two JSON documents semantically (key order and
// spacing do not matter; types and values do).
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
		t.Errorf("JSON differs:\n got %s\nwant %s", compactJSON(got), compactJSON(want))
	}
}

func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

// assertMarshalsAs marshals v and compares it with a fixture: for the
// fixtures that are in the types' own canonical form.
func assertMarshalsAs(t *testing.T, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	assertJSONEq(t, readFixture(t, name), b)
}

// check reports a field that differs from what is wanted.
func check(t *testing.T, field string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", field, got, want)
	}
}

// seedFixtures adds every fixture to a fuzz corpus.
func seedFixtures(f *testing.F) {
	f.Helper()
	for _, name := range fixtureNames(f) {
		f.Add(readFixture(f, name))
	}
}

// checkStableJSON decodes data into a T and, where that succeeds, checks
// that marshalling is a fixed point: marshal, decode, marshal gives the same
// bytes. Returns the decoded value and whether data decoded.
func checkStableJSON[T any](t *testing.T, data []byte) (T, bool) {
	t.Helper()
	var v T
	if json.Unmarshal(data, &v) != nil {
		return v, false
	}
	b1, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal of a decoded %T: %v", v, err)
	}
	var v2 T
	if err := json.Unmarshal(b1, &v2); err != nil {
		t.Fatalf("decode of a marshalled %T: %v\n%s", v, err, b1)
	}
	b2, err := json.Marshal(v2)
	if err != nil {
		t.Fatalf("second marshal of %T: %v", v, err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("%T does not survive a round trip:\n%s\n%s", v, b1, b2)
	}
	return v, true
}
