package events_test

import (
	"testing"

	"redis-restore/events"
)

func TestCKafkaEvent(t *testing.T) {
	e, err := decodeJSON[events.CKafkaEvent](readFixture(t, "ckafka.json"))
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
	assertRoundTrip(t, e)
	assertMarshalsAs(t, "ckafka.json", e)
}

func TestCKafkaEventBatch(t *testing.T) {
	e, err := decodeJSON[events.CKafkaEvent](readFixture(t, "ckafka-batch.json"))
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
	// The second is a record that can never succeed.
	assertRoundTrip(t, e)
	assertMarshalsAs(t, "ckafka-batch.json", e)
}

func TestCKafkaEventAlarm(t *testing.T) {
	e, err := decodeJSON[events.CKafkaEvent](readFixture(t, "ckafka-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := e.Records[0].Ckafka
	check(t, "Topic", m.Topic, "redis-restore-alarms")
	check(t, "Partition", m.Partition, int64(2))
	check(t, "Offset", m.Offset, int64(1024))
	check(t, "MsgKey", m.MsgKey, "policy-n4exeh88")
	assertJSONEq(t, readFixture(t, "alarm-metric-instanceid.json"), []byte(m.MsgBody))
	assertRoundTrip(t, e)
}

func TestCKafkaPartitionSpelling(t *testing.T) {
	// One page writes Partition; Go's decoding takes either spelling.
	e := decodeJSONT[events.CKafkaEvent](t, `{"Records":[{"Ckafka":{"topic":"t","Partition":3,"offset":4,"msgKey":"k","msgBody":"b"}}]}`)
	check(t, "Partition", e.Records[0].Ckafka.Partition, int64(3))
}
