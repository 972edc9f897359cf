package intent

import (
	"fmt"
	"strings"
	"time"

	"redis-restore/internal/failure"
)

// The ID checks are plain loops rather than regular expressions: compiling
// `{0,127}` at start-up cost every cold start about two milliseconds.

// Request is one restore, as the contract describes it. How it is read from
// the wire (spellings, strictness) is the handler's business; what makes it
// valid is this file's.
type Request struct {
	InstanceID string     `json:"instanceId"`
	BackupID   string     `json:"backupId"`
	Password   string     `json:"-"` // never marshalled: it must not reach a log or a result
	Region     string     `json:"region,omitempty"`
	Before     *time.Time `json:"before,omitempty"` // with backupId "latest": newest backup started before this
	DryRun     bool       `json:"dryRun,omitempty"`
	// Force overrides the restore budget; only an authenticated webhook
	// may send it.
	Force       bool `json:"force,omitempty"`
	RequestLife      // mode, cloneTime, safetyBackup
}

// String leaves the password out, so that printing a request with %v or
// %+v cannot leak it.
func (r Request) String() string {
	before := ""
	if r.Before != nil {
		before = r.Before.Format(time.RFC3339)
	}
	pw := ""
	if r.Password != "" {
		pw = "[redacted]"
	}
	return fmt.Sprintf("{instanceId:%s backupId:%s region:%s before:%s dryRun:%v password:%s}", r.InstanceID, r.BackupID, r.Region, before, r.DryRun, pw)
}

// LatestBackup is the backupId that asks for the newest restorable backup.
const LatestBackup = "latest"

// MaxRestores bounds one batch: each restore is one or more API calls
// against a limit of 20 a second.
const MaxRestores = 100

// Modes of a restore.
const (
	ModeRestore = "restore" // in place, RestoreInstance (the default)
	ModeClone   = "clone"   // a new instance from the backup, CloneInstances
	// ModeDrill is a restore drill: the backup cloned into a new
	// pay-as-you-go instance, its data verified, its time to verified
	// (RTO) and the backup's age (RPO) reported, the clone released. The
	// instance itself is never touched (drill.go).
	ModeDrill = "drill"
	// ModeSwitch restores an edition that cannot restore in place and
	// keeps its clients' address: the backup cloned, the clone verified,
	// then the two instances' addresses swapped; ModeUnswitch swaps them
	// back, the undo (switch.go).
	ModeSwitch   = "switch"
	ModeUnswitch = "unswitch"
)

// RequestLife is what a request may say about its restore's life (a
// result's Life is what happened in it).
type RequestLife struct {
	// Mode is "restore" (in place, the default), "clone", "drill",
	// "switch" or "unswitch".
	Mode string `json:"mode,omitempty"`
	// CloneTime clones the state at this time instead of the backup's,
	// where the edition keeps second-level backups; only with mode clone.
	CloneTime *time.Time `json:"cloneTime,omitempty"`
	// SafetyBackup overrides RESTORE_SAFETY_BACKUP for this restore
	// (nil: the setting decides).
	SafetyBackup *bool `json:"safetyBackup,omitempty"`
}

// Clone reports whether the request orders a clone: a clone, a drill's,
// or a switch's.
func (l RequestLife) Clone() bool {
	return l.Mode == ModeClone || l.Mode == ModeDrill || l.Mode == ModeSwitch
}

// Switch reports whether the request is a clone and switch.
func (l RequestLife) Switch() bool { return l.Mode == ModeSwitch }

// Drill reports whether the request is a restore drill.
func (l RequestLife) Drill() bool { return l.Mode == ModeDrill }

const maxPasswordLen = 256

// Validate checks a request, whether read from the wire or built in code
// (from an alarm, say), and normalises it: backupId "latest" in any case,
// mode "restore" as the default. Its errors are failure.Invalid and name
// the field at fault.
func (r *Request) Validate() error {
	latest := strings.EqualFold(r.BackupID, LatestBackup)
	if r.Mode == ModeUnswitch {
		// The undo of a switch restores no backup: it swaps the
		// addresses back.
		switch {
		case r.BackupID != "" || r.Before != nil || r.CloneTime != nil || r.SafetyBackup != nil || r.Password != "":
			return Invalid("mode", "\"unswitch\" switches the instance's address back from its clone: it takes no backupId, before, cloneTime, safetyBackup or password")
		case !validInstanceID(r.InstanceID):
			return Invalid("instanceId", fmt.Sprintf("%q is not a Redis instance ID (crs-xxxxxxxx)", truncate(r.InstanceID)))
		case r.Region != "" && !ValidRegion(r.Region):
			return Invalid("region", fmt.Sprintf("%q is not a region such as ap-guangzhou", truncate(r.Region)))
		}
		return nil
	}
	switch {
	case r.InstanceID == "":
		return Invalid("instanceId", "is required")
	case !validInstanceID(r.InstanceID):
		return Invalid("instanceId", fmt.Sprintf("%q is not a Redis instance ID (crs-xxxxxxxx)", truncate(r.InstanceID)))
	case r.BackupID == "":
		return Invalid("backupId", "is required (a backup ID, or \"latest\")")
	case !latest && !validBackupID(r.BackupID):
		return Invalid("backupId", fmt.Sprintf("%q is not a backup ID", truncate(r.BackupID)))
	case r.Region != "" && !ValidRegion(r.Region):
		return Invalid("region", fmt.Sprintf("%q is not a region such as ap-guangzhou", truncate(r.Region)))
	case len(r.Password) > maxPasswordLen:
		return Invalid("password", fmt.Sprintf("is longer than %d characters", maxPasswordLen))
	case r.Before != nil && !latest:
		return Invalid("before", "only goes with backupId \"latest\"")
	case r.Mode != "" && r.Mode != ModeRestore && r.Mode != ModeClone && r.Mode != ModeDrill && r.Mode != ModeSwitch:
		return Invalid("mode", fmt.Sprintf("%q is none of \"restore\", \"clone\", \"drill\", \"switch\", \"unswitch\"", truncate(r.Mode)))
	case r.Mode == ModeDrill && (!latest || r.Before != nil):
		return Invalid("backupId", "a drill clones the newest backup when it begins: \"latest\", without \"before\"")
	case r.CloneTime != nil && r.Mode != ModeClone && r.Mode != ModeSwitch:
		return Invalid("cloneTime", "only goes with mode \"clone\" or \"switch\"")
	case r.SafetyBackup != nil && r.Clone():
		return Invalid("safetyBackup", "a clone leaves the instance as it is: there is nothing to undo")
	}
	if latest {
		r.BackupID = LatestBackup
	}
	if r.Mode == ModeRestore {
		r.Mode = ""
	}
	return nil
}

var Invalid, truncate = failure.InvalidField, failure.Truncate

// validInstanceID: crs- and 4 to 32 lowercase letters or digits.
func validInstanceID(s string) bool {
	rest, ok := strings.CutPrefix(s, "crs-")
	return ok && len(rest) >= 4 && len(rest) <= 32 && all(rest, isLowerOrDigit)
}

// validBackupID: 1 to 128 letters, digits, '_', '.' or '-', starting with a
// letter or digit.
func validBackupID(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && isAlnum(rune(s[0])) &&
		all(s, func(r rune) bool { return isAlnum(r) || r == '_' || r == '.' || r == '-' })
}

// ValidRegion reports whether s is an API region: lowercase words and digits joined by '-', such as
// ap-guangzhou or ap-shanghai-fsi; the first word of 2 or 3 letters.
func ValidRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 2 || len(parts[0]) < 2 || len(parts[0]) > 3 || !all(parts[0], isLower) || !all(parts[1], isLower) || parts[1] == "" {
		return false
	}
	for _, p := range parts[2:] {
		if p == "" || !all(p, isLowerOrDigit) {
			return false
		}
	}
	return true
}

func all(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

func isLower(r rune) bool { return r >= 'a' && r <= 'z' }

func isLowerOrDigit(r rune) bool { return isLower(r) || (r >= '0' && r <= '9') }

func isAlnum(r rune) bool { return isLowerOrDigit(r) || (r >= 'A' && r <= 'Z') }
