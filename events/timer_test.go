package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"redis-restore/events"
)

func TestTimerEvent(t *testing.T) {
	fired := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		fixture string
		message string
	}{
		{"timer.json", restoreBody},
		{"timer-latest.json", `{"instanceId":"crs-5a4py64p","backupId":"latest"}`},
		{"timer-empty-message.json", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			e := decodeFixture[events.TimerEvent](t, tt.fixture)
			check(t, "Type", e.Type, "Timer")
			check(t, "TriggerName", e.TriggerName, "nightly-restore")
			if !e.Time.Equal(fired) {
				t.Errorf("Time = %v, want %v", e.Time, fired)
			}
			check(t, "Time.Location", e.Time.Location(), time.UTC)
			check(t, "Message", e.Message, tt.message)

			assertRoundTrip(t, e)
			// Every field is in canonical form: the event marshals back to the fixture.
			assertMarshalsAs(t, tt.fixture, e)
		})
	}
}

func TestTimerEventZonedTime(t *testing.T) {
	var e events.TimerEvent
	if err := json.Unmarshal([]byte(`{"Type":"Timer","TriggerName":"x","Time":"2026-11-29T11:00:00+08:00","Message":""}`), &e); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC); !e.Time.Equal(want) {
		t.Errorf("Time = %v, want %v", e.Time, want)
	}
}

func FuzzDecodeTimer(f *testing.F) {
	seedFixtures(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		// The Message is fuzzed in the handler (FuzzParseRestoreRequests,
		// seeded with the fixtures' messages).
		checkStableJSON[events.TimerEvent](t, data)
	})
}
