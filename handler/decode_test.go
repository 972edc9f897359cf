package handler_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// A timer event is decoded once, and its Message once: the kind, the
// sweep, the requests and their fields are all read from those decodings.
// (Before the decoding had one owner, the payload was parsed twice and the
// Message four times: Detect and the timer's envelope; isSweep, DetectBody,
// ParseRestoreRequests and parseOne.)
func TestTimerPayloadIsDecodedOnce(t *testing.T) {
	e := newEnv(t)
	payload := timerEvent(t, time.Now(), restoreBody)
	counts, stop := handler.CountDecodes()
	defer stop()
	if r := onlyResult(t, e.results(payload)); r.Status != intent.Accepted {
		t.Fatalf("result %+v", r)
	}
	stop()
	if n := counts[string(payload)]; n != 1 {
		t.Errorf("payload decoded %d times, want 1", n)
	}
	if n := counts[restoreBody]; n != 1 {
		t.Errorf("Message decoded %d times, want 1", n)
	}
	if len(counts) != 2 {
		t.Errorf("decoded %d distinct objects, want the payload and its Message: %v", len(counts), counts)
	}
}

// What each envelope fixture carries is a valid restore request or alarm.
func TestFixtureBodies(t *testing.T) {
	t.Parallel()
	one := func(id, backup string) []intent.Request {
		return []intent.Request{{InstanceID: id, BackupID: backup}}
	}
	// The requests of each body, by fixture.
	want := map[string][][]intent.Request{
		"timer.json":               {one(instance1, backup1)},
		"timer-latest.json":        {one(instance1, intent.LatestBackup)},
		"apigw.json":               {one(instance1, backup1)},
		"apigw-batch.json":         {{{InstanceID: instance1, BackupID: backup1}, {InstanceID: instance2, BackupID: backup2}}},
		"functionurl.json":         {one(instance1, backup1)},
		"ckafka.json":              {one(instance1, backup1)},
		"cmq-topic.json":           {one(instance1, backup1)},
		"cmq-batch.json":           {one(instance1, backup1), one(instance2, backup2), one(instance3, intent.LatestBackup)},
		"eventbridge-restore.json": {one(instance1, backup1)},
		"eventbridge-batch.json":   {one(instance2, backup2)},
	}
	for _, name := range fixtureNames(t) {
		for i, b := range fixtureBodies(t, name, readFixture(t, name)) {
			kind, err := handler.DetectBody(b)
			switch {
			case strings.HasSuffix(name, "-get.json"): // a GET has no body
				continue
			case name == "ckafka-batch.json" && i == 1: // "hello world"
				if err == nil {
					t.Errorf("%s body %d: %v, want an error", name, i, kind)
				}
				continue
			case name == "timer-empty-message.json":
				if _, err := handler.ParseRequests(b); failure.KindOf(err) != failure.Invalid {
					t.Errorf("%s: empty message: %v, want Invalid", name, err)
				}
				continue
			case err != nil:
				t.Errorf("%s body %d: %v", name, i, err)
				continue
			case strings.Contains(name, "alarm"):
				if kind != handler.Alarm {
					t.Errorf("%s body %d: %v, want an alarm", name, i, kind)
				}
				continue
			}
			reqs, err := handler.ParseRequests(b)
			if err != nil {
				t.Errorf("%s body %d: %v", name, i, err)
			} else if w, ok := want[name]; ok {
				check(t, fmt.Sprintf("%s body %d requests", name, i), reqs, w[i])
			}
		}
	}
}

func TestUndoRequestIsAValidRequestWithoutAnotherSafetyBackup(t *testing.T) {
	t.Parallel()
	reqs, err := handler.ParseRequests([]byte(intent.UndoRequest("crs-5a4py64p", "165706343-5832225-1")))
	if err != nil || len(reqs) != 1 || reqs[0].BackupID != "165706343-5832225-1" || reqs[0].SafetyBackup == nil || *reqs[0].SafetyBackup {
		t.Fatalf("%+v %v", reqs, err)
	}
}

func TestCKafkaKey(t *testing.T) {
	t.Parallel()
	for input, want := range map[string]string{
		`{"Records":[{"Ckafka":{"topic":"redis-restore-requests","partition":1,"offset":36,"msgBody":""}}]}`: "ckafka:redis-restore-requests:1:36",
		// One document spells it Partition; Go's decoding matches either.
		`{"Records":[{"Ckafka":{"topic":"t","Partition":3,"offset":4,"msgKey":"k","msgBody":"b"}}]}`: "ckafka:t:3:4",
	} {
		e, err := handler.DecodeCKafka([]byte(input))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "key", handler.CKafkaKey(e.Records[0].Ckafka), want)
	}
}

func assertNamesField(t *testing.T, what, input string, err error, field string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%s): no error", what, input)
	} else if e := failure.As(err); e.Kind != failure.Invalid || e.Field != field {
		t.Errorf("%s(%s): %v (kind %v, field %q), want Invalid naming %q", what, input, err, e.Kind, e.Field, field)
	}
}

func TestDecodeCKafkaErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for input, field := range map[string]string{
		`{"Records":[{"Ckafka":{"topic":"t","partition":"1","offset":36}}]}`: "Records.Ckafka.partition",
		`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":3.5}}]}`:  "Records.Ckafka.offset",
		`{"Records":[{"Ckafka":{"topic":"t","partition":1,"msgBody":{}}}]}`:  "Records.Ckafka.msgBody",
		`{"Records":[],"Records":[{"Ckafka":{}}]}`:                           "Records",
		`"x"`: "",
	} {
		_, err := handler.DecodeCKafka([]byte(input))
		assertNamesField(t, "DecodeCKafka", input, err, field)
	}
}

func TestDecodeFunctionURLErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for input, field := range map[string]string{
		`{"httpMethod":"POST","headers":{"a":1},"body":""}`:       "headers",
		`{"httpMethod":"POST","headers":{},"body":7}`:             "body",
		`{"httpMethod":"POST","headers":{},"body":"","body":"x"}`: "body",
		`{"httpMethod":"POST","headers":{},"body":"","Body":"x"}`: "body",
		`[]`: "",
	} {
		_, err := handler.DecodeWebhook([]byte(input))
		assertNamesField(t, "DecodeWebhook", input, err, field)
	}
}

func TestDecodeEventBridgeErrorsNameTheField(t *testing.T) {
	t.Parallel()
	for input, field := range map[string]string{
		`{"specversion":"1.0","type":"t","time":"soon"}`:                     "time",
		`{"EventList":[{"specversion":"1.0","type":"t","time":-5}]}`:         "EventList[0].time",
		`{"specversion":"1.0","type":"t","id":7}`:                            "id",
		`{"specversion":"1.0","type":"t","type":"u"}`:                        "type",
		`{"EventList":[{"specversion":"1.0","type":"t","id":[]}]}`:           "EventList[0].id",
		`{"EventList":[{"specversion":"1.0","type":"t"},"x"]}`:               "EventList[1]",
		`{"EventList":[{"specversion":"1.0","type":"t","id":"a","id":"b"}]}`: "EventList[0]",
		// An EventList that is no list is not recognised as EventBridge's.
		`{"EventList":{}}`: "",
	} {
		_, err := handler.DecodeEventBridge([]byte(input))
		assertNamesField(t, "DecodeEventBridge", input, err, field)
	}
	for _, data := range []string{``, `null`} {
		e := events.EventBridgeEvent{Type: events.RestoreRequestedType, Data: json.RawMessage(data)}
		_, err := handler.RequestBody(&e)
		assertNamesField(t, "RequestBody", data, err, "data")
	}
}

// firstOccurTime is China Standard Time, without a zone.
func TestAlarmFirstOccur(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t) {
		if !strings.HasPrefix(name, "alarm") {
			continue
		}
		var a events.AlarmNotification
		if err := json.Unmarshal(readFixture(t, name), &a); err != nil {
			t.Fatal(err)
		}
		first, err := handler.FirstOccur(&a)
		if err != nil || !first.Equal(time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: FirstOccur() = %v, %v", name, first, err)
		}
		if k, err := handler.Detect(readFixture(t, name)); err != nil || k != handler.Alarm {
			t.Errorf("%s: Detect = %v, %v; want alarm", name, k, err)
		}
	}
	a := events.AlarmNotification{FirstOccurTime: "2026-11-29 10:00:00"}
	got, err := handler.FirstOccur(&a)
	if err != nil {
		t.Fatal(err)
	}
	if _, off := got.Zone(); off != 8*60*60 {
		t.Errorf("FirstOccur() offset %d, want +8h", off)
	}
	check(t, "FirstOccur().Format(RFC3339)", got.Format(time.RFC3339), "2026-11-29T10:00:00+08:00")
	for _, bad := range []string{"", "0", "2026-11-29T10:00:00Z", "2026/11/29 10:00:00", "2026-11-29"} {
		a := events.AlarmNotification{FirstOccurTime: bad}
		if got, err := handler.FirstOccur(&a); err == nil || failure.As(err).Field != "firstOccurTime" {
			t.Errorf("FirstOccur(%q) = %v, %v; want an error naming firstOccurTime", bad, got, err)
		}
	}
}

func FuzzDecodeCKafka(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":36,"msgKey":"k","msgBody":"text"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := handler.DecodeCKafka(data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("error of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		for _, rec := range e.Records {
			m := rec.Ckafka
			if want := fmt.Sprintf("ckafka:%s:%d:%d", m.Topic, m.Partition, m.Offset); handler.CKafkaKey(m) != want {
				t.Fatalf("key %q, want %q", handler.CKafkaKey(m), want)
			}
			checkRestoreRequests(t, []byte(m.MsgBody))
		}
	})
}

func FuzzDecodeFunctionURL(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"httpMethod":"POST","headers":{},"isBase64Encoded":"true","body":"e30="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := handler.DecodeWebhook(data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("error of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		_ = r.Method()
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
		checkRestoreRequests(t, body)
	})
}

func FuzzDecodeEventBridge(f *testing.F) {
	seedFixtures(f)
	f.Add([]byte(`{"EventList":[{"specversion":"0","type":"a:ErrorEvent:b","subjuect":"crs-5a4py64p","time":"1","status":"-","data":"{}"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := handler.DecodeEventBridge(data)
		if err != nil {
			if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("error of kind %v, want Invalid: %v", k, err)
			}
			return
		}
		for _, e := range evs {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatalf("marshal of a decoded event: %v", err)
			}
			again, err := handler.DecodeEventBridge(b)
			if err != nil || len(again) != 1 {
				t.Fatalf("decode of a marshalled event %s: %v", b, err)
			}
			if !again[0].Time.Equal(e.Time.Time.Truncate(time.Millisecond)) && !e.Time.IsZero() {
				t.Fatalf("time %v came back as %v", e.Time, again[0].Time)
			}
			if e.IsRestoreRequest() && e.IsOutcome() {
				t.Fatalf("type %q both a request and an outcome", e.Type)
			}
			if body, err := handler.RequestBody(&e); err == nil {
				checkRestoreRequests(t, body)
			} else if k := failure.KindOf(err); k != failure.Invalid {
				t.Fatalf("RequestBody: error of kind %v", k)
			}
		}
	})
}
