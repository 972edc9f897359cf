package intent

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"redis-restore/internal/uuid"
)

// Phase is where a restore's life stands.
type Phase string

const (
	PhaseSafetyBackup Phase = "safety-backup" // the undo point is being taken
	PhaseRestoring    Phase = "restoring"     // RestoreInstance's task runs
	PhaseCloning      Phase = "cloning"       // the new instance is being made
	PhaseSucceeded    Phase = "succeeded"     // ended well, the instance runs
	PhaseFailed       Phase = "failed"        // ended badly; nothing more happens
	PhaseExpired      Phase = "expired"       // its safety backup is done, but it did not start in time: it never will
)

// Statuses of the life cycle's messages, beyond a request's.
const (
	Started   Status = "started"   // the restore after its safety backup began
	Succeeded Status = "succeeded" // the restore (or clone) ended well
	Cloned    Status = "cloned"    // a clone was ordered
)

// Life is what a restore's life adds to a result and its messages. The
// password is never here.
type Life struct {
	Phase              Phase      `json:"phase,omitempty"`
	UndoBackupID       string     `json:"undoBackupId,omitempty"`
	SafetyBackupTaskID int64      `json:"safetyBackupTaskId,omitempty"`
	NewInstanceIDs     []string   `json:"newInstanceIds,omitempty"`
	DealID             string     `json:"dealId,omitempty"`
	StartedAt          *time.Time `json:"startedAt,omitempty"`
	EndedAt            *time.Time `json:"endedAt,omitempty"`
	DurationSeconds    *int64     `json:"durationSeconds,omitempty"`
	TaskStatus         string     `json:"taskStatus,omitempty"`  // DescribeTaskInfo's own Status
	TaskMessage        string     `json:"taskMessage,omitempty"` // and its TaskMessage
	// Undo is the one request that undoes this restore: restore the
	// safety backup, without taking another.
	Undo string `json:"undo,omitempty"`
	// Steps is a dry run's list of what would be done, in order.
	Steps []string `json:"steps,omitempty"`
	// Verification is what the restored data showed (verification.go).
	Verification *Verification `json:"verification,omitempty"`
	// Drill is a drill's figures (drill.go).
	Drill *Drill `json:"drill,omitempty"`

	EventType string `json:"-"` // the message's type, where the life decides it
	EventID   string `json:"-"` // the message's id, derived from what it is about
	Quiet     bool   `json:"-"` // a continuation's failure or duplicate is not reported (see ContinueSafety)
}

// SafetyBackup is a manual backup the function took before a restore.
type SafetyBackup struct {
	ID         string // the undo point's BackupId
	Restores   string // the BackupId the restore puts back, from the remark
	Trigger    string // what asked for the restore, from the remark
	StartTime  time.Time
	EndTime    time.Time
	Status     int64 // DescribeInstanceBackups: 1 running, 2 normal, 4 RDB done, -1/-2 gone
	TaskID     int64 // ManualBackupInstance's task, where known
	InstanceID string
	// Since is the intent's event's time, from the remark.
	Since time.Time
	// legacy: a remark of an earlier version, without the times that
	// tell a copy (CopyAfter): read, judged and reported, never continued.
	Legacy bool `json:"-"`

	Quiet bool `json:"-"` // the sweep continues it and will try again: a failure is not reported yet
}

// SafetyMessageID is the id of a safety-backed intent's message: the same
// whoever sends it (the sweep, the watch, a redelivery's answer). name is
// its safety backup's ID, or "task-N" or "event-<key>" where that is all
// the sender knows.
func SafetyMessageID(instanceID, name, outcome string) string {
	return uuid.FromName(fmt.Sprintf("%s/safety/%s/%s", instanceID, name, outcome))
}

// OfEvent reports whether b's remark names the event at since (a remark
// of an earlier version names none).
func (b SafetyBackup) OfEvent(since time.Time) bool {
	return !b.Since.IsZero() && b.Since.Equal(since.Truncate(time.Second))
}

// EventAt is when the intent's event was: a restore since then is its
// event's (where the remark does not say, the backup's start).
func (b SafetyBackup) EventAt() time.Time { return cmp.Or(b.Since, b.StartTime).Truncate(time.Second) }

// Done reports whether the safety backup can be restored (the undo exists).
func (b SafetyBackup) Done() bool { return b.Status == 2 || b.Status == 4 }

// Gone reports whether the safety backup failed or was removed.
func (b SafetyBackup) Gone() bool { return b.Status < 0 }

// The safety backup's remark names the restore it was taken for, so that
// a redelivery finds it (instead of taking another) and the sweep knows
// which backup to restore once it is done, and it carries the function's
// MAC over what it names (provenance.go): a backup whose remark only reads
// like this one is someone else's, and never starts a restore:
// "redis-restore undo point; restores <backupId>; <trigger>; since
// <time>; <mac>". Since is the intent's event's time: a restore of the
// instance that started since then is the event's (never-twice rule 1),
// the sweep's continuation's too. (Remarks of earlier versions lack it:
// their backup's start stands for it.)
const SafetyRemarkPrefix = "redis-restore undo point; restores "

func SafetyRemark(seal *Seal, instanceID, backupID, trigger string, since, made time.Time) string {
	at := "since " + since.UTC().Truncate(time.Second).Format(time.RFC3339)
	mk := "made " + made.UTC().Truncate(time.Second).Format(time.RFC3339)
	return SafetyRemarkPrefix + backupID + "; " + trigger + "; " + at + "; " + mk + "; " + seal.Sum("safety", instanceID, backupID, trigger, at, mk)
}

// CopyAfter is how long after its remark was made a backup carrying it
// may start: ManualBackupInstance is called right after (a slow cloud,
// a skewed clock). A later one carries a copy (of a remark read in the
// backup list, to revive an intent that failed or expired), whose
// original the sweep may no longer list to tell it first. Half the
// sweep's lookback: a copy made sooner finds its original still listed,
// and first (signedOnly); a cloud that queues a backup for hours still
// starts it well within.
const CopyAfter = SweepLookback / 2

// ShownRemark is a safety backup's remark as a plan or a dry run shows
// it: without its MAC. The sealed remark is what lets a continuation pass
// without approval or budget (they were passed when it was taken):
// shown whole, anyone who may ask for a dry run and take a manual backup
// could make one.
func ShownRemark(instanceID, backupID, trigger string, since, made time.Time) string {
	r := SafetyRemark(nil, instanceID, backupID, trigger, since, made)
	return r + "<mac>"
}

// IsSafetyRemark reports whether a backup's remark reads like a safety
// backup's, signed or not: "latest" never picks one (an undo point is not
// a known-good state, and a look-alike is no better).
func IsSafetyRemark(remark string) bool { return strings.HasPrefix(remark, SafetyRemarkPrefix) }

// ParseSafety reads a safety backup from a backup of instanceID, only if
// its remark carries the function's MAC.
func ParseSafety(seal *Seal, instanceID string, b Backup) (SafetyBackup, bool) {
	rest, ok := strings.CutPrefix(b.Remark, SafetyRemarkPrefix)
	if !ok {
		return SafetyBackup{}, false
	}
	instanceID = cmp.Or(b.InstanceID, instanceID)
	parts := strings.Split(rest, "; ")
	if (len(parts) != 3 && len(parts) != 5) || !seal.Verify(parts[len(parts)-1], "safety", append([]string{instanceID}, parts[:len(parts)-1]...)...) {
		return SafetyBackup{}, false
	}
	sb := SafetyBackup{ID: b.ID, InstanceID: instanceID, Restores: parts[0], Trigger: parts[1],
		StartTime: b.StartTime, EndTime: b.EndTime, Status: b.Status, Legacy: len(parts) == 3}
	if len(parts) == 5 {
		at, ok := strings.CutPrefix(parts[2], "since ")
		t, err := time.Parse(time.RFC3339, at)
		if !ok || err != nil {
			return SafetyBackup{}, false
		}
		sb.Since = t
	}
	if len(parts) == 5 {
		at, ok := strings.CutPrefix(parts[3], "made ")
		made, err := time.Parse(time.RFC3339, at)
		if !ok || err != nil || b.StartTime.Sub(made) > CopyAfter {
			return SafetyBackup{}, false // a copy: see CopyAfter
		}
	}
	return sb, true
}

// UndoRequest is the request that undoes a restore: the safety backup,
// restored without another safety backup.
func UndoRequest(instanceID, undoBackupID string) string {
	b, _ := json.Marshal(map[string]any{"instanceId": instanceID, "backupId": undoBackupID, "safetyBackup": false})
	return string(b)
}

// StartedLife is the life of a restore the sweep started after its safety
// backup b: its started message, the same whenever it is sent (sweep.go
// sends it again within the window).
func StartedLife(instanceID string, b SafetyBackup) *Life {
	return &Life{Phase: PhaseRestoring, UndoBackupID: b.ID, Undo: UndoRequest(instanceID, b.ID), EventType: EventTypePrefix + "started"}
}

// An intent's own watch. The sweep reads the whole region once a period
// and continues the ready safety backups it finds, in one invocation: at
// one container's share of the API's limits, a region-wide incident's
// thousand safety backups expire before it gets to them. So each intent
// that took a safety backup is followed by its own sealed asynchronous
// invocation (the platform fans them out over its containers), which
// reads only its instance (by ID, no region list) and continues the
// intent through ContinueSafety the moment its backup is done. It steps
// at 1, 3, 7, 15, 31 s, ... (a small instance's backup is done in
// seconds, and a step that waits holds a container), and leaves a backup
// still running after IntentWatchWait to the sweep, which continues the
// same way; the two meet at most in a restore's never-twice look.
//
// Where the API lists a manual backup only once it is done, a safety
// backup that fails is never listed: nothing signed ever says it failed,
// and the sweep, which judges only what is signed, never reports it. Its
// own task (the one ManualBackupInstance answered) is the function's by
// the sealed watch that names it, and says how it went: the watch follows
// it for SafetyWatchLife, at a step a sweep period.
const SafetyWatchLife = 6 * time.Hour

// IntentWatchWait is how long an intent's watch waits for its listed
// safety backup to be done.
func IntentWatchWait(every time.Duration) time.Duration { return max(every, 30*time.Second) }

// IntentStepDue is when step n of an intent's watch is due after the
// watch began: the gaps double from a second up to a sweep period.
func IntentStepDue(step int, every time.Duration) time.Duration {
	every = max(every, time.Second)
	var due time.Duration
	gap := time.Second
	for i := 0; i <= step; i++ {
		due += min(gap, every)
		if gap < every {
			gap *= 2
		}
	}
	return due
}

// WatchBegan is what a watch's life counts from: its safety backup's task
// where listed, else the watch's start (never the event's time: an old
// event's watch would end at once).
func WatchBegan(fw FleetWatch, task *Task) time.Time {
	if task != nil {
		return task.StartTime
	}
	return fw.Began()
}

// ResultEventType is the message type of a result: the life cycle's where
// it decides, else the request's (EventType).
func ResultEventType(r *Result) string {
	if (r.Status == Failed || r.Status == Duplicate || r.Status == Expired) && r.Life != nil && r.Life.Quiet {
		return ""
	}
	if r.Life == nil || r.Life.EventType == "" || (r.Status == Failed || r.Status == Unknown) && !r.Life.Drill.Outcome() {
		return StatusEventType(r) // held and planned, else by status: budget.go
	}
	return r.Life.EventType
}
