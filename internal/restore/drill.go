package restore

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/uuid"
)

// Restore drills ("mode": "drill", on a timer, say weekly): nobody knows
// whether the backups restore until the day they are needed, so a drill
// clones an instance's newest backup into a new pay-as-you-go instance
// (the clone path: clone.go, under the same admission), and the sweep,
// once the clone runs, verifies its data, reports restore.drill.passed or
// restore.drill.failed with the time from the drill's start to verified
// data (RTO) and the backup's age at the start (RPO), and releases the
// clone. The instance itself is never touched. A drill's clone is named
// by its source and the drill's start, with the function's MAC, so that a
// redelivery finds it instead of ordering another and the sweep follows
// only the function's own; whatever became of it, the sweep releases it
// at the latest RESTORE_DRILL_MAX_LIFE after the start, so that no drill
// leaves a billed instance behind.

// drillMarker joins the source's ID and the drill's start in its clone's
// name: "<source>-drill-<start, 8 hex digits of unix seconds><mac>".
const drillMarker = "-drill-"

func drillName(seal *Seal, instanceID string, at time.Time) string {
	ts := fmt.Sprintf("%08x", at.Unix())
	return instanceID + drillMarker + ts + seal.Hex(8, "drill", instanceID, ts)
}

// drillOf reads a drill's clone name: its source and start, if the name
// carries the function's MAC.
func drillOf(seal *Seal, name string) (src string, at time.Time, ok bool) {
	src, rest, ok := strings.Cut(name, drillMarker)
	if !ok || !strings.HasPrefix(src, "crs-") || len(rest) != 16 || !seal.VerifyHex(rest[8:], "drill", src, rest[:8]) {
		return "", time.Time{}, false
	}
	sec, err := strconv.ParseInt(rest[:8], 16, 64)
	if err != nil {
		return "", time.Time{}, false
	}
	return src, time.Unix(sec, 0).UTC(), true
}

// drillTime is when a drill began: its event's time (so that every
// delivery names one clone), else now, to the minute.
func (s *Service) drillTime(job Job) time.Time {
	if !job.Since.IsZero() {
		return job.Since.Truncate(time.Second)
	}
	return s.Now().Truncate(time.Minute)
}

// Drill is what a drill's outcome message carries.
type Drill struct {
	CloneID     string     `json:"cloneId"`
	BegunAt     time.Time  `json:"begunAt"`
	BackupID    string     `json:"backupId,omitempty"`
	BackupStart *time.Time `json:"backupStart,omitempty"`
	VerifiedAt  *time.Time `json:"verifiedAt,omitempty"`
	// RTOSeconds: from the drill's start to verified data.
	RTOSeconds *int64 `json:"rtoSeconds,omitempty"`
	// RPOSeconds: the restored backup's age when the drill began, the
	// writes a restore then would have lost.
	RPOSeconds *int64 `json:"rpoSeconds,omitempty"`
}

// outcome: a drill's result says its own outcome, failed included
// (restore.drill.failed, not restore.failed: nothing was restored).
func (d *Drill) outcome() bool { return d != nil }

// sweepDrill takes a drill's clone one step: verify and report once it
// runs, then release it; report a clone that never came up (its clone
// task failed), and release any clone of a drill older than its maximum
// life. Every message of one drill has one id: its outcome, sent again
// until its clone is released, is one outcome. A released clone (status
// below 0) is done with.
func (s *Service) sweepDrill(ctx context.Context, c Instance, srcTasks []Task, w sweepWindow, log *slog.Logger, add func(Result)) {
	src, at, _ := drillOf(s.Settings.Seal, c.Name)
	region := w.region
	maxLife := s.Settings.Life.DrillMaxLife
	d := &Drill{CloneID: c.ID, BegunAt: at}
	r := Result{InstanceID: src, Region: region, BackupID: "", Life: &Life{NewInstanceIDs: []string{c.ID}, Drill: d,
		eventID: uuid.FromName(fmt.Sprintf("%s/drill/%s", src, c.Name))}}
	log = log.With("drillClone", c.ID)
	if b, err := s.chooseBackup(ctx, region, src, at); err == nil {
		start := b.StartTime.UTC()
		rpo := int64(at.Sub(b.StartTime).Seconds())
		d.BackupID, d.BackupStart, d.RPOSeconds, r.BackupID = b.ID, &start, &rpo, b.ID
	}
	outcome := func(err error) {
		if err != nil {
			r.Fail(err)
			r.Status, r.Life.Phase, r.Life.eventType = Failed, PhaseFailed, EventTypePrefix+"drill.failed"
		} else {
			r.Status, r.Life.Phase, r.Life.eventType = Succeeded, PhaseSucceeded, EventTypePrefix+"drill.passed"
		}
	}
	switch {
	case c.Status < 0:
		// Released (by a sweep, after its outcome was sent), or it never
		// came up: then its clone task failed, and that is reported.
		t, ok := drillTask(srcTasks, at)
		if !ok || t.Result != 4 || !w.reports(t.EndTime) {
			return
		}
		outcome(failure.E(failure.Unavailable, failure.Code("DrillFailed"), fmt.Sprintf(
			"drill of %s: its clone %s did not come up (clone task %d failed): the backup %s could not be restored", src, c.ID, t.ID, d.BackupID)))
		s.emitLife(ctx, &r, log)
		add(r)
		return
	case w.at.Sub(at) >= maxLife:
		// Past its life, whatever it became: released, never verified
		// late (its outcome then would contradict this one).
		outcome(failure.E(failure.Unavailable, failure.Code("DrillTimedOut"), fmt.Sprintf(
			"drill of %s: its clone %s was not verified within RESTORE_DRILL_MAX_LIFE (%s; status %d): released", src, c.ID, maxLife, c.Status)))
	case c.Running():
		v := s.verifyData(ctx, c, src, region, d.BackupStart, time.Time{}, log)
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
				src, d.BackupID, c.ID, v.Keys, rto, deref(d.RPOSeconds))
		}
	default:
		return // cloning: the next sweep
	}
	// The outcome first: a clone is released only once its outcome is on
	// the queue, so that a sweep that fails to send it finds the clone
	// again and sends the same outcome (the same id); but never later than
	// the drill's maximum life.
	s.emitLife(ctx, &r, log)
	if r.MessageID != "" || w.at.Sub(at) >= maxLife {
		if _, _, err := s.Redis.DestroyPostpaidInstance(ctx, region, c.ID); err != nil {
			log.Warn("drill.releaseFailed", "detail", "the drill's clone could not be released: the next sweep tries again", "error", err.Error())
		} else {
			log.Info("drill.released", "detail", "the drill's clone was released", "status", string(r.Status))
		}
	}
	add(r)
}

// drillTask is the clone task a drill started: the first clone task of
// its source that started within a minute of the drill's start. It only
// tells whether a clone that never came up failed; the clone itself is
// the drill's by its signed name.
func drillTask(tasks []Task, at time.Time) (Task, bool) {
	for _, t := range tasks {
		if t.Kind == CloneTask && !t.StartTime.Before(at.Add(-time.Second)) && t.StartTime.Before(at.Add(time.Minute)) {
			return t, true
		}
	}
	return Task{}, false
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
