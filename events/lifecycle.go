package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Modes of a restore.
const (
	ModeRestore = "restore" // in place, RestoreInstance (the default)
	ModeClone   = "clone"   // a new instance from the backup, CloneInstances
)

// Life is what a request may say about its restore's life.
type Life struct {
	// Mode is "restore" (in place, the default) or "clone".
	Mode string `json:"mode,omitempty"`
	// CloneTime clones the state at this time instead of the backup's,
	// where the edition keeps second-level backups; only with mode clone.
	CloneTime *time.Time `json:"cloneTime,omitempty"`
	// SafetyBackup overrides RESTORE_SAFETY_BACKUP for this restore
	// (nil: the setting decides).
	SafetyBackup *bool `json:"safetyBackup,omitempty"`
}

// set reads a life field; ok is false for other fields.
func (l *Life) set(name string, raw json.RawMessage) (ok bool, err error) {
	switch name {
	case "mode":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return true, fmt.Errorf("must be a string")
		}
		l.Mode = strings.ToLower(strings.TrimSpace(s))
	case "cloneTime":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return true, fmt.Errorf("must be a string")
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return true, fmt.Errorf("must be an RFC 3339 time such as 2026-11-29T03:00:00+08:00")
		}
		l.CloneTime = &t
	case "safetyBackup":
		var b Bool
		if json.Unmarshal(raw, &b) != nil {
			return true, fmt.Errorf("must be true or false")
		}
		v := bool(b)
		l.SafetyBackup = &v
	default:
		return false, nil
	}
	return true, nil
}

func (l *Life) validate(prefix string) error {
	switch {
	case l.Mode != "" && l.Mode != ModeRestore && l.Mode != ModeClone:
		return invalid(prefix+"mode", fmt.Sprintf("%q is neither \"restore\" nor \"clone\"", truncate([]byte(l.Mode))))
	case l.CloneTime != nil && l.Mode != ModeClone:
		return invalid(prefix+"cloneTime", "only goes with mode \"clone\"")
	case l.SafetyBackup != nil && l.Mode == ModeClone:
		return invalid(prefix+"safetyBackup", "a clone leaves the instance as it is: there is nothing to undo")
	}
	if l.Mode == ModeRestore {
		l.Mode = ""
	}
	return nil
}

// Clone reports whether the request asks for a clone.
func (l Life) Clone() bool { return l.Mode == ModeClone }
