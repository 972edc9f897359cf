package handler_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/handler"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/intent"
)

// Review of e7f0817 (a fleet member's restore after its own safety backup
// counts "unproven", neither done nor failed).
//
// The fix added FleetCounts.Unproven and AllEnded counts such a member
// ended, but the watch step's own answer (handler/fleet.go fleetWatch:
// "fleet %s, step %d: %d members, %d accepted, %d running, %d done, %d
// failed") was not told: a fleet of one whose member's restore is
// unproven completes "1 members, 0 accepted, 0 running, 0 done, 0
// failed: completed". The member disappears from the only summary the
// function's own log has of the step (the invocation's answer), and the
// numbers no longer add up to the total, so nobody reading it can tell
// why the fleet completed ("always say why").
func TestReviewFleetWatchAnswerCountsUnprovenMembers(t *testing.T) {
	t.Parallel()
	e := newFleetEnv(t, 1)
	e.vars["RESTORE_SAFETY_BACKUP"] = "" // the default: on for timers
	e.emu.SetLifecycle(cloudemu.Lifecycle{Backup: time.Second})
	// The mark cannot be written: the member's restore is unproven.
	e.emu.SetFaults("TagResources", cloudemu.Faults{Rate: 1, Kinds: []cloudemu.Fault{{Code: "UnauthorizedOperation"}}})
	var mu sync.Mutex
	var watchAnswers []string
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		ans, err := invokeWith(e.env, freshHandler(e.env), event)
		if strings.Contains(string(event), events.FleetWatchField) {
			if resp, ok := ans.(handler.Response); ok {
				mu.Lock()
				for _, r := range resp.Results {
					watchAnswers = append(watchAnswers, r.Reason)
				}
				mu.Unlock()
			}
		}
		return err
	})
	r := fleetOf(t, e.results(timerEvent(t, time.Now(), `{"fleet": {"instances": "crs-fleet*"}}`)))
	if r.Status != intent.Accepted {
		t.Fatalf("fleet: %+v %+v", r, r.Error)
	}
	if counts := onlyMemberRestoredOnce(t, e); counts != "done 0, failed 0, unproven 1" {
		t.Fatalf("the fleet completed %s (the scenario of TestLifeFleetMemberRestoredByTheFunctionWithoutItsMarkIsNotCountedFailed)", counts)
	}
	e.emu.WaitInvocations()
	mu.Lock()
	defer mu.Unlock()
	var completed string
	for _, a := range watchAnswers {
		if strings.HasSuffix(a, ": completed") {
			completed = a
		}
	}
	if completed == "" {
		t.Fatalf("no completed step among the watch's answers: %q", watchAnswers)
	}
	if !strings.Contains(completed, "unproven") {
		t.Errorf("the watch's completed step answers %q: its one member, unproven, is in none of the counts", completed)
	}
}
