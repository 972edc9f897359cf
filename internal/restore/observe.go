package restore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/failure"
)

// Every read of the cloud that a restore is judged on is here: the
// sweep's and the status's world of a region (observe), and, on a
// request's fast path, the few reads of its own instance that the least
// function needs (the task list once: tasksSince; a safety backup by its
// signed remark: findSafety; a clone by its signed name: findClone; the
// backup to restore: chooseBackup, lookupBackup). What they mean is
// judged elsewhere (judge.go, and the callers); nothing else lists tasks,
// backups or instances.

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

// instance is an observed instance, by ID (zero if not seen).
func (w world) instance(id string) Instance {
	for _, in := range w.instances {
		if in.ID == id {
			return in
		}
	}
	return Instance{}
}

// observe reads the world of a region: of every allowed instance, or of
// the one named. Each list is read region-wide where CAM allows it, and
// falls back to one read per instance where a role granted only the
// allowed instances is refused a list without an InstanceId; clones,
// which have IDs of their own, are then not seen. An intent's own watch
// (intentOnly) reads its instance by ID from the start: it needs no
// clone, and a fleet's thousand watches must not each list the region.
func (s *Service) observe(ctx context.Context, region, only string, from, to time.Time, log *slog.Logger) (world, error) {
	return s.observeAs(ctx, region, only, false, from, to, log)
}

func (s *Service) observeAs(ctx context.Context, region, only string, intentOnly bool, from, to time.Time, log *slog.Logger) (world, error) {
	w := world{tasks: map[string][]Task{}, safety: map[string][]SafetyBackup{}}
	ids := s.Settings.AllowedIDs
	if only != "" {
		ids = []string{only}
	}
	byID := func() ([]Instance, error) { return s.Redis.ListInstances(ctx, region, ids...) }
	var all []Instance
	var err error
	if intentOnly {
		all, err = retry(ctx, s, byID)
	} else {
		all, err = retry(ctx, s, func() ([]Instance, error) { return s.Redis.ListInstances(ctx, region) })
		if failure.KindOf(err) == failure.Forbidden && len(ids) > 0 {
			log.Info("observe.byInstanceID", "detail", "the region's instance list is refused: reading the instances by ID", "error", err.Error())
			all, err = retry(ctx, s, byID)
		}
	}
	if err != nil {
		return w, err
	}
	for _, in := range all {
		// A drill's clone is followed, and released, even once its source
		// has left the allow-list: it is the function's, and billed.
		if m, ok := s.madeOf(in); ok && (m.kind == ModeDrill || s.Settings.allowed(m.source)) && (only == "" || m.source == only) {
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
		err := read(only)
		w.clones = s.ordered(w)
		return w, err
	}
	err = read("")
	if failure.KindOf(err) != failure.Forbidden {
		w.clones = s.ordered(w)
		return w, err
	}
	log.Info("observe.perInstance", "detail", "the task or backup list of the whole region is refused: reading each instance's", "error", err.Error())
	w.tasks, w.safety = map[string][]Task{}, map[string][]SafetyBackup{}
	var g errgroup.Group
	g.SetLimit(sweepConcurrency)
	for _, in := range w.instances {
		g.Go(func() error { return read(in.ID) })
	}
	// The function's own clones too (their switches are their tasks),
	// where CAM allows: a role granted only the allowed instances is
	// refused them, which must not stop the sweep of the rest.
	for _, in := range w.clones {
		g.Go(func() error {
			if err := read(in.ID); failure.KindOf(err) != failure.Forbidden {
				return err
			}
			log.Info("observe.cloneRefused", "detail", "a clone's task list is refused: its switches are not seen", "clone", in.ID)
			return nil
		})
	}
	err = g.Wait()
	w.clones = s.ordered(w)
	return w, err
}

// ordered keeps the clones of the world that its sources' task lists show
// ordered: a drill's or a switch's clone only where a clone task of its
// source started within a minute of its creation. An instance created
// otherwise and named like one (a rename) is never released or switched.
func (s *Service) ordered(w world) []Instance {
	var out []Instance
	for _, c := range w.clones {
		if m, _ := s.madeOf(c); m.kind == ModeClone || cloneTaskAt(w.tasks[m.source], c.Created) {
			out = append(out, c)
		}
	}
	return out
}

// cloneTaskAt reports whether a clone task started within a minute of t.
func cloneTaskAt(tasks []Task, t time.Time) bool {
	for _, x := range tasks {
		if d := x.StartTime.Sub(t); x.Kind == CloneTask && d > -time.Minute && d < time.Minute {
			return true
		}
	}
	return false
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
type sighting struct {
	begin time.Time // every task that started at or after begin is in tasks
	tasks []Task
	read  bool
	at    time.Time // when it was read
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
		o.begin, o.tasks, o.read, o.at = from, list, true, s.Now()
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

// findStarted looks for a restore task of the instance that started since
// the event was created: proof that an earlier delivery of the same event,
// maybe in another container, already restored.
func (s *Service) findStarted(ctx context.Context, job Job, region string, fresh bool) (Task, bool, error) {
	if job.Since.IsZero() {
		return Task{}, false, nil
	}
	tasks, err := s.tasksSince(ctx, job, region, job.Since, fresh)
	if err != nil {
		return Task{}, false, err
	}
	t, ok := newestTask(tasks, RestoreTask)
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
func (s *Service) findSafety(ctx context.Context, job Job, region string, since time.Time, restores string) (SafetyBackup, bool, error) {
	since = since.Truncate(time.Second)
	var list []Backup
	err := s.eachBackup(ctx, region, job.Request.InstanceID, since, s.Now().Add(time.Minute), func(b Backup) bool {
		list = append(list, b)
		return true
	})
	if err != nil {
		return SafetyBackup{}, false, err
	}
	b, ok := s.listedSafety(job.Request.InstanceID, list, since, restores)
	return b, ok, nil
}

// listedSafety is the newest of the listed backups that started since the
// given time, carries the function's signed remark and restores what the
// intent restores (ownSafety).
func (s *Service) listedSafety(instanceID string, list []Backup, since time.Time, restores string) (SafetyBackup, bool) {
	return ownSafety(s.signedOnly(instanceID, list), since, restores)
}

// ownSafety is an intent's safety backup among an instance's: the newest
// that started since its event and restores its backup ("" where not
// chosen yet: any).
func ownSafety(bs []SafetyBackup, since time.Time, restores string) (SafetyBackup, bool) {
	var best SafetyBackup
	found := false
	for _, b := range safetySince(bs, since) {
		if (restores == "" || b.Restores == restores) && (!found || b.StartTime.After(best.StartTime)) {
			best, found = b, true
		}
	}
	return best, found
}

// newestTask is the newest task of a kind.
func newestTask(tasks []Task, kind TaskKind) (Task, bool) {
	var newest Task
	found := false
	for _, t := range tasks {
		if t.Kind == kind && (!found || t.StartTime.After(newest.StartTime) || t.StartTime.Equal(newest.StartTime) && t.ID > newest.ID) {
			newest, found = t, true
		}
	}
	return newest, found
}

// safetyBackups lists the safety backups of an instance (of every
// instance for "") that started within [begin, end].
func (s *Service) safetyBackups(ctx context.Context, region, instanceID string, begin, end time.Time) ([]SafetyBackup, error) {
	var list []Backup
	err := s.eachBackup(ctx, region, instanceID, begin, end, func(b Backup) bool {
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
func (s *Service) signedOnly(instanceID string, list []Backup) []SafetyBackup {
	first := map[string]Backup{}
	for _, b := range list {
		if f, ok := first[b.Remark]; !ok || b.StartTime.Before(f.StartTime) || b.StartTime.Equal(f.StartTime) && b.ID < f.ID {
			first[b.Remark] = b
		}
	}
	var out []SafetyBackup
	for _, b := range list {
		if first[b.Remark].ID != b.ID {
			continue
		}
		if sb, ok := parseSafety(s.Settings.Seal, instanceID, b); ok {
			out = append(out, sb)
		}
	}
	return out
}

func (s *Service) findClone(ctx context.Context, lr Redis, region, name string) ([]string, error) {
	list, err := retry(ctx, s, func() ([]Instance, error) { return lr.ListInstances(ctx, region) })
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

// Backup statuses that can be restored: 2 normal, 4 RDB conversion done.
func restorable(b Backup) bool {
	// A safety backup is an undo point, not a known-good state: "latest"
	// never picks one (see lifecycle.go).
	return (b.Status == 2 || b.Status == 4) && !b.Locked && !IsSafetyRemark(b.Remark)
}

// chooseBackup finds the newest restorable backup of an instance that
// started before the bound. It reads every page of every window it needs,
// newest window first, and sorts nothing on the API's order.
// Where the job's step already read the instance's backups over a window
// that reaches past the bound (seen, lifeFound's), that reading is the
// first window.
func (s *Service) chooseBackup(ctx context.Context, region, instanceID string, before time.Time, seen *backupSighting) (Backup, error) {
	end := before
	for w := 0; w < maxBackupWindows; w++ {
		begin := end.Add(-backupWindow)
		each := func(f func(Backup) bool) error { return s.eachBackup(ctx, region, instanceID, begin, end, f) }
		if w == 0 && seen.covers(before) {
			begin, each = seen.begin, seen.each
		}
		var best Backup
		found := false
		err := each(func(b Backup) bool {
			if restorable(b) && b.StartTime.Before(before) &&
				(!found || b.StartTime.After(best.StartTime) || (b.StartTime.Equal(best.StartTime) && b.ID > best.ID)) {
				best, found = b, true
			}
			return true
		})
		if err != nil {
			return Backup{}, err
		}
		if found {
			return best, nil
		}
		end = begin
	}
	return Backup{}, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound),
		fmt.Sprintf("no restorable backup (status normal or RDB done, not locked) of %s started between %s and %s",
			instanceID, end.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339)))
}

// backupSighting is one step's reading of its instance's backups over the
// last 30 days: an earlier delivery's safety backup and the backup
// "latest" chooses are both looked for in it, one read where the least
// function needs one.
type backupSighting struct {
	begin, end time.Time
	list       []Backup
	read       bool
}

// see reads the instance's backups of the 30 days before a minute from now.
func (o *backupSighting) see(ctx context.Context, s *Service, region, instanceID string) error {
	end := s.Now().Add(time.Minute).Truncate(time.Second)
	begin := end.Add(-backupWindow)
	var list []Backup
	err := s.eachBackup(ctx, region, instanceID, begin, end, func(b Backup) bool {
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

func (o *backupSighting) each(f func(Backup) bool) error {
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
func (s *Service) eachBackup(ctx context.Context, region, instanceID string, begin, end time.Time, f func(Backup) bool) error {
	for offset := int64(0); ; offset += backupPageSize {
		page, err := retry(ctx, s, func() (BackupPage, error) {
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

// notRestorable says why a backup cannot be restored, "" if it can.
func notRestorable(b Backup) string {
	switch {
	case b.Locked:
		return "is locked"
	case b.Status == -1:
		return "has expired (status -1)"
	case b.Status == -2:
		return "was deleted (status -2)"
	case !restorable(b):
		return fmt.Sprintf("has status %d, not restorable", b.Status)
	}
	return ""
}

// lookupBackupAt finds the backup of an instance that started at start
// (to the second): a drill's, whose name records its start.
func (s *Service) lookupBackupAt(ctx context.Context, region, instanceID string, start time.Time) (Backup, error) {
	var found *Backup
	err := s.eachBackup(ctx, region, instanceID, start.Add(-time.Minute), start.Add(time.Minute), func(b Backup) bool {
		if b.StartTime.Truncate(time.Second).Equal(start.Truncate(time.Second)) {
			found = &b
		}
		return found == nil
	})
	if err == nil && found == nil {
		err = failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), fmt.Sprintf("no backup of %s started at %s", instanceID, start.Format(time.RFC3339)))
	}
	if err != nil {
		return Backup{}, err
	}
	return *found, nil
}

// lookupBackup finds one backup by ID: around its known start time, or
// else back a year from now, window by window.
func (s *Service) lookupBackup(ctx context.Context, region, instanceID, backupID string, around time.Time) (Backup, error) {
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
		var found *Backup
		err := s.eachBackup(ctx, region, instanceID, win[0], win[1], func(b Backup) bool {
			if b.ID == backupID {
				found = &b
			}
			return found == nil
		})
		if err != nil {
			return Backup{}, err
		}
		if found != nil {
			return *found, nil
		}
	}
	return Backup{}, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), failure.Field("backupId"),
		fmt.Sprintf("backup %s of %s is not listed", backupID, instanceID))
}

// listedAllowed refuses a fleet whose list names an instance outside the
// allow-list (a list is a person's statement, and a wrong one a mistake),
// before any cloud call.
func (s *Service) listedAllowed(req FleetRequest) error {
	for _, id := range req.Instances {
		if !s.Settings.allowed(id) {
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
func (s *Service) fleetMembers(w world, region string, req FleetRequest) ([]string, error) {
	if len(req.Instances) > 0 {
		return sortedIDs(req.Instances), nil
	}
	var ids []string
	for _, in := range w.instances {
		if _, clone := s.madeOf(in); req.names(in.ID) && !clone {
			ids = append(ids, in.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, failure.E(failure.NotFound, failure.Code("FleetEmpty"), failure.Field("instances"),
			fmt.Sprintf("%q matches no allowed instance of %s", req.Pattern, region))
	case len(ids) > MaxFleet:
		return nil, failure.E(failure.Invalid, failure.Code(failure.CodeInvalidRequest), failure.Field("instances"),
			fmt.Sprintf("%q matches %d instances, a fleet has at most %d: narrow it", req.Pattern, len(ids), MaxFleet))
	}
	return sortedIDs(ids), nil
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
func (s *Service) recentBackups(ctx context.Context, region string, before time.Time, want func(string) bool) (map[string]Backup, error) {
	out := map[string]Backup{}
	err := s.eachBackup(ctx, region, "", before.Add(-recentWindow), before, func(b Backup) bool {
		if best, ok := out[b.InstanceID]; want(b.InstanceID) && restorable(b) && b.StartTime.Before(before) &&
			(!ok || b.StartTime.After(best.StartTime) || b.StartTime.Equal(best.StartTime) && b.ID > best.ID) {
			out[b.InstanceID] = b
		}
		return true
	})
	if failure.KindOf(err) == failure.Forbidden {
		return map[string]Backup{}, nil
	}
	return out, err
}

// newestBackups is each member's newest restorable backup before the
// bound: from the recent ones listed region-wide, else by chooseBackup,
// which looks back a year. A member with none is left out of the map.
func (s *Service) newestBackups(ctx context.Context, region string, ids []string, before time.Time, recent map[string]Backup) (map[string]Backup, error) {
	out := map[string]Backup{}
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
	g.SetLimit(sweepConcurrency)
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
