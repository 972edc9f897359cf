package restore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
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
		b, err := s.Reader().ChooseBackup(ctx, region, req.InstanceID, s.latestBound(job), nil)
		return b.StartTime, err
	}
	b, err := s.Reader().LookupBackup(ctx, region, req.InstanceID, req.BackupID, time.Time{})
	return b.StartTime, err
}

// unswitch swaps back the addresses of an instance and the clone switched
// in for it: the newest switch clone of the instance that serves (an odd
// number of switches). Like every action, it looks first for this event's
// own: a switch back that started since the event was created.
func (s *Service) unswitch(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) {
	src := job.Request.InstanceID
	list, err := s.Reader().Instances(ctx, res.Region)
	if err != nil {
		failed(res, err, log, "could not list the instance's clones; not switching back")
		return
	}
	var clone intent.Instance
	var sw []intent.Task
	var cloneAt time.Time
	for _, c := range list {
		m, ok := s.MadeOf(c)
		if !ok || m.Kind != intent.ModeSwitch || m.Source != src {
			continue
		}
		at := m.Ordered
		tasks, err := s.Reader().Tasks(ctx, res.Region, c.ID, s.Now().Add(-30*24*time.Hour), s.Now().Add(time.Minute))
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
	res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("switching the addresses of %s and its clone %s back: %s's clients reach it again", src, clone.ID, src))
	log.Info("switch.back", "detail", "switching back from the clone", "taskId", taskID, "clone", clone.ID)
}

// Release releases a pay-as-you-go instance the function is done with; a
// failure is logged, and the next sweep tries again.
func (s *Service) Release(ctx context.Context, region, instanceID string, log *slog.Logger) {
	if _, _, err := s.Redis.DestroyPostpaidInstance(ctx, region, instanceID); err != nil {
		log.Warn("switch.releaseFailed", "detail", "the instance could not be released: the next sweep tries again", "released", instanceID, "error", err.Error())
		return
	}
	log.Info("switch.released", "detail", "instance released", "released", instanceID)
}
