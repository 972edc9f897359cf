package restore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// The sweep: a timer fires every RESTORE_SWEEP_EVERY (a minute) and the
// function, holding nothing from earlier invocations, reads the cloud:
//
//  1. DescribeInstances, every page, kept to RESTORE_ALLOWED_INSTANCES
//     (patterns cannot be listed, instances can), plus the clones whose
//     name says they were cloned from an allowed instance;
//  2. DescribeTaskList and DescribeInstanceBackups without an InstanceId:
//     every task (judged by its type code) and every backup (the safety
//     backups, by their remark) of the region's last day, a page per 100,
//     so that a sweep costs a few calls however many instances there are;
//  3. a restore task that ended within the window is reported, with
//     DescribeTaskInfo's own status and message: succeeded once the
//     instance runs (Status 2), failed otherwise; a safety backup that
//     ended within the window is continued (RestoreInstance) or, if it
//     failed, reported; a clone that came up is reported.
//
// The window is the three periods before the timer's own Time: every end
// falls in the windows of three consecutive sweeps, so two sweeps may fail
// or be skipped and none is missed, and a retry of a sweep (SCF retries a
// failed timer event with the same Time) looks at the same window. A
// message sent twice for one outcome carries the same id (derived from the
// instance, the task and the outcome): consumers drop the copy.

// ContinueSafety starts the restore a ready safety backup b was taken
// for, through Run like any restore (the admission included; the guard
// rails it passed when b was taken, which b's signed remark proves):
// whoever found b ready, the sweep or the intent's own watch. A failure
// is quiet: it is tried again until the deadline. A
// watch hands in its step's reading of the instance and its task list,
// read a moment ago, which Run then does not read again. Its trigger is
// "sweep" whoever continues: the started message is the same, with one id.
//
// The deadline is judged again on the clock, not on the caller's time: a
// sweep's timer Time may be a retry's, long past, and the intent may have
// been reported expired since.
func (s *Service) ContinueSafety(ctx context.Context, region, instanceID string, b intent.SafetyBackup, seen *Sighting, in *intent.Instance) intent.Result {
	if b.Legacy {
		// Nothing tells its copy from it: an intent in flight across the
		// upgrade expires rather than restoring what a copy may revive.
		s.Log.Warn("safetyBackup.legacyRemark", "detail", "a safety backup with a remark of an earlier version is not continued: it expires at its deadline", "instanceId", instanceID, "undoBackupId", b.ID)
		return intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region, Status: intent.Skipped,
			Reason: fmt.Sprintf("safety backup %s carries a remark of an earlier version, which a copy could carry as well: the restore of %s is not started (it is reported expired at its deadline)", b.ID, b.Restores)}
	}
	if s.Settings.DryRun {
		// The one admission's dry run holds continuations too: nothing
		// restores while it is on (the intent expires at its deadline
		// unless it is turned off before).
		s.Log.Info("safetyBackup.dryRun", "detail", "RESTORE_DRY_RUN is on: the restore after the safety backup is not started", "instanceId", instanceID, "undoBackupId", b.ID)
		return intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region, Status: intent.Skipped,
			Reason: fmt.Sprintf("RESTORE_DRY_RUN is on: the restore of %s after safety backup %s is not started (it is reported expired at its deadline unless the dry run is turned off before)", b.Restores, b.ID)}
	}
	if s.pastDeadline(b) {
		return intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region, Status: intent.Skipped,
			Reason: fmt.Sprintf("safety backup %s was done at %s, more than %s ago: the restore is never started late (the sweep reports it expired)", b.ID, b.DoneAt().UTC().Format(time.RFC3339), s.Settings.Life.SafetyDeadline)}
	}
	// Quiet, the last try too: an intent's one outcome is its restore's
	// end, or expired at its deadline, never a try's failure besides
	// (the log has each: sweep.restoreFailed). A duplicate found by a
	// try is another's start, whose message is its own.
	b.Quiet = true
	r := s.runJob(ctx, Job{Intent: intent.Intent{
		Request: intent.Request{InstanceID: instanceID, BackupID: b.Restores, Region: region},
		Trigger: "sweep", Since: b.EventAt(), Undo: &b,
		Reason: fmt.Sprintf("safety backup %s done at %s: restoring %s (asked for by %s)", b.ID, b.DoneAt().UTC().Format(time.RFC3339), b.Restores, b.Trigger),
	}, seen: seen, instance: in})
	return r
}

// pastDeadline reports whether, on the clock, a restore after b would
// start later than RESTORE_SAFETY_DEADLINE allows.
func (s *Service) pastDeadline(b intent.SafetyBackup) bool {
	d := s.Settings.Life.SafetyDeadline
	return d > 0 && !s.Now().Before(b.DoneAt().Add(d))
}

// ExpiredResult is an expired intent's one outcome.
func (s *Service) ExpiredResult(region, instanceID string, b intent.SafetyBackup) intent.Result {
	deadline, doneAt := s.Settings.Life.SafetyDeadline, b.DoneAt()
	r := intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region}
	why := "no sweep ran meanwhile, or each try failed (the function's log: sweep.restoreFailed, with the reason)"
	if s.Settings.DryRun {
		why = "RESTORE_DRY_RUN is on, and holds every restore"
	}
	msg := fmt.Sprintf("the safety backup %s of %s was done at %s, but the restore of %s could not start within RESTORE_SAFETY_DEADLINE (%s): %s",
		b.ID, instanceID, doneAt.UTC().Format(time.RFC3339), b.Restores, deadline, why)
	if b.Gone() {
		// Its listed status says why, alike for every container.
		msg = fmt.Sprintf("the safety backup %s of %s was done at %s and then removed (its status %d) before the restore of %s started: without its undo point the restore is never started",
			b.ID, instanceID, doneAt.UTC().Format(time.RFC3339), b.Status, b.Restores)
	}
	r.Fail(failure.E(failure.Unavailable, failure.Code("RestoreExpired"), msg+"; it is not started late; nothing was restored; send the request again if the restore is still wanted"))
	r.Status = intent.Expired
	ended := doneAt.Add(deadline)
	r.Life = &intent.Life{Phase: intent.PhaseExpired, UndoBackupID: b.ID, EndedAt: &ended, EventType: intent.EventTypePrefix + "expired",
		EventID: intent.SafetyMessageID(instanceID, b.ID, "expired")}
	return r
}

// SupersededResult is a superseded intent's one outcome.
func (s *Service) SupersededResult(region, instanceID string, b intent.SafetyBackup, t intent.Task) intent.Result {
	r := intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region}
	why := "marked another intent's restore"
	if t.StartTime.Before(b.DoneAt().Truncate(time.Second)) {
		why = "it started before this intent's safety backup was done"
	}
	r.Fail(failure.E(failure.Unavailable, failure.Code("RestoreSuperseded"), fmt.Sprintf(
		"restore task %d of %s started at %s, after this intent's event (%s), and is not its restore of %s (%s): the instance is never restored over a restore since the event, so %s was not restored by this intent; its safety backup %s is kept",
		t.ID, instanceID, t.StartTime.UTC().Format(time.RFC3339), b.EventAt().UTC().Format(time.RFC3339), b.Restores, why, b.Restores, b.ID)))
	started := t.StartTime
	// undoBackupId names the intent (as in its accepted answer and an
	// expired one's message), not an undo of that restore.
	r.Life = &intent.Life{Phase: intent.PhaseFailed, StartedAt: &started, UndoBackupID: b.ID,
		EventID: intent.SafetyMessageID(instanceID, b.ID, "superseded")}
	return r
}

// EmitLife sends a life cycle message; one that cannot be sent makes the
// sweep fail, so that SCF retries it with the same window.
func (s *Service) EmitLife(ctx context.Context, r *intent.Result, log *slog.Logger) {
	s.emit(ctx, Job{Intent: intent.Intent{Trigger: "sweep"}}, r, log)
	if r.MessageID == "" {
		r.Undelivered = true
		log.Error("sweep.outcomeUndelivered", "detail", "life cycle message NOT delivered: the sweep fails so that it is retried", "taskId", r.TaskID, "status", string(r.Status))
	}
}
