package events_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"redis-restore/events"
	"redis-restore/internal/failure"
)

func TestCKafkaEvent(t *testing.T) {
	e, err := events.DecodeCKafka(readFixture(t, "ckafka.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Records) != 1 {
		t.Fatalf("%d records, want 1", len(e.Records))
	}
	m := e.Records[0].Ckafka
	check(t, "Topic", m.Topic, "redis-restore-requests")
	check(t, "Partition", m.Partition, int64(1))
	check(t, "Offset", m.Offset, int64(36))
	check(t, "MsgKey", m.MsgKey, instance1)
	check(t, "MsgBody", m.MsgBody, restoreBody)
	check(t, "Key()", m.Key(), "ckafka:redis-restore-requests:1:36")
	reqs, err := events.ParseRestoreRequests([]byte(m.MsgBody))
	if err != nil {
		t.Fatalf("msgBody: %v", err)
	}
	check(t, "msgBody requests", reqs, []events.RestoreRequest{{InstanceID: instance1, BackupID: backup1}})
	assertRoundTrip(t, e)
	assertMarshalsAs(t, "ckafka.json", e)
}

func TestCKafkaEventBatch(t *testing.T) {
	e, err := events.DecodeCKafka(readFixture(t, "ckafka-batch.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []events.CKafkaMessage{
		{Topic: "redis-restore-requests", Partition: 0, Offset: 7, MsgKey: instance1, MsgBody: `{"instanceId":"crs-5a4py64p","backupId":"latest"}`},
		{Topic: "redis-restore-requests", Partition: 0, Offset: 8, MsgKey: "", MsgBody: "hello world"},
		{Topic: "redis-restore-requests", Partition: 0, Offset: 9, MsgKey: instance2, MsgBody: `{"instanceId":"crs-1amp2588","backupId":"678362566696298532850001"}`},
	}
	if len(e.Records) != len(want) {
		t.Fatalf("%d records, want %d", len(e.Records), len(want))
	}
	for i, w := range want {
		check(t, "record", e.Records[i].Ckafka, w)
	}
	// The three messages of one partition have keys of their own.
	check(t, "Key() 0", e.Records[0].Ckafka.Key(), "ckafka:redis-restore-requests:0:7")
	check(t, "Key() 2", e.Records[2].Ckafka.Key(), "ckafka:redis-restore-requests:0:9")
	// The second is a record that can never succeed.
	if _, err := events.DetectBody([]byte(e.Records[1].Ckafka.MsgBody)); err == nil {
		t.Error("DetectBody(hello world): no error")
	}
	assertRoundTrip(t, e)
	assertMarshalsAs(t, "ckafka-batch.json", e)
}

func TestCKafkaEventAlarm(t *testing.T) {
	e, err := events.DecodeCKafka(readFixture(t, "ckafka-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := e.Records[0].Ckafka
	check(t, "Topic", m.Topic, "redis-restore-alarms")
	check(t, "Partition", m.Partition, int64(2))
	check(t, "Offset", m.Offset, int64(1024))
	check(t, "MsgKey", m.MsgKey, "policy-n4exeh88")
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), []byte(m.MsgBody))
	if k, err := events.DetectBody([]byte(m.MsgBody)); err != nil || k != events.Alarm {
		t.Errorf("DetectBody(msgBody) = %v, %v; want alarm", k, err)
	}
	assertRoundTrip(t, e)
}

func TestCKafkaPartitionSpelling(t *testing.T) {
	// One page writes Partition; Go's decoding takes either spelling.
	e, err := events.DecodeCKafka([]byte(`{"Records":[{"Ckafka":{"topic":"t","Partition":3,"offset":4,"msgKey":"k","msgBody":"b"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Key()", e.Records[0].Ckafka.Key(), "ckafka:t:3:4")
}

func TestDecodeCKafkaErrorsNameTheField(t *testing.T) {
	for input, field := range map[string]string{
		`{"Records":[{"Ckafka":{"topic":"t","partition":"1","offset":36}}]}`: "Records.Ckafka.partition",
		`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":3.5}}]}`:  "Records.Ckafka.offset",
		`{"Records":[{"Ckafka":{"topic":"t","partition":1,"msgBody":{}}}]}`:  "Records.Ckafka.msgBody",
		`{"Records":[],"Records":[{"Ckafka":{}}]}`:                           "Records",
		`"x"`: "",
	} {
		_, err := events.DecodeCKafka([]byte(input))
		if err == nil {
			t.Errorf("DecodeCKafka(%s): no error", input)
			continue
		}
		if e := failure.As(err); e.Kind != failure.Invalid || e.Field != field {
			t.Errorf("DecodeCKafka(%s): %v (field %q), want Invalid naming %q", input, err, e.Field, field)
		}
	}
}

func FuzzDecodeCKafka(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":36,"msgKey":"k","msgBody":"text"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := events.DecodeCKafka(data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("error of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		checkStableJSON[events.CKafkaEvent](t, data)
		for _, rec := range e.Records {
			m := rec.Ckafka
			if want := fmt.Sprintf("ckafka:%s:%d:%d", m.Topic, m.Partition, m.Offset); m.Key() != want {
				t.Fatalf("Key() = %q, want %q", m.Key(), want)
			}
			body := []byte(m.MsgBody)
			checkRestoreRequests(t, body)
			if kind, err := events.DetectBody(body); err == nil && kind == events.Alarm {
				var a events.AlarmNotification
				if json.Unmarshal(body, &a) == nil {
					_ = a.InstanceID()
				}
			}
		}
	})
}
