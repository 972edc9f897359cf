// Package observe is the one reader of the cloud that an intent is
// judged on: a region's world for the sweep, the watches, the status and
// a fleet (Observe), and, on a request's fast path, the few reads of its
// own instance that the least function needs (its task list: Tasks; its
// backups: EachBackup, SeeBackups; a safety backup by its signed remark:
// ListedSafety; a clone by its signed name: FindClone; the backup to
// restore: ChooseBackup, LookupBackup). What they mean is judged by
// internal/intent and the callers; nothing else lists tasks, backups or
// instances. Its Cloud has no call that changes anything.
package observe

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

// Cloud is every call the reader makes: lists, none that changes the
// cloud (internal/cloud's client, or the emulator's).
type Cloud interface {
	ListInstances(ctx context.Context, region string, ids ...string) ([]intent.Instance, error)
	// DescribeTasks lists an instance's tasks of every kind (of every
	// instance for "") that started within [begin, end], every page.
	DescribeTasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error)
	DescribeInstanceBackups(ctx context.Context, region, instanceID string, begin, end time.Time, limit, offset int64) (intent.BackupPage, error)
}

// Reader reads the cloud for the restore and for what follows it, with
// the invocation's settings, clock and retry loop.
type Reader struct {
	Cloud Cloud
	// Seal and ApprovalTTL tell the function's own safety backups and
	// clones (intent.ParseSafety, intent.MadeOf).
	Seal        *intent.Seal
	ApprovalTTL time.Duration
	// Allowed is RESTORE_ALLOWED_INSTANCES; AllowedIDs, its IDs where it
	// names them (read one by one where CAM refuses a region's list).
	Allowed    func(instanceID string) bool
	AllowedIDs []string
	Now        func() time.Time
	// Retry runs one read in the restore's retry loop (its pauses, by
	// error kind).
	Retry func(ctx context.Context, read func() error) error
}

// Concurrency bounds how many instances are read (or swept) at once:
// each is a few calls against limits of 20 a second.
const Concurrency = 4

// Tasks lists an instance's tasks (of every instance for "") that
// started within [begin, end].
func (r *Reader) Tasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error) {
	return read(ctx, r, func() ([]intent.Task, error) { return r.Cloud.DescribeTasks(ctx, region, instanceID, begin, end) })
}

// Add reads one instance's tasks and safety backups into w, which left it
// out: a fleet's member that left the allow-list since (its lists were not
// read where CAM refuses the region-wide ones). Not the instance: out of
// sight, it is judged by its own task, whatever its status since.
func (r *Reader) Add(ctx context.Context, w *intent.World, region, instanceID string, from, to time.Time) error {
	tasks, err := r.Tasks(ctx, region, instanceID, from, to)
	if err != nil {
		return err
	}
	safety, err := r.safetyBackups(ctx, region, instanceID, from, to)
	if err != nil {
		return err
	}
	w.Tasks[instanceID], w.Safety[instanceID] = tasks, safety
	return nil
}

// Instances lists the instances of a region (those named, where ids are
// given).
func (r *Reader) Instances(ctx context.Context, region string, ids ...string) ([]intent.Instance, error) {
	return read(ctx, r, func() ([]intent.Instance, error) { return r.Cloud.ListInstances(ctx, region, ids...) })
}

// read runs f in the reader's retry loop.
func read[T any](ctx context.Context, r *Reader, f func() (T, error)) (T, error) {
	var v T
	err := r.Retry(ctx, func() (err error) {
		v, err = f()
		return err
	})
	return v, err
}

// Observe reads the world of a region: of every allowed instance, or of
// the one named. Each list is read region-wide where CAM allows it, and
// falls back to one read per instance where a role granted only the
// allowed instances is refused a list without an InstanceId; clones,
// which have IDs of their own, are then not seen. An intent's own watch
// (intentOnly) reads its instance by ID from the start: it needs no
// clone, and a fleet's thousand watches must not each list the region.
func (r *Reader) Observe(ctx context.Context, region, only string, from, to time.Time, log *slog.Logger) (intent.World, error) {
	return r.ObserveAs(ctx, region, only, false, from, to, log)
}

// ObserveAs is Observe, for an intent's own watch where intentOnly.
func (r *Reader) ObserveAs(ctx context.Context, region, only string, intentOnly bool, from, to time.Time, log *slog.Logger) (intent.World, error) {
	w := intent.World{Tasks: map[string][]intent.Task{}, Safety: map[string][]intent.SafetyBackup{}}
	ids := r.AllowedIDs
	if only != "" {
		ids = []string{only}
	}
	byID := func() ([]intent.Instance, error) { return r.Cloud.ListInstances(ctx, region, ids...) }
	var all []intent.Instance
	var err error
	if intentOnly {
		all, err = read(ctx, r, byID)
	} else {
		all, err = read(ctx, r, func() ([]intent.Instance, error) { return r.Cloud.ListInstances(ctx, region) })
		if failure.KindOf(err) == failure.Forbidden && len(ids) > 0 {
			log.Info("observe.byInstanceID", "detail", "the region's instance list is refused: reading the instances by ID", "error", err.Error())
			all, err = read(ctx, r, byID)
		}
	}
	if err != nil {
		return w, err
	}
	for _, in := range all {
		// A drill's clone is followed, and released, even once its source
		// has left the allow-list: it is the function's, and billed.
		if m, ok := intent.MadeOf(r.Seal, r.ApprovalTTL, in); ok && (m.Kind == intent.ModeDrill || r.Allowed(m.Source)) && (only == "" || m.Source == only) {
			w.Clones = append(w.Clones, in)
		}
		if r.Allowed(in.ID) && (only == "" || in.ID == only) {
			w.Instances = append(w.Instances, in)
		}
	}
	var mu sync.Mutex
	read := func(id string) error {
		tasks, err := r.Tasks(ctx, region, id, from, to)
		if err != nil {
			return err
		}
		safety, err := r.safetyBackups(ctx, region, id, from, to)
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
		w.Clones = r.ordered(w)
		return w, err
	}
	err = read("")
	if failure.KindOf(err) != failure.Forbidden {
		w.Clones = r.ordered(w)
		return w, err
	}
	log.Info("observe.perInstance", "detail", "the task or backup list of the whole region is refused: reading each instance's", "error", err.Error())
	w.Tasks, w.Safety = map[string][]intent.Task{}, map[string][]intent.SafetyBackup{}
	var g errgroup.Group
	g.SetLimit(Concurrency)
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
	w.Clones = r.ordered(w)
	return w, err
}

// ordered keeps the clones of the world that its sources' task lists show
// ordered: a drill's or a switch's clone only where a clone task of its
// source started within a minute of its creation. An instance created
// otherwise and named like one (a rename) is never released or switched.
func (r *Reader) ordered(w intent.World) []intent.Instance {
	var out []intent.Instance
	for _, c := range w.Clones {
		if m, _ := intent.MadeOf(r.Seal, r.ApprovalTTL, c); m.Kind == intent.ModeClone || intent.CloneTaskAt(w.Tasks[m.Source], c.Created) {
			out = append(out, c)
		}
	}
	return out
}

// ListedSafety is the newest of the listed backups that started since the
// given time, carries the function's signed remark and restores what the
// intent restores (OwnSafety).
func (r *Reader) ListedSafety(instanceID string, list []intent.Backup, since time.Time, restores string) (intent.SafetyBackup, bool) {
	return intent.OwnSafety(r.SignedOnly(instanceID, list), since, restores)
}

// safetyBackups lists the safety backups of an instance (of every
// instance for "") that started within [begin, end].
func (r *Reader) safetyBackups(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.SafetyBackup, error) {
	var list []intent.Backup
	err := r.EachBackup(ctx, region, instanceID, begin, end, func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	return r.SignedOnly(instanceID, list), err
}

// SignedOnly is the listed backups that carry the function's signed
// safety remark, as safety backups.
//
// One sealed remark is one safety backup: the first listed with it. The
// remark names no backup, so anyone who may take a manual backup can copy
// a remark they read (an intent that failed or expired, to revive it);
// a later backup with the same remark is a copy, never the intent's.
func (r *Reader) SignedOnly(instanceID string, list []intent.Backup) []intent.SafetyBackup {
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
		if sb, ok := intent.ParseSafety(r.Seal, instanceID, b); ok {
			out = append(out, sb)
		}
	}
	return out
}

func (r *Reader) FindClone(ctx context.Context, lr Cloud, region, name string) ([]string, error) {
	list, err := read(ctx, r, func() ([]intent.Instance, error) { return lr.ListInstances(ctx, region) })
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

// ChooseBackup finds the newest restorable backup of an instance that
// started before the bound. It reads every page of every window it needs,
// newest window first, and sorts nothing on the API's order.
// Where the job's step already read the instance's backups over a window
// that reaches past the bound (seen, lifeFound's), that reading is the
// first window.
func (r *Reader) ChooseBackup(ctx context.Context, region, instanceID string, before time.Time, seen *BackupSighting) (intent.Backup, error) {
	end := before
	for w := 0; w < maxBackupWindows; w++ {
		begin := end.Add(-backupWindow)
		each := func(f func(intent.Backup) bool) error { return r.EachBackup(ctx, region, instanceID, begin, end, f) }
		if w == 0 && seen.covers(before) {
			begin, each = seen.Begin, seen.each
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

// BackupSighting is one step's reading of its instance's backups over the
// last 30 days: an earlier delivery's safety backup and the backup
// "latest" chooses are both looked for in it, one read where the least
// function needs one.
type BackupSighting struct {
	Begin, End time.Time
	List       []intent.Backup
	Read       bool
}

// SeeBackups reads the instance's backups of the 30 days before a minute from now.
func (r *Reader) SeeBackups(ctx context.Context, o *BackupSighting, region, instanceID string) error {
	end := r.Now().Add(time.Minute).Truncate(time.Second)
	begin := end.Add(-backupWindow)
	var list []intent.Backup
	err := r.EachBackup(ctx, region, instanceID, begin, end, func(b intent.Backup) bool {
		list = append(list, b)
		return true
	})
	if err == nil {
		o.Begin, o.End, o.List, o.Read = begin, end, list, true
	}
	return err
}

// covers reports whether the reading holds every backup that started in
// the window before t back to its begin.
func (o *BackupSighting) covers(t time.Time) bool {
	return o != nil && o.Read && !o.End.Before(t) && o.Begin.Before(t)
}

func (o *BackupSighting) each(f func(intent.Backup) bool) error {
	for _, b := range o.List {
		if !f(b) {
			return nil
		}
	}
	return nil
}

// EachBackup calls f with every backup of an instance (of every instance
// for "") that started within [begin, end], at most 30 days apart, page
// by page, until f returns false.
func (r *Reader) EachBackup(ctx context.Context, region, instanceID string, begin, end time.Time, f func(intent.Backup) bool) error {
	for offset := int64(0); ; offset += backupPageSize {
		page, err := read(ctx, r, func() (intent.BackupPage, error) {
			return r.Cloud.DescribeInstanceBackups(ctx, region, instanceID, begin, end, backupPageSize, offset)
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
func (r *Reader) LookupBackupAt(ctx context.Context, region, instanceID string, start time.Time) (intent.Backup, error) {
	var found *intent.Backup
	err := r.EachBackup(ctx, region, instanceID, start.Add(-time.Minute), start.Add(time.Minute), func(b intent.Backup) bool {
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
func (r *Reader) LookupBackup(ctx context.Context, region, instanceID, backupID string, around time.Time) (intent.Backup, error) {
	windows := [][2]time.Time{}
	if !around.IsZero() {
		windows = append(windows, [2]time.Time{around.Add(-time.Minute), around.Add(time.Minute)})
	} else {
		end := r.Now().Add(time.Minute)
		for w := 0; w < maxBackupWindows; w++ {
			windows = append(windows, [2]time.Time{end.Add(-backupWindow), end})
			end = end.Add(-backupWindow)
		}
	}
	for _, win := range windows {
		var found *intent.Backup
		err := r.EachBackup(ctx, region, instanceID, win[0], win[1], func(b intent.Backup) bool {
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

// FleetMembers are the instances a fleet names, sorted: its list; or the
// allowed instances of the observed region (listed region-wide, or from
// the allow-list's IDs where CAM refuses that) whose IDs match its
// pattern, the function's own clones left out.
func (r *Reader) FleetMembers(w intent.World, region string, req intent.FleetRequest) ([]string, error) {
	if len(req.Instances) > 0 {
		return intent.SortedIDs(req.Instances), nil
	}
	var ids []string
	for _, in := range w.Instances {
		if _, clone := intent.MadeOf(r.Seal, r.ApprovalTTL, in); req.Names(in.ID) && !clone {
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
// alone (NewestBackups).
const recentWindow = 24 * time.Hour

// RecentBackups lists, region-wide, the newest restorable backup that
// started in the day before the bound of each instance wanted. Where CAM
// refuses the region-wide list, it returns none, and every member is
// looked up alone.
func (r *Reader) RecentBackups(ctx context.Context, region string, before time.Time, want func(string) bool) (map[string]intent.Backup, error) {
	out := map[string]intent.Backup{}
	err := r.EachBackup(ctx, region, "", before.Add(-recentWindow), before, func(b intent.Backup) bool {
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

// NewestBackups is each member's newest restorable backup before the
// bound: from the recent ones listed region-wide, else by ChooseBackup,
// which looks back a year. A member with none is left out of the map.
func (r *Reader) NewestBackups(ctx context.Context, region string, ids []string, before time.Time, recent map[string]intent.Backup) (map[string]intent.Backup, error) {
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
	g.SetLimit(Concurrency)
	for _, id := range alone {
		g.Go(func() error {
			b, err := r.ChooseBackup(ctx, region, id, before, nil)
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
