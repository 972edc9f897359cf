package handler_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"redis-restore/events"
	"redis-restore/internal/intent"
)

// Under the role make policy writes, the region-wide task list is
// refused and the watch reads each allowed instance's tasks alone. A
// member restored by the fleet that then leaves RESTORE_ALLOWED_INSTANCES
// (its grant still in the role) had no tasks read at all: the watch
// counted it "never started", failed with no TaskId, 45 minutes on,
// although the fleet restored it. The watch reads a member out of sight
// by its ID, and judges it by its own task.
func TestFleetMemberOutOfTheAllowListUnderTheLeastPrivilegeRoleIsJudgedByItsTask(t *testing.T) {
	t.Parallel()
	counts, members := outOfSightFleet(t, nil)
	if counts["done"] != float64(2) {
		t.Fatalf("a member restored by the fleet, then out of the allow-list: the fleet completed %v, members %v; want done 2", counts, members)
	}
}

// outOfSightFleet restores a fleet of two under the least-privilege role
// (DescribeInstances by ID answered by byID, nil: the emulator), takes
// the second member out of RESTORE_ALLOWED_INSTANCES (its grant still in
// the role), runs the watch's first step 46 minutes on (past any member's
// time to start, where the watch reads a member out of sight by its ID),
// and returns the fleet's completed counts and members.
func outOfSightFleet(t *testing.T, byID func(ids []string, w http.ResponseWriter, r *http.Request, next http.Handler) bool) (map[string]any, any) {
	t.Helper()
	e := newFleetEnv(t, 2)
	leastPrivilegeInstances(t, e.env, byID, e.ids...)
	first := restoreHoldingWatch(t, e)
	e.vars["RESTORE_ALLOWED_INSTANCES"] = e.ids[0]
	if _, err := watchAhead(e, first, 46*time.Minute); err != nil {
		t.Fatalf("the watch: %v", err)
	}
	c := e.fleetMessages()["fleet.completed"]
	if len(c) == 0 {
		t.Fatalf("the watch did not complete the fleet: messages %s", types(e.messages()))
	}
	return c[0]["counts"].(map[string]any), c[0]["members"]
}

// restoreHoldingWatch restores a fleet of all e's members while the
// platform holds its watch, waits until every member serves again, and
// returns the watch's first step, to be run by hand.
func restoreHoldingWatch(t *testing.T, e *fleetEnv) []byte {
	t.Helper()
	var mu sync.Mutex
	var watches [][]byte
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		if strings.Contains(string(event), events.FleetWatchField) {
			mu.Lock()
			defer mu.Unlock()
			watches = append(watches, event)
			return nil // the platform holds the watch
		}
		_, err := invokeWith(e.env, freshHandler(e.env), event)
		return err
	})
	if r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": "*"}}`))); r.Status != intent.Accepted {
		t.Fatalf("fleet %+v %+v", r, r.Error)
	}
	e.emu.WaitInvocations()
	if !waitFor(15*time.Second, func() bool {
		if len(e.emu.RestoreCalls()) != len(e.ids) {
			return false
		}
		for _, id := range e.ids {
			if st, _ := e.emu.InstanceStatus(id); st != 2 {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the members were not restored within 15 s: %+v", e.emu.RestoreCalls())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(watches) == 0 {
		t.Fatal("no watch was handed out")
	}
	return watches[0]
}

// watchAhead runs a watch step in a container whose clock is d ahead.
func watchAhead(e *fleetEnv, watch []byte, d time.Duration) (any, error) {
	h := freshHandler(e.env)
	h.Now = func() time.Time { return time.Now().Add(d) }
	return invokeWith(e.env, h, watch)
}
