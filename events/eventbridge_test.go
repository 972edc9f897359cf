package events_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"redis-restore/events"
)

// assertEventRoundTrip checks that an event survives marshal and decode:
// every field equal, the raw JSON ones (tags, data) equal as JSON.
func assertEventRoundTrip(t *testing.T, e events.EventBridgeEvent) {
	t.Helper()
	got := roundTrip(t, e)
	if len(e.Tags) > 0 || len(got.Tags) > 0 {
		assertJSONEq(t, e.Tags, got.Tags)
	}
	if len(e.Data) > 0 || len(got.Data) > 0 {
		assertJSONEq(t, e.Data, got.Data)
	}
	got.Tags, got.Data, e.Tags, e.Data = nil, nil, nil, nil
	if !got.Time.Equal(e.Time.Time) {
		t.Errorf("round trip changed the time: %v, want %v", got.Time, e.Time)
	}
	got.Time, e.Time = events.EventTime{}, events.EventTime{}
	check(t, "round trip", got, e)
}

func decodeOneEvent(t *testing.T, name string) events.EventBridgeEvent {
	t.Helper()
	evs, err := decodeEventBridge(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(evs) != 1 {
		t.Fatalf("%s: %d events, want 1", name, len(evs))
	}
	return evs[0]
}

func TestEventBridgeRestoreRequest(t *testing.T) {
	e := decodeOneEvent(t, "eventbridge-restore.json")
	check(t, "SpecVersion", e.SpecVersion, events.String("1.0"))
	check(t, "ID", e.ID, "13a3f42d-7258-4ada-da6d-023a333b4662")
	check(t, "Type", e.Type, events.RestoreRequestedType)
	check(t, "Source", e.Source, "ops.restore-portal")
	check(t, "Subject", e.Subject, instance1)
	check(t, "Subjuect", e.Subjuect, "")
	// "1795921200000", milliseconds in a string.
	check(t, "Time", e.Time.UTC(), time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC))
	check(t, "Region", e.Region, "ap-guangzhou")
	check(t, "DataContentType", e.DataContentType, "application/json;charset=utf-8")
	check(t, "Resource", e.Resource, events.List(nil))
	check(t, "Tags", e.Tags, json.RawMessage(nil))
	check(t, "Status", e.Status, events.String(""))
	assertJSONEq(t, []byte(restoreBody), e.Data)

	check(t, "IsRestoreRequest()", e.IsRestoreRequest(), true)
	check(t, "IsOutcome()", e.IsOutcome(), false)
	_, _, cm := e.CloudMonitorEvent()
	check(t, "CloudMonitorEvent() ok", cm, false)
	if body, err := e.RequestBody(); err != nil || len(body) == 0 {
		t.Fatalf("RequestBody() = %s, %v", body, err)
	}
	assertEventRoundTrip(t, e)
}

func TestEventBridgeCloudMonitorEvent(t *testing.T) {
	e := decodeOneEvent(t, "eventbridge-alarm.json")
	check(t, "SpecVersion", e.SpecVersion, events.String("1.0"))
	check(t, "ID", e.ID, "5f0c1d2e-3a4b-4c5d-9e6f-7a8b9c0d1e2f")
	check(t, "Source", e.Source, "redis.cloud.tencent")
	check(t, "Type", e.Type, "redis:ErrorEvent:ServiceNotAvailable")
	check(t, "Subject", e.Subject, instance1)
	// 1795917600000, milliseconds as a number.
	check(t, "Time", e.Time.UTC(), time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC))
	check(t, "Region", e.Region, "ap-guangzhou")
	check(t, "Resource", e.Resource, events.List{"qcs::eb:ap-guangzhou:uid1252068037:eventbusid/eventruleid"})
	assertJSONEq(t, []byte(`{"env":"prod","team":"cache"}`), e.Tags)
	check(t, "Status", e.Status, events.String("1"))

	product, eventType, ok := e.CloudMonitorEvent()
	check(t, "CloudMonitorEvent()", []any{product, eventType, ok}, []any{"redis", "ServiceNotAvailable", true})
	check(t, "InstanceID()", e.InstanceID(), instance1)
	check(t, "IsRestoreRequest()", e.IsRestoreRequest(), false)
	check(t, "IsOutcome()", e.IsOutcome(), false)
	d, err := e.CloudMonitorData()
	if err != nil {
		t.Fatal(err)
	}
	check(t, "data.appId", d.AppID, events.String("1252068037"))
	check(t, "data.instanceId", d.InstanceID, events.String(instance1))
	check(t, "data.projectId", d.ProjectID, events.String("0"))
	assertJSONEq(t, []byte(`{"instanceid":"crs-5a4py64p"}`), d.Dimensions)
	assertJSONEq(t, []byte(`{"IP":"10.0.1.7"}`), d.AdditionalMsg)
	assertEventRoundTrip(t, e)
}

func TestEventBridgeBatch(t *testing.T) {
	evs, err := decodeEventBridge(readFixture(t, "eventbridge-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}

	req := evs[0]
	check(t, "[0].SpecVersion", req.SpecVersion, events.String("1.0.2"))
	check(t, "[0].ID", req.ID, "7b2e3f4a-5c6d-4e7f-9a8b-0c1d2e3f4a5b")
	check(t, "[0].IsRestoreRequest()", req.IsRestoreRequest(), true)
	check(t, "[0].Time", req.Time.UTC(), time.Date(2026, 11, 29, 3, 1, 0, 0, time.UTC))
	if body, err := req.RequestBody(); err != nil || len(body) == 0 {
		t.Fatalf("RequestBody() = %s, %v", body, err)
	}

	recovered := evs[1]
	check(t, "[1].Status", recovered.Status, events.String("0"))
	check(t, "[1].InstanceID()", recovered.InstanceID(), instance1)
	check(t, "[1].Time", recovered.Time.UTC(), time.Date(2026, 11, 29, 2, 10, 0, 0, time.UTC))

	other := evs[2]
	check(t, "[2].SpecVersion", other.SpecVersion, events.String("0"))
	check(t, "[2].Type", other.Type, "connector:kafka")
	check(t, "[2].Subject", other.Subject, "")
	// The misspelt subject of the connector pages.
	check(t, "[2].Subjuect", other.Subjuect, "qcs::ckafka:ap-guangzhou:uin/1252068037:ckafkaId/uin/1252068037/ckafka-123456")
	check(t, "[2].EventSubject()", other.EventSubject(), other.Subjuect)
	check(t, "[2].InstanceID()", other.InstanceID(), "")
	check(t, "[2].IsRestoreRequest()", other.IsRestoreRequest(), false)
	_, _, cm := other.CloudMonitorEvent()
	check(t, "[2].CloudMonitorEvent() ok", cm, false)

	for _, e := range evs {
		assertEventRoundTrip(t, e)
	}
	b, err := json.Marshal(events.EventBridgeBatch{EventList: evs})
	if err != nil {
		t.Fatal(err)
	}
	again, err := decodeEventBridge(b)
	if err != nil || len(again) != 3 {
		t.Fatalf("batch round trip: %d events, %v", len(again), err)
	}
}

func TestEventTimeVariants(t *testing.T) {
	want := time.Date(2021, 3, 11, 2, 42, 39, 146e6, time.UTC)
	for _, input := range []string{`1615430559146`, `"1615430559146"`, `"2021-03-11T02:42:39.146Z"`, `"2021-03-11T10:42:39.146+08:00"`} {
		var et events.EventTime
		if err := json.Unmarshal([]byte(input), &et); err != nil {
			t.Errorf("%s: %v", input, err)
			continue
		}
		if !et.Equal(want) {
			t.Errorf("%s = %v, want %v", input, et.Time, want)
		}
		b, _ := json.Marshal(et)
		check(t, input+" marshalled", string(b), "1615430559146")
	}
	for _, input := range []string{`null`, `""`} {
		var et events.EventTime
		if err := json.Unmarshal([]byte(input), &et); err != nil || !et.IsZero() {
			t.Errorf("%s = %v, %v; want the zero time", input, et.Time, err)
		}
		b, _ := json.Marshal(et)
		check(t, input+" marshalled", string(b), "null")
	}
	for _, bad := range []string{`-1`, `1.5`, `"soon"`, `"12x"`, `true`, `{}`, `253402300800000`, `"2021-03-11 10:42:39"`} {
		var et events.EventTime
		if err := json.Unmarshal([]byte(bad), &et); err == nil {
			t.Errorf("%s decoded as %v, want an error", bad, et.Time)
		}
	}
}

func TestEventBridgeOwnOutcomeIsNotARequest(t *testing.T) {
	// The function's own message, as it puts it on the queue: routed back
	// through EventBridge, it is an event of another type.
	evs, err := decodeEventBridge([]byte(`{"specversion":"1.0","id":"561a1377-9a19-5c09-8c8b-0eef221ebc62",
		"source":"scf/ap-guangzhou/default/redis-restore","type":"com.tencentcloud.redis.restore.accepted",
		"time":"2026-11-29T12:00:00Z","datacontenttype":"application/json",
		"data":{"taskId":6954227,"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117","trigger":"timer"}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	check(t, "IsRestoreRequest()", e.IsRestoreRequest(), false)
	check(t, "IsOutcome()", e.IsOutcome(), true)
	check(t, "Time", e.Time.UTC(), time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
}

func TestEventBridgeRequestBody(t *testing.T) {
	for data, want := range map[string]string{
		`{"instanceId":"crs-5a4py64p","backupId":"latest"}`:           `{"instanceId":"crs-5a4py64p","backupId":"latest"}`,
		`"{\"instanceId\":\"crs-5a4py64p\",\"backupId\":\"latest\"}"`: `{"instanceId":"crs-5a4py64p","backupId":"latest"}`,
	} {
		e := events.EventBridgeEvent{Type: events.RestoreRequestedType, Data: json.RawMessage(data)}
		body, err := e.RequestBody()
		if err != nil || string(body) != want {
			t.Errorf("RequestBody(%s) = %s, %v", data, body, err)
		}
	}
	for _, data := range []string{``, `null`} {
		e := events.EventBridgeEvent{Type: events.RestoreRequestedType, Data: json.RawMessage(data)}
		var fe *events.FieldError
		if _, err := e.RequestBody(); !errors.As(err, &fe) || fe.Field != "data" {
			t.Errorf("RequestBody(%q): %v, want an error naming data", data, err)
		}
	}
}

func TestEventBridgeInstanceID(t *testing.T) {
	for _, tt := range []struct{ subject, data, want string }{
		{"crs-5a4py64p", ``, instance1},
		{"qcs::redis:ap-guangzhou:uin/100000000001:instance/crs-5a4py64p", ``, instance1},
		{"ins-sjdksjk", `{"instanceId":"ins-sjdksjk"}`, ""},
		{"", `{"instanceId":"crs-1amp2588"}`, instance2},
		{"", `{"instanceId":12}`, ""},
	} {
		e := events.EventBridgeEvent{Subject: tt.subject, Data: json.RawMessage(tt.data)}
		check(t, "InstanceID() of "+tt.subject+" "+tt.data, e.InstanceID(), tt.want)
	}
}
