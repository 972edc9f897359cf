package config

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/failure"
)

func TestLifecycleDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Life; l.SafetyBackup != "" || l.Clone || l.MaxClones != 1 || l.SweepEvery != time.Minute {
		t.Errorf("defaults: %+v", l)
	}
	c, err = Load(env(map[string]string{"RESTORE_SAFETY_BACKUP": "false", "RESTORE_CLONE": "true", "RESTORE_MAX_CLONES": "3", "RESTORE_SWEEP_EVERY": "2m"}))
	if err != nil || c.Life.SafetyBackup != "off" || !c.Life.Clone || c.Life.MaxClones != 3 || c.Life.SweepEvery != 2*time.Minute {
		t.Errorf("set: %+v %v", c.Life, err)
	}
}

// An unusable value is an error naming the setting, and never widens what
// happens: a bad RESTORE_SAFETY_BACKUP keeps the safety backup on, a bad
// RESTORE_MAX_CLONES allows no clone.
func TestLifecycleRefusesBadValuesByNameAndFailsSafe(t *testing.T) {
	for name, val := range map[string]string{
		"RESTORE_SAFETY_BACKUP": "sometimes",
		"RESTORE_CLONE":         "yes please",
		"RESTORE_MAX_CLONES":    "-1",
		"RESTORE_SWEEP_EVERY":   "1ms",
	} {
		c, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) || failure.KindOf(err) != failure.Config {
			t.Errorf("%s=%q: %v", name, val, err)
		}
		if c.Life.Clone || c.Life.SafetyBackup == "off" {
			t.Errorf("%s=%q widened the life cycle: %+v", name, val, c.Life)
		}
	}
	c, _ := Load(env(map[string]string{"RESTORE_SAFETY_BACKUP": "sometimes"}))
	if c.Life.SafetyBackup != "on" {
		t.Errorf("bad RESTORE_SAFETY_BACKUP left it %q, want on", c.Life.SafetyBackup)
	}
	c, _ = Load(env(map[string]string{"RESTORE_MAX_CLONES": "many"}))
	if c.Life.MaxClones != 0 {
		t.Errorf("bad RESTORE_MAX_CLONES allows %d clones", c.Life.MaxClones)
	}
}

// RESTORE_CLONE_SWITCH is off unless set true; an unreadable value is an
// error naming it and switches nothing.
func TestLifecycleCloneSwitch(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.Life.CloneSwitch {
		t.Errorf("default: CloneSwitch %v, %v; want off", c.Life.CloneSwitch, err)
	}
	c, err = Load(env(map[string]string{"RESTORE_CLONE_SWITCH": "true"}))
	if err != nil || !c.Life.CloneSwitch {
		t.Errorf("true: CloneSwitch %v, %v; want on", c.Life.CloneSwitch, err)
	}
	c, err = Load(env(map[string]string{"RESTORE_CLONE_SWITCH": "maybe"}))
	if err == nil || !strings.Contains(err.Error(), "RESTORE_CLONE_SWITCH") || failure.KindOf(err) != failure.Config || c.Life.CloneSwitch {
		t.Errorf("maybe: CloneSwitch %v, %v; want off and an error naming the setting", c.Life.CloneSwitch, err)
	}
}
