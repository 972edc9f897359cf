package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"redis-restore/events"
)

func decodeDims(t *testing.T, raw string) events.Dimensions {
	t.Helper()
	var a events.AlarmNotification
	if err := json.Unmarshal([]byte(`{"alarmObjInfo":{"dimensions":`+raw+`}}`), &a); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return a.AlarmObjInfo.Dimensions
}

func TestDimensionsInstance(t *testing.T) {
	tests := []struct{ name, dims, want string }{
		{"1-minute", `{"appid":"1252068037","instanceid":"crs-aaaa1111","objId":"crs-aaaa1111","objName":"ID:crs-aaaa1111|Instance Name:x"}`, "crs-aaaa1111"},
		{"5-second", `{"AppId":1252068037,"InstanceId":"crs-aaaa1111"}`, "crs-aaaa1111"},
		{"event unInstanceId with objDetail", `{"unInstanceId":"crs-aaaa1111","objDetail":{"instanceId":"crs-aaaa1111","projectId":0,"tags":[],"ha":true}}`, "crs-aaaa1111"},
		{"objDetail alone", `{"objDetail":{"instanceId":"crs-bbbb2222"}}`, "crs-bbbb2222"},
		{"node object", `{"objId":"crs-cccc3333##6c3a5d8e"}`, "crs-cccc3333"},
		{"node object with rnodeid", `{"rnodeid":"6c3a5d8e","objId":" crs-cccc3333##6c3a5d8e "}`, "crs-cccc3333"},
		{"instanceid before node object", `{"instanceid":"crs-aaaa1111","objId":"crs-cccc3333##n"}`, "crs-aaaa1111"},
		{"CVM event", `{"unInstanceId":"ins-o9p3rg3m","objDetail":{"instanceId":"ins-o9p3rg3m"}}`, ""},
		{"node of nothing", `{"objId":"##6c3a5d8e"}`, ""},
		{"null dimension", `{"instanceid":null,"InstanceId":"crs-aaaa1111"}`, "crs-aaaa1111"},
		{"numbers", `{"appid":1252068037,"objId":"crs-aaaa1111"}`, "crs-aaaa1111"},
	}
	for _, tt := range tests {
		a := events.AlarmNotification{AlarmObjInfo: events.AlarmObjInfo{Dimensions: decodeDims(t, tt.dims)}}
		if got := a.InstanceID(); got != tt.want {
			t.Errorf("%s: InstanceID() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// objDetail goes out nested as it came in.
func TestDimensionsRoundTrip(t *testing.T) {
	raw := `{"objDetail":{"instanceId":"crs-aaaa1111","projectId":"0"},"unInstanceId":"crs-aaaa1111"}`
	d := decodeDims(t, raw)
	if d["objDetail.instanceId"] != "crs-aaaa1111" {
		t.Fatalf("decoded %v", d)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(raw), b)
}

func TestDimensionsRefuseWhatIsNoObject(t *testing.T) {
	for _, raw := range []string{`"crs-aaaa1111"`, `[1]`, `{"objDetail":{"a":{"b":{"c":{"d":{"e":"f"}}}}}}`} {
		var a events.AlarmNotification
		err := json.Unmarshal([]byte(`{"alarmObjInfo":{"dimensions":`+raw+`}}`), &a)
		if err == nil || !strings.Contains(err.Error(), "dimension") {
			t.Errorf("%s: err %v, want one naming the dimensions", raw, err)
		}
	}
}
