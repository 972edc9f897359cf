package restore

import (
	"time"

	"redis-restore/internal/intent"
)

// Settings are the invocation's configuration as a restore sees it. The
// handler resolves them once, at the start of the invocation, from the
// environment (internal/config) and the invocation's context: the restore
// itself reads no environment and checks no credentials.
type Settings struct {
	Region string // the region of a request that names none
	// Allowed is the allow-list (RESTORE_ALLOWED_INSTANCES); nil allows
	// every instance.
	Allowed func(instanceID string) bool
	// AllowedIDs are the allow-list's entries without wildcards: the
	// instances the sweep reads one by one where CAM refuses a list of
	// the whole region.
	AllowedIDs []string
	DryRun     bool
	// LockRetry is how long a locked instance or backup is retried.
	LockRetry time.Duration
	// Password is the password of a restore whose request names none and
	// no secret gives one (RESTORE_PASSWORD).
	Password string
	// PasswordRotates: the password comes from a secret, which may have
	// been rotated since it was read; a PasswordError reads it again once.
	PasswordRotates bool

	AlarmBudget, RequestBudget intent.Budget
	// Approval holds the channels whose restores wait for a person;
	// ApprovalTTL is how long a plan may be approved.
	Approval    map[intent.Channel]bool
	ApprovalTTL time.Duration
	// Seal is RESTORE_SIGNING_KEY's: plans, safety backups' remarks,
	// clones' names and hand-offs carry its MAC (provenance.go).
	Seal *intent.Seal
	// Regions are where requests may restore and the sweep looks: a
	// restore in any other region would never be followed.
	Regions []string

	Life Lifecycle

	// NoCredentials, when set, refuses every restore that passes the
	// allow-list and has a region: there is nothing to sign with.
	NoCredentials error
	// Output says why outcomes have nowhere to go (no queue or topic), nil
	// when they have: then no restore may start, as its TaskId would be lost.
	Output error
	// CanReport: an outcome, even a refusal, can reach the queue.
	CanReport bool
}

func (s Settings) AllowedInstance(instanceID string) bool {
	return s.Allowed == nil || s.Allowed(instanceID)
}

// Lifecycle is how a restore lives on after RestoreInstance: the safety
// backup taken first, clones for editions that cannot restore in place,
// and the sweep that reports each restore's end.
type Lifecycle struct {
	// SafetyBackup is RESTORE_SAFETY_BACKUP: "on", "off", or "" (unset):
	// on for alarm-triggered and scheduled restores, off for the others.
	SafetyBackup string
	// Clone is RESTORE_CLONE: "mode": "clone" may order new instances,
	// which are billed.
	Clone bool
	// MaxClones is RESTORE_MAX_CLONES: at most this many clones are
	// ordered by one invocation.
	MaxClones int
	// SweepEvery is RESTORE_SWEEP_EVERY: how often the sweep timer fires
	// (its cron), from which the sweep knows its window.
	SweepEvery time.Duration
	// SafetyDeadline is RESTORE_SAFETY_DEADLINE: a restore not started
	// this long after its safety backup was done never starts (expired).
	SafetyDeadline time.Duration
	// Verify is RESTORE_VERIFY: the sweep checks a restore's data when it
	// first sees its end; CanaryKey (RESTORE_CANARY_KEY) dates the data,
	// written by the application every CanaryEvery (RESTORE_CANARY_EVERY).
	Verify      bool
	CanaryKey   string
	CanaryEvery time.Duration
	// CloneSwitch is RESTORE_CLONE_SWITCH: "mode": "switch" may clone,
	// verify and then switch the instance's address to the clone, and
	// "mode": "unswitch" switch it back (switch.go).
	CloneSwitch bool
	// SwitchRetention is RESTORE_SWITCH_RETENTION: this long after a
	// switch (or a switch back) ended, the instance no longer serving is
	// released, if it is pay-as-you-go; 0 keeps it.
	SwitchRetention time.Duration
	// SwitchReleaseUnverified is RESTORE_SWITCH_UNVERIFIED=release: a
	// switch clone whose data does not check out is released once
	// reported, instead of kept for inspection.
	SwitchReleaseUnverified bool
	// DrillMaxLife is RESTORE_DRILL_MAX_LIFE: a drill's clone is released
	// by the sweep once verified, and at the latest this long after the
	// drill began, whatever became of it.
	DrillMaxLife time.Duration
}
