package restore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/uuid"
)

// A restore's life after the request: with a safety backup it first takes
// a manual backup of the instance as it is (the undo point), and the
// sweep (sweep.go) starts the restore once that backup is done; every
// restore's end is reported by the sweep; a clone (clone.go) makes a new
// instance instead of restoring in place. Nothing of this is kept in the
// function: the cloud's task list, backup list (the safety backup's
// remark) and instance list (the clone's name) are the state, so that any
// container, at any time, can take the life up where it stands.

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

	eventType string // the message's type, where the life decides it
	eventID   string // the message's id, derived from what it is about
	quiet     bool   // a continuation's failure or duplicate is not reported (see continueSafety)
}

// resultEventType is the message type of a result: the life cycle's where
// it decides, else the request's (eventType).
func resultEventType(r *Result) string {
	if (r.Status == Failed || r.Status == Duplicate || r.Status == Expired) && r.Life != nil && r.Life.quiet {
		return ""
	}
	if r.Life == nil || r.Life.eventType == "" || (r.Status == Failed || r.Status == Unknown) && !r.Life.Drill.outcome() {
		return messageType(r) // held and planned, else by status: budget.go
	}
	return r.Life.eventType
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
	// tell a copy (copyAfter): read, judged and reported, never continued.
	legacy bool

	quiet bool // the sweep continues it and will try again: a failure is not reported yet
}

// safetyMessageID is the id of a safety-backed intent's message: the same
// whoever sends it (the sweep, the watch, a redelivery's answer). name is
// its safety backup's ID, or "task-N" or "event-<key>" where that is all
// the sender knows.
func safetyMessageID(instanceID, name, outcome string) string {
	return uuid.FromName(fmt.Sprintf("%s/safety/%s/%s", instanceID, name, outcome))
}

// ofEvent reports whether b's remark names the event at since (a remark
// of an earlier version names none).
func (b SafetyBackup) ofEvent(since time.Time) bool {
	return !b.Since.IsZero() && b.Since.Equal(since.Truncate(time.Second))
}

// eventAt is when the intent's event was: a restore since then is its
// event's (where the remark does not say, the backup's start).
func (b SafetyBackup) eventAt() time.Time { return cmp.Or(b.Since, b.StartTime).Truncate(time.Second) }

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
const safetyRemarkPrefix = "redis-restore undo point; restores "

func safetyRemark(seal *Seal, instanceID, backupID, trigger string, since, made time.Time) string {
	at := "since " + since.UTC().Truncate(time.Second).Format(time.RFC3339)
	mk := "made " + made.UTC().Truncate(time.Second).Format(time.RFC3339)
	return safetyRemarkPrefix + backupID + "; " + trigger + "; " + at + "; " + mk + "; " + seal.Sum("safety", instanceID, backupID, trigger, at, mk)
}

// copyAfter is how long after its remark was made a backup carrying it
// may start: ManualBackupInstance is called right after (a slow cloud,
// a skewed clock). A later one carries a copy (of a remark read in the
// backup list, to revive an intent that failed or expired), whose
// original the sweep may no longer list to tell it first. Half the
// sweep's lookback: a copy made sooner finds its original still listed,
// and first (signedOnly); a cloud that queues a backup for hours still
// starts it well within.
const copyAfter = sweepLookback / 2

// shownRemark is a safety backup's remark as a plan or a dry run shows
// it: without its MAC. The sealed remark is what lets a continuation pass
// without approval or budget (they were passed when it was taken):
// shown whole, anyone who may ask for a dry run and take a manual backup
// could make one.
func shownRemark(instanceID, backupID, trigger string, since, made time.Time) string {
	r := safetyRemark(nil, instanceID, backupID, trigger, since, made)
	return r + "<mac>"
}

// IsSafetyRemark reports whether a backup's remark reads like a safety
// backup's, signed or not: "latest" never picks one (an undo point is not
// a known-good state, and a look-alike is no better).
func IsSafetyRemark(remark string) bool { return strings.HasPrefix(remark, safetyRemarkPrefix) }

// parseSafety reads a safety backup from a backup of instanceID, only if
// its remark carries the function's MAC.
func parseSafety(seal *Seal, instanceID string, b Backup) (SafetyBackup, bool) {
	rest, ok := strings.CutPrefix(b.Remark, safetyRemarkPrefix)
	if !ok {
		return SafetyBackup{}, false
	}
	instanceID = cmp.Or(b.InstanceID, instanceID)
	parts := strings.Split(rest, "; ")
	if (len(parts) != 3 && len(parts) != 5) || !seal.Verify(parts[len(parts)-1], "safety", append([]string{instanceID}, parts[:len(parts)-1]...)...) {
		return SafetyBackup{}, false
	}
	sb := SafetyBackup{ID: b.ID, InstanceID: instanceID, Restores: parts[0], Trigger: parts[1],
		StartTime: b.StartTime, EndTime: b.EndTime, Status: b.Status, legacy: len(parts) == 3}
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
		if !ok || err != nil || b.StartTime.Sub(made) > copyAfter {
			return SafetyBackup{}, false // a copy: see copyAfter
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

// safetyWanted says whether a restore takes a safety backup first: the
// request's safetyBackup, else RESTORE_SAFETY_BACKUP, else on for alarms
// and timers (nobody is watching them) and off for the rest.
func (s *Service) safetyWanted(job Job) bool {
	req := job.Request
	switch {
	case job.Undo != nil || req.Clone() || req.Mode == ModeUnswitch:
		return false
	case req.SafetyBackup != nil:
		return *req.SafetyBackup
	case s.Settings.Life.SafetyBackup == "on":
		return true
	case s.Settings.Life.SafetyBackup == "off":
		return false
	}
	return job.Trigger == "timer" || job.Alarm
}

// lifeBegin marks the result of a restore the sweep continues after its
// safety backup: every message of it carries the undo.
func lifeBegin(job Job, res *Result) {
	if job.Undo != nil {
		res.Life = startedLife(job.Request.InstanceID, *job.Undo)
		res.Life.quiet = job.Undo.quiet
	}
}

// startedLife is the life of a restore the sweep started after its safety
// backup b: its started message, the same whenever it is sent (sweep.go
// sends it again within the window).
func startedLife(instanceID string, b SafetyBackup) *Life {
	return &Life{Phase: PhaseRestoring, UndoBackupID: b.ID, Undo: UndoRequest(instanceID, b.ID), eventType: EventTypePrefix + "started"}
}

// lifeFound looks, before anything is started, for what an earlier
// delivery of the same event began: a safety backup taken since the event
// was created (found by its remark), or a clone (found by its name). It
// reports whether that settles the restore.
func (s *Service) lifeFound(ctx context.Context, job Job, res *Result, log *slog.Logger, dryRun bool) bool {
	if job.Undo != nil || dryRun || job.Since.IsZero() {
		return false
	}
	if job.Request.Clone() {
		return s.cloneFound(ctx, job, res, log)
	}
	if !s.safetyWanted(job) {
		return false
	}
	// One reading of the instance's backups serves this look and the
	// choice of "latest" after it (admit).
	if err := job.backups.see(ctx, s, res.Region, job.Request.InstanceID); err != nil {
		failed(res, err, log, "could not check for an earlier safety backup; not restoring")
		return true
	}
	b, ok := s.listedSafety(job.Request.InstanceID, job.backups.list, job.Since, job.restores())
	if job.Since.Before(job.backups.begin) { // an event older than the reading
		var err error
		if b, ok, err = s.findSafety(ctx, job, res.Region, job.Since, job.restores()); err != nil {
			failed(res, err, log, "could not check for an earlier safety backup; not restoring")
			return true
		}
	}
	if !ok {
		return s.failedEarlier(ctx, job, res, log)
	}
	if s.safetyEnded(job, res, b, log) {
		return true
	}
	safetyFound(job, res, b, b.Restores, log)
	return true
}

// safetyEnded answers a redelivery whose intent's safety backup failed,
// or was done too long ago for its restore to start: the intent's one
// outcome again (the sweep or its watch sent its message, with its id),
// never "its watch restores once it is done".
func (s *Service) safetyEnded(job Job, res *Result, b SafetyBackup, log *slog.Logger) bool {
	id := job.Request.InstanceID
	switch judgeSafety(b, notRestored, s.Now(), s.Settings.Life.SafetyDeadline) {
	case safetyFailed:
		res.Fail(failure.E(failure.Unavailable, failure.Code("SafetyBackupFailed"), fmt.Sprintf(
			"safety backup %s of %s, taken for this event's restore at %s, failed (status %d): nothing was restored, and no other is taken for this event: send a new request to try again",
			b.ID, id, b.StartTime.UTC().Format(time.RFC3339), b.Status)))
		res.Life = &Life{Phase: PhaseFailed, quiet: true, eventID: safetyMessageID(id, b.ID, "failed")}
	case safetyExpired:
		*res = s.expiredResult(res.Region, id, b)
		res.Life.quiet = true
	default:
		return false
	}
	res.BackupID = b.Restores
	log.Info("safetyBackup.ended", "detail", "the event's safety-backed intent ended already: its outcome again", "undoBackupId", b.ID, "code", res.Error.Code)
	return true
}

// listedAsOthers reports whether the backup a manual backup task made is
// listed as another's, where the API lists failed backups too: without
// the function's signed remark (someone else's), or signed for another
// intent (another event's time, or another backup to restore).
func (s *Service) listedAsOthers(job Job, t Task) bool {
	if job.backups == nil {
		return false
	}
	for _, b := range job.backups.list {
		if !sameStart(SafetyBackup{StartTime: b.StartTime}, t) {
			continue
		}
		sb, ours := parseSafety(s.Settings.Seal, job.Request.InstanceID, b)
		switch {
		case !ours:
			return true
		case !sb.Since.IsZero() && !sb.ofEvent(job.Since):
			return true
		case job.restores() != "" && sb.Restores != job.restores():
			return true
		}
	}
	return false
}

// failedEarlier settles a redelivery whose event's safety backup may have
// failed already: where the API lists a backup only once it is done, a
// failed one is never listed, and only its task remains. A manual backup
// task that started since the event and failed may be this event's (its
// watch reported it failed, by that task); nothing proves it is not, and
// taking another would give the intent a second life after its one
// outcome. So nothing is taken, and the failure is the same message.
func (s *Service) failedEarlier(ctx context.Context, job Job, res *Result, log *slog.Logger) bool {
	tasks, err := s.tasksSince(ctx, job, res.Region, job.Since, false)
	if err != nil {
		failed(res, err, log, "could not check for an earlier safety backup; not restoring")
		return true
	}
	var failedTasks []Task
	for _, x := range tasks {
		if x.Kind == ManualBackupTask && x.Result == 4 && !s.listedAsOthers(job, x) {
			failedTasks = append(failedTasks, x)
		}
	}
	if len(failedTasks) == 0 {
		return false
	}
	// The mark tells another intent's failed safety backup (its watch
	// marked it before reporting it) from this one's. An unmarked one
	// may be this event's, not marked yet: it holds the intent back.
	in, err := retry(ctx, s, func() (Instance, error) { return s.Redis.DescribeInstance(ctx, res.Region, job.Request.InstanceID) })
	var t Task
	for _, x := range failedTasks {
		if err == nil {
			if found, ours := failedMark(s.Settings.Seal, in, x.ID, job.eventKey()); found && !ours {
				log.Info("safetyBackup.othersFailed", "detail", "a manual backup that failed since the event is marked another intent's: not this one's", "backupTaskId", x.ID)
				continue
			}
		}
		t = x
	}
	if t.ID == 0 {
		return false
	}
	res.Fail(failure.E(failure.Unavailable, failure.Code("SafetyBackupFailed"), fmt.Sprintf(
		"manual backup task %d of %s started at %s, after this event, and failed: it may be this event's safety backup, whose failure was reported; nothing was restored, and no other is taken for this event: send a new request to try again",
		t.ID, job.Request.InstanceID, t.StartTime.UTC().Format(time.RFC3339))))
	started := t.StartTime
	res.Life = &Life{Phase: PhaseFailed, SafetyBackupTaskID: t.ID, StartedAt: &started, TaskStatus: "failed",
		eventID: safetyMessageID(job.Request.InstanceID, fmt.Sprintf("task-%d", t.ID), "failed")}
	log.Warn("safetyBackup.failedEarlier", "detail", "a manual backup that started since the event failed: not taking another", "backupTaskId", t.ID)
	return true
}

// restores is the backup the job restores where it names one, "" for
// "latest" (chosen at admission).
func (job Job) restores() string {
	if job.Request.BackupID == LatestBackup {
		return ""
	}
	return job.Request.BackupID
}

// safetyFound settles res as a duplicate of b, the safety backup another
// delivery of this event took; backupID is what it restores, as far as
// known.
func safetyFound(job Job, res *Result, b SafetyBackup, backupID string, log *slog.Logger) {
	res.Status, res.BackupID = Duplicate, backupID
	res.Life = safetyLife(job, b)
	res.Reason = fmt.Sprintf("safety backup %s of %s was taken at %s for this event's restore: it is not taken again; its watch (or the sweep) restores once it is done",
		b.ID, job.Request.InstanceID, b.StartTime.UTC().Format(time.RFC3339))
	log.Info("safetyBackup.duplicate", "detail", "safety backup already taken", "undoBackupId", b.ID)
}

func safetyLife(job Job, b SafetyBackup) *Life {
	instanceID := job.Request.InstanceID
	// Every delivery of one event names its accepted message the same way:
	// by the event, which each knows (the first may know the backup only
	// by its task, a later one only by its ID); without an identity, by
	// the backup's ID, or its task where the API lists a backup only once
	// it is done.
	name := "event-" + job.Key
	switch {
	case job.Key != "":
	case b.ID != "":
		name = b.ID
	default:
		name = fmt.Sprintf("task-%d", b.TaskID)
	}
	l := &Life{Phase: PhaseSafetyBackup, UndoBackupID: b.ID, SafetyBackupTaskID: b.TaskID,
		eventID: safetyMessageID(instanceID, name, "accepted")}
	if b.ID != "" { // "" where the API lists a backup only once it is done
		l.Undo = UndoRequest(instanceID, b.ID)
	}
	return l
}

// ownFlow reports whether the flow an instance is busy with (Status 1) is
// this event's own: a restore or a safety backup that another delivery
// started after this one looked. Then res is the duplicate. A task list
// that cannot be read settles it too, as a failure (retried).
func (s *Service) ownFlow(ctx context.Context, job Job, res *Result, log *slog.Logger) bool {
	t, ok, err := s.findStarted(ctx, job, res.Region, true)
	if err != nil {
		// Whose flow it is cannot be told: not a guess either way (the
		// budget would count this event's own restore against it).
		failed(res, err, log, "the instance is busy and the task list cannot be read; not restoring")
		return true
	}
	if ok {
		earlierTask(job, res, t)
		log.Info("restore.duplicate", "detail", "restore already started by another delivery", "taskId", t.ID)
		return true
	}
	if job.Undo != nil || job.Request.Clone() || !s.safetyWanted(job) || job.Since.IsZero() {
		return false
	}
	if s.lifeFound(ctx, job, res, log, false) && res.Status == Duplicate {
		return true
	}
	tasks, err := s.tasksSince(ctx, job, res.Region, job.Since, false)
	return err == nil && s.unprovenSafety(ctx, job, res, tasks, log)
}

// unprovenSafety settles res as "locked, retry" when a manual backup that
// started since the event still runs and no safety backup of this event
// is listed: it may be this event's, where the API lists a backup only
// once it is done, but only its signed remark can prove it. So it is
// neither taken for this event's (it may be anyone's) nor followed by
// another: the platform's retry looks again once it is listed.
func (s *Service) unprovenSafety(ctx context.Context, job Job, res *Result, tasks []Task, log *slog.Logger) bool {
	t, ok := newestTask(tasks, ManualBackupTask)
	if !ok || !t.EndTime.IsZero() {
		return false
	}
	// Where the list shows running backups, a running one listed without
	// this event's signed remark (none was found) is someone else's: a
	// lock like any other, waited out or refused, never "maybe ours".
	running := false
	err := s.eachBackup(ctx, res.Region, job.Request.InstanceID, t.StartTime.Add(-time.Minute), s.Now().Add(time.Minute), func(b Backup) bool {
		running = running || b.Status == 1
		return !running
	})
	if err == nil && running {
		return false
	}
	res.Unclear(failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"), fmt.Sprintf(
		"manual backup task %d of %s, started at %s, holds the instance: it may be this event's safety backup, which is proven only once listed with its signed remark; not taking another: a retry of this event looks again",
		t.ID, job.Request.InstanceID, t.StartTime.UTC().Format(time.RFC3339))))
	res.Life = &Life{Phase: PhaseSafetyBackup}
	log.Warn("safetyBackup.unproven", "detail", "a manual backup runs that is not provably this event's: not taking another", "backupTaskId", t.ID)
	return true
}

// lifeStart starts what comes instead of RestoreInstance now: the safety
// backup, or the clone; for a dry run it writes the plan. It reports
// whether the restore is settled here.
func (s *Service) lifeStart(ctx context.Context, job Job, res *Result, lookedAt time.Time, log *slog.Logger, dryRun bool) bool {
	req := job.Request
	if req.Mode == ModeUnswitch {
		s.unswitch(ctx, job, res, log)
		return true
	}
	safety := s.safetyWanted(job)
	if safety && req.Password != "" {
		// The restore is started later, by the sweep, which cannot be
		// handed a password: it is never written anywhere.
		res.Fail(invalid("password", "a restore with a safety backup is started later by the sweep, which cannot be handed the request's password: use RESTORE_PASSWORD_SECRET or RESTORE_PASSWORD, or \"safetyBackup\": false"))
		return true
	}
	if dryRun {
		return false // the guard rails answer a dry run with its plan (plan.go), and lifePlan adds these steps
	}
	if (safety || req.Clone()) && s.Settings.Seal == nil {
		// The sweep continues the restore from the backup's remark, or
		// follows the clone by its name: only a signed one is trusted.
		what := "a restore with a safety backup"
		if req.Clone() {
			what = "a clone"
		}
		res.Fail(errNoSeal(what))
		return true
	}
	switch {
	case req.Clone():
		s.clone(ctx, job, res, log)
		return true
	case safety:
		s.takeSafety(ctx, job, res, lookedAt, log)
		return true
	}
	return false
}

// lifePlan is what the life cycle adds to a plan: whether a safety backup
// comes first (the plan's safetyBackup) and, for a dry run, the steps in
// order.
func (s *Service) lifePlan(job Job, res *Result, p *Plan, dryRun bool) {
	safety := s.safetyWanted(job)
	switch {
	case job.Request.Mode == ModeUnswitch:
		p.SafetyBackup = "none: switching back restores no backup"
	case job.Request.Clone():
		p.SafetyBackup = "none: a clone leaves the instance as it is"
		if job.Request.Drill() {
			p.SafetyBackup = "none: a drill leaves the instance as it is"
		}
	case safety:
		p.SafetyBackup = fmt.Sprintf("ManualBackupInstance first (remark %q); its watch (or the sweep) restores once it is done", shownRemark(p.InstanceID, p.BackupID, job.Trigger, cmp.Or(job.Since, s.Now()), s.Now()))
	default:
		p.SafetyBackup = "none: RESTORE_SAFETY_BACKUP (or the request's safetyBackup) is off for this restore"
	}
	if dryRun {
		if res.Life == nil {
			res.Life = &Life{}
		}
		res.Life.Steps = s.steps(job, p.BackupID, safety)
	}
}

func (s *Service) steps(job Job, backupID string, safety bool) []string {
	id := job.Request.InstanceID
	var p []string
	if job.Request.Mode == ModeUnswitch {
		return []string{fmt.Sprintf("DescribeInstances and DescribeTaskList: the clone of %s switched in (by its signed name and its switches)", id),
			fmt.Sprintf("SwitchInstanceVip of that clone and %s: the addresses swapped back", id),
			"the sweep reports restore.succeeded when the switch back ends"}
	}
	if job.Request.Clone() {
		from := "backup " + backupID
		if t := job.Request.CloneTime; t != nil {
			from = "its state at " + t.UTC().Format(time.RFC3339) + " (second-level backup)"
		}
		p = append(p,
			fmt.Sprintf("DescribeInstances and DescribeInstanceSecurityGroup of %s: its zone, VPC, subnet and security groups", id),
			fmt.Sprintf("CloneInstances: one new pay-as-you-go instance named %s from %s", s.cloneNameOf(job), from))
		if job.Request.Switch() {
			return append(p, "the sweep, once the clone runs: its data verified, then SwitchInstanceVip of the clone and "+id+" (only if it checks out), so that "+id+"'s clients reach the restored data at their address; "+id+" is kept at the clone's address, and the undo switches back",
				"the sweep reports restore.started when the switch begins and restore.succeeded or restore.failed when it ends")
		}
		if job.Request.Drill() {
			return append(p, "the sweep, once the clone runs: its data verified, restore.drill.passed or restore.drill.failed with the RTO and RPO, then DestroyPostpaidInstance of the clone; "+id+" itself is never touched")
		}
		return append(p, "the sweep reports restore.succeeded when the new instance runs (Status 2)")
	}
	if safety {
		p = append(p,
			fmt.Sprintf("ManualBackupInstance of %s with remark %q: the undo point", id, shownRemark(id, backupID, job.Trigger, cmp.Or(job.Since, s.Now()), s.Now())),
			"its watch (or the sweep), once that backup is done: RestoreInstance of "+backupID+", and its mark on "+id+" (TagResources)")
	} else {
		p = append(p, "RestoreInstance of "+backupID)
	}
	return append(p, "the sweep reports restore.succeeded or restore.failed when the task ends and the instance runs again")
}

// takeSafety takes the safety backup: ManualBackupInstance with a remark
// naming the restore. Like RestoreInstance, it is called again only when
// no backup of this event can have started: an unclear answer or a lock
// sends it to the backup list first.
func (s *Service) takeSafety(ctx context.Context, job Job, res *Result, lookedAt time.Time, log *slog.Logger) {
	lr := s.Redis
	req := job.Request
	since := job.Since
	if since.IsZero() {
		since = s.Now().Add(-time.Second)
	}
	remark := safetyRemark(s.Settings.Seal, req.InstanceID, res.BackupID, job.Trigger, since, s.Now())
	attemptCtx, cancel := withReserve(ctx, s.Now(), verifyReserve)
	defer cancel()
	// A last look right before the first call when the first look has
	// grown old (a slow cloud, a loaded container): another delivery's
	// safety backup may have started, and even ended (then no lock holds
	// this call back), meanwhile. As restore does for RestoreInstance.
	if s.Now().Sub(lookedAt) >= lookAgainAfter {
		b, ok, err := s.findSafety(attemptCtx, job, res.Region, since, res.BackupID)
		switch {
		case err != nil:
			failed(res, err, log, "could not check again for an earlier safety backup; not taking one")
			return
		case ok:
			safetyFound(job, res, b, cmp.Or(b.Restores, res.BackupID), log)
			return
		}
	}
	n := 0
	call := func() (accepted, error) {
		n++
		taskID, requestID, err := lr.ManualBackupInstance(attemptCtx, res.Region, req.InstanceID, remark)
		if err != nil {
			e := failure.As(err)
			log.Warn("safetyBackup.attemptFailed", "detail", "ManualBackupInstance failed", "attempt", n, "kind", e.Kind.String(), "code", e.Code, "apiRequestId", e.RequestID)
		}
		return accepted{taskID, requestID}, err
	}
	// After an answer that leaves open whether the backup was taken, or a
	// lock, the backup list is read before any new attempt, and so are the
	// rules a restore keeps after a lock: this event's restore may have
	// started meanwhile, or another restore used the budget.
	maybeTaken, locked := false, false
	cannotTell := func(err error) {
		res.Unclear(failure.E(failure.Unavailable, failure.Code("SafetyBackupOutcomeUnknown"), fmt.Sprintf(
			"ManualBackupInstance may have taken the safety backup, and the backup list could not be read to tell (%v): it was not taken again; a retry of this event looks for it first", err)))
		res.Life = &Life{Phase: PhaseSafetyBackup}
		log.Error("safetyBackup.unknown", "detail", "whether the safety backup was taken cannot be told", "error", err.Error())
	}
	a, _, stop := attempts(attemptCtx, s, call, func(last *failure.Error) bool {
		maybeTaken = maybeTaken || maybeStarted(last)
		locked = locked || last.Kind == failure.Locked
		if !maybeTaken && !locked {
			return false
		}
		b, ok, err := s.findSafety(attemptCtx, job, res.Region, since, res.BackupID)
		switch {
		case err != nil && maybeTaken:
			cannotTell(err)
			return true
		case err != nil:
			res.Fail(failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"), fmt.Sprintf(
				"the instance is locked, and the backup list could not be read to tell whether by this event's safety backup (%v): not taken on a guess", err)))
			return true
		case ok:
			s.safetyAccepted(job, res, b, log)
			return true
		case !locked:
			return false
		}
		// Locked, and no safety backup of this event listed: the task list
		// tells whether this event's restore started meanwhile, or a
		// manual backup is running that may be this event's where the API
		// lists a backup only once it is done. Nothing but its signed
		// remark proves a backup ours, so that one is neither taken for
		// this event's (someone's own backup) nor taken again: the answer
		// is "locked, retry", and the retry finds it listed.
		tasks, err := s.tasksSince(attemptCtx, job, res.Region, since, true)
		if err != nil {
			failed(res, err, log, "the instance is locked and the task list cannot be read; not taking the safety backup")
			return true
		}
		if t, ok := newestTask(tasks, RestoreTask); ok && !job.Since.IsZero() {
			earlierTask(job, res, t)
			return true
		}
		if s.unprovenSafety(attemptCtx, job, res, tasks, log) {
			return true
		}
		probe := *res
		if s.overBudget(attemptCtx, job, &probe, true, log) {
			*res = probe
			return true
		}
		return false
	})
	switch {
	case stop == errSettled:
		return
	case stop != nil:
		b, ok, ferr := s.findSafety(ctx, job, res.Region, since, res.BackupID)
		switch {
		case ferr == nil && ok:
			s.safetyAccepted(job, res, b, log)
			return
		case ferr != nil && maybeTaken:
			cannotTell(ferr)
			return
		}
		e := failure.As(stop)
		res.Fail(failure.E(e.Kind, failure.Code(e.Code), fmt.Sprintf("the safety backup could not be taken, so nothing was restored: %s", e.Message)))
		res.Life = &Life{Phase: PhaseFailed}
		return
	}
	b := SafetyBackup{Restores: res.BackupID, Trigger: job.Trigger, TaskID: a.taskID, StartTime: s.Now(), Status: 1}
	watched := false
	if s.Watch != nil {
		// The intent's own watch continues it once the backup is done
		// (watchIntent); where it is not listed while it runs, a failure
		// of it never will be, and only its task can say so.
		err := s.Watch(attemptCtx, FleetWatch{Region: res.Region, Trigger: job.Trigger, Since: since, Members: []string{req.InstanceID},
			SafetyTask: a.taskID, Restores: res.BackupID, Key: job.eventKey()})
		if err != nil {
			log.Warn("safetyBackup.watchNotStarted", "detail", "the intent's watch could not be started: the sweep continues it, and a failure of a backup the list does not show would not be reported", "error", err.Error())
		}
		watched = err == nil
	}
	// The backup's ID is in the backup list (while it runs, too): the
	// accepted answer names the undo point. Not where a region-wide
	// incident keeps this container busy at its share of the list's limit
	// (a stream of invocations, and the read would wait): the watch reads
	// the list anyway, and its started message names the undo point; the
	// answer names its task.
	if watched && s.Busy && s.Redis.Waits("DescribeInstanceBackups") {
		log.Info("safetyBackup.idLeftToWatch", "detail", "the backup list's limit is spent here: the safety backup's ID is left to its watch's started message", "backupTaskId", a.taskID)
	} else if found, ok, ferr := s.findSafety(attemptCtx, job, res.Region, since, res.BackupID); ferr == nil && ok {
		found.TaskID = a.taskID
		if found.Restores == "" { // found by its task: not listed yet
			found.Restores = res.BackupID
		}
		b = found
	}
	res.RequestID = a.requestID
	s.safetyAccepted(job, res, b, log)
}

func (s *Service) safetyAccepted(job Job, res *Result, b SafetyBackup, log *slog.Logger) {
	res.Status = Accepted
	res.Life = safetyLife(job, b)
	which := "safety backup " + b.ID
	if b.ID == "" {
		which = fmt.Sprintf("a safety backup (ManualBackupInstance task %d; its ID, the undo point, is in the restore's started message)", b.TaskID)
	}
	res.Reason = JoinReason(res.Reason, fmt.Sprintf("%s taken first (the undo point); its watch (or the sweep) restores %s once it is done", which, b.Restores))
	log.Info("safetyBackup.started", "detail", "safety backup started", "undoBackupId", b.ID, "backupTaskId", b.TaskID)
}

// An intent's own watch. The sweep reads the whole region once a period
// and continues the ready safety backups it finds, in one invocation: at
// one container's share of the API's limits, a region-wide incident's
// thousand safety backups expire before it gets to them. So each intent
// that took a safety backup is followed by its own sealed asynchronous
// invocation (the platform fans them out over its containers), which
// reads only its instance (by ID, no region list) and continues the
// intent through continueSafety the moment its backup is done. It steps
// at 1, 3, 7, 15, 31 s, ... (a small instance's backup is done in
// seconds, and a step that waits holds a container), and leaves a backup
// still running after intentWatchWait to the sweep, which continues the
// same way; the two meet at most in a restore's never-twice look.
//
// Where the API lists a manual backup only once it is done, a safety
// backup that fails is never listed: nothing signed ever says it failed,
// and the sweep, which judges only what is signed, never reports it. Its
// own task (the one ManualBackupInstance answered) is the function's by
// the sealed watch that names it, and says how it went: the watch follows
// it for safetyWatchLife, at a step a sweep period.
const safetyWatchLife = 6 * time.Hour

// intentWatchWait is how long an intent's watch waits for its listed
// safety backup to be done.
func intentWatchWait(every time.Duration) time.Duration { return max(every, 30*time.Second) }

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

// watchBegan is what a watch's life counts from: its safety backup's task
// where listed, else the watch's start (never the event's time: an old
// event's watch would end at once).
func watchBegan(fw FleetWatch, task *Task) time.Time {
	if task != nil {
		return task.StartTime
	}
	return fw.began()
}

// markFailed marks the intent's failed safety backup task its own before
// the watch reports it (failedEntry). Where it cannot (the instance not
// read, no tag rights), a later event on the instance is held back by it
// as if it were its own: refused, never a second life.
func (s *Service) markFailed(ctx context.Context, fw FleetWatch, in Instance, taskID int64, log *slog.Logger) {
	if in.ID == "" || s.Settings.Seal == nil {
		return // its other entries unknown: rewriting the tag would drop them
	}
	value := withMark(in.Tags[MarkKey], failedEntry(s.Settings.Seal, in.ID, taskID, fw.Key))
	if value == in.Tags[MarkKey] {
		return
	}
	if _, err := retry(ctx, s, func() (struct{}, error) {
		return struct{}{}, s.Redis.TagInstance(ctx, fw.Region, in.ID, MarkKey, value)
	}); err != nil {
		log.Warn("safetyBackup.failedUnmarked", "detail", "the failed safety backup could not be marked this intent's: later events on the instance are held back by it", "taskId", taskID, "error", err.Error())
	}
}

// watchIntent is one step of an intent's watch: done says whether the
// watch ends here.
func (s *Service) watchIntent(ctx context.Context, fw FleetWatch, log *slog.Logger) (FleetCounts, bool, error) {
	c := FleetCounts{Total: 1, Running: 1}
	if len(fw.Members) != 1 || fw.SafetyTask == 0 {
		return c, true, nil
	}
	id, now := fw.Members[0], s.Now()
	w, err := s.observeAs(ctx, fw.Region, id, true, fw.Since.Truncate(time.Second), now.Add(time.Minute), log)
	if err != nil {
		return c, false, err
	}
	tasks := w.tasks[id]
	every := s.Settings.Life.SweepEvery
	// Past its wait, a backup still running is the sweep's.
	waited := IntentStepDue(fw.Step+1, every) > intentWatchWait(every)
	if own, ok := ownSafety(w.safety[id], fw.Since, fw.Restores); ok {
		b := &own
		t, whose := firstRestore(s.Settings.Seal, w.instance(id), tasks, *b, w.safety[id])
		switch judgeSafety(*b, whose, now, s.Settings.Life.SafetyDeadline) {
		case safetyRunning:
			// Past its wait, the sweep's: not an instance out of the
			// allow-list since, which no sweep reads.
			return c, waited && w.instance(id).ID != "", nil
		case safetyReady:
		case safetySuperseded:
			if r := s.safetySuperseded(ctx, fw.Region, id, *b, t, log); r.Undelivered {
				return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the superseded intent's message could not be sent")
			}
			return c, true, nil
		case safetyRestored:
			// By this intent (its mark): its started message again, the
			// same id, for the platform's retry of a step that could not
			// send it.
			if marked(s.Settings.Seal, w.instance(id), t.ID, b.Restores, b.ID) {
				if r := s.restoreStarted(ctx, fw.Region, id, t, *b, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the restore's started message could not be sent")
				}
			}
			return c, true, nil
		case safetyExpired:
			if w.instance(id).ID == "" {
				// No sweep reads an instance out of the allow-list: the
				// watch says it, with the sweep's id.
				if r := s.safetyExpired(ctx, fw.Region, id, *b, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the expired intent's message could not be sent")
				}
			}
			return c, true, nil
		default: // failed: the sweep reports it, where it reads the instance
			if w.instance(id).ID == "" {
				failedAt, t := safetyFailedAt(*b, tasks)
				if r := s.safetyFailed(ctx, s.Redis, fw.Region, id, *b, t, failedAt, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the failed safety backup's message could not be sent")
				}
			}
			return c, true, nil
		}
		in := w.instance(id)
		if in.ID == "" {
			// Out of the allow-list since, or gone, and no sweep reads it
			// any more. It may be back within the deadline (a list
			// changed by mistake): until then the watch looks again; at
			// the deadline it reports the intent expired, the one
			// outcome the sweep would give it (the same id).
			log.Info("safetyBackup.notContinued", "detail", "the intent's instance is not allowed or not found: not restored; looking again until its deadline", "undoBackupId", b.ID)
			return c, false, nil
		}
		if !in.Running() {
			log.Info("safetyBackup.instanceNotRunning", "detail", "safety backup done, the instance is not running yet: the next step looks again", "undoBackupId", b.ID, "status", in.Status)
			return c, waited, nil
		}
		seen := &sighting{begin: fw.Since.Truncate(time.Second), tasks: tasks, read: true, at: now}
		r := s.continueSafety(ctx, fw.Region, id, *b, seen, &in)
		log.Info("safetyBackup.continued", "detail", "the intent's watch continued it", "undoBackupId", b.ID, "status", string(r.Status), "taskId", r.TaskID)
		if r.Undelivered {
			// The platform retries this step, which finds the restore
			// (its mark) and sends its started message again.
			return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the restore's started message could not be sent")
		}
		// A failure is the sweep's to try again, and to report.
		return c, true, nil
	}
	var task *Task
	for i, t := range tasks {
		if t.ID == fw.SafetyTask {
			task = &tasks[i]
		}
	}
	switch {
	case task != nil && task.Result == 4:
		b := SafetyBackup{Restores: fw.Restores, Trigger: fw.Trigger, TaskID: task.ID,
			StartTime: task.StartTime, Status: -2, InstanceID: id}
		s.markFailed(ctx, fw, w.instance(id), task.ID, log)
		r := s.safetyFailed(ctx, s.Redis, fw.Region, id, b, *task, cmp.Or(task.EndTime, now), log)
		if r.Undelivered {
			// Nothing else will ever report it (the sweep never sees an
			// unlisted backup), and the platform drops an asynchronous
			// event after two retries: the next step tries again, within
			// the watch's life, rather than this step failing.
			log.Warn("safetyBackup.failureUndelivered", "detail", "the failed safety backup's message could not be sent: the watch's next step sends it again", "taskId", task.ID)
			return c, now.Sub(watchBegan(fw, task)) >= safetyWatchLife, nil
		}
		c.Running, c.Failed = 0, 1
		return c, true, nil
	case restoreAfter(tasks, fw.Since):
		return c, true, nil // restored: the sweep's
	case now.Sub(watchBegan(fw, task)) >= safetyWatchLife:
		log.Warn("safetyBackup.watchEnded", "detail", "the safety backup's task was followed for its watch's whole life and never listed", "taskId", fw.SafetyTask)
		return c, true, nil
	}
	return c, false, nil
}
