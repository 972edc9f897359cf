package restore

import (
	"context"
	"fmt"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/observe"
)

// The reads of one intent's own instance on a request's fast path, kept
// for the intent's later checks: the task list once (tasksSince), a
// safety backup by its signed remark (findSafety). Every read itself is
// internal/observe's Reader: this file only keeps what a job has read.

// Reader is the one reader of the cloud (internal/observe), with the
// service's settings, clock and retry loop.
func (s *Service) Reader() *observe.Reader {
	return &observe.Reader{Cloud: s.Redis, Seal: s.Settings.Seal, ApprovalTTL: s.Settings.ApprovalTTL,
		Allowed: s.Settings.AllowedInstance, AllowedIDs: s.Settings.AllowedIDs, Now: s.Now,
		Retry: func(ctx context.Context, read func() error) error {
			_, err := Retry(ctx, s, func() (struct{}, error) { return struct{}{}, read() })
			return err
		}}
}

// The instance's task list is what "never twice" (findStarted) and the
// budget (readBudget) are judged on. On a restore's fast path it is read
// once, over the widest span any of the job's checks looks back to (the
// event's time, the budget's window), and each check takes its part of
// that one reading. It is read again only when the question is what
// happened since the last look: after an answer that leaves open whether
// work began, after a lock, when the instance is busy, when the first look
// has grown old before the call that starts work (see restore), and
// before any retry.

// Sighting is one job's reading of its instance's task list.
type Sighting struct {
	Begin time.Time // every task that started at or after begin is in tasks
	Tasks []intent.Task
	Read  bool
	At    time.Time // when it was read
}

// tasksSince returns the tasks of the job's instance that started at or
// after begin: from the job's reading where it has one that reaches back
// that far and fresh is false, else from a new reading (kept for the
// job's later checks).
func (s *Service) tasksSince(ctx context.Context, job Job, region string, begin time.Time, fresh bool) ([]intent.Task, error) {
	begin = begin.Truncate(time.Second) // the API's times have a resolution of one second
	o := job.seen
	if o != nil && o.Read && !fresh && !begin.Before(o.Begin) {
		return intent.StartedSince(o.Tasks, begin), nil
	}
	from := begin
	if w := s.widest(job); o != nil && w.Before(from) {
		from = w
	}
	list, err := s.Reader().Tasks(ctx, region, job.Request.InstanceID, from, s.Now().Add(time.Minute))
	if err != nil {
		return nil, err
	}
	if o != nil {
		o.Begin, o.Tasks, o.Read, o.At = from, list, true, s.Now()
	}
	return intent.StartedSince(list, begin), nil
}

// widest is the earliest start any check of the job looks back to.
func (s *Service) widest(job Job) time.Time {
	w := job.Since
	if b, _ := s.budgetOf(job); !b.Off() {
		if t := s.Now().Add(-b.Window); w.IsZero() || t.Before(w) {
			w = t
		}
	}
	if w.IsZero() {
		w = s.Now()
	}
	return w.Truncate(time.Second)
}

// findStarted looks for a restore task of the instance that started since
// the event was created: proof that an earlier delivery of the same event,
// maybe in another container, already restored.
func (s *Service) findStarted(ctx context.Context, job Job, region string, fresh bool) (intent.Task, bool, error) {
	if job.Since.IsZero() {
		return intent.Task{}, false, nil
	}
	tasks, err := s.tasksSince(ctx, job, region, job.Since, fresh)
	if err != nil {
		return intent.Task{}, false, err
	}
	t, ok := intent.NewestTask(tasks, intent.RestoreTask)
	return t, ok, nil
}

// findSafety finds the newest safety backup of an instance that started
// since the given time, by its signed remark in the backup list: nothing
// else proves a backup the function's (a manual backup task that started
// meanwhile may be anyone's).
//
// Only one that restores what the job restores: restores is the backup,
// "" where not chosen yet ("latest", before admission). Another intent's
// safety backup is a lock like any other, not this one's.
func (s *Service) findSafety(ctx context.Context, job Job, region string, since time.Time, restores string) (intent.SafetyBackup, bool, error) {
	since = since.Truncate(time.Second)
	var list []intent.Backup
	err := s.Reader().EachBackup(ctx, region, job.Request.InstanceID, since, s.Now().Add(time.Minute), func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	if err != nil {
		return intent.SafetyBackup{}, false, err
	}
	b, ok := s.Reader().ListedSafety(job.Request.InstanceID, list, since, restores)
	return b, ok, nil
}

// listedAllowed refuses a fleet whose list names an instance outside the
// allow-list (a list is a person's statement, and a wrong one a mistake),
// before any cloud call.
func (s *Service) listedAllowed(req intent.FleetRequest) error {
	for _, id := range req.Instances {
		if !s.Settings.AllowedInstance(id) {
			return failure.E(failure.Forbidden, failure.Code(failure.CodeInstanceNotAllowed), failure.Field("instances"),
				fmt.Sprintf("%s is not in RESTORE_ALLOWED_INSTANCES: the fleet restores none", id))
		}
	}
	return nil
}
