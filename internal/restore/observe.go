package restore

import (
	"context"
	"time"
)

// The instance's task list is what "never twice" (findStarted) and the
// budget (readBudget) are judged on. On a restore's fast path it is read
// once, over the widest span any of the job's checks looks back to (the
// event's time, the budget's window), and each check takes its part of
// that one reading. It is read again only when the question is what
// happened since the last look: after an answer that leaves open whether
// work began, after a lock, when the instance is busy, when the first look
// has grown old before the call that starts work (see restore), and
// before any retry.

// sighting is one job's reading of its instance's task list.
type sighting struct {
	begin time.Time // every task that started at or after begin is in tasks
	tasks []Task
	read  bool
}

// tasksSince returns the tasks of the job's instance that started at or
// after begin: from the job's reading where it has one that reaches back
// that far and fresh is false, else from a new reading (kept for the
// job's later checks).
func (s *Service) tasksSince(ctx context.Context, job Job, region string, begin time.Time, fresh bool) ([]Task, error) {
	begin = begin.Truncate(time.Second) // the API's times have a resolution of one second
	o := job.seen
	if o != nil && o.read && !fresh && !begin.Before(o.begin) {
		return startedSince(o.tasks, begin), nil
	}
	from := begin
	if w := s.widest(job); o != nil && w.Before(from) {
		from = w
	}
	list, err := retry(ctx, s, func() ([]Task, error) {
		return s.Redis.DescribeTasks(ctx, region, job.Request.InstanceID, from, s.Now().Add(time.Minute))
	})
	if err != nil {
		return nil, err
	}
	if o != nil {
		o.begin, o.tasks, o.read = from, list, true
	}
	return startedSince(list, begin), nil
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

func startedSince(tasks []Task, begin time.Time) []Task {
	var out []Task
	for _, t := range tasks {
		if !t.StartTime.Before(begin) {
			out = append(out, t)
		}
	}
	return out
}
