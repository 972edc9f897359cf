package intent

import (
	"time"
)

// DrillMarker joins the source's ID, the drill's start and the start of
// the backup it clones in its clone's name:
// "<source>-drill-<start><backup start><mac>", each time 8 hex digits of
// Unix seconds, so that the sweep knows what the drill ordered.
const DrillMarker = "-drill-"

func DrillName(seal *Seal, instanceID string, at, backupStart time.Time) string {
	return timedName(seal, "drill", instanceID, at, backupStart)
}

// DrillOf reads a drill's clone name: its source, start and backup's
// start, if the name carries the function's MAC.
func DrillOf(seal *Seal, name string) (src string, at, backupStart time.Time, ok bool) {
	return readTimedName(seal, "drill", name)
}

// Drill is what a drill's outcome message carries.
type Drill struct {
	CloneID     string     `json:"cloneId"`
	BegunAt     time.Time  `json:"begunAt"`
	BackupID    string     `json:"backupId,omitempty"`
	BackupStart *time.Time `json:"backupStart,omitempty"`
	VerifiedAt  *time.Time `json:"verifiedAt,omitempty"`
	// RTOSeconds: from the drill's start to verified data.
	RTOSeconds *int64 `json:"rtoSeconds,omitempty"`
	// RPOSeconds: the restored backup's age when the drill began, the
	// writes a restore then would have lost.
	RPOSeconds *int64 `json:"rpoSeconds,omitempty"`
}

// outcome: a drill's result says its own outcome, failed included
// (restore.drill.failed, not restore.failed: nothing was restored).
func (d *Drill) Outcome() bool { return d != nil }
