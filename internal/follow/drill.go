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

// sweepDrill takes a drill's clone one step, so that every drill has
// exactly one outcome, under one id, and leaves no billed clone behind:
//
//   - within its life, once the clone runs: its data verified, the outcome
//     sent (passed or failed), and only then the clone released; a sweep
//     that cannot send it finds the clone again and sends the same;
//   - past its life, never verified late: restore.drill.failed
//     (DrillTimedOut), and the clone released whether that could be sent
//     or not (billing); a release that began past the life says the
//     outcome was that one, so later sweeps send it until it is out;
//   - released by the function within its life: its outcome was sent
//     first, and nothing more is said; released otherwise (its clone task
//     failed, or someone released it before it was verified):
//     restore.drill.failed.
func (s *Follower) sweepDrill(ctx context.Context, c intent.Instance, m intent.Made, cloneTasks, srcTasks []intent.Task, w intent.Window, log *slog.Logger, add func(intent.Result)) {
	src, at := m.Source, m.At
	region := w.Region
	maxLife := s.Settings.Life.DrillMaxLife
	expires := at.Add(maxLife)
	d := &intent.Drill{CloneID: c.ID, BegunAt: at}
	r := intent.Result{InstanceID: src, Region: region, Life: &intent.Life{NewInstanceIDs: []string{c.ID}, Drill: d,
		EventID: uuid.FromName(fmt.Sprintf("%s/drill/%s", src, c.Name))}}
	log = log.With("drillClone", c.ID)
	bs := m.Backup.UTC()
	rpo := int64(at.Sub(bs).Seconds())
	d.BackupStart, d.RPOSeconds = &bs, &rpo
	if b, err := s.Reader().LookupBackupAt(ctx, region, src, bs); err == nil {
		d.BackupID, r.BackupID = b.ID, b.ID
	}
	outcome := func(err error) {
		if err != nil {
			r.Fail(err)
			r.Status, r.Life.Phase, r.Life.EventType = intent.Failed, intent.PhaseFailed, intent.EventTypePrefix+"drill.failed"
		} else {
			r.Status, r.Life.Phase, r.Life.EventType = intent.Succeeded, intent.PhaseSucceeded, intent.EventTypePrefix+"drill.passed"
		}
	}
	timedOut := func() {
		outcome(failure.E(failure.Unavailable, failure.Code("DrillTimedOut"), fmt.Sprintf(
			"drill of %s: its clone %s was not verified within RESTORE_DRILL_MAX_LIFE (%s): released", src, c.ID, maxLife)))
	}
	release, releasing := intent.NewestTask(cloneTasks, intent.DestroyTask)
	switch {
	case releasing && release.StartTime.Before(expires):
		return // released after its outcome was sent
	case releasing:
		// Released past its life: its outcome is DrillTimedOut, sent
		// until it is out (the windows of the release).
		if !w.Reports(release.StartTime) {
			return
		}
		timedOut()
		s.EmitLife(ctx, &r, log)
		add(r)
		return
	case c.Status < 0:
		// Not released by the function: its clone never came up, or
		// someone released it before it was verified.
		if !w.Reports(at) {
			return
		}
		why := "its clone %s was released (or isolated) before it was verified"
		if t, ok := intent.OwnCloneTask(srcTasks, c); ok && t.Result == 4 {
			why = fmt.Sprintf("its clone %%s did not come up (clone task %d failed)", t.ID)
		}
		outcome(failure.E(failure.Unavailable, failure.Code("DrillFailed"), fmt.Sprintf("drill of %s: "+why+": the backup could not be proven to restore", src, c.ID)))
		s.EmitLife(ctx, &r, log)
		add(r)
		return
	case !w.At.Before(expires):
		timedOut()
		s.EmitLife(ctx, &r, log)
		s.Release(ctx, region, c.ID, log) // whether sent or not: no billed clone left
		add(r)
		return
	case !c.Running():
		return // cloning: the next sweep
	}
	v := s.verifyData(ctx, c, src, region, &bs, time.Time{}, log)
	now := s.Now()
	rto := int64(now.Sub(at).Seconds())
	d.VerifiedAt, d.RTOSeconds, r.Life.Verification = &now, &rto, v
	switch {
	case v == nil:
		outcome(failure.E(failure.Config, failure.Code("DrillNotVerified"), fmt.Sprintf(
			"drill of %s: the clone %s runs, but RESTORE_VERIFY is off: a drill is its data verified", src, c.ID)))
	case !v.Checked || !v.Verified:
		outcome(failure.E(failure.Unavailable, failure.Code("DrillFailed"), fmt.Sprintf(
			"drill of %s: the clone %s of backup %s runs, but its data does not check out: %s", src, c.ID, d.BackupID, v.Reason)))
	default:
		outcome(nil)
		r.Reason = fmt.Sprintf("drill of %s: backup %s cloned into %s and its data verified (%d keys), %d s after the drill began; the backup was %d s old",
			src, d.BackupID, c.ID, v.Keys, rto, rpo)
	}
	// The outcome first: the clone is released only once it is on the
	// queue, so that a sweep that fails to send it finds the clone again.
	s.EmitLife(ctx, &r, log)
	if r.MessageID != "" {
		s.Release(ctx, region, c.ID, log)
	}
	add(r)
}
