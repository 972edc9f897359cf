package intent

import (
	"time"
)

// Expectation is what the restored data should show. The Verifier reads
// what the backup held (Cloud Monitor's key count of the instance at
// BackupTime) itself.
type Expectation struct {
	InstanceID, Region string
	CanaryKey          string
	// BackupTime is the restored backup's start: the canary must not be
	// newer (less a skew), nor older by more than CanaryMaxAge (the
	// writer's period and some). Zero: the canary's time is reported, not
	// judged.
	BackupTime   time.Time
	CanaryMaxAge time.Duration
}

// Verification is what a check found, as the messages carry it.
type Verification struct {
	Checked  bool       `json:"checked"` // false: the check could not be made (Reason says why)
	Verified bool       `json:"verified"`
	Keys     int64      `json:"keys"` // -1: not read
	DataAsOf *time.Time `json:"dataAsOf,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	// ExpectedKeys is what the backup held, null where unknown;
	// ExpectedKeysFrom says where it comes from, or why it is unknown.
	ExpectedKeys     *int64 `json:"expectedKeys"`
	ExpectedKeysFrom string `json:"expectedKeysFrom,omitempty"`
}

// Suspect is the status of the restore.suspect message: the restore's
// task succeeded, and the data does not check out.
const Suspect Status = "suspect"
