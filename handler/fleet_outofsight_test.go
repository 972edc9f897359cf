package handler_test

import (
	"context"
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
	e := newFleetEnv(t, 2)
	leastPrivilege(t, e.env, e.ids...)
	var mu sync.Mutex
	var watches [][]byte
	e.emu.SetInvoker(func(ctx context.Context, function string, event []byte) error {
		if strings.Contains(string(event), events.FleetWatchField) {
			mu.Lock()
			defer mu.Unlock()
			watches = append(watches, event)
			return nil // the platform holds the watch; run by hand below
		}
		_, err := invokeWith(e.env, freshHandler(e.env), event)
		return err
	})
	if r := fleetOf(t, e.results([]byte(`{"fleet": {"instances": "*"}}`))); r.Status != intent.Accepted {
		t.Fatalf("fleet %+v %+v", r, r.Error)
	}
	e.emu.WaitInvocations()
	if !waitFor(15*time.Second, func() bool {
		if len(e.emu.RestoreCalls()) != 2 {
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
	e.vars["RESTORE_ALLOWED_INSTANCES"] = e.ids[0] // the second member leaves the allow-list
	mu.Lock()
	first := watches[0]
	mu.Unlock()
	h := freshHandler(e.env)
	h.Now = func() time.Time { return time.Now().Add(46 * time.Minute) } // past any member's time to start
	if _, err := invokeWith(e.env, h, first); err != nil {
		t.Fatalf("the watch: %v", err)
	}
	c := e.fleetMessages()["fleet.completed"]
	if len(c) == 0 {
		t.Fatalf("the watch did not complete the fleet: messages %s", types(e.messages()))
	}
	counts := c[0]["counts"].(map[string]any)
	if counts["done"] != float64(2) {
		t.Fatalf("a member restored by the fleet, then out of the allow-list: the fleet completed %v, members %v; want done 2", counts, c[0]["members"])
	}
}
