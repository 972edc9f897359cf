package follow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// sweepSwitch takes a switch clone c one step: verify and switch once it
// runs; report the switch's end (succeeded, with the undo; or failed);
// report a switch back's end. A clone that never ran is judged as any
// clone (sweepClone). Every outcome has one id.
func (s *Follower) sweepSwitch(ctx context.Context, c intent.Instance, m intent.Made, srcIn intent.Instance, cloneTasks, srcTasks []intent.Task, win intent.Window, log *slog.Logger, add func(intent.Result)) bool {
	src, at := m.Source, m.At
	sw := intent.SwitchesOf(cloneTasks)
	r := intent.Result{InstanceID: src, Region: win.Region, Life: &intent.Life{NewInstanceIDs: []string{c.ID}}}
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
			s.EmitLife(ctx, &r, log)
			if s.Settings.Life.SwitchReleaseUnverified && r.MessageID != "" && c.PayAsYouGo {
				// RESTORE_SWITCH_UNVERIFIED=release: once reported.
				s.Release(ctx, win.Region, c.ID, log)
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
		s.EmitLife(ctx, &r, log)
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
		s.EmitLife(ctx, &r, log)
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
			rel := intent.Result{InstanceID: src, Region: win.Region, Status: intent.Succeeded, Reason: fmt.Sprintf(
				"RESTORE_SWITCH_RETENTION (%s) after the switch ended at %s: %s, which no longer serves %s's clients, is released",
				keep, last.EndTime.UTC().Format(time.RFC3339), old.ID, src),
				Life: &intent.Life{NewInstanceIDs: []string{c.ID}, Phase: intent.PhaseSucceeded, EventType: intent.EventTypePrefix + "released",
					EventID: id(fmt.Sprintf("released-%d", len(sw)))}}
			s.EmitLife(ctx, &rel, log)
			if rel.MessageID != "" {
				s.Release(ctx, win.Region, old.ID, log)
			}
			add(rel)
		}
	}
	return true
}
