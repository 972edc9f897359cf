package intent

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/seal"
)

// Every stage of a safety-backed intent, and of a restore and a clone,
// judged from observations alone.
func TestJudgeEveryStage(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	const deadline = 5 * time.Minute
	backup := func(status int64, endedAgo time.Duration) SafetyBackup {
		b := SafetyBackup{ID: "b", Status: status, StartTime: now.Add(-endedAgo - time.Minute)}
		if status == 2 || status == 4 {
			b.EndTime = now.Add(-endedAgo)
		}
		return b
	}
	for name, c := range map[string]struct {
		b        SafetyBackup
		restored RestoreSeen
		want     SafetyStage
		phase    Phase
	}{
		"running":                              {backup(1, 0), NotRestored, SafetyRunning, PhaseSafetyBackup},
		"done, within the deadline":            {backup(2, time.Minute), NotRestored, SafetyReady, PhaseSafetyBackup},
		"RDB done counts as done":              {backup(4, time.Minute), NotRestored, SafetyReady, PhaseSafetyBackup},
		"done, at the deadline":                {backup(2, deadline), NotRestored, SafetyReady, PhaseSafetyBackup},
		"done, past the deadline's grace":      {backup(2, deadline+ExpireGrace), NotRestored, SafetyExpired, PhaseExpired},
		"done long ago":                        {backup(2, 3*time.Hour), NotRestored, SafetyExpired, PhaseExpired},
		"removed":                              {backup(-2, 0), NotRestored, SafetyFailed, PhaseFailed},
		"expired backup":                       {backup(-1, 0), NotRestored, SafetyFailed, PhaseFailed},
		"done, expired, removed since":         {SafetyBackup{ID: "b", Status: -1, StartTime: now.Add(-time.Hour), EndTime: now.Add(-50 * time.Minute)}, NotRestored, SafetyExpired, PhaseExpired},
		"done, removed before the deadline":    {SafetyBackup{ID: "b", Status: -1, StartTime: now.Add(-2 * time.Minute), EndTime: now.Add(-time.Minute)}, NotRestored, SafetyExpired, PhaseExpired},
		"continued by a restore":               {backup(2, time.Minute), RestoredOwn, SafetyRestored, PhaseRestoring},
		"continued, even after the deadline":   {backup(2, time.Hour), RestoredOwn, SafetyRestored, PhaseRestoring},
		"failed, then someone's restore":       {backup(-2, 0), RestoredOther, SafetyFailed, PhaseFailed},
		"done, then another's restore":         {backup(2, time.Minute), RestoredOther, SafetySuperseded, PhaseFailed},
		"another's restore after the deadline": {backup(2, time.Hour), RestoredOther, SafetySuperseded, PhaseFailed},
		"done, removed, then restored":         {SafetyBackup{ID: "b", Status: -1, StartTime: now.Add(-2 * time.Minute), EndTime: now.Add(-time.Minute)}, RestoredOwn, SafetyRestored, PhaseRestoring},
	} {
		got := JudgeSafety(c.b, c.restored, now, deadline)
		if got != c.want || got.Phase() != c.phase {
			t.Errorf("%s: stage %d (%s), want %d (%s)", name, got, got.Phase(), c.want, c.phase)
		}
	}
	for name, c := range map[string]struct {
		status  string
		running bool
		want    Phase
	}{
		"preparing":                          {"preparing", false, PhaseRestoring},
		"running":                            {"running", false, PhaseRestoring},
		"succeeded, the instance runs":       {"succeed", true, PhaseSucceeded},
		"succeeded, the instance not yet up": {"succeed", false, PhaseRestoring},
		"failed":                             {"failed", true, PhaseFailed},
		"error":                              {"error", false, PhaseFailed},
	} {
		if got := RestorePhase(TaskInfo{Status: c.status}, c.running); got != c.want {
			t.Errorf("restore %s: %s, want %s", name, got, c.want)
		}
	}
	for status, want := range map[int64]Phase{2: PhaseSucceeded, 0: PhaseCloning, 1: PhaseCloning, -2: PhaseFailed, -3: PhaseFailed} {
		if got := ClonePhase(Instance{Status: status}); got != want {
			t.Errorf("clone with status %d: %s, want %s", status, got, want)
		}
	}
}

// The status's judgement, from an observed world alone: the newest of an
// instance's restore, waiting safety backup and clone (never a drill),
// the restore task asked about, and a safety backup asked by its task.
func TestJudgeStateFromTheWorld(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	const id = "crs-5a4py64p"
	restoreOld := Task{ID: 10, Kind: RestoreTask, InstanceID: id, StartTime: at(-50), EndTime: at(-45)}
	restoreNew := Task{ID: 11, Kind: RestoreTask, InstanceID: id, StartTime: at(-20)}
	safetyTask := Task{ID: 12, Kind: ManualBackupTask, InstanceID: id, StartTime: at(-30), EndTime: at(-29)}
	safety := SafetyBackup{ID: "undo-1", Restores: "b-1", StartTime: at(-30), EndTime: at(-29), Status: 2, InstanceID: id}
	waiting := SafetyBackup{ID: "undo-2", Restores: "b-2", StartTime: at(-5), Status: 1, InstanceID: id}
	clone := Instance{ID: "crs-clone001", Name: CloneName(testSeal, Request{InstanceID: id, BackupID: "b-3"}), Status: 0}
	drill := Instance{ID: "crs-drill001", Name: DrillName(testSeal, id, at(-1), at(-600)), Status: 2}
	// The function marked restore 11 as its restore of b-1 after undo-1
	// (provenance.go); an instance without the mark holds someone's.
	inst := Instance{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, 11, "b-1", "undo-1")}}
	mk := func(tasks []Task, safety []SafetyBackup, clones ...Instance) World {
		return World{Instances: []Instance{inst}, Clones: clones, Tasks: map[string][]Task{id: tasks}, Safety: map[string][]SafetyBackup{id: safety}}
	}
	unmarked := mk([]Task{restoreOld, safetyTask, restoreNew}, []SafetyBackup{safety})
	unmarked.Instances = []Instance{{ID: id, Status: 2, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, 11, "b-9", "undo-1")}}}
	for name, c := range map[string]struct {
		w                 World
		asked             int64
		task              int64  // the restore task that decides, 0: none
		undo, newInstance string // the safety backup that decides or is the undo; the clone
	}{
		"the newest restore, with its undo": {w: mk([]Task{restoreOld, safetyTask, restoreNew}, []SafetyBackup{safety}), task: 11, undo: "undo-1"},
		"someone's restore after it":        {w: unmarked, task: 11},
		"a safety backup waiting":           {w: mk([]Task{restoreOld, safetyTask, restoreNew}, []SafetyBackup{safety, waiting}), undo: "undo-2"},
		"the restore task asked":            {w: mk([]Task{restoreOld, restoreNew}, nil), asked: 10, task: 10},
		"the safety backup's task asked":    {w: mk([]Task{safetyTask}, []SafetyBackup{safety}), asked: 12, undo: "undo-1"},
		"a clone":                           {w: mk(nil, nil, drill, clone), newInstance: "crs-clone001"},
		"a drill is no restore":             {w: mk(nil, nil, drill)},
	} {
		var asked *TaskInfo
		if c.asked != 0 {
			asked = &TaskInfo{ID: c.asked}
		}
		st, task, undo := JudgeState(c.w, id, asked, now, testSeal)
		gotTask, gotUndo, gotClone := int64(0), "", ""
		if task != nil {
			gotTask = task.ID
		}
		if undo != nil {
			gotUndo = undo.ID
		}
		if len(st.NewInstanceIDs) > 0 {
			gotClone = st.NewInstanceIDs[0]
		}
		if gotTask != c.task || gotUndo != c.undo || gotClone != c.newInstance || st.InstanceStatus != 2 {
			t.Errorf("%s: task %d undo %q clone %q (state %+v), want %d %q %q", name, gotTask, gotUndo, gotClone, st, c.task, c.undo, c.newInstance)
		}
	}
}

// A switch clone's name says its source and the state it holds, with the
// function's MAC: anyone else's look-alike, or another key's, is not the
// function's; and the clone's switches are read in order.
func TestSwitchNamesAndSwitches(t *testing.T) {
	at := time.Date(2026, 11, 28, 19, 0, 0, 0, time.UTC)
	ordered := at.Add(48 * time.Hour)
	name := SwitchName(testSeal, "crs-5a4py64p", at, ordered)
	if src, got, o, ok := SwitchOf(testSeal, name); !ok || src != "crs-5a4py64p" || !got.Equal(at) || !o.Equal(ordered) {
		t.Fatalf("%s: %s %s %s %v", name, src, got, o, ok)
	}
	if src, ok := CloneSource(testSeal, name); !ok || src != "crs-5a4py64p" {
		t.Errorf("a switch clone is not followed as a clone: %s %v", src, ok)
	}
	for _, forged := range []string{
		strings.Replace(name, "crs-5a4py64p", "crs-1amp2588", 1),
		name[:len(name)-1] + "0",
		SwitchName(seal.New("someone-elses-key-of-thirty-two-chars"), "crs-5a4py64p", at, ordered),
		strings.Replace(name, SwitchMarker, DrillMarker, 1),
	} {
		if _, _, _, ok := SwitchOf(testSeal, forged); ok {
			t.Errorf("forged %s taken for the function's", forged)
		}
	}
	tasks := []Task{{ID: 3, Kind: SwitchTask, StartTime: at.Add(2 * time.Hour)}, {ID: 1, Kind: CloneTask, StartTime: at}, {ID: 2, Kind: SwitchTask, StartTime: at.Add(time.Hour)}}
	if sw := SwitchesOf(tasks); len(sw) != 2 || sw[0].ID != 2 || sw[1].ID != 3 {
		t.Errorf("switches %+v", sw)
	}
	for _, bad := range []Request{
		{InstanceID: "crs-5a4py64p", BackupID: "latest", RequestLife: RequestLife{Mode: ModeUnswitch}},
		{InstanceID: "crs-5a4py64p", Password: "p", RequestLife: RequestLife{Mode: ModeUnswitch}},
		{InstanceID: "nope", RequestLife: RequestLife{Mode: ModeUnswitch}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	ok := Request{InstanceID: "crs-5a4py64p", RequestLife: RequestLife{Mode: ModeUnswitch}}
	if err := ok.Validate(); err != nil {
		t.Errorf("unswitch: %v", err)
	}
}

// The mark proves a restore task the function's restore of one backup
// after one undo point, under its own key only; it keeps the newest
// MarkKeep restores.
func TestMarkProvesOnlyTheFunctionsOwnRestore(t *testing.T) {
	const id = "crs-5a4py64p"
	in := Instance{ID: id, Tags: map[string]string{}}
	for task := int64(1); task <= MarkKeep+2; task++ {
		in.Tags[MarkKey] = WithMark(in.Tags[MarkKey], MarkEntry(testSeal, id, task, "b-1", "undo-1"))
	}
	if len(in.Tags[MarkKey]) > 255 {
		t.Fatalf("mark of %d characters, more than a tag value holds", len(in.Tags[MarkKey]))
	}
	other := seal.New("another-key-of-at-least-32-characters!")
	for name, c := range map[string]struct {
		seal         *Seal
		in           Instance
		task         int64
		backup, undo string
		want         bool
	}{
		"the newest":                 {testSeal, in, MarkKeep + 2, "b-1", "undo-1", true},
		"the oldest kept":            {testSeal, in, 3, "b-1", "undo-1", true},
		"one no longer kept":         {testSeal, in, 2, "b-1", "undo-1", false},
		"another backup":             {testSeal, in, MarkKeep + 2, "b-2", "undo-1", false},
		"another undo point":         {testSeal, in, MarkKeep + 2, "b-1", "undo-2", false},
		"another key":                {other, in, MarkKeep + 2, "b-1", "undo-1", false},
		"on another instance":        {testSeal, Instance{ID: "crs-other", Tags: in.Tags}, MarkKeep + 2, "b-1", "undo-1", false},
		"no mark":                    {testSeal, Instance{ID: id}, MarkKeep + 2, "b-1", "undo-1", false},
		"a look-alike without a MAC": {testSeal, Instance{ID: id, Tags: map[string]string{MarkKey: "8.x 8."}}, 8, "b-1", "undo-1", false},
	} {
		if got := Marked(c.seal, c.in, c.task, c.backup, c.undo); got != c.want {
			t.Errorf("%s: marked %v, want %v", name, got, c.want)
		}
	}
}

// A failed safety backup's entry tells its own intent (its event's key)
// from another only where the entry verifies; a forged entry, one under
// another key and a restore's entry are no entry; an event without a key
// cannot tell (ours: held back); the entry sits beside the restores'.
func TestFailedSafetyBackupsMarkProvesWhoseItIs(t *testing.T) {
	const id = "crs-5a4py64p"
	const key = "timer:nightly:2026-12-06T10:00:00Z:0"
	in := Instance{ID: id, Tags: map[string]string{MarkKey: MarkEntry(testSeal, id, 5, "b-1", "undo-1")}}
	in.Tags[MarkKey] = WithMark(in.Tags[MarkKey], FailedEntry(testSeal, id, 7, key))
	forged := Instance{ID: id, Tags: map[string]string{MarkKey: "7.0000000000000000 7.000000000000000000000000"}}
	other := seal.New("another-key-of-at-least-32-characters!")
	for name, c := range map[string]struct {
		seal        *Seal
		in          Instance
		task        int64
		key         string
		found, ours bool
	}{
		"its own event":                   {testSeal, in, 7, key, true, true},
		"another event":                   {testSeal, in, 7, "alarm:crs-5a4py64p:policy-1:20261206T095958Z:0", true, false},
		"an event without a key":          {testSeal, in, 7, "", true, true},
		"a task without an entry":         {testSeal, in, 8, key, false, false},
		"a restore's entry is not a fail": {testSeal, in, 5, "other", false, false},
		"another instance's tag":          {testSeal, Instance{ID: "crs-other", Tags: in.Tags}, 7, "other", false, false},
		"forged entries":                  {testSeal, forged, 7, "other", false, false},
		"under another key":               {other, in, 7, "other", false, false},
		"no mark":                         {testSeal, Instance{ID: id}, 7, key, false, false},
	} {
		found, ours := FailedMark(c.seal, c.in, c.task, c.key)
		if found != c.found || ours != c.ours {
			t.Errorf("%s: found %v ours %v, want %v %v", name, found, ours, c.found, c.ours)
		}
	}
	if !Marked(testSeal, in, 5, "b-1", "undo-1") {
		t.Error("the restore's entry was lost beside the failed backup's")
	}
	// Six entries of the longest task IDs still fit a tag value.
	long := ""
	for task := int64(1e18); task < 1e18+MarkKeep+2; task++ {
		long = WithMark(long, FailedEntry(testSeal, id, task, key))
	}
	if len(long) > TagValueMax || !strings.HasPrefix(long, fmt.Sprint(int64(1e18)+MarkKeep+1)+".") {
		t.Fatalf("mark of %d characters (at most %d), newest first: %q", len(long), TagValueMax, long)
	}
}

// The first restore since an intent's event is the intent's own (marked,
// or not proven anyone's: its end all the same), or provably another's:
// started before the intent's backup was done, or marked another
// intent's.
func TestFirstRestoreSinceTheEventIsJudgedWhose(t *testing.T) {
	const id = "crs-5a4py64p"
	event := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	mine := SafetyBackup{ID: "undo-b", Restores: "b-1", Since: event, StartTime: event.Add(10 * time.Second), EndTime: event.Add(20 * time.Second), Status: 2}
	theirs := SafetyBackup{ID: "undo-a", Restores: "b-2", Since: event.Add(-time.Minute), StartTime: event.Add(-50 * time.Second), EndTime: event.Add(15 * time.Second), Status: 2}
	restoreAt := func(id int64, at time.Duration) Task {
		return Task{ID: id, Kind: RestoreTask, StartTime: event.Add(at)}
	}
	in := func(entries ...string) Instance {
		return Instance{ID: id, Tags: map[string]string{MarkKey: strings.Join(entries, " ")}}
	}
	same := SafetyBackup{ID: "undo-c", Restores: "b-1", Since: event.Add(-time.Minute), StartTime: event.Add(-50 * time.Second), EndTime: event.Add(15 * time.Second), Status: 2}
	safety := []SafetyBackup{mine, theirs, same}
	for name, c := range map[string]struct {
		in    Instance
		tasks []Task
		b     SafetyBackup
		want  RestoreSeen
	}{
		"none since the event":                   {in(), []Task{restoreAt(1, -time.Second)}, mine, NotRestored},
		"marked its own":                         {in(MarkEntry(testSeal, id, 2, "b-1", "undo-b")), []Task{restoreAt(2, 30*time.Second)}, mine, RestoredOwn},
		"unmarked, after its backup was done":    {in(), []Task{restoreAt(2, 30*time.Second)}, mine, RestoredOwn},
		"between its event and its backup":       {in(), []Task{restoreAt(2, 5*time.Second)}, mine, RestoredOther},
		"while its backup ran":                   {in(), []Task{restoreAt(2, 12*time.Second)}, mine, RestoredOther},
		"marked another intent's":                {in(MarkEntry(testSeal, id, 2, "b-2", "undo-a")), []Task{restoreAt(2, 30*time.Second)}, mine, RestoredOther},
		"the other intent's, marked its own":     {in(MarkEntry(testSeal, id, 2, "b-2", "undo-a")), []Task{restoreAt(2, 30*time.Second)}, theirs, RestoredOwn},
		"another intent's of the same backup":    {in(MarkEntry(testSeal, id, 2, "b-1", "undo-c")), []Task{restoreAt(2, 30*time.Second)}, mine, RestoredOwn},
		"its backup still running":               {in(), []Task{restoreAt(2, 30*time.Second)}, SafetyBackup{ID: "undo-b", Since: event, StartTime: event.Add(10 * time.Second), Status: 1}, RestoredOther},
		"an earlier version's remark: its start": {in(), []Task{restoreAt(2, 5*time.Second)}, SafetyBackup{ID: "undo-b", StartTime: event.Add(10 * time.Second), EndTime: event.Add(20 * time.Second), Status: 2}, NotRestored},
	} {
		if _, got := FirstRestore(testSeal, c.in, c.tasks, c.b, safety); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
}
