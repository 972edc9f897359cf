package handler_test

import (
	"strings"
	"testing"

	"redis-restore/handler"
	"redis-restore/internal/failure"
)

// kindOfFixture is the kind each fixture must be detected as, by its name.
func kindOfFixture(name string) handler.Kind {
	switch {
	case strings.HasPrefix(name, "timer"):
		return handler.Timer
	case strings.HasPrefix(name, "apigw"):
		return handler.APIGateway
	case strings.HasPrefix(name, "cmq"):
		return handler.CMQ
	case strings.HasPrefix(name, "direct"):
		return handler.Direct
	case strings.HasPrefix(name, "alarm"):
		return handler.Alarm
	case strings.HasPrefix(name, "functionurl"):
		return handler.FunctionURL
	case strings.HasPrefix(name, "ckafka"):
		return handler.CKafka
	case strings.HasPrefix(name, "eventbridge"):
		return handler.EventBridge
	}
	return handler.Unknown
}

func TestDetectFixtures(t *testing.T) {
	t.Parallel()
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			want := kindOfFixture(name)
			if want == handler.Unknown {
				t.Fatalf("fixture %s: no kind for its name", name)
			}
			got, err := handler.Detect(readFixture(t, name))
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
	t.Parallel()
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
		k, err := handler.Detect([]byte(input))
		if err == nil {
			t.Errorf("Detect(%q) = %v, want an error", input, k)
			continue
		}
		if k != handler.Unknown {
			t.Errorf("Detect(%q) = %v with an error, want unknown", input, k)
		}
		if fk := failure.KindOf(err); fk != failure.Invalid {
			t.Errorf("Detect(%q): error of kind %v, want Invalid", input, fk)
		}
	}
}

func TestDetectShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		input string
		want  handler.Kind
	}{
		{`{"Type":"timer","Message":""}`, handler.Timer},
		{`{"Records":[{"CMQ":{}}]}`, handler.CMQ},
		{`{"httpMethod":"GET","headers":{}}`, handler.FunctionURL},
		{`{"httpMethod":"GET","requestContext":{}}`, handler.APIGateway},
		// requestContext tells API gateway from a function URL, whatever
		// else the event has.
		{`{"httpMethod":"POST","headers":{},"requestContext":{},"body":""}`, handler.APIGateway},
		{`{"httpMethod":"POST","headers":{},"isBase64Encoded":false,"body":""}`, handler.FunctionURL},
		{`{"Records":[{"Ckafka":{}}]}`, handler.CKafka},
		{`{"Records":[{"Ckafka":{"topic":"t","partition":1,"offset":36,"msgKey":"k","msgBody":"text"}}]}`, handler.CKafka},
		{`{"EventList":[]}`, handler.EventBridge},
		{`{"specversion":"1.0","type":"x"}`, handler.EventBridge},
		// The function's own outcome message is an event too (skipped by
		// its type), never a restore request.
		{`{"specversion":"1.0","id":"1","source":"scf/ap-guangzhou/default/redis-restore","type":"com.tencentcloud.redis.restore.accepted",` +
			`"data":{"taskId":1,"instanceId":"crs-5a4py64p","backupId":"678362566696298532848117"}}`, handler.EventBridge},
		// A Cloud Monitor callback straight to the function: the metric
		// and the event alarm of platform-2026.md §4, as documented.
		{`{"sessionId":"s","alertId":"s","alarmStatus":"1","alarmType":"metric","alarmObjInfo":{"region":"gz","namespace":"qce/cvm","appId":"1","uin":"1",` +
			`"dimensions":{"unInstanceId":"ins-x","objId":"o","objName":"n"}},"alarmPolicyInfo":{"policyId":"policy-x","policyType":"cvm_device",` +
			`"policyName":"p","policyTypeCName":"c","conditions":{"metricName":"cpu_usage","calcType":">","calcValue":"90","currentValue":"100",` +
			`"period":"60","alarmNotifyType":"continuousAlarm","alarmNotifyPeriod":300}},"firstOccurTime":"2017-03-09 07:00:00","durationTime":500,"recoverTime":"0"}`, handler.Alarm},
		{`{"sessionId":"s","alertId":"s","alarmStatus":1,"alarmType":"event","alarmObjInfo":{"region":"gz","namespace":"qce/redis","appId":"1","uin":"1",` +
			`"dimensions":{"unInstanceId":"crs-5a4py64p","objDetail":{"instanceId":"crs-5a4py64p"}}},"alarmPolicyInfo":{"policyId":"policy-y",` +
			`"policyType":"redis_event","policyName":"p","policyTypeCName":"c","conditions":{"productName":"redis","eventName":"ServiceNotAvailable",` +
			`"eventShowName":"e","alarmNotifyType":"continuousAlarm","alarmNotifyPeriod":300}},"firstOccurTime":"2026-11-29 10:00:00","recoverTime":"0"}`, handler.Alarm},
		{`{"instanceId":"crs-5a4py64p"}`, handler.Direct}, // detected as a request; ParseRestoreRequests says what is wrong
		{`{"InstanceId":"crs-5a4py64p","BackupId":"latest"}`, handler.Direct},
		{`{"restores":"x"}`, handler.Direct},
		{`{"alarmStatus":0,"alarmPolicyInfo":{}}`, handler.Alarm},
		{" \n" + restoreBody + "\n", handler.Direct},
	}
	for _, tt := range tests {
		got, err := handler.Detect([]byte(tt.input))
		if err != nil || got != tt.want {
			t.Errorf("Detect(%s) = %v, %v; want %v", tt.input, got, err, tt.want)
		}
	}
}

func TestDetectBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body []byte
		want handler.Kind
	}{
		{"alarm", readFixture(t, "alarm-metric-instanceid.json"), handler.Alarm},
		{"event alarm", readFixture(t, "alarm-event.json"), handler.Alarm},
		{"alarm without instance", readFixture(t, "alarm-no-instance.json"), handler.Alarm},
		{"request", []byte(restoreBody), handler.Direct},
		{"request, API spelling", readFixture(t, "direct-api-spelling.json"), handler.Direct},
		{"batch", readFixture(t, "direct-batch.json"), handler.Direct},
	}
	for _, tt := range tests {
		got, err := handler.DetectBody(tt.body)
		if err != nil || got != tt.want {
			t.Errorf("DetectBody(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}

	// A body is never an envelope: a timer, API gateway, function URL,
	// CKafka, CMQ or EventBridge event inside
	// a body is not understood.
	for _, name := range []string{"timer.json", "apigw.json", "cmq-topic.json", "functionurl.json", "ckafka.json", "eventbridge-restore.json", "eventbridge-batch.json"} {
		got, err := handler.DetectBody(readFixture(t, name))
		if err == nil || got != handler.Unknown {
			t.Errorf("DetectBody(%s) = %v, %v; want unknown and an error", name, got, err)
		}
	}
	for _, input := range []string{``, `[]`, `"x"`, `{}`, `{"foo":1}`, `{"Records":[]}`} {
		got, err := handler.DetectBody([]byte(input))
		if err == nil || got != handler.Unknown {
			t.Errorf("DetectBody(%q) = %v, %v; want unknown and an error", input, got, err)
		} else if fk := failure.KindOf(err); fk != failure.Invalid {
			t.Errorf("DetectBody(%q): error of kind %v, want Invalid", input, fk)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[handler.Kind]string{
		handler.Unknown:     "unknown",
		handler.Direct:      "direct",
		handler.Timer:       "timer",
		handler.APIGateway:  "apigw",
		handler.CMQ:         "cmq",
		handler.Alarm:       "alarm",
		handler.FunctionURL: "functionurl",
		handler.CKafka:      "ckafka",
		handler.EventBridge: "eventbridge",
		handler.Kind(99):    "unknown",
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
			fn   func([]byte) (handler.Kind, error)
		}{{"Detect", handler.Detect}, {"DetectBody", handler.DetectBody}} {
			k, err := detect.fn(data)
			if err != nil {
				if k != handler.Unknown {
					t.Fatalf("%s: %v along with error %v", detect.name, k, err)
				}
				if fk := failure.KindOf(err); fk != failure.Invalid {
					t.Fatalf("%s: error of kind %v, want Invalid: %v", detect.name, fk, err)
				}
				continue
			}
			if k < handler.Direct || k > handler.EventBridge {
				t.Fatalf("%s: kind %v without an error", detect.name, k)
			}
			if detect.name == "DetectBody" && k != handler.Direct && k != handler.Alarm {
				t.Fatalf("DetectBody: kind %v", k)
			}
			if k == handler.Direct {
				checkRestoreRequests(t, data)
			}
		}
	})
}
