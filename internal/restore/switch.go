package restore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// Clone and switch ("mode": "switch", with RESTORE_CLONE_SWITCH=true):
// Redis 4.0 and later cannot restore in place, and a clone alone leaves
// the clients on the old instance. So the backup is cloned (the clone
// path, clone.go, under the same admission), and the sweep, once the
// clone runs, verifies its data and only then swaps the two instances'
// addresses (SwitchInstanceVip), so that the clients, at the same
// address, reach the restored data. The old instance is kept, untouched,
// at the clone's former address: the undo ("mode": "unswitch") swaps the
// addresses back. The function releases neither: the old instance is the
// operator's, and so is the decision to release the clone.
//
// The clone's name records the state it was cloned from (the backup's
// start, or the clone time) with the function's MAC, so that a
// redelivery finds it, the sweep follows only the function's own, and
// the verification knows what the data should show. Where the switch
// stands is read from the clone's own task list: SwitchInstanceVip is
// called with the clone as its source, so every switch of it is the
// clone's task (an odd number of ended switches: switched in; even:
// switched back).

// switchPoint is the state a switch restores: its clone time, or the
// start of the backup it names or "latest" chooses. "latest" is bounded
// by the event's time, so that every delivery of one event names the
// same clone.
func (s *Service) switchPoint(ctx context.Context, job Job, region string) (time.Time, error) {
	req := job.Request
	switch {
	case req.CloneTime != nil:
		return req.CloneTime.UTC().Truncate(time.Second), nil
	case req.BackupID == intent.LatestBackup:
		b, err := s.chooseBackup(ctx, region, req.InstanceID, s.latestBound(job), nil)
		return b.StartTime, err
	}
	b, err := s.lookupBackup(ctx, region, req.InstanceID, req.BackupID, time.Time{})
	return b.StartTime, err
}

// sweepSwitch takes a switch clone c one step: verify and switch once it
// runs; report the switch's end (succeeded, with the undo; or failed);
// report a switch back's end. A clone that never ran is judged as any
// clone (sweepClone). Every outcome has one id.
func (s *Service) sweepSwitch(ctx context.Context, c intent.Instance, m intent.Made, srcIn intent.Instance, cloneTasks, srcTasks []intent.Task, win intent.Window, log *slog.Logger, add func(Result)) bool {
	src, at := m.Source, m.At
	sw := intent.SwitchesOf(cloneTasks)
	r := Result{InstanceID: src, Region: win.Region, Life: &intent.Life{NewInstanceIDs: []string{c.ID}}}
	log = log.With("switchClone", c.ID)
	id := func(what string) string { return uuid.FromName(fmt.Sprintf("%s/switch/%s/%s", src, c.Name, what)) }
	if len(sw) == 0 {
		if !c.Running() {
			return false // cloning, or failed: as any clone
		}
		v := s.verifyData(ctx, c, src, win.Region, &at, time.Time{}, log)
		r.Life.Verification = v
		if v == nil || !v.Checked || !v.Verified {
			// Never switched to: reported in the windows of the clone's
			// end, as a clone's outcome is; the clone is kept.
			t, _ := intent.NewestTask(srcTasks, intent.CloneTask)
			if !win.Reports(t.EndTime) || v != nil && !v.Checked && !win.LastSlot(t.EndTime) {
				// Outside the windows; or the check could not be made (no
				// route, a timeout): the next sweep checks again, and only
				// its last look reports it.
				return true
			}
			why := "RESTORE_VERIFY is off: a switch is made only to verified data"
			if v != nil {
				why = "its data does not check out: " + v.Reason
			}
			r.Fail(failure.E(failure.Unavailable, failure.Code("SwitchNotVerified"), fmt.Sprintf(
				"clone %s of %s runs, but %s: the addresses were not switched; the clone is kept (release it, or inspect it)", c.ID, src, why)))
			r.Life.Phase, r.Life.EventID = intent.PhaseFailed, id("outcome")
			s.emitLife(ctx, &r, log)
			if s.Settings.Life.SwitchReleaseUnverified && r.MessageID != "" && c.PayAsYouGo {
				// RESTORE_SWITCH_UNVERIFIED=release: once reported.
				s.release(ctx, win.Region, c.ID, log)
			}
			add(r)
			return true
		}
		taskID, _, err := s.Redis.SwitchInstanceVip(ctx, win.Region, c.ID, src)
		if err != nil {
			log.Warn("switch.failed", "detail", "SwitchInstanceVip failed: the next sweep tries again", "error", err.Error())
			return true
		}
		r.Status, r.TaskID = intent.Started, taskID
		r.Reason = fmt.Sprintf("clone %s of %s verified (%d keys): switching the addresses, so that %s's clients reach it", c.ID, src, v.Keys, src)
		r.Life.Phase, r.Life.EventType, r.Life.EventID = intent.PhaseSwitching, intent.EventTypePrefix+"started", id("started")
		r.Life.Undo = intent.UnswitchRequest(src)
		log.Info("switch.started", "detail", "clone verified: switching the addresses", "taskId", taskID)
		s.emitLife(ctx, &r, log)
		add(r)
		return true
	}
	last := sw[len(sw)-1]
	in := len(sw)%2 == 1 // an odd number of switches: the clone serves
	if last.EndTime.IsZero() {
		return true // switching
	}
	// The switch's end is reported before the instance no longer serving
	// is released: a release never comes before the outcome it follows
	// (a sweep back from an outage sees both at once).
	if win.Reports(last.EndTime) {
		started, ended := last.StartTime, last.EndTime
		r.TaskID, r.Life.StartedAt, r.Life.EndedAt = last.ID, &started, &ended
		what := "switched-in"
		if !in {
			what = "switched-back"
		}
		what = fmt.Sprintf("%s-%d", what, len(sw))
		switch {
		case last.Result == 4:
			r.Fail(failure.E(failure.Unavailable, failure.Code("SwitchFailed"), fmt.Sprintf(
				"the switch of the addresses of %s and its clone %s (task %d) failed: each keeps its address", src, c.ID, last.ID)))
			r.Life.Phase = intent.PhaseFailed
		case in:
			r.Status, r.Life.Phase, r.Life.EventType = intent.Succeeded, intent.PhaseSucceeded, intent.EventTypePrefix+"succeeded"
			r.Life.Undo = intent.UnswitchRequest(src)
			r.Reason = fmt.Sprintf("%s's clients now reach %s, restored from its state at %s; %s is kept at the clone's former address: the undo switches back",
				src, c.ID, at.Format(time.RFC3339), src)
		default:
			r.Status, r.Life.Phase, r.Life.EventType = intent.Succeeded, intent.PhaseSucceeded, intent.EventTypePrefix+"succeeded"
			r.Reason = fmt.Sprintf("switched back: %s's clients reach it again; the clone %s is kept, and billed, until released", src, c.ID)
		}
		r.Life.EventID = id(what)
		s.emitLife(ctx, &r, log)
		add(r)
		if r.MessageID == "" {
			return true
		}
	}
	if keep := s.Settings.Life.SwitchRetention; keep > 0 && last.Result != 4 && win.At.Sub(last.EndTime) >= keep {
		// The retention is over: the instance no longer serving is
		// released, only if it is pay-as-you-go (a monthly one cannot
		// be, and is the operator's to end).
		old := srcIn
		if !in {
			old = c
		}
		if old.Running() && old.PayAsYouGo {
			rel := Result{InstanceID: src, Region: win.Region, Status: intent.Succeeded, Reason: fmt.Sprintf(
				"RESTORE_SWITCH_RETENTION (%s) after the switch ended at %s: %s, which no longer serves %s's clients, is released",
				keep, last.EndTime.UTC().Format(time.RFC3339), old.ID, src),
				Life: &intent.Life{NewInstanceIDs: []string{c.ID}, Phase: intent.PhaseSucceeded, EventType: intent.EventTypePrefix + "released",
					EventID: id(fmt.Sprintf("released-%d", len(sw)))}}
			s.emitLife(ctx, &rel, log)
			if rel.MessageID != "" {
				s.release(ctx, win.Region, old.ID, log)
			}
			add(rel)
		}
	}
	return true
}

// unswitch swaps back the addresses of an instance and the clone switched
// in for it: the newest switch clone of the instance that serves (an odd
// number of switches). Like every action, it looks first for this event's
// own: a switch back that started since the event was created.
func (s *Service) unswitch(ctx context.Context, job Job, res *Result, log *slog.Logger) {
	src := job.Request.InstanceID
	list, err := retry(ctx, s, func() ([]intent.Instance, error) { return s.Redis.ListInstances(ctx, res.Region) })
	if err != nil {
		failed(res, err, log, "could not list the instance's clones; not switching back")
		return
	}
	var clone intent.Instance
	var sw []intent.Task
	var cloneAt time.Time
	for _, c := range list {
		m, ok := s.madeOf(c)
		if !ok || m.Kind != intent.ModeSwitch || m.Source != src {
			continue
		}
		at := m.Ordered
		tasks, err := retry(ctx, s, func() ([]intent.Task, error) {
			return s.Redis.DescribeTasks(ctx, res.Region, c.ID, s.Now().Add(-30*24*time.Hour), s.Now().Add(time.Minute))
		})
		if err != nil {
			failed(res, err, log, "could not read the clone's switches; not switching back")
			return
		}
		if t := intent.SwitchesOf(tasks); len(t) > 0 && (clone.ID == "" || at.After(cloneAt)) {
			clone, sw, cloneAt = c, t, at
		}
	}
	res.Life = &intent.Life{NewInstanceIDs: []string{clone.ID}}
	if clone.ID == "" {
		res.Fail(failure.E(failure.NotFound, failure.Code("NothingSwitched"), failure.Field("instanceId"),
			fmt.Sprintf("no clone of %s made by this function was switched in: there is nothing to switch back", src)))
		return
	}
	last := sw[len(sw)-1]
	switch {
	case len(sw)%2 == 0 && !job.Since.IsZero() && !last.StartTime.Before(job.Since.Truncate(time.Second)):
		earlierTask(job, res, last)
		return
	case len(sw)%2 == 0:
		res.Fail(failure.E(failure.Conflict, failure.Code("NothingSwitched"), failure.Field("instanceId"),
			fmt.Sprintf("%s was switched back from its clone %s already (task %d)", src, clone.ID, last.ID)))
		return
	case last.EndTime.IsZero():
		res.Fail(failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"), fmt.Sprintf(
			"the switch to the clone %s (task %d) is still running: switch back once it has ended", clone.ID, last.ID)))
		return
	}
	taskID, requestID, err := s.Redis.SwitchInstanceVip(ctx, res.Region, clone.ID, src)
	if err != nil {
		failed(res, err, log, "SwitchInstanceVip failed; not switched back")
		return
	}
	res.Status, res.TaskID, res.RequestID = intent.Accepted, taskID, requestID
	res.Life.Phase = intent.PhaseSwitching
	res.Reason = JoinReason(job.Reason, fmt.Sprintf("switching the addresses of %s and its clone %s back: %s's clients reach it again", src, clone.ID, src))
	log.Info("switch.back", "detail", "switching back from the clone", "taskId", taskID, "clone", clone.ID)
}

// release releases a pay-as-you-go instance the function is done with; a
// failure is logged, and the next sweep tries again.
func (s *Service) release(ctx context.Context, region, instanceID string, log *slog.Logger) {
	if _, _, err := s.Redis.DestroyPostpaidInstance(ctx, region, instanceID); err != nil {
		log.Warn("switch.releaseFailed", "detail", "the instance could not be released: the next sweep tries again", "released", instanceID, "error", err.Error())
		return
	}
	log.Info("switch.released", "detail", "instance released", "released", instanceID)
}
