package restore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Every read of the cloud that a restore is judged on is here: the
// sweep's and the status's world of a region (observe), and, on a
// request's fast path, the few reads of its own instance that the least
// function needs (the task list once: tasksSince; a safety backup by its
// signed remark: findSafety; a clone by its signed name: findClone; the
// backup to restore: chooseBackup, LookupBackup). What they mean is
// judged elsewhere (judge.go, and the callers); nothing else lists tasks,
// backups or instances.

// observe reads the world of a region: of every allowed instance, or of
// the one named. Each list is read region-wide where CAM allows it, and
// falls back to one read per instance where a role granted only the
// allowed instances is refused a list without an InstanceId; clones,
// which have IDs of their own, are then not seen. An intent's own watch
// (intentOnly) reads its instance by ID from the start: it needs no
// clone, and a fleet's thousand watches must not each list the region.
func (s *Service) Observe(ctx context.Context, region, only string, from, to time.Time, log *slog.Logger) (intent.World, error) {
	return s.ObserveAs(ctx, region, only, false, from, to, log)
}

func (s *Service) ObserveAs(ctx context.Context, region, only string, intentOnly bool, from, to time.Time, log *slog.Logger) (intent.World, error) {
	w := intent.World{Tasks: map[string][]intent.Task{}, Safety: map[string][]intent.SafetyBackup{}}
	ids := s.Settings.AllowedIDs
	if only != "" {
		ids = []string{only}
	}
	byID := func() ([]intent.Instance, error) { return s.Redis.ListInstances(ctx, region, ids...) }
	var all []intent.Instance
	var err error
	if intentOnly {
		all, err = Retry(ctx, s, byID)
	} else {
		all, err = Retry(ctx, s, func() ([]intent.Instance, error) { return s.Redis.ListInstances(ctx, region) })
		if failure.KindOf(err) == failure.Forbidden && len(ids) > 0 {
			log.Info("observe.byInstanceID", "detail", "the region's instance list is refused: reading the instances by ID", "error", err.Error())
			all, err = Retry(ctx, s, byID)
		}
	}
	if err != nil {
		return w, err
	}
	for _, in := range all {
		// A drill's clone is followed, and released, even once its source
		// has left the allow-list: it is the function's, and billed.
		if m, ok := s.MadeOf(in); ok && (m.Kind == intent.ModeDrill || s.Settings.AllowedInstance(m.Source)) && (only == "" || m.Source == only) {
			w.Clones = append(w.Clones, in)
		}
		if s.Settings.AllowedInstance(in.ID) && (only == "" || in.ID == only) {
			w.Instances = append(w.Instances, in)
		}
	}
	var mu sync.Mutex
	read := func(id string) error {
		tasks, err := Retry(ctx, s, func() ([]intent.Task, error) { return s.Redis.DescribeTasks(ctx, region, id, from, to) })
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
			w.Tasks[t.InstanceID] = append(w.Tasks[t.InstanceID], t)
		}
		for _, b := range safety {
			w.Safety[b.InstanceID] = append(w.Safety[b.InstanceID], b)
		}
		return nil
	}
	if only != "" {
		err := read(only)
		w.Clones = s.ordered(w)
		return w, err
	}
	err = read("")
	if failure.KindOf(err) != failure.Forbidden {
		w.Clones = s.ordered(w)
		return w, err
	}
	log.Info("observe.perInstance", "detail", "the task or backup list of the whole region is refused: reading each instance's", "error", err.Error())
	w.Tasks, w.Safety = map[string][]intent.Task{}, map[string][]intent.SafetyBackup{}
	var g errgroup.Group
	g.SetLimit(SweepConcurrency)
	for _, in := range w.Instances {
		g.Go(func() error { return read(in.ID) })
	}
	// The function's own clones too (their switches are their tasks),
	// where CAM allows: a role granted only the allowed instances is
	// refused them, which must not stop the sweep of the rest.
	for _, in := range w.Clones {
		g.Go(func() error {
			if err := read(in.ID); failure.KindOf(err) != failure.Forbidden {
				return err
			}
			log.Info("observe.cloneRefused", "detail", "a clone's task list is refused: its switches are not seen", "clone", in.ID)
			return nil
		})
	}
	err = g.Wait()
	w.Clones = s.ordered(w)
	return w, err
}

// ordered keeps the clones of the world that its sources' task lists show
// ordered: a drill's or a switch's clone only where a clone task of its
// source started within a minute of its creation. An instance created
// otherwise and named like one (a rename) is never released or switched.
func (s *Service) ordered(w intent.World) []intent.Instance {
	var out []intent.Instance
	for _, c := range w.Clones {
		if m, _ := s.MadeOf(c); m.Kind == intent.ModeClone || intent.CloneTaskAt(w.Tasks[m.Source], c.Created) {
			out = append(out, c)
		}
	}
	return out
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

// sighting is one job's reading of its instance's task list.
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
	list, err := Retry(ctx, s, func() ([]intent.Task, error) {
		return s.Redis.DescribeTasks(ctx, region, job.Request.InstanceID, from, s.Now().Add(time.Minute))
	})
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
	err := s.eachBackup(ctx, region, job.Request.InstanceID, since, s.Now().Add(time.Minute), func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	if err != nil {
		return intent.SafetyBackup{}, false, err
	}
	b, ok := s.listedSafety(job.Request.InstanceID, list, since, restores)
	return b, ok, nil
}

// listedSafety is the newest of the listed backups that started since the
// given time, carries the function's signed remark and restores what the
// intent restores (OwnSafety).
func (s *Service) listedSafety(instanceID string, list []intent.Backup, since time.Time, restores string) (intent.SafetyBackup, bool) {
	return intent.OwnSafety(s.signedOnly(instanceID, list), since, restores)
}

// safetyBackups lists the safety backups of an instance (of every
// instance for "") that started within [begin, end].
func (s *Service) safetyBackups(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.SafetyBackup, error) {
	var list []intent.Backup
	err := s.eachBackup(ctx, region, instanceID, begin, end, func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	return s.signedOnly(instanceID, list), err
}

// signedOnly is the listed backups that carry the function's signed
// safety remark, as safety backups.
//
// One sealed remark is one safety backup: the first listed with it. The
// remark names no backup, so anyone who may take a manual backup can copy
// a remark they read (an intent that failed or expired, to revive it);
// a later backup with the same remark is a copy, never the intent's.
func (s *Service) signedOnly(instanceID string, list []intent.Backup) []intent.SafetyBackup {
	first := map[string]intent.Backup{}
	for _, b := range list {
		if f, ok := first[b.Remark]; !ok || b.StartTime.Before(f.StartTime) || b.StartTime.Equal(f.StartTime) && b.ID < f.ID {
			first[b.Remark] = b
		}
	}
	var out []intent.SafetyBackup
	for _, b := range list {
		if first[b.Remark].ID != b.ID {
			continue
		}
		if sb, ok := intent.ParseSafety(s.Settings.Seal, instanceID, b); ok {
			out = append(out, sb)
		}
	}
	return out
}

func (s *Service) findClone(ctx context.Context, lr Redis, region, name string) ([]string, error) {
	list, err := Retry(ctx, s, func() ([]intent.Instance, error) { return lr.ListInstances(ctx, region) })
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, in := range list {
		if in.Name == name {
			ids = append(ids, in.ID)
		}
	}
	return ids, nil
}

// The API lists backups within a window of at most 30 days.
const (
	backupWindow = 30 * 24 * time.Hour
	// maxBackupWindows bounds how far back "latest" looks: a year.
	maxBackupWindows = 12
	backupPageSize   = 100
)

// chooseBackup finds the newest restorable backup of an instance that
// started before the bound. It reads every page of every window it needs,
// newest window first, and sorts nothing on the API's order.
// Where the job's step already read the instance's backups over a window
// that reaches past the bound (seen, lifeFound's), that reading is the
// first window.
func (s *Service) chooseBackup(ctx context.Context, region, instanceID string, before time.Time, seen *backupSighting) (intent.Backup, error) {
	end := before
	for w := 0; w < maxBackupWindows; w++ {
		begin := end.Add(-backupWindow)
		each := func(f func(intent.Backup) bool) error { return s.eachBackup(ctx, region, instanceID, begin, end, f) }
		if w == 0 && seen.covers(before) {
			begin, each = seen.begin, seen.each
		}
		var best intent.Backup
		found := false
		err := each(func(b intent.Backup) bool {
			if intent.Restorable(b) && b.StartTime.Before(before) &&
				(!found || b.StartTime.After(best.StartTime) || (b.StartTime.Equal(best.StartTime) && b.ID > best.ID)) {
				best, found = b, true
			}
			return true
		})
		if err != nil {
			return intent.Backup{}, err
		}
		if found {
			return best, nil
		}
		end = begin
	}
	return intent.Backup{}, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound),
		fmt.Sprintf("no restorable backup (status normal or RDB done, not locked) of %s started between %s and %s",
			instanceID, end.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339)))
}

// backupSighting is one step's reading of its instance's backups over the
// last 30 days: an earlier delivery's safety backup and the backup
// "latest" chooses are both looked for in it, one read where the least
// function needs one.
type backupSighting struct {
	begin, end time.Time
	list       []intent.Backup
	read       bool
}

// see reads the instance's backups of the 30 days before a minute from now.
func (o *backupSighting) see(ctx context.Context, s *Service, region, instanceID string) error {
	end := s.Now().Add(time.Minute).Truncate(time.Second)
	begin := end.Add(-backupWindow)
	var list []intent.Backup
	err := s.eachBackup(ctx, region, instanceID, begin, end, func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	if err == nil {
		o.begin, o.end, o.list, o.read = begin, end, list, true
	}
	return err
}

// covers reports whether the reading holds every backup that started in
// the window before t back to its begin.
func (o *backupSighting) covers(t time.Time) bool {
	return o != nil && o.read && !o.end.Before(t) && o.begin.Before(t)
}

func (o *backupSighting) each(f func(intent.Backup) bool) error {
	for _, b := range o.list {
		if !f(b) {
			return nil
		}
	}
	return nil
}

// eachBackup calls f with every backup of an instance (of every instance
// for "") that started within [begin, end], at most 30 days apart, page
// by page, until f returns false.
func (s *Service) eachBackup(ctx context.Context, region, instanceID string, begin, end time.Time, f func(intent.Backup) bool) error {
	for offset := int64(0); ; offset += backupPageSize {
		page, err := Retry(ctx, s, func() (intent.BackupPage, error) {
			return s.Redis.DescribeInstanceBackups(ctx, region, instanceID, begin, end, backupPageSize, offset)
		})
		if err != nil {
			return err
		}
		for _, b := range page.Backups {
			if !f(b) {
				return nil
			}
		}
		if len(page.Backups) < backupPageSize || offset+backupPageSize >= page.Total {
			return nil
		}
	}
}

// LookupBackupAt finds the backup of an instance that started at start
// (to the second): a drill's, whose name records its start.
func (s *Service) LookupBackupAt(ctx context.Context, region, instanceID string, start time.Time) (intent.Backup, error) {
	var found *intent.Backup
	err := s.eachBackup(ctx, region, instanceID, start.Add(-time.Minute), start.Add(time.Minute), func(b intent.Backup) bool {
		if b.StartTime.Truncate(time.Second).Equal(start.Truncate(time.Second)) {
			found = &b
		}
		return found == nil
	})
	if err == nil && found == nil {
		err = failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), fmt.Sprintf("no backup of %s started at %s", instanceID, start.Format(time.RFC3339)))
	}
	if err != nil {
		return intent.Backup{}, err
	}
	return *found, nil
}

// LookupBackup finds one backup by ID: around its known start time, or
// else back a year from now, window by window.
func (s *Service) LookupBackup(ctx context.Context, region, instanceID, backupID string, around time.Time) (intent.Backup, error) {
	windows := [][2]time.Time{}
	if !around.IsZero() {
		windows = append(windows, [2]time.Time{around.Add(-time.Minute), around.Add(time.Minute)})
	} else {
		end := s.Now().Add(time.Minute)
		for w := 0; w < maxBackupWindows; w++ {
			windows = append(windows, [2]time.Time{end.Add(-backupWindow), end})
			end = end.Add(-backupWindow)
		}
	}
	for _, win := range windows {
		var found *intent.Backup
		err := s.eachBackup(ctx, region, instanceID, win[0], win[1], func(b intent.Backup) bool {
			if b.ID == backupID {
				found = &b
			}
			return found == nil
		})
		if err != nil {
			return intent.Backup{}, err
		}
		if found != nil {
			return *found, nil
		}
	}
	return intent.Backup{}, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), failure.Field("backupId"),
		fmt.Sprintf("backup %s of %s is not listed", backupID, instanceID))
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

// fleetMembers are the instances a fleet names, sorted: its list; or the
// allowed instances of the observed region (listed region-wide, or from
// the allow-list's IDs where CAM refuses that) whose IDs match its
// pattern, the function's own clones left out.
func (s *Service) fleetMembers(w intent.World, region string, req intent.FleetRequest) ([]string, error) {
	if len(req.Instances) > 0 {
		return intent.SortedIDs(req.Instances), nil
	}
	var ids []string
	for _, in := range w.Instances {
		if _, clone := s.MadeOf(in); req.Names(in.ID) && !clone {
			ids = append(ids, in.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, failure.E(failure.NotFound, failure.Code("FleetEmpty"), failure.Field("instances"),
			fmt.Sprintf("%q matches no allowed instance of %s", req.Pattern, region))
	case len(ids) > intent.MaxFleet:
		return nil, failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("instances"),
			fmt.Sprintf("%q matches %d instances, a fleet has at most %d: narrow it", req.Pattern, len(ids), intent.MaxFleet))
	}
	return intent.SortedIDs(ids), nil
}

// recentWindow is how far before a fleet's bound its backups are listed
// region-wide: a day holds every instance's daily backup in a few pages,
// where 30 days would hold thirty; a member with none in it is looked up
// alone (newestBackups).
const recentWindow = 24 * time.Hour

// recentBackups lists, region-wide, the newest restorable backup that
// started in the day before the bound of each instance wanted. Where CAM
// refuses the region-wide list, it returns none, and every member is
// looked up alone.
func (s *Service) recentBackups(ctx context.Context, region string, before time.Time, want func(string) bool) (map[string]intent.Backup, error) {
	out := map[string]intent.Backup{}
	err := s.eachBackup(ctx, region, "", before.Add(-recentWindow), before, func(b intent.Backup) bool {
		if best, ok := out[b.InstanceID]; want(b.InstanceID) && intent.Restorable(b) && b.StartTime.Before(before) &&
			(!ok || b.StartTime.After(best.StartTime) || b.StartTime.Equal(best.StartTime) && b.ID > best.ID) {
			out[b.InstanceID] = b
		}
		return true
	})
	if failure.KindOf(err) == failure.Forbidden {
		return map[string]intent.Backup{}, nil
	}
	return out, err
}

// newestBackups is each member's newest restorable backup before the
// bound: from the recent ones listed region-wide, else by chooseBackup,
// which looks back a year. A member with none is left out of the map.
func (s *Service) newestBackups(ctx context.Context, region string, ids []string, before time.Time, recent map[string]intent.Backup) (map[string]intent.Backup, error) {
	out := map[string]intent.Backup{}
	var alone []string
	for _, id := range ids {
		if b, ok := recent[id]; ok {
			out[id] = b
		} else {
			alone = append(alone, id)
		}
	}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(SweepConcurrency)
	for _, id := range alone {
		g.Go(func() error {
			b, err := s.chooseBackup(ctx, region, id, before, nil)
			switch {
			case failure.KindOf(err) == failure.NotFound:
				return nil
			case err != nil:
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			out[id] = b
			return nil
		})
	}
	return out, g.Wait()
}
