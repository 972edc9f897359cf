package follow

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/observe"
	"redis-restore/internal/restore"
	"redis-restore/internal/uuid"
)

// Sweep follows every restore of the allowed instances at the timer's
// time at, and returns the outcome of each message it sent or tried to.
// A result Undelivered, or failed for a transient reason, fails the
// invocation so that SCF retries the same timer event.
func (s *Follower) Sweep(ctx context.Context, at time.Time) []intent.Result {
	regions := s.Settings.Regions
	if len(regions) == 0 {
		regions = []string{s.Settings.Region}
	}
	// Every region a request may name (RESTORE_REGIONS): a restore
	// accepted there is followed there.
	var out []intent.Result
	for _, region := range regions {
		out = append(out, s.sweepRegion(ctx, at, region)...)
	}
	return out
}

func (s *Follower) sweepRegion(ctx context.Context, at time.Time, region string) []intent.Result {
	log := s.Log.With("sweepAt", at.UTC().Format(time.RFC3339), "region", region)
	every := s.Settings.Life.SweepEvery
	w := intent.Window{At: at, From: at.Add(-intent.SweepPeriods * every), Region: region, Every: every}
	w.LastFrom = w.From.Add(every)
	fail := func(err error) []intent.Result {
		var r intent.Result
		r.Fail(err)
		log.Error("sweep.failed", "detail", "sweep failed", "code", r.Error.Code, "error", r.Error.Message)
		return []intent.Result{r}
	}
	switch {
	case s.Refuse != nil:
		return fail(s.Refuse)
	case region == "":
		return fail(failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("TENCENTCLOUD_REGION"), "the sweep needs the region of its instances"))
	case s.Settings.NoCredentials != nil:
		return fail(s.Settings.NoCredentials)
	}
	lr := s.Redis
	world, err := s.Reader().Observe(ctx, region, "", w.At.Add(-intent.SweepLookback), w.At.Add(time.Minute), log)
	if err != nil {
		return fail(err)
	}
	log.Info("sweep.listed", "detail", "sweep: the instances, tasks and safety backups of the window read", "instances", len(world.Instances), "clones", len(world.Clones))

	var mu sync.Mutex
	var out []intent.Result
	add := func(r intent.Result) {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, r)
	}
	var g errgroup.Group
	g.SetLimit(observe.Concurrency)
	for _, in := range world.Instances {
		g.Go(func() error {
			s.sweepInstance(ctx, lr, in, world.Tasks[in.ID], world.Safety[in.ID], w, log.With("instanceId", in.ID), add)
			return nil
		})
	}
	for _, c := range world.Clones {
		g.Go(func() error {
			m, _ := s.MadeOf(c) // observe kept only the function's own
			log := log.With("instanceId", c.ID)
			switch {
			case m.Kind == intent.ModeDrill:
				s.sweepDrill(ctx, c, m, world.Tasks[c.ID], world.Tasks[m.Source], w, log, add)
			case m.Kind == intent.ModeSwitch && s.sweepSwitch(ctx, c, m, world.Instance(m.Source), world.Tasks[c.ID], world.Tasks[m.Source], w, log, add):
			default:
				s.sweepClone(ctx, lr, c, world.Tasks[m.Source], w, log, add)
			}
			return nil
		})
	}
	_ = g.Wait()
	sort.SliceStable(out, func(i, j int) bool { return out[i].InstanceID < out[j].InstanceID })
	return out
}

func (s *Follower) sweepInstance(ctx context.Context, lr restore.Redis, in intent.Instance, tasks []intent.Task, safety []intent.SafetyBackup,
	w intent.Window, log *slog.Logger, add func(intent.Result)) {
	region := w.Region
	// A copy: the clones of this instance are swept at the same time, and
	// read its tasks.
	tasks = slices.Clone(tasks)
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].StartTime.Before(tasks[j].StartTime) })

	for _, t := range tasks {
		if t.Kind != intent.RestoreTask {
			continue
		}
		if w.Reports(t.StartTime) {
			// A restore started after its safety backup (by its watch or
			// a sweep): its started message again (same id), in case the
			// invocation that started it could not send it; in the
			// catch-up slots too, where the sweeps of its window were
			// skipped or failed.
			if b, ok := intent.UndoOf(s.Settings.Seal, in, t, tasks, safety); ok {
				add(s.restoreStarted(ctx, w.Region, in.ID, t, b, log))
			}
		}
		if w.Reports(t.EndTime) {
			if r, ok := s.restoreEnded(ctx, lr, in, t, tasks, safety, w, log); ok {
				add(r)
			}
		}
	}
	deadline := s.Settings.Life.SafetyDeadline
	for _, b := range safety {
		// A restore is started only within the deadline after its safety
		// backup: later, the data it would throw away has grown by then,
		// and nobody who asked is expecting it. Past it, the intent is
		// reported expired (in the window after the deadline, and its
		// catch-up slots), never started late.
		doneAt := b.DoneAt()
		t, seen := intent.FirstRestore(s.Settings.Seal, in, tasks, b, safety)
		switch intent.JudgeSafety(b, seen, w.At, deadline) {
		case intent.SafetySuperseded:
			if w.Reports(t.StartTime) {
				add(s.safetySuperseded(ctx, region, in.ID, b, t, log))
			}
			continue
		case intent.SafetyFailed:
			// Failed by its own status: a manual backup task that failed
			// near it may be anyone's. The task only dates the failure,
			// where one failed after it began (the list gives a failed
			// backup no end); else its start does.
			failedAt, t := intent.SafetyFailedAt(b, tasks)
			if t.ID == 0 && intent.RunningBackupTask(b, tasks) && w.At.Sub(b.StartTime) < time.Hour {
				// The task list, read just before the backup list, still
				// shows its task running: the next sweep sees it ended,
				// and sends the one message with its task's own words (a
				// task that never ends holds the message an hour at most).
				continue
			}
			if w.Reports(failedAt) {
				add(s.safetyFailed(ctx, lr, region, in.ID, b, t, failedAt, log))
			}
			continue
		case intent.SafetyExpired:
			if w.Reports(doneAt.Add(deadline + intent.ExpireGrace)) {
				add(s.safetyExpired(ctx, region, in.ID, b, log))
			}
			continue
		case intent.SafetyRestored:
			// Restored: the first restore's end is the intent's outcome
			// (restoreEnded), with the intent's backup and undo only where
			// the function's mark proves it the intent's.
			continue
		case intent.SafetyReady:
		default: // running (its failure is the task's to report), failed
			continue
		}
		if !doneAt.Before(w.At) {
			continue // done after the timer's time: the next sweep's
		}
		last := !doneAt.After(w.At.Add(-deadline + w.Every))
		if !in.Running() && !last {
			log.Info("sweep.instanceNotRunning", "detail", "safety backup done, the instance is not running yet: the next sweep restores", "undoBackupId", b.ID, "status", in.Status)
			continue
		}
		r := s.ContinueSafety(ctx, region, in.ID, b, nil, nil)
		if r.Status != intent.Failed {
			add(r)
		} else {
			log.Warn("sweep.restoreFailed", "detail", "restore after the safety backup failed; the next sweep tries again, until the deadline (then expired)", "undoBackupId", b.ID, "code", r.Error.Code, "message", r.Error.Message)
		}
	}
}

// restoreEnded reports a restore task that ended within the window:
// failed as the task says; succeeded once the instance runs again. A
// success whose instance is still not running when the task leaves the
// window is reported failed (InstanceNotRunning), unless a later task has
// started since, which proves the instance ran in between.
func (s *Follower) restoreEnded(ctx context.Context, lr restore.Redis, in intent.Instance, t intent.Task, tasks []intent.Task,
	safety []intent.SafetyBackup, w intent.Window, log *slog.Logger) (intent.Result, bool) {
	region := w.Region
	info, err := restore.Retry(ctx, s.Service, func() (intent.TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, t.ID) })
	if err != nil {
		r := intent.Result{InstanceID: in.ID, TaskID: t.ID, Region: region}
		r.Fail(err)
		return r, true
	}
	if !info.Ended() {
		return intent.Result{}, false // the list ran ahead of the task: the next sweep
	}
	ended := t.EndTime
	life := intent.TaskLife(t)
	life.TaskStatus, life.TaskMessage = info.Status, info.Message
	r := intent.Result{InstanceID: in.ID, TaskID: t.ID, Region: region, Life: life}
	unproven := ""
	if b, ok := intent.UndoOf(s.Settings.Seal, in, t, tasks, safety); ok {
		r.BackupID, life.UndoBackupID, life.Undo = b.Restores, b.ID, intent.UndoRequest(in.ID, b.ID)
	} else if b, ok := intent.SafetyBefore(t, tasks, safety, func(intent.SafetyBackup) bool { return true }); ok {
		// After a safety backup, but not marked the function's restore
		// of it (someone's restore in the console, or one whose mark was
		// not written or is gone): which backup it restored is not known,
		// and it is not claimed.
		unproven = fmt.Sprintf("; it started after safety backup %s (taken to restore %s), but nothing the function sealed proves it that restore: its backup is not known, and its undo, if it was that restore, is %s", b.ID, b.Restores, intent.UndoRequest(in.ID, b.ID))
	}
	outcome := "failed"
	switch {
	case !info.Succeeded():
		r.Fail(failure.E(failure.Unavailable, failure.Code("RestoreTaskFailed"),
			fmt.Sprintf("restore task %d of %s ended %s: %s", t.ID, in.ID, info.Status, cmp.Or(info.Message, "no message"))))
	case in.Running() || intent.TaskAfter(tasks, t):
		// Running again, or a later task proves it ran in between.
		outcome = "succeeded"
		r.Status = intent.Succeeded
		life.EventType = intent.EventTypePrefix + "succeeded"
	case w.LastSlot(ended):
		// Only at the last look of the day: the instance's status changes,
		// and an earlier "not running" could contradict a later success
		// that a catch-up slot would report under another id.
		r.Fail(failure.E(failure.Unavailable, failure.Code("InstanceNotRunning"),
			fmt.Sprintf("restore task %d of %s succeeded at %s, but the instance's status is still %d (not running) %s later",
				t.ID, in.ID, ended.UTC().Format(time.RFC3339), in.Status, w.At.Sub(ended).Round(time.Second))))
	default:
		log.Info("sweep.instanceNotRunning", "detail", "restore task succeeded, the instance is not running yet: the next sweep reports", "taskId", t.ID, "status", in.Status)
		return intent.Result{}, false
	}
	life.Phase = intent.Phase(outcome) // PhaseSucceeded or PhaseFailed
	life.EventID = uuid.FromName(fmt.Sprintf("%s/%d/%s", in.ID, t.ID, outcome))
	r.Reason = fmt.Sprintf("restore task %d ended %s at %s", t.ID, info.Status, ended.UTC().Format(time.RFC3339)) + unproven
	if outcome == "succeeded" && w.In(ended) {
		life.Verification = s.verifyRestored(ctx, in, region, r.BackupID, ended, log)
	}
	s.EmitLife(ctx, &r, log)
	if v := life.Verification; v != nil && v.Checked && !v.Verified && r.MessageID != "" {
		sus := s.suspect(ctx, r, v, log)
		r.Undelivered = r.Undelivered || sus.Undelivered
	}
	return r, true
}

// restoreStarted sends again the started message of a restore the sweep
// started after its safety backup: the same id as the first.
func (s *Follower) restoreStarted(ctx context.Context, region, instanceID string, t intent.Task, b intent.SafetyBackup, log *slog.Logger) intent.Result {
	r := intent.Result{InstanceID: instanceID, BackupID: b.Restores, TaskID: t.ID, Region: region, Status: intent.Accepted,
		Reason: fmt.Sprintf("safety backup %s done: restore task %d of %s started", b.ID, t.ID, b.Restores),
		Life:   intent.StartedLife(instanceID, b)}
	s.EmitLife(ctx, &r, log)
	return r
}

// SafetyExpired reports a safety-backed restore that will never start.
func (s *Follower) safetyExpired(ctx context.Context, region, instanceID string, b intent.SafetyBackup, log *slog.Logger) intent.Result {
	r := s.ExpiredResult(region, instanceID, b)
	log.Warn("sweep.expired", "detail", "restore expired after its safety backup", "undoBackupId", b.ID, "doneAt", b.DoneAt().UTC().Format(time.RFC3339))
	s.EmitLife(ctx, &r, log)
	return r
}

// SafetySuperseded reports an intent that a restore since its event, not
// its own, settled (FirstRestore): never restored over (a restore since
// the event is the event's), and nothing of it restored. Its one
// outcome, the same id from the sweep and from its watch.
func (s *Follower) safetySuperseded(ctx context.Context, region, instanceID string, b intent.SafetyBackup, t intent.Task, log *slog.Logger) intent.Result {
	r := s.SupersededResult(region, instanceID, b, t)
	log.Warn("safetyBackup.superseded", "detail", "a restore since the intent's event, not its own: the intent ends without restoring", "undoBackupId", b.ID, "taskId", t.ID)
	s.EmitLife(ctx, &r, log)
	return r
}

// SafetyFailed reports a safety backup that failed (t, its task where
// known, says how): nothing was restored.
func (s *Follower) safetyFailed(ctx context.Context, lr restore.Redis, region, instanceID string, b intent.SafetyBackup, t intent.Task, failedAt time.Time, log *slog.Logger) intent.Result {
	msg := ""
	status := "failed"
	if t.ID != 0 {
		if info, err := restore.Retry(ctx, s.Service, func() (intent.TaskInfo, error) { return lr.DescribeTaskInfo(ctx, region, t.ID) }); err == nil {
			msg, status = info.Message, info.Status
		}
	}
	r := intent.Result{InstanceID: instanceID, BackupID: b.Restores, Region: region}
	which := fmt.Sprintf("%s of %s (backup status %d)", b.ID, instanceID, b.Status)
	if b.ID == "" {
		which = fmt.Sprintf("of %s (task %d; the backup list never showed it)", instanceID, t.ID)
		b.ID = fmt.Sprintf("task-%d", t.ID) // its message's id
	}
	r.Fail(failure.E(failure.Unavailable, failure.Code("SafetyBackupFailed"),
		fmt.Sprintf("the safety backup %s ended %s: %s; nothing was restored", which, status, cmp.Or(msg, "no message"))))
	started, ended := b.StartTime, failedAt
	r.Life = &intent.Life{Phase: intent.PhaseFailed, SafetyBackupTaskID: t.ID, TaskStatus: status, TaskMessage: msg, StartedAt: &started, EndedAt: &ended,
		EventID: intent.SafetyMessageID(instanceID, b.ID, "failed")}
	s.EmitLife(ctx, &r, log)
	return r
}

// sweepClone reports a clone that came up (or failed) within the window,
// judged by the end of the source's clone task (FLOW_CLONEBACKUP, in the
// source's task list: the newest that started before the clone was
// listed) and the clone's status.
func (s *Follower) sweepClone(ctx context.Context, lr restore.Redis, c intent.Instance, tasks []intent.Task, w intent.Window, log *slog.Logger, add func(intent.Result)) {
	region := w.Region
	src, _ := intent.CloneSource(s.Settings.Seal, c.Name)
	// Its own clone task: the one that started with it (Createtime), not
	// the newest of its source, which may be a later clone's or drill's.
	last, _ := intent.OwnCloneTask(tasks, c)
	if !w.Reports(last.EndTime) {
		return
	}
	r := intent.Result{InstanceID: src, Region: region, Life: intent.TaskLife(last)}
	r.Life.NewInstanceIDs = []string{c.ID}
	outcome := "succeeded"
	switch {
	case c.Running():
		r.Status, r.Life.Phase, r.Life.EventType = intent.Succeeded, intent.PhaseSucceeded, intent.EventTypePrefix+"succeeded"
	// Judged by the clone's own state only: the newest clone task of the
	// source may be another clone's, whose failure says nothing of this
	// one (which may have been reported succeeded already).
	case c.Status < 0 && (w.In(last.EndTime) || last.Result == 4):
		// Within the window; later only where its own clone task failed
		// (the catch-up slots of a window whose sweeps were skipped or
		// failed): later, a clone that ran may have been released (a
		// drill's, or by hand), which is no failure of it.
		outcome = "failed"
		r.Fail(failure.E(failure.Unavailable, failure.Code("CloneFailed"), fmt.Sprintf("clone %s (%s) of %s did not come up: status %d", c.ID, c.Name, src, c.Status)))
		r.Life.Phase = intent.PhaseFailed
	case c.Status >= 0 && w.LastSlot(last.EndTime):
		outcome = "failed"
		r.Fail(failure.E(failure.Unavailable, failure.Code("InstanceNotRunning"), fmt.Sprintf("clone %s (%s) of %s is still not running (status %d)", c.ID, c.Name, src, c.Status)))
		r.Life.Phase = intent.PhaseFailed
	default:
		return
	}
	r.Life.EventID = uuid.FromName(fmt.Sprintf("%s/clone/%s/%s", src, c.Name, outcome))
	s.EmitLife(ctx, &r, log)
	add(r)
}
