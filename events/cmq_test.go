package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"redis-restore/events"
)

func TestCMQEventTopic(t *testing.T) {
	// topicOwner a number and msgTag "a, b" in one fixture, a string and an
	// array in the other: the same message either way.
	for _, fixture := range []string{"cmq-topic.json", "cmq-topic-string-owner.json"} {
		t.Run(fixture, func(t *testing.T) {
			e := decodeFixture[events.CMQEvent](t, fixture)
			if len(e.Records) != 1 {
				t.Fatalf("%d records, want 1", len(e.Records))
			}
			m := e.Records[0].CMQ
			id := "123345346"
			if fixture == "cmq-topic-string-owner.json" {
				id = "123345347"
			}
			check(t, "Type", m.Type, "topic")
			check(t, "TopicOwner", m.TopicOwner, events.String("120000"))
			check(t, "TopicName", m.TopicName, "redis-restore-events")
			check(t, "SubscriptionName", m.SubscriptionName, "redis-restore")
			if want := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC); !m.PublishTime.Equal(want) {
				t.Errorf("PublishTime = %v, want %v", m.PublishTime, want)
			}
			check(t, "MsgID", m.MsgID, id)
			check(t, "RequestID", m.RequestID, id)
			check(t, "MsgBody", m.MsgBody, restoreBody)
			check(t, "MsgTag", m.MsgTag, events.List{"a", "b"})

			assertRoundTrip(t, e)
		})
	}
	// The string-owner, array-tag form is the types' canonical form.
	e := decodeFixture[events.CMQEvent](t, "cmq-topic-string-owner.json")
	assertMarshalsAs(t, "cmq-topic-string-owner.json", e)
}

func TestCMQEventBatch(t *testing.T) {
	e := decodeFixture[events.CMQEvent](t, "cmq-batch.json")
	want := []struct {
		msgID   string
		publish time.Time
	}{
		{"223345341", time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)},
		{"223345342", time.Date(2026, 11, 29, 3, 0, 1, 0, time.UTC)},
		{"223345343", time.Date(2026, 11, 29, 3, 0, 2, 0, time.UTC)},
	}
	if len(e.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(e.Records), len(want))
	}
	for i, w := range want {
		m := e.Records[i].CMQ
		check(t, "Type", m.Type, "topic")
		check(t, "TopicOwner", m.TopicOwner, events.String("120000"))
		check(t, "TopicName", m.TopicName, "redis-restore-events")
		check(t, "SubscriptionName", m.SubscriptionName, "redis-restore")
		check(t, "MsgID", m.MsgID, w.msgID)
		check(t, "RequestID", m.RequestID, w.msgID)
		check(t, "MsgTag", m.MsgTag, events.List{"a", "b"})
		if !m.PublishTime.Equal(w.publish) {
			t.Errorf("record %d: PublishTime = %v, want %v", i, m.PublishTime, w.publish)
		}
	}
	assertRoundTrip(t, e)
}

func TestCMQEventAlarm(t *testing.T) {
	e := decodeFixture[events.CMQEvent](t, "cmq-alarm.json")
	if len(e.Records) != 1 {
		t.Fatalf("%d records, want 1", len(e.Records))
	}
	m := e.Records[0].CMQ
	check(t, "TopicName", m.TopicName, "redis-restore-alarms")
	check(t, "MsgTag", m.MsgTag, events.List{"alarm"})
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), []byte(m.MsgBody))
	var a events.AlarmNotification
	if err := json.Unmarshal([]byte(m.MsgBody), &a); err != nil {
		t.Fatal(err)
	}
	check(t, "alarm InstanceID()", a.InstanceID(), instance1)
	check(t, "alarm Firing()", a.Firing(), true)
	assertRoundTrip(t, e)
}

func TestCMQMessageVariants(t *testing.T) {
	tests := []struct {
		json  string
		owner events.String
		tags  events.List
	}{
		{`{"topicOwner":120000,"msgTag":"a,b"}`, "120000", events.List{"a", "b"}},
		{`{"topicOwner":"120000","msgTag":" a , b ,"}`, "120000", events.List{"a", "b"}},
		{`{"topicOwner":null,"msgTag":null}`, "", nil},
		{`{"msgTag":""}`, "", nil},
		{`{"msgTag":[]}`, "", events.List{}},
	}
	for _, tt := range tests {
		var m events.CMQMessage
		if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
			t.Errorf("%s: %v", tt.json, err)
			continue
		}
		check(t, tt.json+" TopicOwner", m.TopicOwner, tt.owner)
		check(t, tt.json+" MsgTag", m.MsgTag, tt.tags)
	}
	for _, bad := range []string{`{"topicOwner":true}`, `{"topicOwner":{}}`, `{"msgTag":1}`, `{"msgTag":[1]}`} {
		var m events.CMQMessage
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%s: decoded, want an error", bad)
		}
	}
}

func FuzzDecodeCMQ(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// What the bodies carry is fuzzed in the handler
		// (FuzzParseRestoreRequests, seeded with them).
		checkStableJSON[events.CMQEvent](t, data)
	})
}
