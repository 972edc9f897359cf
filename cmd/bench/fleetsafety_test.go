package main

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/fleet"
)

// Section 8c judges the time to the last restore started against the
// floor plus the backup and one sweep period, counts a lost instance as
// missing the target, and is left out of a report that did not measure it.
func TestFleetSafetySectionJudgesTheSafetyTarget(t *testing.T) {
	res := fleet.Result{Instances: 100, Containers: 8, RestoredOnce: 100, Statuses: map[string]int{"accepted": 100},
		LastAccepted: 8 * time.Second, Wall: 12 * time.Second,
		Calls:     map[string]int{"RestoreInstance": 100, "ManualBackupInstance": 100, "DescribeTaskList": 300},
		Throttled: map[string]int{},
		Safety: &fleet.SafetyResult{Backup: 2 * time.Second, SweepEvery: time.Second, ManualBackups: 100, Sweeps: 10, SweepsFired: 12,
			Alarms: 3 * time.Second, FirstStarted: 3 * time.Second}}
	md := (&report{fleetSafety: &fleetSafetySection{res}}).markdown()
	for _, want := range []string{
		"## 8c. The fleet's alarms with safety backups on",
		"| Fleet, safety backups on: 100 alarms over 8 containers, restored once | once 100, double 0, lost 0 | all, 0, 0 | **yes** |",
		"| Fleet, safety backups on: last restore started | 8.0 s | ≤ 8.8 s (1.15 × 5.0 s + 2s + 1s) | **yes** |",
		"| restores started a second, from the first to the last | 19.80 |",
		"| sweep timer events fired / answered (failed) | 12 / 10 (0) |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	res.RestoredOnce, res.Lost = 99, 1
	md = (&report{fleetSafety: &fleetSafetySection{res}}).markdown()
	if !strings.Contains(md, "| Fleet, safety backups on: last restore started | 8.0 s | ≤ 8.8 s (1.15 × 5.0 s + 2s + 1s) | **no** |") {
		t.Error("a run that lost an instance meets the time target")
	}
	if strings.Contains((&report{}).markdown(), "## 8c.") {
		t.Error("an unmeasured 8c is in the report")
	}
	if t.Failed() {
		t.Log(md)
	}
}
