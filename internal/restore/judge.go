package restore

import "time"

// The stage of an intent is judged here, from what was observed of the
// cloud and nothing else: pure functions, the same for the sweep (which
// acts on a stage) and the status (which tells it). What to read is
// observe.go's and the callers'; what to do about a stage is theirs too.

// safetyStage is where a safety-backed intent stands, judged by its signed
// safety backup b's own status (never by a task that merely started near
// it: that may be anyone's), whether a restore continued it (its
// restore's own stage then decides), and how long ago the backup was done.
type safetyStage int

const (
	safetyRunning  safetyStage = iota // the undo point is being taken
	safetyFailed                      // it failed or was removed: nothing will be restored
	safetyReady                       // done, and the restore may start now
	safetyExpired                     // done, but the restore did not start in time: it never will
	safetyRestored                    // a restore continued it: see restorePhase
)

// judgeSafety judges a safety-backed intent at now.
func judgeSafety(b SafetyBackup, restored bool, now time.Time, deadline time.Duration) safetyStage {
	switch {
	case restored:
		return safetyRestored
	case b.Gone() && !b.EndTime.IsZero() && now.Sub(b.EndTime) >= deadline:
		// Done, not restored in time, and removed since: it expired, and
		// its removal is not a second outcome.
		return safetyExpired
	case b.Gone():
		return safetyFailed
	case !b.Done():
		return safetyRunning
	case now.Sub(b.doneAt()) >= deadline:
		return safetyExpired
	}
	return safetyReady
}

// doneAt is when a safety backup ended (its start where the list gives
// no end).
func (b SafetyBackup) doneAt() time.Time {
	if b.EndTime.IsZero() {
		return b.StartTime
	}
	return b.EndTime
}

// phase is how the status names a safety stage.
func (st safetyStage) phase() Phase {
	switch st {
	case safetyFailed:
		return PhaseFailed
	case safetyExpired:
		return PhaseExpired
	case safetyRestored:
		return PhaseRestoring
	}
	return PhaseSafetyBackup
}

// restorePhase judges a restore task by its own record and the instance:
// succeeded only once the task says so and the instance runs again.
func restorePhase(info TaskInfo, running bool) Phase {
	switch {
	case !info.Ended() || info.Succeeded() && !running:
		return PhaseRestoring
	case info.Succeeded():
		return PhaseSucceeded
	}
	return PhaseFailed
}

// clonePhase judges a clone by its own state only: another clone of the
// same source, or its task, says nothing of this one.
func clonePhase(c Instance) Phase {
	switch {
	case c.Running():
		return PhaseSucceeded
	case c.Status < 0:
		return PhaseFailed
	}
	return PhaseCloning
}
