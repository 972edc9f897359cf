package intent

import (
	"time"
)

// SweepPeriods is how many periods back a sweep looks for ends.
const SweepPeriods = 3

// SweepWindow is how far back a sweep looks for ends: SweepPeriods
// periods (of a minute where none is set).
func SweepWindow(every time.Duration) time.Duration {
	if every <= 0 {
		every = time.Minute
	}
	return SweepPeriods * every
}

// SweepLookback is how far back tasks and safety backups are listed: a
// restore that ends now may have started hours ago.
const SweepLookback = 24 * time.Hour

// Window is one sweep's view of time.
type Window struct {
	At, From, LastFrom time.Time // ends in [from, at) count; those before LastFrom+every are seen for the last time
	Region             string    // the region swept
	Every              time.Duration
}

func (w Window) In(t time.Time) bool { return !t.IsZero() && !t.Before(w.From) && t.Before(w.At) }

func (w Window) Last(t time.Time) bool { return w.In(t) && t.Before(w.LastFrom) }

// A sweep outage (the function disabled, throttled or failing for longer
// than the window) must not drop an end silently, and nothing is stored
// to say what was reported. So an end older than the window is reported
// again in catch-up slots: the three periods from 4, 8, 16, 32, ...
// periods after it, for a day. A sweep back from an outage reports what
// ended meanwhile within about as long again as the outage lasted (a slot
// comes at least once in every doubling of an end's age), and an end is
// reported at most 3 + 3*11 times at a period of a minute, always with
// the same id.
func (w Window) catchUp(t time.Time) bool {
	if t.IsZero() || !t.Before(w.From) || w.Every <= 0 {
		return false
	}
	d := w.At.Sub(t)
	for slot := 4 * w.Every; slot <= SweepLookback; slot *= 2 {
		if d >= slot && d < slot+SweepPeriods*w.Every {
			return true
		}
	}
	return false
}

// reports: an end at t is reported by this sweep.
func (w Window) Reports(t time.Time) bool { return w.In(t) || w.catchUp(t) }

// LastSlot reports whether this sweep looks at an end at t for the last
// time: its last catch-up slot within the lookback.
func (w Window) LastSlot(t time.Time) bool {
	if !w.catchUp(t) {
		return false
	}
	slot := 4 * w.Every
	for slot*2 <= SweepLookback {
		slot *= 2
	}
	return w.At.Sub(t) >= slot
}

// RestoreAfter reports whether a restore task started at or after t.
func RestoreAfter(tasks []Task, t time.Time) bool {
	for _, x := range tasks {
		if x.Kind == RestoreTask && !x.StartTime.Before(t.Truncate(time.Second)) {
			return true
		}
	}
	return false
}

// SameStart reports whether a safety backup may be the one a manual
// backup task made: the backup list does not name tasks, so by its start
// (within seconds). It only dates and names what the signed backup's own
// status decided, for the messages and the status; it proves nothing.
func SameStart(b SafetyBackup, t Task) bool {
	d := b.StartTime.Sub(t.StartTime)
	return d > -10*time.Second && d < 10*time.Second
}

// safetyOfTask finds the safety backup a manual backup task may have made
// (the status asked about by that task).
func safetyOfTask(t Task, safety []SafetyBackup) (SafetyBackup, bool) {
	for _, b := range safety {
		if SameStart(b, t) {
			b.TaskID = t.ID
			return b, true
		}
	}
	return SafetyBackup{}, false
}

// SafetyFailedAt dates the failure of a failed safety backup: the end of
// a failed manual backup task that started with it, where there is one;
// else its start.
func SafetyFailedAt(b SafetyBackup, tasks []Task) (time.Time, Task) {
	for _, t := range tasks {
		if t.Kind == ManualBackupTask && t.Result == 4 && !t.EndTime.IsZero() && SameStart(b, t) {
			return t.EndTime, t
		}
	}
	return b.StartTime, Task{}
}

// firstRestoreAfter is the first restore task that started at or after t.
func firstRestoreAfter(tasks []Task, t time.Time) (Task, bool) {
	var first Task
	found := false
	for _, x := range tasks {
		if x.Kind == RestoreTask && !x.StartTime.Before(t.Truncate(time.Second)) && (!found || x.StartTime.Before(first.StartTime)) {
			first, found = x, true
		}
	}
	return first, found
}

// RunningBackupTask reports whether a manual backup task that started
// with b is listed without an end.
func RunningBackupTask(b SafetyBackup, tasks []Task) bool {
	for _, t := range tasks {
		if t.Kind == ManualBackupTask && t.EndTime.IsZero() && t.Result != 4 && SameStart(b, t) {
			return true
		}
	}
	return false
}

// UndoOf finds the safety backup taken for a restore task: a done one
// that started before it, with no other restore task between the two. A
// restore that came after another one's safety backup was used has no
// undo of its own: following an earlier one would go back past both.
//
// And only a restore the function marked as that intent's (provenance.go):
// anyone's restore may start after a safety backup, and claiming it would
// report another backup's data as the intent's, with an undo point
// taken for another restore.
func UndoOf(seal *Seal, in Instance, t Task, tasks []Task, safety []SafetyBackup) (SafetyBackup, bool) {
	b, ok := SafetyBefore(t, tasks, safety, func(b SafetyBackup) bool { return Marked(seal, in, t.ID, b.Restores, b.ID) })
	return b, ok
}

// SafetyBefore is the newest done safety backup that started before
// restore task t, with no other restore task between the two, of those
// that want says yes to.
func SafetyBefore(t Task, tasks []Task, safety []SafetyBackup, want func(SafetyBackup) bool) (SafetyBackup, bool) {
	var best SafetyBackup
	found := false
	for _, b := range safety {
		if b.Done() && !b.StartTime.After(t.StartTime) && want(b) && (!found || b.StartTime.After(best.StartTime)) {
			best, found = b, true
		}
	}
	if !found {
		return SafetyBackup{}, false
	}
	for _, x := range tasks {
		if x.Kind == RestoreTask && x.ID != t.ID && !x.StartTime.Before(best.StartTime.Truncate(time.Second)) && x.StartTime.Before(t.StartTime) {
			return SafetyBackup{}, false
		}
	}
	return best, true
}

// Expired: an accepted restore whose safety backup was done, but which
// could not start within RESTORE_SAFETY_DEADLINE (a sweep outage): it is
// not started late, and this says so.
const Expired Status = "expired"

// TaskLife is a task's start, end and length, for its message.
func TaskLife(t Task) *Life {
	started, ended := t.StartTime, t.EndTime
	dur := int64(ended.Sub(started).Seconds())
	return &Life{StartedAt: &started, EndedAt: &ended, DurationSeconds: &dur}
}

func TaskAfter(tasks []Task, t Task) bool {
	for _, x := range tasks {
		if x.ID != t.ID && !x.StartTime.Before(t.EndTime) {
			return true
		}
	}
	return false
}
