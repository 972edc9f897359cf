package restore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/failure"
)

// world is what one reading of a region shows of the intents in it: the
// allowed instances, the clones the function made of them (by their
// signed names), and their tasks and safety backups (by their signed
// remarks) over a span. The sweep and the status judge intents in it
// (judge.go); nothing else reads these lists.
type world struct {
	instances []Instance
	clones    []Instance
	tasks     map[string][]Task         // by instance
	safety    map[string][]SafetyBackup // by instance
}

// observe reads the world of a region: of every allowed instance, or of
// the one named. Each list is read region-wide where CAM allows it, and
// falls back to one read per instance where a role granted only the
// allowed instances is refused a list without an InstanceId; clones,
// which have IDs of their own, are then not seen.
func (s *Service) observe(ctx context.Context, region, only string, from, to time.Time, log *slog.Logger) (world, error) {
	w := world{tasks: map[string][]Task{}, safety: map[string][]SafetyBackup{}}
	all, err := retry(ctx, s, func() ([]Instance, error) { return s.Redis.ListInstances(ctx, region) })
	ids := s.Settings.AllowedIDs
	if only != "" {
		ids = []string{only}
	}
	if failure.KindOf(err) == failure.Forbidden && len(ids) > 0 {
		log.Info("observe.byInstanceID", "detail", "the region's instance list is refused: reading the instances by ID", "error", err.Error())
		all, err = retry(ctx, s, func() ([]Instance, error) { return s.Redis.ListInstances(ctx, region, ids...) })
	}
	if err != nil {
		return w, err
	}
	for _, in := range all {
		if src, ok := cloneSource(s.Settings.Seal, in.Name); ok && s.Settings.allowed(src) && (only == "" || src == only) {
			w.clones = append(w.clones, in)
		}
		if s.Settings.allowed(in.ID) && (only == "" || in.ID == only) {
			w.instances = append(w.instances, in)
		}
	}
	var mu sync.Mutex
	read := func(id string) error {
		tasks, err := retry(ctx, s, func() ([]Task, error) { return s.Redis.DescribeTasks(ctx, region, id, from, to) })
		if err != nil {
			return err
		}
		safety, err := s.safetyBackups(ctx, region, id, from, to)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, t := range tasks {
			w.tasks[t.InstanceID] = append(w.tasks[t.InstanceID], t)
		}
		for _, b := range safety {
			w.safety[b.InstanceID] = append(w.safety[b.InstanceID], b)
		}
		return nil
	}
	if only != "" {
		return w, read(only)
	}
	err = read("")
	if failure.KindOf(err) != failure.Forbidden {
		return w, err
	}
	log.Info("observe.perInstance", "detail", "the task or backup list of the whole region is refused: reading each instance's", "error", err.Error())
	w.tasks, w.safety = map[string][]Task{}, map[string][]SafetyBackup{}
	var g errgroup.Group
	g.SetLimit(sweepConcurrency)
	for _, in := range w.instances {
		g.Go(func() error { return read(in.ID) })
	}
	return w, g.Wait()
}

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
