package follow

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
)

// markFailed marks the intent's failed safety backup task its own before
// the watch reports it (FailedEntry). Where it cannot (the instance not
// read, no tag rights), a later event on the instance is held back by it
// as if it were its own: refused, never a second life.
func (s *Follower) markFailed(ctx context.Context, fw intent.FleetWatch, in intent.Instance, taskID int64, log *slog.Logger) {
	if in.ID == "" || s.Settings.Seal == nil {
		return // its other entries unknown: rewriting the tag would drop them
	}
	value := intent.WithMark(in.Tags[intent.MarkKey], intent.FailedEntry(s.Settings.Seal, in.ID, taskID, fw.Key))
	if value == in.Tags[intent.MarkKey] {
		return
	}
	if _, err := restore.Retry(ctx, s.Service, func() (struct{}, error) {
		return struct{}{}, s.Redis.TagInstance(ctx, fw.Region, in.ID, intent.MarkKey, value)
	}); err != nil {
		log.Warn("safetyBackup.failedUnmarked", "detail", "the failed safety backup could not be marked this intent's: later events on the instance are held back by it", "taskId", taskID, "error", err.Error())
	}
}

// watchIntent is one step of an intent's watch: done says whether the
// watch ends here.
func (s *Follower) watchIntent(ctx context.Context, fw intent.FleetWatch, log *slog.Logger) (intent.FleetCounts, bool, error) {
	c := intent.FleetCounts{Total: 1, Running: 1}
	if len(fw.Members) != 1 || fw.SafetyTask == 0 {
		return c, true, nil
	}
	id, now := fw.Members[0], s.Now()
	w, err := s.Reader().ObserveAs(ctx, fw.Region, id, true, fw.Since.Truncate(time.Second), now.Add(time.Minute), log)
	if err != nil {
		return c, false, err
	}
	tasks := w.Tasks[id]
	every := s.Settings.Life.SweepEvery
	// Past its wait, a backup still running is the sweep's.
	waited := intent.IntentStepDue(fw.Step+1, every) > intent.IntentWatchWait(every)
	if own, ok := intent.OwnSafety(w.Safety[id], fw.Since, fw.Restores); ok {
		b := &own
		t, whose := intent.FirstRestore(s.Settings.Seal, w.Instance(id), tasks, *b, w.Safety[id])
		switch intent.JudgeSafety(*b, whose, now, s.Settings.Life.SafetyDeadline) {
		case intent.SafetyRunning:
			// Past its wait, the sweep's: not an instance out of the
			// allow-list since, which no sweep reads.
			return c, waited && w.Instance(id).ID != "", nil
		case intent.SafetyReady:
		case intent.SafetySuperseded:
			if r := s.safetySuperseded(ctx, fw.Region, id, *b, t, log); r.Undelivered {
				return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the superseded intent's message could not be sent")
			}
			return c, true, nil
		case intent.SafetyRestored:
			// By this intent (its mark): its started message again, the
			// same id, for the platform's retry of a step that could not
			// send it.
			if intent.Marked(s.Settings.Seal, w.Instance(id), t.ID, b.Restores, b.ID) {
				if r := s.restoreStarted(ctx, fw.Region, id, t, *b, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the restore's started message could not be sent")
				}
			}
			return c, true, nil
		case intent.SafetyExpired:
			if w.Instance(id).ID == "" {
				// No sweep reads an instance out of the allow-list: the
				// watch says it, with the sweep's id.
				if r := s.safetyExpired(ctx, fw.Region, id, *b, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the expired intent's message could not be sent")
				}
			}
			return c, true, nil
		default: // failed: the sweep reports it, where it reads the instance
			if w.Instance(id).ID == "" {
				failedAt, t := intent.SafetyFailedAt(*b, tasks)
				if r := s.safetyFailed(ctx, s.Redis, fw.Region, id, *b, t, failedAt, log); r.Undelivered {
					return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the failed safety backup's message could not be sent")
				}
			}
			return c, true, nil
		}
		in := w.Instance(id)
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
		seen := &restore.Sighting{Begin: fw.Since.Truncate(time.Second), Tasks: tasks, Read: true, At: now}
		r := s.ContinueSafety(ctx, fw.Region, id, *b, seen, &in)
		log.Info("safetyBackup.continued", "detail", "the intent's watch continued it", "undoBackupId", b.ID, "status", string(r.Status), "taskId", r.TaskID)
		if r.Undelivered {
			// The platform retries this step, which finds the restore
			// (its mark) and sends its started message again.
			return c, false, failure.E(failure.Transient, failure.Code("OutcomeUndelivered"), "the restore's started message could not be sent")
		}
		// A failure is the sweep's to try again, and to report.
		return c, true, nil
	}
	var task *intent.Task
	for i, t := range tasks {
		if t.ID == fw.SafetyTask {
			task = &tasks[i]
		}
	}
	switch {
	case task != nil && task.Result == 4:
		b := intent.SafetyBackup{Restores: fw.Restores, Trigger: fw.Trigger, TaskID: task.ID,
			StartTime: task.StartTime, Status: -2, InstanceID: id}
		s.markFailed(ctx, fw, w.Instance(id), task.ID, log)
		r := s.safetyFailed(ctx, s.Redis, fw.Region, id, b, *task, cmp.Or(task.EndTime, now), log)
		if r.Undelivered {
			// Nothing else will ever report it (the sweep never sees an
			// unlisted backup), and the platform drops an asynchronous
			// event after two retries: the next step tries again, within
			// the watch's life, rather than this step failing.
			log.Warn("safetyBackup.failureUndelivered", "detail", "the failed safety backup's message could not be sent: the watch's next step sends it again", "taskId", task.ID)
			return c, now.Sub(intent.WatchBegan(fw, task)) >= intent.SafetyWatchLife, nil
		}
		c.Running, c.Failed = 0, 1
		return c, true, nil
	case intent.RestoreAfter(tasks, fw.Since):
		return c, true, nil // restored: the sweep's
	case now.Sub(intent.WatchBegan(fw, task)) >= intent.SafetyWatchLife:
		log.Warn("safetyBackup.watchEnded", "detail", "the safety backup's task was followed for its watch's whole life and never listed", "taskId", fw.SafetyTask)
		return c, true, nil
	}
	return c, false, nil
}
