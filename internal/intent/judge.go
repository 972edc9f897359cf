package intent

import (
	"time"
)

// The stage of an intent is judged here, from what was observed of the
// cloud and nothing else: pure functions, the same for the sweep (which
// acts on a stage) and the status (which tells it). What to read is
// observe.go's and the callers'; what to do about a stage is theirs too.

// SafetyStage is where a safety-backed intent stands, judged by its signed
// safety backup b's own status (never by a task that merely started near
// it: that may be anyone's), whether a restore continued it (its
// restore's own stage then decides), and how long ago the backup was done.
type SafetyStage int

const (
	SafetyRunning    SafetyStage = iota // the undo point is being taken
	SafetyFailed                        // it failed or was removed: nothing will be restored
	SafetyReady                         // done, and the restore may start now
	SafetyExpired                       // done, but the restore did not start in time: it never will
	SafetyRestored                      // a restore continued it: see RestorePhase
	SafetySuperseded                    // a restore since its event, provably not its own: it never restores over it
)

// RestoreSeen is what the first restore since an intent's event says of
// the intent (FirstRestore).
type RestoreSeen int

const (
	NotRestored RestoreSeen = iota
	// RestoredOwn: marked the intent's own, or not proven anyone's (the
	// intent's one end all the same: it is never restored over).
	RestoredOwn
	// RestoredOther: provably not the intent's: it started before the
	// intent's backup was done (its restore only follows it), or it is
	// marked another intent's restore of another backup.
	RestoredOther
)

// FirstRestore finds the first restore task of the instance since b's
// event and judges whose it is; safety is the instance's safety backups.
func FirstRestore(seal *Seal, in Instance, tasks []Task, b SafetyBackup, safety []SafetyBackup) (Task, RestoreSeen) {
	t, ok := firstRestoreAfter(tasks, b.EventAt())
	switch {
	case !ok:
		return t, NotRestored
	case !b.Done() && !b.Gone(), b.Gone() && b.EndTime.IsZero(), t.StartTime.Before(b.DoneAt().Truncate(time.Second)):
		// Running, failed, or not done when it started: an intent
		// restores only after its backup is done.
		return t, RestoredOther
	}
	for _, o := range safety {
		// Another intent's restore of the same backup put back what this
		// one asked for: its end is this intent's end too (one restore,
		// one message), as a redelivery's duplicate would be.
		if o.ID != b.ID && o.Restores != b.Restores && Marked(seal, in, t.ID, o.Restores, o.ID) {
			return t, RestoredOther
		}
	}
	return t, RestoredOwn
}

// ExpireGrace is how long after its deadline an intent is still not
// judged expired: a continuation sent just within the deadline (the send
// check) may reach the cloud, and its task the list, that much later (a
// call's timeout: 10 s, internal/cloud). Meanwhile the intent is ready,
// and no continuation sends past the deadline.
const ExpireGrace = 10 * time.Second

// JudgeSafety judges a safety-backed intent at now.
func JudgeSafety(b SafetyBackup, seen RestoreSeen, now time.Time, deadline time.Duration) SafetyStage {
	switch {
	case b.Gone() && b.EndTime.IsZero():
		// Failed, never done: whatever restore came after it is not this
		// intent's (it restores only after its backup is done).
		return SafetyFailed
	case seen == RestoredOther:
		return SafetySuperseded
	case seen == RestoredOwn:
		return SafetyRestored
	case b.Gone() && !b.EndTime.IsZero():
		// Done, then removed before its restore: the list gives no
		// removal time, so whenever it is looked at it is the same
		// stage: expired (never started: its undo point is gone), one
		// outcome, reported at its deadline as any expired intent.
		return SafetyExpired
	case b.Gone():
		return SafetyFailed
	case !b.Done():
		return SafetyRunning
	case now.Sub(b.DoneAt()) >= deadline+ExpireGrace:
		return SafetyExpired
	}
	return SafetyReady
}

// DoneAt is when a safety backup ended (its start where the list gives
// no end).
func (b SafetyBackup) DoneAt() time.Time {
	if b.EndTime.IsZero() {
		return b.StartTime
	}
	return b.EndTime
}

// Phase is how the status names a safety stage.
func (st SafetyStage) Phase() Phase {
	switch st {
	case SafetyFailed, SafetySuperseded:
		return PhaseFailed
	case SafetyExpired:
		return PhaseExpired
	case SafetyRestored:
		return PhaseRestoring
	}
	return PhaseSafetyBackup
}

// RestorePhase judges a restore task by its own record and the instance:
// succeeded only once the task says so and the instance runs again.
func RestorePhase(info TaskInfo, running bool) Phase {
	switch {
	case !info.Ended() || info.Succeeded() && !running:
		return PhaseRestoring
	case info.Succeeded():
		return PhaseSucceeded
	}
	return PhaseFailed
}

// ClonePhase judges a clone by its own state only: another clone of the
// same source, or its task, says nothing of this one.
func ClonePhase(c Instance) Phase {
	switch {
	case c.Running():
		return PhaseSucceeded
	case c.Status < 0:
		return PhaseFailed
	}
	return PhaseCloning
}

// JudgeState is where the restore asked about stands in the observed
// world of its instance: the restore task asked (asked: its record), or
// the newest of the instance's restore task, safety backup waiting for
// its restore, and clone (a drill is no restore, and is not told). It
// returns the state as far as the world tells it, the restore task whose
// own record decides its phase, and the safety backup that decides it
// where there is no restore task; a clone's state is complete.
func JudgeState(w World, instanceID string, asked *TaskInfo, now time.Time, seal *Seal) (State, *Task, *SafetyBackup) {
	tasks, safety := w.Tasks[instanceID], w.Safety[instanceID]
	st := State{InstanceID: instanceID}
	for _, in := range w.Instances {
		st.InstanceStatus = in.Status
	}
	var restoreTask *Task
	for i, t := range tasks {
		if t.Kind == RestoreTask && (asked != nil && t.ID == asked.ID || asked == nil && (restoreTask == nil || t.StartTime.After(restoreTask.StartTime))) {
			restoreTask = &tasks[i]
		}
	}
	var undo *SafetyBackup
	switch {
	case asked != nil && restoreTask == nil:
		// The task asked about may be the safety backup's own.
		for _, t := range tasks {
			if t.ID == asked.ID && t.Kind == ManualBackupTask {
				if b, ok := safetyOfTask(t, safety); ok {
					undo = &b
				}
			}
		}
		// The safety backup's intent is at the stage of its restore,
		// where the function's mark proves one its.
		for i, t := range tasks {
			if undo != nil && t.Kind == RestoreTask && !t.StartTime.Before(undo.StartTime.Truncate(time.Second)) &&
				Marked(seal, w.Instance(instanceID), t.ID, undo.Restores, undo.ID) {
				restoreTask = &tasks[i]
			}
		}
	case asked == nil && newestSafety(safety) != nil && (restoreTask == nil || newestSafety(safety).StartTime.After(restoreTask.StartTime)):
		// The newest safety backup, newer than the newest restore, is a
		// restore waiting for it.
		undo, restoreTask = newestSafety(safety), nil
	case restoreTask != nil:
		// A restore's undo is the safety backup its own intent took, or
		// none (UndoOf).
		if b, ok := UndoOf(seal, w.Instance(instanceID), *restoreTask, tasks, safety); ok {
			undo = &b
		}
	}
	if asked == nil && restoreTask == nil && undo == nil {
		for _, c := range w.Clones {
			if _, _, _, drill := DrillOf(seal, c.Name); !drill {
				st.NewInstanceIDs, st.Phase = []string{c.ID}, ClonePhase(c)
				return st, nil, nil
			}
		}
	}
	if undo != nil {
		st.UndoBackupID, st.BackupID, st.Undo = undo.ID, undo.Restores, UndoRequest(instanceID, undo.ID)
		started := undo.StartTime
		st.StartedAt = &started
		for _, t := range tasks {
			if t.Kind == ManualBackupTask && SameStart(*undo, t) {
				st.SafetyBackupTaskID = t.ID
			}
		}
	}
	if restoreTask != nil {
		started := restoreTask.StartTime
		st.TaskID, st.StartedAt = restoreTask.ID, &started
		if !restoreTask.EndTime.IsZero() {
			ended := restoreTask.EndTime
			st.EndedAt = &ended
		}
	}
	return st, restoreTask, undo
}

func newestSafety(safety []SafetyBackup) *SafetyBackup {
	var newest *SafetyBackup
	for i := range safety {
		if newest == nil || safety[i].StartTime.After(newest.StartTime) {
			newest = &safety[i]
		}
	}
	return newest
}
