package restore

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// A restore's life after the request: with a safety backup it first takes
// a manual backup of the instance as it is (the undo point), and the
// sweep (sweep.go) starts the restore once that backup is done; every
// restore's end is reported by the sweep; a clone (clone.go) makes a new
// instance instead of restoring in place. Nothing of this is kept in the
// function: the cloud's task list, backup list (the safety backup's
// remark) and instance list (the clone's name) are the state, so that any
// container, at any time, can take the life up where it stands.

// safetyWanted says whether a restore takes a safety backup first: the
// request's safetyBackup, else RESTORE_SAFETY_BACKUP, else on for alarms
// and timers (nobody is watching them) and off for the rest.
func (s *Service) safetyWanted(job Job) bool {
	req := job.Request
	switch {
	case job.Undo != nil || req.Clone() || req.Mode == intent.ModeUnswitch:
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
func lifeBegin(job Job, res *intent.Result) {
	if job.Undo != nil {
		res.Life = intent.StartedLife(job.Request.InstanceID, *job.Undo)
		res.Life.Quiet = job.Undo.Quiet
	}
}

// lifeFound looks, before anything is started, for what an earlier
// delivery of the same event began: a safety backup taken since the event
// was created (found by its remark), or a clone (found by its name). It
// reports whether that settles the restore.
func (s *Service) lifeFound(ctx context.Context, job Job, res *intent.Result, log *slog.Logger, dryRun bool) bool {
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
	if err := s.Reader().SeeBackups(ctx, job.backups, res.Region, job.Request.InstanceID); err != nil {
		failed(res, err, log, "could not check for an earlier safety backup; not restoring")
		return true
	}
	b, ok := s.Reader().ListedSafety(job.Request.InstanceID, job.backups.List, job.Since, job.Restores())
	if job.Since.Before(job.backups.Begin) { // an event older than the reading
		var err error
		if b, ok, err = s.findSafety(ctx, job, res.Region, job.Since, job.Restores()); err != nil {
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
func (s *Service) safetyEnded(job Job, res *intent.Result, b intent.SafetyBackup, log *slog.Logger) bool {
	id := job.Request.InstanceID
	switch intent.JudgeSafety(b, intent.NotRestored, s.Now(), s.Settings.Life.SafetyDeadline) {
	case intent.SafetyFailed:
		res.Fail(failure.E(failure.Unavailable, failure.Code("SafetyBackupFailed"), fmt.Sprintf(
			"safety backup %s of %s, taken for this event's restore at %s, failed (status %d): nothing was restored, and no other is taken for this event: send a new request to try again",
			b.ID, id, b.StartTime.UTC().Format(time.RFC3339), b.Status)))
		res.Life = &intent.Life{Phase: intent.PhaseFailed, Quiet: true, EventID: intent.SafetyMessageID(id, b.ID, "failed")}
	case intent.SafetyExpired:
		*res = s.ExpiredResult(res.Region, id, b)
		res.Life.Quiet = true
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
func (s *Service) listedAsOthers(job Job, t intent.Task) bool {
	if job.backups == nil {
		return false
	}
	for _, b := range job.backups.List {
		if !intent.SameStart(intent.SafetyBackup{StartTime: b.StartTime}, t) {
			continue
		}
		sb, ours := intent.ParseSafety(s.Settings.Seal, job.Request.InstanceID, b)
		switch {
		case !ours:
			return true
		case !sb.Since.IsZero() && !sb.OfEvent(job.Since):
			return true
		case job.Restores() != "" && sb.Restores != job.Restores():
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
func (s *Service) failedEarlier(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) bool {
	tasks, err := s.tasksSince(ctx, job, res.Region, job.Since, false)
	if err != nil {
		failed(res, err, log, "could not check for an earlier safety backup; not restoring")
		return true
	}
	var failedTasks []intent.Task
	for _, x := range tasks {
		if x.Kind == intent.ManualBackupTask && x.Result == 4 && !s.listedAsOthers(job, x) {
			failedTasks = append(failedTasks, x)
		}
	}
	if len(failedTasks) == 0 {
		return false
	}
	// The mark tells another intent's failed safety backup (its watch
	// marked it before reporting it) from this one's. An unmarked one
	// may be this event's, not marked yet: it holds the intent back.
	in, err := Retry(ctx, s, func() (intent.Instance, error) {
		return s.Redis.DescribeInstance(ctx, res.Region, job.Request.InstanceID)
	})
	var t intent.Task
	for _, x := range failedTasks {
		if err == nil {
			if found, ours := intent.FailedMark(s.Settings.Seal, in, x.ID, job.EventKey()); found && !ours {
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
	res.Life = &intent.Life{Phase: intent.PhaseFailed, SafetyBackupTaskID: t.ID, StartedAt: &started, TaskStatus: "failed",
		EventID: intent.SafetyMessageID(job.Request.InstanceID, fmt.Sprintf("task-%d", t.ID), "failed")}
	log.Warn("safetyBackup.failedEarlier", "detail", "a manual backup that started since the event failed: not taking another", "backupTaskId", t.ID)
	return true
}

// safetyFound settles res as a duplicate of b, the safety backup another
// delivery of this event took; backupID is what it restores, as far as
// known.
func safetyFound(job Job, res *intent.Result, b intent.SafetyBackup, backupID string, log *slog.Logger) {
	res.Status, res.BackupID = intent.Duplicate, backupID
	res.Life = safetyLife(job, b)
	res.Reason = fmt.Sprintf("safety backup %s of %s was taken at %s for this event's restore: it is not taken again; its watch (or the sweep) restores once it is done",
		b.ID, job.Request.InstanceID, b.StartTime.UTC().Format(time.RFC3339))
	log.Info("safetyBackup.duplicate", "detail", "safety backup already taken", "undoBackupId", b.ID)
}

func safetyLife(job Job, b intent.SafetyBackup) *intent.Life {
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
	l := &intent.Life{Phase: intent.PhaseSafetyBackup, UndoBackupID: b.ID, SafetyBackupTaskID: b.TaskID,
		EventID: intent.SafetyMessageID(instanceID, name, "accepted")}
	if b.ID != "" { // "" where the API lists a backup only once it is done
		l.Undo = intent.UndoRequest(instanceID, b.ID)
	}
	return l
}

// ownFlow reports whether the flow an instance is busy with (Status 1) is
// this event's own: a restore or a safety backup that another delivery
// started after this one looked. Then res is the duplicate. A task list
// that cannot be read settles it too, as a failure (retried).
func (s *Service) ownFlow(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) bool {
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
	if s.lifeFound(ctx, job, res, log, false) && res.Status == intent.Duplicate {
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
func (s *Service) unprovenSafety(ctx context.Context, job Job, res *intent.Result, tasks []intent.Task, log *slog.Logger) bool {
	t, ok := intent.NewestTask(tasks, intent.ManualBackupTask)
	if !ok || !t.EndTime.IsZero() {
		return false
	}
	// Where the list shows running backups, a running one listed without
	// this event's signed remark (none was found) is someone else's: a
	// lock like any other, waited out or refused, never "maybe ours".
	running := false
	err := s.Reader().EachBackup(ctx, res.Region, job.Request.InstanceID, t.StartTime.Add(-time.Minute), s.Now().Add(time.Minute), func(b intent.Backup) bool {
		running = running || b.Status == 1
		return !running
	})
	if err == nil && running {
		return false
	}
	res.Unclear(failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"), fmt.Sprintf(
		"manual backup task %d of %s, started at %s, holds the instance: it may be this event's safety backup, which is proven only once listed with its signed remark; not taking another: a retry of this event looks again",
		t.ID, job.Request.InstanceID, t.StartTime.UTC().Format(time.RFC3339))))
	res.Life = &intent.Life{Phase: intent.PhaseSafetyBackup}
	log.Warn("safetyBackup.unproven", "detail", "a manual backup runs that is not provably this event's: not taking another", "backupTaskId", t.ID)
	return true
}

// lifeStart starts what comes instead of RestoreInstance now: the safety
// backup, or the clone; for a dry run it writes the plan. It reports
// whether the restore is settled here.
func (s *Service) lifeStart(ctx context.Context, job Job, res *intent.Result, lookedAt time.Time, log *slog.Logger, dryRun bool) bool {
	req := job.Request
	if req.Mode == intent.ModeUnswitch {
		s.unswitch(ctx, job, res, log)
		return true
	}
	safety := s.safetyWanted(job)
	if safety && req.Password != "" {
		// The restore is started later, by the sweep, which cannot be
		// handed a password: it is never written anywhere.
		res.Fail(intent.Invalid("password", "a restore with a safety backup is started later by the sweep, which cannot be handed the request's password: use RESTORE_PASSWORD_SECRET or RESTORE_PASSWORD, or \"safetyBackup\": false"))
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
		res.Fail(intent.ErrNoSeal(what))
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
func (s *Service) lifePlan(job Job, res *intent.Result, p *intent.Plan, dryRun bool) {
	safety := s.safetyWanted(job)
	switch {
	case job.Request.Mode == intent.ModeUnswitch:
		p.SafetyBackup = "none: switching back restores no backup"
	case job.Request.Clone():
		p.SafetyBackup = "none: a clone leaves the instance as it is"
		if job.Request.Drill() {
			p.SafetyBackup = "none: a drill leaves the instance as it is"
		}
	case safety:
		p.SafetyBackup = fmt.Sprintf("ManualBackupInstance first (remark %q); its watch (or the sweep) restores once it is done", intent.ShownRemark(p.InstanceID, p.BackupID, job.Trigger, cmp.Or(job.Since, s.Now()), s.Now()))
	default:
		p.SafetyBackup = "none: RESTORE_SAFETY_BACKUP (or the request's safetyBackup) is off for this restore"
	}
	if dryRun {
		if res.Life == nil {
			res.Life = &intent.Life{}
		}
		res.Life.Steps = s.steps(job, p.BackupID, safety)
	}
}

func (s *Service) steps(job Job, backupID string, safety bool) []string {
	id := job.Request.InstanceID
	var p []string
	if job.Request.Mode == intent.ModeUnswitch {
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
			fmt.Sprintf("ManualBackupInstance of %s with remark %q: the undo point", id, intent.ShownRemark(id, backupID, job.Trigger, cmp.Or(job.Since, s.Now()), s.Now())),
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
func (s *Service) takeSafety(ctx context.Context, job Job, res *intent.Result, lookedAt time.Time, log *slog.Logger) {
	lr := s.Redis
	req := job.Request
	since := job.Since
	if since.IsZero() {
		since = s.Now().Add(-time.Second)
	}
	remark := intent.SafetyRemark(s.Settings.Seal, req.InstanceID, res.BackupID, job.Trigger, since, s.Now())
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
		res.Life = &intent.Life{Phase: intent.PhaseSafetyBackup}
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
		if t, ok := intent.NewestTask(tasks, intent.RestoreTask); ok && !job.Since.IsZero() {
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
		res.Life = &intent.Life{Phase: intent.PhaseFailed}
		return
	}
	b := intent.SafetyBackup{Restores: res.BackupID, Trigger: job.Trigger, TaskID: a.taskID, StartTime: s.Now(), Status: 1}
	watched := false
	if s.Watch != nil {
		// The intent's own watch continues it once the backup is done
		// (watchIntent); where it is not listed while it runs, a failure
		// of it never will be, and only its task can say so.
		err := s.Watch(attemptCtx, intent.FleetWatch{Region: res.Region, Trigger: job.Trigger, Since: since, Members: []string{req.InstanceID},
			SafetyTask: a.taskID, Restores: res.BackupID, Key: job.EventKey()})
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

func (s *Service) safetyAccepted(job Job, res *intent.Result, b intent.SafetyBackup, log *slog.Logger) {
	res.Status = intent.Accepted
	res.Life = safetyLife(job, b)
	which := "safety backup " + b.ID
	if b.ID == "" {
		which = fmt.Sprintf("a safety backup (ManualBackupInstance task %d; its ID, the undo point, is in the restore's started message)", b.TaskID)
	}
	res.Reason = intent.JoinReason(res.Reason, fmt.Sprintf("%s taken first (the undo point); its watch (or the sweep) restores %s once it is done", which, b.Restores))
	log.Info("safetyBackup.started", "detail", "safety backup started", "undoBackupId", b.ID, "backupTaskId", b.TaskID)
}
