package restore

import (
	"testing"
	"time"
)

// Every stage of a safety-backed intent, and of a restore and a clone,
// judged from observations alone.
func TestJudgeEveryStage(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const deadline = 5 * time.Minute
	backup := func(status int64, endedAgo time.Duration) SafetyBackup {
		b := SafetyBackup{ID: "b", Status: status, StartTime: now.Add(-endedAgo - time.Minute)}
		if status == 2 || status == 4 {
			b.EndTime = now.Add(-endedAgo)
		}
		return b
	}
	for name, c := range map[string]struct {
		b        SafetyBackup
		restored bool
		want     safetyStage
		phase    Phase
	}{
		"running":                            {backup(1, 0), false, safetyRunning, PhaseSafetyBackup},
		"done, within the deadline":          {backup(2, time.Minute), false, safetyReady, PhaseSafetyBackup},
		"RDB done counts as done":            {backup(4, time.Minute), false, safetyReady, PhaseSafetyBackup},
		"done, at the deadline":              {backup(2, deadline), false, safetyExpired, PhaseExpired},
		"done long ago":                      {backup(2, 3*time.Hour), false, safetyExpired, PhaseExpired},
		"removed":                            {backup(-2, 0), false, safetyFailed, PhaseFailed},
		"expired backup":                     {backup(-1, 0), false, safetyFailed, PhaseFailed},
		"done, expired, removed since":       {SafetyBackup{ID: "b", Status: -1, StartTime: now.Add(-time.Hour), EndTime: now.Add(-50 * time.Minute)}, false, safetyExpired, PhaseExpired},
		"done, removed before the deadline":  {SafetyBackup{ID: "b", Status: -1, StartTime: now.Add(-2 * time.Minute), EndTime: now.Add(-time.Minute)}, false, safetyFailed, PhaseFailed},
		"continued by a restore":             {backup(2, time.Minute), true, safetyRestored, PhaseRestoring},
		"continued, even after the deadline": {backup(2, time.Hour), true, safetyRestored, PhaseRestoring},
	} {
		got := judgeSafety(c.b, c.restored, now, deadline)
		if got != c.want || got.phase() != c.phase {
			t.Errorf("%s: stage %d (%s), want %d (%s)", name, got, got.phase(), c.want, c.phase)
		}
	}
	for name, c := range map[string]struct {
		status  string
		running bool
		want    Phase
	}{
		"preparing":                          {"preparing", false, PhaseRestoring},
		"running":                            {"running", false, PhaseRestoring},
		"succeeded, the instance runs":       {"succeed", true, PhaseSucceeded},
		"succeeded, the instance not yet up": {"succeed", false, PhaseRestoring},
		"failed":                             {"failed", true, PhaseFailed},
		"error":                              {"error", false, PhaseFailed},
	} {
		if got := restorePhase(TaskInfo{Status: c.status}, c.running); got != c.want {
			t.Errorf("restore %s: %s, want %s", name, got, c.want)
		}
	}
	for status, want := range map[int64]Phase{2: PhaseSucceeded, 0: PhaseCloning, 1: PhaseCloning, -2: PhaseFailed, -3: PhaseFailed} {
		if got := clonePhase(Instance{Status: status}); got != want {
			t.Errorf("clone with status %d: %s, want %s", status, got, want)
		}
	}
}
