package intent

import (
	"testing"
	"time"
)

// The review of 2026-12-06 (docs/review-2026-12-06.md).

// One terminal outcome per intent, whenever the sweep looks. A safety
// backup that was done and then deleted (FLOW_DELBACKUP: anyone with the
// right may delete the undo point) before its restore started is judged
// failed while its end is recent, and expired once the deadline has
// passed since its end: the sweep reports both (".../failed", then
// ".../expired", two ids). The judge cannot tell "removed before the
// deadline" from "removed after it" (the list gives no removal time), so
// a stage that depends on it flips as time passes.
func TestASafetyBackupRemovedBeforeItsRestoreHasOneTerminalStage(t *testing.T) {
	const deadline = 5 * time.Minute
	done := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	b := SafetyBackup{ID: "b", Status: -2, StartTime: done.Add(-time.Minute), EndTime: done}
	terminal := func(st SafetyStage) bool { return st == SafetyFailed || st == SafetyExpired }
	var stages []SafetyStage
	for _, after := range []time.Duration{30 * time.Second, time.Minute, deadline, 10 * time.Minute, 24 * time.Hour} {
		if st := JudgeSafety(b, NotRestored, done.Add(after), deadline); terminal(st) {
			stages = append(stages, st)
		}
	}
	for _, st := range stages[1:] {
		if st != stages[0] {
			t.Fatalf("one deleted safety backup judged %v over time: two terminal stages (%d failed, %d expired)", stages, SafetyFailed, SafetyExpired)
		}
	}
}
