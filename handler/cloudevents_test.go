package handler_test

import (
	"encoding/json"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2/event"

	"redis-restore/internal/cloudemu"
)

// validateMessages checks every message the function put on the demo
// queue or topic with the CloudEvents SDK: a valid CloudEvents 1.0 JSON
// envelope (required attributes, their formats, data as JSON). newEnv runs
// it at the end of every handler test, so every message any test makes is
// checked. The SDK is a test-only dependency: the function never imports it.
func validateMessages(tb testing.TB, emu *cloudemu.Emulator, demo cloudemu.DemoData) {
	tb.Helper()
	for _, dest := range []string{demo.Queue, demo.Topic} {
		for _, m := range emu.Messages(dest) {
			var ev cloudevents.Event
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				tb.Errorf("message %s on %s is not a CloudEvents JSON envelope: %v\n%s", m.ID, dest, err, m.Body)
				continue
			}
			if err := ev.Validate(); err != nil {
				tb.Errorf("message %s on %s is not a valid CloudEvent: %v\n%s", m.ID, dest, err, m.Body)
			}
			if ev.SpecVersion() != "1.0" || ev.DataContentType() != "application/json" || ev.Time().IsZero() {
				tb.Errorf("message %s: specversion %q datacontenttype %q time %v", m.ID, ev.SpecVersion(), ev.DataContentType(), ev.Time())
			}
			var data map[string]any
			if err := ev.DataAs(&data); err != nil || data["instanceId"] == nil && data["fleetId"] == nil {
				tb.Errorf("message %s: data %v (%v), want a JSON object naming the instance (or the fleet)", m.ID, data, err)
			}
		}
	}
}

// The check itself can fail: an envelope without id or with another
// specversion is refused.
func TestValidateMessagesRefusesInvalidEnvelopes(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`{"specversion":"1.0","source":"scf/x","type":"t","datacontenttype":"application/json","data":{"instanceId":"crs-1"}}`,
		`{"specversion":"0.9","id":"1","source":"scf/x","type":"t","data":{}}`,
		`{"specversion":"1.0","id":"1","source":"scf/x","type":"t","time":"yesterday","data":{}}`,
	} {
		var ev cloudevents.Event
		err := json.Unmarshal([]byte(body), &ev)
		if err == nil {
			err = ev.Validate()
		}
		if err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}
