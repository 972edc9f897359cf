package restore

import (
	"testing"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Review of e7f0817 (an expired intent names the last failure of its
// tries where the container saw it).
//
// An expired intent's one outcome is sent under one id
// (SafetyMessageID(instance, backup, "expired")) by whoever judges it: the
// sweep in its window and in up to 33 catch-up slots, the intent's own
// watch, and the answer to a redelivery, each in whatever container runs
// it. Consumers drop a message whose id they have seen ("a message sent
// twice for one outcome carries the same id"). Since e7f0817 the
// message's error text depends on the warm container's memory: the
// container whose continuation failed says why, every other says "no
// sweep ran meanwhile, or each try failed". One id, two bodies: which one
// a consumer keeps is whichever arrived first, so the reason the fix adds
// is dropped as a duplicate as often as not, and two readers of the same
// outcome (a log of the queue, an alarm) disagree on why nothing was
// restored. An outcome's message must be a function of the outcome, not
// of the container. (Fixed by taking the container's memory out of the
// outcome again: the reason of each try is in the log.)
func TestReviewExpiredOutcomeIsTheSameFromEveryContainer(t *testing.T) {
	a, _, c := newService(t) // the container whose tries failed
	b, _, _ := newService(t) // another container (a cold start, the watch, a redelivery)
	b.Runtime.Now = c.Now
	a.Settings.Life.SafetyDeadline, b.Settings.Life.SafetyDeadline = 5*time.Minute, 5*time.Minute
	now := c.Now()
	undo := intent.SafetyBackup{ID: "undo-1", Restores: backup, Trigger: "timer", InstanceID: instance, Status: 2,
		Since: now.Add(-20 * time.Minute).Truncate(time.Second), StartTime: now.Add(-19 * time.Minute), EndTime: now.Add(-18 * time.Minute)}

	// What ContinueSafety remembers of a failed try in container a.
	var try intent.Result
	try.Fail(failure.E(failure.Forbidden, failure.Code("UnauthorizedOperation"), "the role may not call RestoreInstance"))
	a.Memory.Remember("lastTry/"+instance+"/"+undo.ID, "", try, now) // the key e7f0817 kept it under

	ra := a.ExpiredResult("ap-guangzhou", instance, undo)
	rb := b.ExpiredResult("ap-guangzhou", instance, undo)
	if ra.Life == nil || rb.Life == nil || ra.Life.EventID != rb.Life.EventID {
		t.Fatalf("expired outcomes under different ids: %+v %+v", ra.Life, rb.Life)
	}
	if ra.Error.Message != rb.Error.Message {
		t.Errorf("one expired outcome (message id %s), two bodies by container:\n  a: %s\n  b: %s", ra.Life.EventID, ra.Error.Message, rb.Error.Message)
	}
}
