package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"redis-restore/events"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
	"redis-restore/internal/scfdriver"
)

// lifeSweepEvery is the sweep's period in `make run-life`: a second
// stands for production's minute, so that a restore's whole life (its
// safety backup, the restore, the instance running again) plays in
// seconds.
const lifeSweepEvery = time.Second

// lifeLog receives the function's log lines in `make run-life`.
const lifeLog = "dist/run-life.log"

// lifeSettings makes the emulator's flows take seconds, as real ones take
// minutes, and tells the function the sweep's period.
func lifeSettings(emu *cloudemu.Emulator, env map[string]string) {
	emu.SetTaskDuration(3 * time.Second)
	emu.SetLifecycle(cloudemu.Lifecycle{Prepare: 500 * time.Millisecond, Backup: 2 * time.Second, Clone: 3 * time.Second, Settle: time.Second})
	env["RESTORE_SWEEP_EVERY"] = lifeSweepEvery.String()
}

// followLife fires the sweep timer every lifeSweepEvery, as SCF fires it
// every minute, and prints each message as it reaches the queue, until the
// restore's end (succeeded or failed) is there; then the undo request.
func followLife(ctx context.Context, fn *scfdriver.Function, env map[string]string, emu *cloudemu.Emulator, queue string, start time.Time) error {
	fmt.Printf("\nthe sweep timer fires every %s (production: every minute); messages as they reach the queue:\n", lifeSweepEvery)
	seen := map[string]bool{}
	var undo, instanceID string
	var failed error
	ended := false
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		done := false
		for _, m := range emu.Messages(queue) {
			var ev intent.Event
			if json.Unmarshal([]byte(m.Body), &ev) != nil {
				continue
			}
			key := ev.Type + "/" + ev.ID
			if seen[key] {
				continue // a repeat: the same id, dropped as a consumer would
			}
			seen[key] = true
			fmt.Printf("  +%5.1fs  %-45s %s\n", time.Since(start).Seconds(), ev.Type, describe(ev))
			if ev.Data.Life != nil && ev.Data.Undo != "" {
				undo, instanceID = ev.Data.Undo, ev.Data.InstanceID
			}
			if t := strings.TrimPrefix(ev.Type, intent.EventTypePrefix); t == "succeeded" || t == "failed" && ev.Data.Life != nil {
				done = true
				if t == "failed" {
					failed = fmt.Errorf("the restore of %s failed: %s", ev.Data.InstanceID, describe(ev))
				}
			}
		}
		if done {
			ended = true
			break
		}
		time.Sleep(lifeSweepEvery)
		if err := sweep(ctx, fn, env); err != nil {
			return err
		}
	}
	switch {
	case !ended:
		return fmt.Errorf("the restore had not ended after %s", 90*time.Second)
	case undo == "":
		fmt.Println("\nno undo: the restore took no safety backup")
		return failed
	}
	fmt.Printf("\nto undo it, restore the safety backup (one request; signed like any webhook call):\n  %s\n", undo)
	fmt.Printf("  curl -X POST \"$FUNCTION_URL\" -H \"X-Restore-Signature: t=$t,v1=$sig\" -d '%s'\n", undo)
	fmt.Printf("where is it? GET \"$FUNCTION_URL?instanceId=%s\" (signed over an empty body)\n", instanceID)
	return failed
}

// sweep invokes the function with the sweep timer's event, as SCF fires
// it; a failed sweep is printed, and the next one goes on.
func sweep(ctx context.Context, fn *scfdriver.Function, env map[string]string) error {
	ev, _ := json.Marshal(events.TimerEvent{Type: "Timer", TriggerName: "restore-sweep", Time: time.Now().UTC().Truncate(time.Second), Message: `{"sweep":true}`})
	res, err := fn.Invoke(ctx, scfdriver.Invocation{Payload: ev, Environment: env, Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	if res.Error != nil {
		fmt.Printf("  sweep failed (SCF retries it): %s\n", res.Error.Message)
	}
	return nil
}

// describe is a message's gist on one line.
func describe(ev intent.Event) string {
	d := ev.Data
	var parts []string
	add := func(k string, v any) {
		if s := fmt.Sprint(v); s != "" && s != "0" && s != "[]" {
			parts = append(parts, k+"="+s)
		}
	}
	add("instance", d.InstanceID)
	add("taskId", d.TaskID)
	add("backupId", d.BackupID)
	if l := d.Life; l != nil {
		add("phase", l.Phase)
		add("safetyBackupTaskId", l.SafetyBackupTaskID)
		add("undoBackupId", l.UndoBackupID)
		add("newInstanceIds", strings.Join(l.NewInstanceIDs, ","))
		add("taskStatus", l.TaskStatus)
		if l.DurationSeconds != nil {
			add("durationSeconds", *l.DurationSeconds)
		}
		if v := l.Verification; v != nil {
			// The function's own check: what came back, what the backup
			// held (Cloud Monitor's count at its time).
			add("verified", v.Verified)
			add("keys", v.Keys)
			if v.ExpectedKeys != nil {
				add("expectedKeys", *v.ExpectedKeys)
			} else {
				add("expectedKeys", "unknown")
			}
		}
	}
	if d.Error != nil {
		add("error", d.Error.Code)
	}
	return strings.Join(parts, " ")
}
