package config

import (
	"fmt"
	"redis-restore/internal/restore"
	"strconv"
	"strings"
	"time"
)

// Lifecycle is restore.Lifecycle: how a restore lives on after
// RestoreInstance.
type Lifecycle = restore.Lifecycle

// Defaults of the life cycle's settings.
const (
	DefaultMaxClones  = 1
	DefaultSweepEvery = time.Minute
	// DefaultSafetyDeadline: a safety-backed restore starts within five
	// minutes of its backup's end, or never.
	DefaultSafetyDeadline = 5 * time.Minute
	// DefaultDrillMaxLife: a drill's clone is released within two hours
	// (cloning a large backup takes tens of minutes).
	DefaultDrillMaxLife = 2 * time.Hour
)

func loadLifecycle(l *loader) Lifecycle {
	lc := Lifecycle{
		Clone: l.bool("RESTORE_CLONE", false, false),
		// Fail closed: an unreadable value switches nothing.
		CloneSwitch: l.bool("RESTORE_CLONE_SWITCH", false, false),
		SweepEvery:  l.duration("RESTORE_SWEEP_EVERY", DefaultSweepEvery),
		MaxClones:   DefaultMaxClones,
	}
	if lc.SweepEvery < time.Second {
		l.fail("RESTORE_SWEEP_EVERY", "must be at least 1s: it is the sweep timer's period")
		lc.SweepEvery = DefaultSweepEvery
	}
	// The deadline spans at least the sweep's window, so that two sweeps
	// may fail and the restore still start.
	lc.SafetyDeadline = l.duration("RESTORE_SAFETY_DEADLINE", max(DefaultSafetyDeadline, 3*lc.SweepEvery))
	if lc.SafetyDeadline < 3*lc.SweepEvery {
		l.fail("RESTORE_SAFETY_DEADLINE", fmt.Sprintf("must be at least three sweep periods (%s): two sweeps may fail", 3*lc.SweepEvery))
		lc.SafetyDeadline = 3 * lc.SweepEvery
	}
	if raw := l.getenv("RESTORE_SAFETY_BACKUP"); raw != "" {
		// Unusable: on, fail safe: a backup too many rather than none.
		lc.SafetyBackup = onOff(l.bool("RESTORE_SAFETY_BACKUP", true, true))
	}
	// The restored data is checked unless told not to: a check that
	// cannot be made (no route into the VPC) says so and changes nothing.
	lc.Verify = l.bool("RESTORE_VERIFY", true, true)
	lc.CanaryKey = strings.TrimSpace(l.getenv("RESTORE_CANARY_KEY"))
	lc.CanaryEvery = l.duration("RESTORE_CANARY_EVERY", 0)
	lc.SwitchRetention = l.duration("RESTORE_SWITCH_RETENTION", 0)
	switch v := strings.ToLower(strings.TrimSpace(l.getenv("RESTORE_SWITCH_UNVERIFIED"))); v {
	case "", "keep":
	case "release":
		lc.SwitchReleaseUnverified = true
	default:
		l.fail("RESTORE_SWITCH_UNVERIFIED", fmt.Sprintf("%q is neither keep nor release", v))
	}
	lc.DrillMaxLife = l.duration("RESTORE_DRILL_MAX_LIFE", DefaultDrillMaxLife)
	if lc.DrillMaxLife < 3*lc.SweepEvery || lc.DrillMaxLife > 24*time.Hour {
		l.fail("RESTORE_DRILL_MAX_LIFE", fmt.Sprintf("must be from three sweep periods (%s) to 24h: the sweep releases a drill's clone within it", 3*lc.SweepEvery))
		lc.DrillMaxLife = DefaultDrillMaxLife
	}
	if raw := strings.TrimSpace(l.getenv("RESTORE_MAX_CLONES")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > 100 {
			l.fail("RESTORE_MAX_CLONES", fmt.Sprintf("%q is not a number from 0 to 100", raw))
			n = 0 // fail closed: no clone
		}
		lc.MaxClones = n
	}
	return lc
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
