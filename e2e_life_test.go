package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// sweepTimer is the sweep timer's event at a time, as SCF sends it.
func sweepTimer(t *testing.T, at time.Time) []byte {
	b, err := json.Marshal(events.TimerEvent{Type: "Timer", TriggerName: "restore-sweep", Time: at.UTC().Truncate(time.Second), Message: `{"sweep":true}`})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A firing alarm's restore lives its whole life through the real binary:
// the safety backup first (alarm restores take one by default), a
// redelivery of the alarm that takes no second one, the intent's own
// watch (or the sweep timer) that restores once the backup is done, the
// sweep that reports the end once the instance runs again; every message
// carries the undo.
func TestEndToEndAlarmLife(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.env["RESTORE_WEBHOOK_BASIC_AUTH"] = "cloudmonitor:test-password"
	w.emu.SetLifecycle(cloudemu.Lifecycle{Backup: 1500 * time.Millisecond, Prepare: 300 * time.Millisecond})
	w.emu.SetTaskDuration(2 * time.Second)
	alarm, err := os.ReadFile("testdata/apigw-alarm.json")
	if err != nil {
		t.Fatal(err)
	}
	// The callback is answered at once and its restore handed off to the
	// function's own asynchronous invocation (the emulator's SCF Invoke).
	gateway := func() {
		var resp events.APIGatewayResponse
		if err := json.Unmarshal(w.invoke(t, alarm), &resp); err != nil {
			t.Fatal(err)
		}
		if rs := decodeResults(t, []byte(resp.Body)); len(rs) != 1 || rs[0].Status != intent.Queued {
			t.Fatalf("alarm: %d %+v", resp.StatusCode, rs)
		}
		w.emu.WaitInvocations()
	}
	gateway()
	mb := w.emu.ManualBackups()
	if len(mb) != 1 {
		t.Fatalf("%d safety backups", len(mb))
	}
	// The intent's own watch (an asynchronous invocation too) restores
	// once the backup is done, which WaitInvocations waited for.
	for _, c := range w.emu.RestoreCalls() {
		if c.Time.Before(mb[0].Time.Add(1500 * time.Millisecond)) {
			t.Fatalf("restored at %s, before the safety backup (started %s, 1.5 s long) was done", c.Time, mb[0].Time)
		}
	}
	// Cloud Monitor sends the callback again: the safety backup is found by its remark.
	gateway()
	if n := len(w.emu.ManualBackups()); n != 1 {
		t.Fatalf("%d safety backups for one alarm", n)
	}
	undo := mb[0].BackupID

	byType := map[string]map[string]intent.Event{}
	var order []string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && len(byType[intent.EventTypePrefix+"succeeded"]) == 0 {
		time.Sleep(700 * time.Millisecond)
		var out struct{ Results []intent.Result }
		if err := json.Unmarshal(w.invoke(t, sweepTimer(t, time.Now())), &out); err != nil {
			t.Fatal(err)
		}
		byType, order = map[string]map[string]intent.Event{}, nil
		for _, m := range w.emu.Messages(w.demo.Queue) {
			var ev intent.Event
			if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
				t.Fatal(err)
			}
			if byType[ev.Type] == nil {
				byType[ev.Type] = map[string]intent.Event{}
				order = append(order, ev.Type)
			}
			byType[ev.Type][ev.ID] = ev
		}
	}
	want := []string{"accepted", "started", "succeeded"}
	if fmt.Sprint(order) != fmt.Sprint(prefixed(want)) {
		t.Fatalf("message types in order %v, want %v", order, prefixed(want))
	}
	for _, typ := range prefixed(want) {
		if len(byType[typ]) != 1 {
			t.Fatalf("%d distinct ids of %s, want 1", len(byType[typ]), typ)
		}
		for _, ev := range byType[typ] {
			if ev.Data.Life == nil || ev.Data.UndoBackupID != undo {
				t.Fatalf("%s without the undo: %+v", typ, ev.Data)
			}
			if typ == intent.EventTypePrefix+"succeeded" && (ev.Data.TaskStatus != "succeed" || ev.Data.DurationSeconds == nil || ev.Data.BackupID != backupBeforeTheAlarms) {
				t.Fatalf("succeeded: %+v", ev.Data.Life)
			}
		}
	}
	calls := w.emu.RestoreCalls()
	if len(calls) != 1 || calls[0].BackupID != backupBeforeTheAlarms {
		t.Fatalf("restores %+v", calls)
	}
}

func prefixed(types []string) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = intent.EventTypePrefix + t
	}
	return out
}
