package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"redis-restore/events"
)

func TestAlarmNotificationMetric(t *testing.T) {
	a := decodeFixture[events.AlarmNotification](t, "alarm-metric-instanceid.json")

	check(t, "SessionID", a.SessionID, "xxxxxxxx")
	check(t, "AlarmStatus", a.AlarmStatus, events.String("1"))
	check(t, "AlarmType", a.AlarmType, "metric")
	check(t, "AlarmObjInfo.Region", a.AlarmObjInfo.Region, "gz")
	check(t, "AlarmObjInfo.Namespace", a.AlarmObjInfo.Namespace, "qce/redis")
	check(t, "AlarmObjInfo.AppID", a.AlarmObjInfo.AppID, events.String("1252068037"))
	check(t, "AlarmObjInfo.Uin", a.AlarmObjInfo.Uin, events.String("100000000001"))
	check(t, "AlarmObjInfo.Dimensions", a.AlarmObjInfo.Dimensions, events.Dimensions{
		"appid":      "1252068037",
		"instanceid": instance1,
		"objId":      instance1,
		"objName":    "ID:crs-5a4py64p|Instance Name:price",
	})
	p := a.AlarmPolicyInfo
	check(t, "AlarmPolicyInfo.PolicyID", p.PolicyID, "policy-n4exeh88")
	check(t, "AlarmPolicyInfo.PolicyType", p.PolicyType, "redis_mem_edition")
	check(t, "AlarmPolicyInfo.PolicyName", p.PolicyName, "keys dropped")
	check(t, "AlarmPolicyInfo.PolicyTypeCName", p.PolicyTypeCName, "Redis")
	check(t, "AlarmPolicyInfo.Conditions", p.Conditions, events.AlarmConditions{
		MetricName:        "keys",
		CalcType:          "<",
		CalcValue:         "1000",
		CurrentValue:      "3",
		Unit:              "",
		Period:            "60",
		PeriodNum:         "1",
		AlarmNotifyType:   "continuousAlarm",
		AlarmNotifyPeriod: "300", // a number in the notification
	})
	check(t, "FirstOccurTime", a.FirstOccurTime, "2026-11-29 10:00:00")
	check(t, "DurationTime", a.DurationTime, events.String("500")) // a number in the notification
	check(t, "RecoverTime", a.RecoverTime, events.String("0"))
	check(t, "AdditionalMsg", a.AdditionalMsg, []any(nil))

	check(t, "InstanceID()", a.InstanceID(), instance1)
	check(t, "Firing()", a.Firing(), true)
	check(t, "Region()", a.Region(), "ap-guangzhou")
	check(t, "What()", a.What(), "metric keys")

	assertRoundTrip(t, a)
}

func TestAlarmNotificationFiveSecond(t *testing.T) {
	a := decodeFixture[events.AlarmNotification](t, "alarm-metric-InstanceId.json")
	check(t, "SessionID", a.SessionID, "yyyyyyyy")
	check(t, "AlarmStatus", a.AlarmStatus, events.String("1"))
	check(t, "AlarmObjInfo.Namespace", a.AlarmObjInfo.Namespace, "qce/redis_mem")
	check(t, "AlarmObjInfo.Dimensions", a.AlarmObjInfo.Dimensions, events.Dimensions{
		"InstanceId": instance1,
		"objId":      instance1,
		"objName":    "ID:crs-5a4py64p|Instance Name:price",
	})
	check(t, "AlarmPolicyInfo.PolicyID", a.AlarmPolicyInfo.PolicyID, "policy-5s0summ")
	check(t, "AlarmPolicyInfo.PolicyName", a.AlarmPolicyInfo.PolicyName, "cpu busy (5 s)")
	check(t, "AlarmPolicyInfo.Conditions", a.AlarmPolicyInfo.Conditions, events.AlarmConditions{
		MetricName:        "cpu_util",
		MetricShowName:    "CPU utilization",
		CalcType:          ">",
		CalcValue:         "90",
		CurrentValue:      "97",
		Unit:              "%",
		Period:            "5",
		PeriodNum:         "1",
		AlarmNotifyType:   "continuousAlarm",
		AlarmNotifyPeriod: "300",
	})
	check(t, "DurationTime", a.DurationTime, events.String("500"))
	check(t, "RecoverTime", a.RecoverTime, events.String("0"))
	check(t, "InstanceID()", a.InstanceID(), instance1)
	check(t, "What()", a.What(), "metric cpu_util")

	assertRoundTrip(t, a)
	// All strings, no empty optional field: marshals back to the fixture.
	assertMarshalsAs(t, "alarm-metric-InstanceId.json", a)
}

func TestAlarmNotificationEvent(t *testing.T) {
	a := decodeFixture[events.AlarmNotification](t, "alarm-event.json")
	check(t, "AlarmType", a.AlarmType, "event")
	check(t, "AlarmPolicyInfo.PolicyType", a.AlarmPolicyInfo.PolicyType, "redis_event")
	// productName and productShowName are not kept.
	check(t, "AlarmPolicyInfo.Conditions", a.AlarmPolicyInfo.Conditions, events.AlarmConditions{
		EventName:     "instance_down",
		EventShowName: "Instance down",
	})
	check(t, "AdditionalMsg", a.AdditionalMsg, []any{
		map[string]any{"key": "alias", "value": "price"},
		map[string]any{"key": "eventSource", "value": "eventbridge"},
	})
	check(t, "What()", a.What(), "event instance_down")
	check(t, "InstanceID()", a.InstanceID(), instance1)
	check(t, "Firing()", a.Firing(), true)

	// An event alarm marshals without the metric fields.
	b, err := json.Marshal(a.AlarmPolicyInfo.Conditions)
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEq(t, []byte(`{"eventName":"instance_down","eventShowName":"Instance down"}`), b)
	assertRoundTrip(t, a)
}

func TestAlarmNotificationResolved(t *testing.T) {
	a := decodeFixture[events.AlarmNotification](t, "alarm-resolved.json")
	check(t, "AlarmStatus", a.AlarmStatus, events.String("0"))
	check(t, "RecoverTime", a.RecoverTime, events.String("2026-11-29 10:15:00"))
	check(t, "DurationTime", a.DurationTime, events.String("900"))
	check(t, "Firing()", a.Firing(), false)
	check(t, "InstanceID()", a.InstanceID(), instance1)
	assertRoundTrip(t, a)
}

func TestAlarmNotificationNumbers(t *testing.T) {
	a := decodeFixture[events.AlarmNotification](t, "alarm-numbers.json")
	check(t, "AlarmStatus", a.AlarmStatus, events.String("1"))
	check(t, "DurationTime", a.DurationTime, events.String("500"))
	check(t, "AlarmNotifyPeriod", a.AlarmPolicyInfo.Conditions.AlarmNotifyPeriod, events.String("300"))
	check(t, "AlarmObjInfo.Region", a.AlarmObjInfo.Region, "ap-shanghai")
	check(t, "Firing()", a.Firing(), true)
	check(t, "Region()", a.Region(), "ap-shanghai")

	// The numbers come back as strings, and stay the same.
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	check(t, "marshalled alarmStatus", string(fields["alarmStatus"]), `"1"`)
	check(t, "marshalled durationTime", string(fields["durationTime"]), `"500"`)
	assertRoundTrip(t, a)
}

// Every alarm fixture, through the helpers.
func TestAlarmFixtures(t *testing.T) {
	tests := []struct {
		fixture  string
		instance string
		firing   bool
		region   string
		what     string
	}{
		{"alarm-metric-instanceid.json", instance1, true, "ap-guangzhou", "metric keys"},
		{"alarm-metric-InstanceId.json", instance1, true, "ap-guangzhou", "metric cpu_util"},
		{"alarm-redis-uuid.json", instance1, true, "ap-guangzhou", "metric keys"},
		{"alarm-objid.json", instance1, true, "ap-guangzhou", "metric keys"},
		{"alarm-no-instance.json", "", true, "ap-guangzhou", "metric cpu_usage"},
		{"alarm-resolved.json", instance1, false, "ap-guangzhou", "metric keys"},
		{"alarm-numbers.json", instance1, true, "ap-shanghai", "metric keys"},
		{"alarm-event.json", instance1, true, "ap-guangzhou", "event instance_down"},
		// Documented shapes of platform-2026.md §4 and platform.md.
		{"alarm-metric-2025.json", instance1, true, "ap-guangzhou", "metric keys"},
		{"alarm-metric-5s-appid.json", instance1, true, "ap-guangzhou", "metric cpu_util"},
		{"alarm-node-rnodeid.json", instance1, true, "ap-guangzhou", "metric mem_util"},
		{"alarm-node-objid-only.json", instance1, true, "ap-guangzhou", "metric connections"},
		{"alarm-event-objdetail.json", instance1, true, "ap-guangzhou", "event ServiceNotAvailable"},
		{"alarm-event-cvm-objdetail.json", "", true, "ap-guangzhou", "event ping_unreachable"},
		{"alarm-resolved-numbers.json", instance1, false, "ap-guangzhou", "metric keys"},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.fixture] = true
		t.Run(tt.fixture, func(t *testing.T) {
			a := decodeFixture[events.AlarmNotification](t, tt.fixture)
			check(t, "InstanceID()", a.InstanceID(), tt.instance)
			check(t, "Firing()", a.Firing(), tt.firing)
			check(t, "Region()", a.Region(), tt.region)
			check(t, "What()", a.What(), tt.what)
			assertRoundTrip(t, a)
		})
	}
	for _, name := range fixtureNames(t) {
		if strings.HasPrefix(name, "alarm") && !seen[name] {
			t.Errorf("fixture %s is not in the table", name)
		}
	}
}

func TestAlarmInstanceID(t *testing.T) {
	tests := []struct {
		name string
		dims map[string]events.String
		want string
	}{
		{"instanceid", map[string]events.String{"instanceid": "crs-aaaa1111"}, "crs-aaaa1111"},
		{"InstanceId", map[string]events.String{"InstanceId": "crs-aaaa1111"}, "crs-aaaa1111"},
		{"redis_uuid", map[string]events.String{"redis_uuid": "crs-aaaa1111"}, "crs-aaaa1111"},
		{"objId", map[string]events.String{"objId": "crs-aaaa1111"}, "crs-aaaa1111"},
		{"objId trimmed", map[string]events.String{"objId": " crs-aaaa1111 "}, "crs-aaaa1111"},
		{"objId not Redis", map[string]events.String{"objId": "ins-o9p3rg3m"}, ""},
		{"CVM", map[string]events.String{"unInstanceId": "ins-o9p3rg3m", "objId": "ins-o9p3rg3m"}, ""},
		{"none", nil, ""},
		{"empty instanceid falls through", map[string]events.String{"instanceid": " ", "InstanceId": "crs-bbbb2222"}, "crs-bbbb2222"},
		{"instanceid first", map[string]events.String{"instanceid": "crs-aaaa1111", "InstanceId": "crs-bbbb2222", "redis_uuid": "crs-cccc3333", "objId": "crs-dddd4444"}, "crs-aaaa1111"},
		{"InstanceId before redis_uuid", map[string]events.String{"InstanceId": "crs-bbbb2222", "redis_uuid": "crs-cccc3333"}, "crs-bbbb2222"},
		{"redis_uuid before objId", map[string]events.String{"redis_uuid": "crs-cccc3333", "objId": "crs-dddd4444"}, "crs-cccc3333"},
	}
	for _, tt := range tests {
		a := events.AlarmNotification{AlarmObjInfo: events.AlarmObjInfo{Dimensions: tt.dims}}
		check(t, tt.name, a.InstanceID(), tt.want)
	}
}

func TestAlarmFiring(t *testing.T) {
	tests := []struct {
		status string // alarmStatus as it appears in the JSON
		want   bool
	}{
		{`"1"`, true},
		{`1`, true},
		{`" 1 "`, true},
		{`"0"`, false},
		{`0`, false},
		{`""`, false},
		{`null`, false},
	}
	for _, tt := range tests {
		var a events.AlarmNotification
		if err := json.Unmarshal([]byte(`{"alarmStatus":`+tt.status+`}`), &a); err != nil {
			t.Errorf("alarmStatus %s: %v", tt.status, err)
			continue
		}
		check(t, "Firing() for alarmStatus "+tt.status, a.Firing(), tt.want)
	}
	var a events.AlarmNotification
	if err := json.Unmarshal([]byte(`{"alarmStatus":true}`), &a); err == nil {
		t.Errorf("alarmStatus true: decoded, want an error")
	}
}

func TestAlarmRegion(t *testing.T) {
	tests := map[string]string{
		"gz":          "ap-guangzhou",
		"sh":          "ap-shanghai",
		"bj":          "ap-beijing",
		" gz ":        "ap-guangzhou",
		"ap-shanghai": "ap-shanghai",
		"":            "",
		"zz":          "",
	}
	for in, want := range tests {
		a := events.AlarmNotification{AlarmObjInfo: events.AlarmObjInfo{Region: in}}
		check(t, "Region() for "+in, a.Region(), want)
	}
}

func TestAlarmWhat(t *testing.T) {
	tests := []struct {
		c    events.AlarmConditions
		want string
	}{
		{events.AlarmConditions{MetricName: "keys"}, "metric keys"},
		{events.AlarmConditions{EventName: "redis_switch"}, "event redis_switch"},
		{events.AlarmConditions{MetricName: "keys", EventName: "instance_down"}, "event instance_down"},
		{events.AlarmConditions{}, "alarm"},
	}
	for _, tt := range tests {
		a := events.AlarmNotification{AlarmPolicyInfo: events.AlarmPolicyInfo{Conditions: tt.c}}
		check(t, "What()", a.What(), tt.want)
	}
}

func FuzzDecodeAlarm(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, ok := checkStableJSON[events.AlarmNotification](t, data)
		if !ok {
			return
		}
		if id := a.InstanceID(); id != strings.TrimSpace(id) {
			t.Fatalf("InstanceID() = %q, not trimmed", id)
		}
		_ = a.Firing()
		_ = a.What()
		if r := a.Region(); r != "" && !strings.Contains(r, "-") {
			t.Fatalf("Region() = %q", r)
		}
	})
}
