package handler_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// seedBackups gives an instance n backups, one every step back from newest,
// in mixed states, added oldest first as the API tends to list them. It
// returns them for the test's own brute-force answer.
func seedBackups(e *env, instanceID string, n int, newest time.Time, step time.Duration, seed uint64) []cloudemu.Backup {
	rng := rand.New(rand.NewPCG(seed, seed))
	statuses := []int{1, 2, 3, 4, -1, -2}
	var bs []cloudemu.Backup
	for i := n - 1; i >= 0; i-- {
		start := newest.Add(-time.Duration(i) * step)
		b := cloudemu.Backup{
			ID:        fmt.Sprintf("9%023d", int64(n-i)),
			StartTime: start,
			EndTime:   start.Add(5 * time.Minute),
			Status:    statuses[rng.IntN(len(statuses))],
			Locked:    rng.IntN(5) == 0,
		}
		e.emu.AddBackup(instanceID, b)
		bs = append(bs, b)
	}
	return bs
}

func expectedLatest(bs []cloudemu.Backup, before time.Time) (cloudemu.Backup, bool) {
	var best cloudemu.Backup
	found := false
	for _, b := range bs {
		if (b.Status == 2 || b.Status == 4) && !b.Locked && b.StartTime.Before(before) && (!found || b.StartTime.After(best.StartTime)) {
			best, found = b, true
		}
	}
	return best, found
}

func TestLatestChoosesNewestRestorableBackupAcrossPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-manybk01", Region: "ap-guangzhou", Status: 2})
	newest := time.Now().Add(-time.Hour).Truncate(time.Second)
	// 400 backups, six hours apart: 100 days, so four windows and several
	// pages per window.
	bs := seedBackups(e, "crs-manybk01", 400, newest, 6*time.Hour, 7)
	for _, before := range []time.Time{newest.Add(time.Minute), newest.Add(-10 * 24 * time.Hour), newest.Add(-45*24*time.Hour - 3*time.Hour)} {
		want, ok := expectedLatest(bs, before)
		if !ok {
			t.Fatal("test data has no restorable backup")
		}
		req := fmt.Sprintf(`{"instanceId":"crs-manybk01","backupId":"latest","before":%q,"dryRun":true}`, before.Format(time.RFC3339))
		r := onlyResult(t, e.results(timerEvent(t, time.Now(), req)))
		if r.Status != intent.DryRun || r.BackupID != want.ID {
			t.Fatalf("before %s: got %+v, want backup %s (started %s)", before, r, want.ID, want.StartTime)
		}
	}
	if n := e.emu.Calls("DescribeInstanceBackups"); n < 4 {
		t.Errorf("only %d DescribeInstanceBackups calls: paging was not exercised", n)
	}
}

func TestLatestSearchesOlderWindows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-oldbk001", Region: "ap-guangzhou", Status: 2})
	now := time.Now().Truncate(time.Second)
	// Recent backups are all expired or locked; the only good one is 50 days old.
	for i := 1; i <= 20; i++ {
		e.emu.AddBackup("crs-oldbk001", cloudemu.Backup{ID: fmt.Sprintf("8%023d", i), StartTime: now.Add(-time.Duration(i) * 24 * time.Hour), Status: -1})
	}
	good := now.Add(-50 * 24 * time.Hour)
	e.emu.AddBackup("crs-oldbk001", cloudemu.Backup{ID: "800000000000000000000999", StartTime: good, Status: 4})
	r := onlyResult(t, e.results(timerEvent(t, now, `{"instanceId":"crs-oldbk001","backupId":"latest"}`)))
	if r.Status != intent.Accepted || r.BackupID != "800000000000000000000999" {
		t.Fatalf("result %+v", r)
	}
	if calls := e.emu.RestoreCalls(); len(calls) != 1 || calls[0].BackupID != "800000000000000000000999" {
		t.Fatalf("restores %+v", calls)
	}
	if msgs := e.messages(); len(msgs) != 1 || msgs[0].Data.BackupID != "800000000000000000000999" {
		t.Fatalf("the message lacks the chosen backup: %+v", msgs)
	}
}

func TestLatestWithNothingRestorableFailsWithItsOwnCode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-nobk0001", Region: "ap-guangzhou", Status: 2})
	e.emu.AddBackup("crs-nobk0001", cloudemu.Backup{ID: "700000000000000000000001", StartTime: time.Now().Add(-time.Hour), Status: 2, Locked: true})
	e.emu.AddBackup("crs-nobk0001", cloudemu.Backup{ID: "700000000000000000000002", StartTime: time.Now().Add(-2 * time.Hour), Status: -2})
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), `{"instanceId":"crs-nobk0001","backupId":"latest"}`)))
	if r.Status != intent.Failed || errCode(r.Error) != "BackupNotFound" || !strings.Contains(errMessage(r.Error), "crs-nobk0001") ||
		!strings.Contains(errMessage(r.Error), "between") {
		t.Fatalf("result %+v, error %+v", r, r.Error)
	}
	if n := e.emu.Calls("RestoreInstance"); n != 0 {
		t.Errorf("RestoreInstance called %d times", n)
	}
}

// The API's times are China Standard Time: a backup that started at
// 02:30 CST (18:30 UTC the day before) is before a bound of 19:00 UTC.
func TestBackupTimesAreChinaStandardTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.emu.AddInstance(cloudemu.Instance{ID: "crs-cstzone1", Region: "ap-guangzhou", Status: 2})
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-48 * time.Hour)
	e.emu.AddBackup("crs-cstzone1", cloudemu.Backup{ID: "600000000000000000000001", StartTime: day.Add(18*time.Hour + 30*time.Minute), Status: 2})
	e.emu.AddBackup("crs-cstzone1", cloudemu.Backup{ID: "600000000000000000000002", StartTime: day.Add(19*time.Hour + 30*time.Minute), Status: 2})
	before := day.Add(19 * time.Hour)
	req := fmt.Sprintf(`{"instanceId":"crs-cstzone1","backupId":"latest","before":%q,"dryRun":true}`, before.Format(time.RFC3339))
	r := onlyResult(t, e.results(timerEvent(t, time.Now(), req)))
	if r.BackupID != "600000000000000000000001" {
		t.Fatalf("chose %s, want the 18:30 UTC backup", r.BackupID)
	}
}
