package events_test

import (
	"strings"
	"testing"

	"redis-restore/events"
	"redis-restore/internal/failure"
)

// kindOfFixture is the kind each fixture must be detected as, by its name.
func kindOfFixture(name string) events.Kind {
	switch {
	case strings.HasPrefix(name, "timer"):
		return events.Timer
	case strings.HasPrefix(name, "apigw"):
		return events.APIGateway
	case strings.HasPrefix(name, "cmq"):
		return events.CMQ
	case strings.HasPrefix(name, "direct"):
		return events.Direct
	case strings.HasPrefix(name, "alarm"):
		return events.Alarm
	case strings.HasPrefix(name, "functionurl"):
		return events.FunctionURL
	case strings.HasPrefix(name, "ckafka"):
		return events.CKafka
	case strings.HasPrefix(name, "eventbridge"):
		return events.EventBridge
	}
	return events.Unknown
}

func TestDetectFixtures(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			want := kindOfFixture(name)
			if want == events.Unknown {
				t.Fatalf("fixture %s: no kind for its name", name)
			}
			got, err := events.Detect(readFixture(t, name))
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if got != want {
				t.Errorf("Detect = %v, want %v", got, want)
			}
		})
	}
}

func TestDetectGarbage(t *testing.T) {
	for _, input := range []string{
		``,
		` `,
		`[]`,
		`"x"`,
		`null`,
		`42`,
		`{}`,
		`{"foo":1}`,
		`{"Records":[]}`,
		`{"Records":[{"foo":{}}]}`,
		`{"Records":"x"}`,
		`{"Type":"Cron"}`,
		`{"Type":1}`,
		`{"httpMethod":"POST"}`,           // neither requestContext nor headers
		`{"alarmStatus":"1"}`,             // no alarm object or policy
		`{"alarmObjInfo":{}}`,             // no status
		`{"restores":[]} {"restores":[]}`, // two values
		`{"instanceId":"crs-5a4py64p"`,    // truncated
		`{"instanceId":"crs-5a4py64p"}}`,  // trailing brace
		"\xff{}",
	} {
		k, err := events.Detect([]byte(input))
		if err == nil {
			t.Errorf("Detect(%q) = %v, want an error", input, k)
			continue
		}
		if k != events.Unknown {
			t.Errorf("Detect(%q) = %v with an error, want unknown", input, k)
		}
		if fk := failure.KindOf(err); fk != failure.Invalid {
			t.Errorf("Detect(%q): error of kind %v, want Invalid", input, fk)
		}
	}
}

func TestDetectShapes(t *testing.T) {
	tests := []struct {
		input string
		want  events.Kind
	}{
		{`{"Type":"timer","Message":""}`, events.Timer},
		{`{"Records":[{"CMQ":{}}]}`, events.CMQ},
		{`{"httpMethod":"GET","headers":{}}`, events.FunctionURL},
		{`{"httpMethod":"GET","requestContext":{}}`, events.APIGateway},
		// requestContext tells API gateway from a function URL, whatever
		// else the event has.
		{`{"httpMethod":"POST","headers":{},"requestContext":{},"body":""}`, events.APIGateway},
		{`{"httpMethod":"POST","headers":{},"isBase64Encoded":false,"body":""}`, events.FunctionURL},
		{`{"Records":[{"Ckafka":{}}]}`, events.CKafka},
		{`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":36,"msgKey":"k","msgBody":"text"}}]}`, events.CKafka},
		{`{"EventList":[]}`, events.EventBridge},
		{`{"specversion":"1.0","type":"x"}`, events.EventBridge},
		// The function's own outcome message is an event too (skipped by
		// its type), never a restore request.
		{`{"specversion":"1.0","id":"1","source":"scf/ap-guangzhou/default/redis-restore","type":"com.tencentcloud.redis.restore.accepted",` +
			`"data":{"taskId":1,"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}}`, events.EventBridge},
		// A Cloud Monitor callback straight to the function: the metric
		// and the event alarm of platform-2026.md §4, as documented.
		{`{"sessionId":"s","alertId":"s","alarmStatus":"1","alarmType":"metric","alarmObjInfo":{"region":"gz","namespace":"qce/cvm","appId":"1","uin":"1",` +
			`"dimensions":{"unInstanceId":"ins-x","objId":"o","objName":"n"}},"alarmPolicyInfo":{"policyId":"policy-x","policyType":"cvm_device",` +
			`"policyName":"p","policyTypeCName":"c","conditions":{"metricName":"cpu_usage","calcType":">","calcValue":"90","currentValue":"100",` +
			`"period":"60","alarmNotifyType":"continuousAlarm","alarmNotifyPeriod":300}},"firstOccurTime":"2017-03-09 07:00:00","durationTime":500,"recoverTime":"0"}`, events.Alarm},
		{`{"sessionId":"s","alertId":"s","alarmStatus":1,"alarmType":"event","alarmObjInfo":{"region":"gz","namespace":"qce/redis","appId":"1","uin":"1",` +
			`"dimensions":{"unInstanceId":"crs-5a4py64p","objDetail":{"instanceId":"crs-5a4py64p"}}},"alarmPolicyInfo":{"policyId":"policy-y",` +
			`"policyType":"redis_event","policyName":"p","policyTypeCName":"c","conditions":{"productName":"redis","eventName":"ServiceNotAvailable",` +
			`"eventShowName":"e","alarmNotifyType":"continuousAlarm","alarmNotifyPeriod":300}},"firstOccurTime":"2026-11-29 10:00:00","recoverTime":"0"}`, events.Alarm},
		{`{"instanceId":"crs-5a4py64p"}`, events.Direct}, // detected as a request; ParseRestoreRequests says what is wrong
		{`{"InstanceId":"crs-5a4py64p","BackupId":"latest"}`, events.Direct},
		{`{"restores":"x"}`, events.Direct},
		{`{"alarmStatus":0,"alarmPolicyInfo":{}}`, events.Alarm},
		{" \n" + restoreBody + "\n", events.Direct},
	}
	for _, tt := range tests {
		got, err := events.Detect([]byte(tt.input))
		if err != nil || got != tt.want {
			t.Errorf("Detect(%s) = %v, %v; want %v", tt.input, got, err, tt.want)
		}
	}
}

func TestDetectBody(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want events.Kind
	}{
		{"alarm", readFixture(t, "alarm-metric-instanceid.json"), events.Alarm},
		{"event alarm", readFixture(t, "alarm-event.json"), events.Alarm},
		{"alarm without instance", readFixture(t, "alarm-no-instance.json"), events.Alarm},
		{"request", []byte(restoreBody), events.Direct},
		{"request, API spelling", readFixture(t, "direct-api-spelling.json"), events.Direct},
		{"batch", readFixture(t, "direct-batch.json"), events.Direct},
	}
	for _, tt := range tests {
		got, err := events.DetectBody(tt.body)
		if err != nil || got != tt.want {
			t.Errorf("DetectBody(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}

	// A body is never an envelope: a timer, API gateway, function URL,
	// CKafka, CMQ or EventBridge event inside
	// a body is not understood.
	for _, name := range []string{"timer.json", "apigw.json", "cmq-topic.json", "functionurl.json", "ckafka.json", "eventbridge-restore.json", "eventbridge-batch.json"} {
		got, err := events.DetectBody(readFixture(t, name))
		if err == nil || got != events.Unknown {
			t.Errorf("DetectBody(%s) = %v, %v; want unknown and an error", name, got, err)
		}
	}
	for _, input := range []string{``, `[]`, `"x"`, `{}`, `{"foo":1}`, `{"Records":[]}`} {
		got, err := events.DetectBody([]byte(input))
		if err == nil || got != events.Unknown {
			t.Errorf("DetectBody(%q) = %v, %v; want unknown and an error", input, got, err)
		} else if fk := failure.KindOf(err); fk != failure.Invalid {
			t.Errorf("DetectBody(%q): error of kind %v, want Invalid", input, fk)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[events.Kind]string{
		events.Unknown:     "unknown",
		events.Direct:      "direct",
		events.Timer:       "timer",
		events.APIGateway:  "apigw",
		events.CMQ:         "cmq",
		events.Alarm:       "alarm",
		events.FunctionURL: "functionurl",
		events.CKafka:      "ckafka",
		events.EventBridge: "eventbridge",
		events.Kind(99):    "unknown",
	} {
		check(t, "String()", k.String(), want)
	}
}

func FuzzDetect(f *testing.F) {
	seedFixtures(f)
	seedBodies(f)
	for _, s := range []string{``, `[]`, `"x"`, `{}`, `{"foo":1}`, `{"Records":[]}`, `{"a":1}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, detect := range []struct {
			name string
			fn   func([]byte) (events.Kind, error)
		}{{"Detect", events.Detect}, {"DetectBody", events.DetectBody}} {
			k, err := detect.fn(data)
			if err != nil {
				if k != events.Unknown {
					t.Fatalf("%s: %v along with error %v", detect.name, k, err)
				}
				if fk := failure.KindOf(err); fk != failure.Invalid {
					t.Fatalf("%s: error of kind %v, want Invalid: %v", detect.name, fk, err)
				}
				continue
			}
			if k < events.Direct || k > events.EventBridge {
				t.Fatalf("%s: kind %v without an error", detect.name, k)
			}
			if detect.name == "DetectBody" && k != events.Direct && k != events.Alarm {
				t.Fatalf("DetectBody: kind %v", k)
			}
			if k == events.Direct {
				checkRestoreRequests(t, data)
			}
		}
	})
}
