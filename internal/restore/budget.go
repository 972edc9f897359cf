package restore

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// budgetOf is the budget of a job and the setting it comes from.
func (s *Service) budgetOf(job Job) (intent.Budget, string) {
	if job.Alarm || (job.Approved != nil && job.Approved.Alarm) {
		return s.Settings.AlarmBudget, "RESTORE_BUDGET"
	}
	return s.Settings.RequestBudget, "RESTORE_BUDGET_REQUESTS"
}

// readBudget counts the instance's restore and clone tasks in the
// budget's window, from the cloud's task list: restores started by other
// containers, other functions or the console count as much as ours, and a
// clone (a billed instance made from the backup) counts as a restore.
func (s *Service) readBudget(ctx context.Context, job Job, region string, fresh bool) (*intent.BudgetState, []intent.Task, error) {
	b, setting := s.budgetOf(job)
	if b.Off() {
		return nil, nil, nil
	}
	now := s.Now()
	from := now.Add(-b.Window)
	tasks, err := s.tasksSince(ctx, job, region, from, fresh)
	if err != nil {
		return nil, nil, err
	}
	used := intent.Spent(tasks, from)
	if slices.ContainsFunc(used, func(t intent.Task) bool { return t.Kind == intent.CloneTask }) {
		// A drill's clone never touched the instance: it does not spend
		// the budget that stops restores of it (its own clone task is the
		// one that started with the drill's clone, by its Createtime).
		used = s.withoutDrills(ctx, region, job.Request.InstanceID, used)
	}
	st := intent.NewBudgetState(used, b, setting)
	return st, used, nil
}

// budgetFrom is an instance's budget in an observed world (a fleet's):
// its tasks, less those of its drills' clones among the world's clones.
func (s *Service) budgetFrom(w intent.World, instanceID string, b intent.Budget, setting string, now time.Time) *intent.BudgetState {
	if b.Off() {
		return nil
	}
	return intent.NewBudgetState(s.notDrills(intent.Spent(w.Tasks[instanceID], now.Add(-b.Window)), w.Clones), b, setting)
}

// withoutDrills leaves out of tasks the clone tasks of the instance's
// drills. The instance list is read only here, when a clone task is in
// the budget's window; where it cannot be read, every clone counts.
func (s *Service) withoutDrills(ctx context.Context, region, instanceID string, tasks []intent.Task) []intent.Task {
	// One call, not retried: it may only lower the count, and where it
	// fails every clone counts (the safe side).
	list, err := s.Reader().Cloud.ListInstances(ctx, region)
	if err != nil {
		return tasks
	}
	return s.notDrills(tasks, list)
}

// notDrills leaves out of tasks the clone tasks that made a drill's clone
// among instances (its clone task started with it, by its Createtime).
func (s *Service) notDrills(tasks []intent.Task, instances []intent.Instance) []intent.Task {
	out := tasks[:0:0]
	for _, t := range tasks {
		drill := false
		for _, c := range instances {
			m, ok := s.MadeOf(c)
			drill = drill || ok && m.Kind == intent.ModeDrill && m.Source == t.InstanceID && t.Kind == intent.CloneTask && intent.CloneTaskAt([]intent.Task{t}, c.Created)
		}
		if !drill {
			out = append(out, t)
		}
	}
	return out
}

// overBudget holds the restore back when the instance's budget is spent.
// It runs after findStarted: a redelivery of an event whose restore ran is
// a duplicate, never held. Its own read of the task list is newer than
// findStarted's, so a task of this very event that started in between
// (another container) is still taken for a duplicate. It returns true when
// res is decided.
func (s *Service) overBudget(ctx context.Context, job Job, res *intent.Result, fresh bool, log *slog.Logger) bool {
	st, used, err := s.readBudget(ctx, job, res.Region, fresh)
	if err != nil {
		failed(res, err, log, "could not count the instance's restores for its budget; not restoring")
		return true
	}
	if st == nil || st.FreesAt == nil {
		return false
	}
	if !job.Since.IsZero() {
		since := job.Since.Truncate(time.Second)
		// A clone of this event is found by its name (clone.go), never by
		// its time: any clone task since then may be another request's.
		for i := len(used) - 1; i >= 0; i-- {
			if t := used[i]; t.Kind == intent.RestoreTask && !job.Request.Clone() && !t.StartTime.Before(since) {
				earlierTask(job, res, t)
				log.Info("restore.duplicate", "detail", "restore already started", "taskId", t.ID)
				return true
			}
		}
	}
	if job.Force {
		log.Warn("budget.forced", "detail", "restore budget overridden by an authenticated webhook with force: true",
			"setting", st.Setting, "limit", st.Limit, "window", st.Window, "used", len(st.Used))
		return false
	}
	ids := make([]string, len(st.Used))
	for i, u := range st.Used {
		ids[i] = fmt.Sprintf("%d (started %s)", u.TaskID, u.StartTime.Format(time.RFC3339))
	}
	res.Status = intent.Skipped
	res.Held = true
	res.Budget = st
	res.Error = &intent.ErrorBody{Code: intent.CodeBudgetExceeded, Message: fmt.Sprintf(
		"%s allows %d restore(s) of %s per %s, and restore task(s) %s used it: held back until %s (an authenticated webhook may override with \"force\": true)",
		st.Setting, st.Limit, job.Request.InstanceID, st.Window, strings.Join(ids, ", "), st.FreesAt.Format(time.RFC3339))}
	res.Reason = intent.JoinReason(job.Reason, "restore held back by the restore budget")
	log.Warn("budget.held", "detail", "restore held back by its budget", "setting", st.Setting, "used", len(st.Used), "freesAt", st.FreesAt.Format(time.RFC3339))
	return true
}

// heldOnRetry looks at the budget again before a retry of RestoreInstance:
// while this restore retried, another event's may have used it. After an
// unclear attempt (which may have started the restore) nothing it says may
// lose that restore: a task list that cannot be read leaves the outcome
// unknown, not failed, and a task that started since the restore was
// looked for (since) is taken for that attempt's, not for a reason to
// hold.
func (s *Service) heldOnRetry(ctx context.Context, job Job, res *intent.Result, unclear *failure.Error, since time.Time, log *slog.Logger) bool {
	probe := *res
	if !s.overBudget(ctx, job, &probe, true, log) {
		return false
	}
	switch {
	case unclear == nil:
	case probe.Status == intent.Failed:
		res.Unclear(failure.E(unclear.Kind, failure.Code(unclear.Code), fmt.Sprintf(
			"%s; the restore may have started, and the task list could not be read to tell (%s), so it was not tried again", unclear.Message, probe.Error.Message)))
		return true
	case probe.Held:
		for i := len(probe.Budget.Used) - 1; i >= 0; i-- {
			if t := probe.Budget.Used[i]; !t.StartTime.Before(since.Truncate(time.Second)) {
				res.Status, res.TaskID = intent.Accepted, t.TaskID
				res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("restore task %d started at %s, after this restore's unclear attempt", t.TaskID, t.StartTime.Format(time.RFC3339)))
				log.Info("restore.startedDespiteUnclear", "detail", "restore had started despite the unclear answer", "taskId", t.TaskID)
				return true
			}
		}
	}
	*res = probe
	return true
}

// messageID gives the messages of one held event, or of one plan, the same
// id in every container that sends them, so that consumers drop copies.
func (s *Service) messageID(job Job, r *intent.Result) string {
	switch {
	case r.Held && job.Key != "":
		return uuid.FromName("held/" + job.Key)
	case r.Plan != nil && r.Plan.ID != "":
		return uuid.FromName("plan/" + r.Plan.ID)
	}
	return s.NewID()
}
