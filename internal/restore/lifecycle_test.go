package restore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestSafetyRemarkNamesTheRestoreAndIsReadBack(t *testing.T) {
	r := safetyRemark("678362566696298532848117", "timer")
	b, ok := parseSafety(Backup{ID: "165706343-5832225-1", Remark: r, Status: 2, InstanceID: "crs-5a4py64p"})
	if !ok || b.Restores != "678362566696298532848117" || b.Trigger != "timer" || b.InstanceID != "crs-5a4py64p" || !b.Done() {
		t.Fatalf("%q read back as %+v", r, b)
	}
	if _, ok := parseSafety(Backup{Remark: "manual, in progress"}); ok {
		t.Error("someone else's manual backup taken for a safety backup")
	}
	if restorable(Backup{Status: 2, Remark: r}) {
		t.Error(`"latest" may choose a safety backup`)
	}
}

func TestSweepWindowCoversThreePeriodsAndKnowsTheLastLook(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := sweepWindow{at: at, from: at.Add(-3 * time.Minute)}
	w.lastFrom = w.from.Add(time.Minute)
	for _, c := range []struct {
		end      time.Time
		in, last bool
	}{
		{at.Add(-time.Second), true, false},
		{at, false, false}, // the next sweep's
		{at.Add(-3 * time.Minute), true, true},
		{at.Add(-2*time.Minute - time.Second), true, true},
		{at.Add(-2 * time.Minute), true, false},
		{at.Add(-3*time.Minute - time.Second), false, false},
		{time.Time{}, false, false}, // still running
	} {
		if w.in(c.end) != c.in || w.last(c.end) != c.last {
			t.Errorf("end %s: in %v last %v, want %v %v", c.end, w.in(c.end), w.last(c.end), c.in, c.last)
		}
	}
}

func TestCloneNameIsTheSameForEveryDeliveryOfARequest(t *testing.T) {
	job := Job{Request: Request{InstanceID: "crs-5a4py64p", BackupID: "b1"}, Key: "timer:t:2026-12-01T03:00:00Z:0"}
	a, b := cloneName(job, "b1"), cloneName(job, "other")
	if a != b || !strings.HasPrefix(a, "crs-5a4py64p-clone-") {
		t.Fatalf("%q %q", a, b)
	}
	job.Key = "timer:t:2026-12-02T03:00:00Z:0"
	if cloneName(job, "b1") == a {
		t.Error("two events share a clone name")
	}
	if src, ok := cloneSource(a); !ok || src != "crs-5a4py64p" {
		t.Errorf("source of %q: %q %v", a, src, ok)
	}
}

func TestLifeNeverCarriesAPassword(t *testing.T) {
	l := &Life{Phase: PhaseSafetyBackup, UndoBackupID: "x", Undo: UndoRequest("crs-5a4py64p", "x")}
	b, _ := json.Marshal(Result{Status: Accepted, Life: l})
	if strings.Contains(strings.ToLower(string(b)), "password") {
		t.Fatalf("%s", b)
	}
}
