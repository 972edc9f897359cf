package intent

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/seal"
)

func TestSafetyRemarkNamesTheRestoreAndIsReadBack(t *testing.T) {
	since := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	r := SafetyRemark(testSeal, "crs-5a4py64p", "678362566696298532848117", "timer", since.Add(400*time.Millisecond), since.Add(time.Minute))
	b, ok := ParseSafety(testSeal, "", Backup{ID: "165706343-5832225-1", Remark: r, Status: 2, InstanceID: "crs-5a4py64p", StartTime: since.Add(time.Minute)})
	if !ok || b.Restores != "678362566696298532848117" || b.Trigger != "timer" || b.InstanceID != "crs-5a4py64p" || !b.Done() || !b.EventAt().Equal(since) {
		t.Fatalf("%q read back as %+v", r, b)
	}
	// An old event (an alarm firing for two days) is no copy: the remark
	// was made when its backup was taken.
	long := SafetyRemark(testSeal, "crs-5a4py64p", "678362566696298532848117", "direct+alarm", since.Add(-48*time.Hour), since)
	if _, ok := ParseSafety(testSeal, "crs-5a4py64p", Backup{ID: "y", Remark: long, Status: 2, StartTime: since.Add(2 * time.Second)}); !ok {
		t.Fatalf("the safety backup of a two-day-old event not read: %q", long)
	}
	// A backup carrying a remark made more than CopyAfter before it
	// started is a copy.
	if _, ok := ParseSafety(testSeal, "crs-5a4py64p", Backup{ID: "z", Remark: long, Status: 2, StartTime: since.Add(CopyAfter + time.Second)}); ok {
		t.Fatal("a backup started long after its remark was made is taken for the intent's")
	}
	// A remark of an earlier version (no since) still reads: its start
	// stands for the event's time.
	old := SafetyRemarkPrefix + "678362566696298532848117; timer; " + testSeal.Sum("safety", "crs-5a4py64p", "678362566696298532848117", "timer")
	if b, ok := ParseSafety(testSeal, "crs-5a4py64p", Backup{ID: "x", Remark: old, Status: 2, StartTime: since}); !ok || !b.EventAt().Equal(since) {
		t.Fatalf("an earlier version's remark %q read back as %+v %v", old, b, ok)
	}
	if _, ok := ParseSafety(testSeal, "", Backup{Remark: "manual, in progress"}); ok {
		t.Error("someone else's manual backup taken for a safety backup")
	}
	if Restorable(Backup{Status: 2, Remark: r}) {
		t.Error(`"latest" may choose a safety backup`)
	}
}

// Provenance, not resemblance: a remark that reads like a safety backup's
// but was not made by the function (by hand, for another instance or
// backup, with another key, or with no key at all) is never one.
func TestLookalikeSafetyRemarksAreNotTheFunctions(t *testing.T) {
	own := SafetyRemark(testSeal, "crs-5a4py64p", "678362566696298532848117", "timer", time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC), time.Date(2026, 12, 6, 10, 0, 1, 0, time.UTC))
	other := seal.New("someone-elses-key-of-thirty-two-chars")
	for name, c := range map[string]struct {
		remark, instance string
		seal             *Seal
	}{
		"written by hand":            {"redis-restore undo point; restores 678362566696298532848117; console", "crs-5a4py64p", testSeal},
		"by hand with a fake mac":    {"redis-restore undo point; restores 678362566696298532848117; timer; AAAAAAAAAAAAAAAA", "crs-5a4py64p", testSeal},
		"copied to another instance": {own, "crs-other001", testSeal},
		"another backup named":       {strings.Replace(own, "678362566696298532848117", "678362566696298532848116", 1), "crs-5a4py64p", testSeal},
		"another event time":         {strings.Replace(own, "since 2026-12-06T10:00:00Z", "since 2026-12-06T09:00:00Z", 1), "crs-5a4py64p", testSeal},
		"another key":                {own, "crs-5a4py64p", other},
		"no key":                     {own, "crs-5a4py64p", nil},
	} {
		if b, ok := ParseSafety(c.seal, c.instance, Backup{ID: "x", Remark: c.remark, Status: 2}); ok {
			t.Errorf("%s: taken for the function's safety backup: %+v", name, b)
		}
		if Restorable(Backup{Status: 2, Remark: c.remark}) && strings.HasPrefix(c.remark, SafetyRemarkPrefix) {
			t.Errorf("%s: \"latest\" may choose it", name)
		}
	}
}

func TestSweepWindowCoversThreePeriodsAndKnowsTheLastLook(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := Window{At: at, From: at.Add(-3 * time.Minute)}
	w.LastFrom = w.From.Add(time.Minute)
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
		if w.In(c.end) != c.in || w.Last(c.end) != c.last {
			t.Errorf("end %s: in %v last %v, want %v %v", c.end, w.In(c.end), w.Last(c.end), c.in, c.last)
		}
	}
}

func TestCloneNameIsTheSameForEveryDeliveryOfARequest(t *testing.T) {
	req := Request{InstanceID: "crs-5a4py64p", BackupID: "b1", RequestLife: RequestLife{Mode: ModeClone}}
	a := CloneName(testSeal, req)
	if a != CloneName(testSeal, req) || !strings.HasPrefix(a, "crs-5a4py64p-clone-") {
		t.Fatalf("%q", a)
	}
	other := req
	other.BackupID = "b2"
	if CloneName(testSeal, other) == a {
		t.Error("clones of two backups share a name")
	}
	if src, ok := CloneSource(testSeal, a); !ok || src != "crs-5a4py64p" {
		t.Errorf("source of %q: %q %v", a, src, ok)
	}
	// A name that only looks like a clone's is not followed.
	for _, name := range []string{
		"crs-5a4py64p-clone-0123456789abcdef",
		strings.Replace(a, "crs-5a4py64p", "crs-other001", 1),
		CloneName(seal.New("someone-elses-key-of-thirty-two-chars"), req),
	} {
		if _, ok := CloneSource(testSeal, name); ok {
			t.Errorf("%q taken for the function's clone", name)
		}
	}
	if _, ok := CloneSource(nil, a); ok {
		t.Error("a clone was followed without a key")
	}
}

func TestLifeNeverCarriesAPassword(t *testing.T) {
	l := &Life{Phase: PhaseSafetyBackup, UndoBackupID: "x", Undo: UndoRequest("crs-5a4py64p", "x")}
	b, _ := json.Marshal(l)
	if strings.Contains(strings.ToLower(string(b)), "password") {
		t.Fatalf("%s", b)
	}
}

// An end older than the window is reported again in the three periods from
// 4, 8, 16, ... periods after it, for a day: a sweep back from an outage
// reports it within about as long again as the outage, and never more than
// 3 + 3*11 times at a minute's period.
func TestSweepCatchesUpOnEndsMissedDuringAnOutage(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := Window{At: at, From: at.Add(-3 * time.Minute), Every: time.Minute}
	w.LastFrom = w.From.Add(time.Minute)
	for _, c := range []struct {
		ago            time.Duration
		reports, final bool
	}{
		{time.Second, true, false},        // the window: first looks
		{150 * time.Second, true, false},  // the window's last period
		{200 * time.Second, false, false}, // between the window and the first slot
		{4 * time.Minute, true, false},    // the first catch-up slot
		{10 * time.Minute, true, false},   // 8 to 11 periods
		{12 * time.Minute, false, false},
		{64 * time.Minute, true, false},
		{1024 * time.Minute, true, true}, // the last slot of the day: judged for good
		{25 * time.Hour, false, false},   // past the lookback
	} {
		end := at.Add(-c.ago)
		if w.Reports(end) != c.reports || w.LastSlot(end) != c.final {
			t.Errorf("ended %s before: reports %v last slot %v, want %v %v", c.ago, w.Reports(end), w.LastSlot(end), c.reports, c.final)
		}
	}
	// Over a day of sweeps, one a minute, an end is reported a bounded
	// number of times, and again before its age doubles.
	end := at
	n, lastReport := 0, end
	for m := 1; m <= 24*60+10; m++ {
		sw := Window{At: end.Add(time.Duration(m) * time.Minute), Every: time.Minute}
		sw.From = sw.At.Add(-3 * time.Minute)
		sw.LastFrom = sw.From.Add(time.Minute)
		if sw.Reports(end) {
			n++
			if gap := sw.At.Sub(lastReport); gap > 4*time.Minute && gap > sw.At.Sub(end)/2+3*time.Minute {
				t.Fatalf("no report for %s at age %s", gap, sw.At.Sub(end))
			}
			lastReport = sw.At
		}
	}
	if n > 3+3*11 || n < 3+10 {
		t.Fatalf("reported %d times in a day", n)
	}
}
