package events_test

import (
	"encoding/json"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/failure"
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

// The timer's Message is the restore request: make run relies on timer.json
// carrying a valid one.
func TestTimerMessage(t *testing.T) {
	e := decodeFixture[events.TimerEvent](t, "timer.json")
	reqs, err := events.ParseRestoreRequests([]byte(e.Message))
	if err != nil {
		t.Fatalf("timer.json: Message is not a valid restore request: %v", err)
	}
	want := []events.RestoreRequest{{InstanceID: instance1, BackupID: backup1}}
	check(t, "requests", reqs, want)

	e = decodeFixture[events.TimerEvent](t, "timer-latest.json")
	reqs, err = events.ParseRestoreRequests([]byte(e.Message))
	if err != nil {
		t.Fatalf("timer-latest.json: %v", err)
	}
	want = []events.RestoreRequest{{InstanceID: instance1, BackupID: events.LatestBackup}}
	check(t, "requests", reqs, want)

	// A timer left with its default, empty argument is a configuration
	// mistake, reported as an invalid request.
	e = decodeFixture[events.TimerEvent](t, "timer-empty-message.json")
	reqs, err = events.ParseRestoreRequests([]byte(e.Message))
	if err == nil {
		t.Fatalf("timer-empty-message.json: got %v, want an error", reqs)
	}
	if k := failure.KindOf(err); k != failure.Invalid {
		t.Errorf("empty message: kind %v, want Invalid", k)
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
		e, ok := checkStableJSON[events.TimerEvent](t, data)
		if !ok {
			return
		}
		checkRestoreRequests(t, []byte(e.Message))
	})
}
