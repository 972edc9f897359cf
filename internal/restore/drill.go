package restore

import (
	"time"
)

// Restore drills ("mode": "drill", on a timer, say weekly): nobody knows
// whether the backups restore until the day they are needed, so a drill
// clones an instance's newest backup into a new pay-as-you-go instance
// (the clone path: clone.go, under the same admission), and the sweep,
// once the clone runs, verifies its data, reports restore.drill.passed or
// restore.drill.failed with the time from the drill's start to verified
// data (RTO) and the backup's age at the start (RPO), and releases the
// clone. The instance itself is never touched. A drill's clone is named
// by its source and the drill's start, with the function's MAC, so that a
// redelivery finds it instead of ordering another and the sweep follows
// only the function's own; whatever became of it, the sweep releases it
// at the latest RESTORE_DRILL_MAX_LIFE after the start, so that no drill
// leaves a billed instance behind.

// drillTime is when a drill began: its event's time (so that every
// delivery names one clone), else now, to the minute.
func (s *Service) drillTime(job Job) time.Time {
	if !job.Since.IsZero() {
		return job.Since.Truncate(time.Second)
	}
	return s.Now().Truncate(time.Minute)
}
