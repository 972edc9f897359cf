package restore

import (
	"strings"
	"testing"
	"time"

	"redis-restore/internal/intent"
)

// Review of 4454eb1 (the expired outcome is the same text from every
// container again). A safety backup that was done and then removed before
// its restore (expired or deleted: status -1/-2 with an end) is judged
// SafetyExpired (JudgeSafety: "its undo point is gone") and reported by
// ExpiredResult. Its reason is the one text for every expired intent: "no
// sweep ran meanwhile, or each try failed (the function's log:
// sweep.restoreFailed)". Neither is why: the undo point is gone, and the
// log has no sweep.restoreFailed for it (no try was ever made). The
// reason is a function of the outcome (the backup's own listed status,
// the same in every container), so saying it costs nothing of 4454eb1's
// point; here it was removed a minute after it was done, within the
// deadline, so "could not start within RESTORE_SAFETY_DEADLINE" is not
// true either. An operator sent looking for a sweep outage or a failed
// RestoreInstance finds neither ("always say clearly why").
func TestReviewLast2ExpiredBecauseTheUndoPointWasRemovedSaysSo(t *testing.T) {
	s, _, c := newService(t)
	s.Settings.Life.SafetyDeadline = 5 * time.Minute
	now := c.Now()
	removed := intent.SafetyBackup{ID: "undo-1", Restores: "b-1", Since: now.Add(-3 * time.Minute), Status: -2, InstanceID: "crs-gone0001",
		StartTime: now.Add(-2 * time.Minute), EndTime: now.Add(-time.Minute)} // done a minute ago, well within the deadline, and gone
	if st := intent.JudgeSafety(removed, intent.NotRestored, now, s.Settings.Life.SafetyDeadline); st != intent.SafetyExpired {
		t.Fatalf("premise: a done, then removed safety backup is judged %v, want expired", st)
	}
	r := s.ExpiredResult("ap-guangzhou", removed.InstanceID, removed)
	msg := r.Error.Message
	if strings.Contains(msg, "no sweep ran meanwhile") || !(strings.Contains(msg, "removed") || strings.Contains(msg, "deleted") || strings.Contains(msg, "status -2")) {
		t.Errorf("expired because its undo point was removed (status -2): %q; want the reason to say the safety backup is gone, not a sweep outage or failed tries", msg)
	}
}
