package main_test

import (
	"context"
	"testing"

	"redis-restore/internal/config"
	"redis-restore/internal/fleet"
)

// A small region-wide incident under the account's emulated API limits:
// 100 alarms, one per instance, delivered to 8 containers at once, all
// signing with one role. Every instance is restored exactly once, and
// every restore's TaskId reaches the queue, sent through TDMQ CMQ's HTTP
// data flow as docs/fleet.md says to send a fleet's. How long it takes is
// make bench's to measure (cmd/bench, "Fleet"), not a test's.
func TestFleetUnderTheAccountLimits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts 8 function processes")
	}
	r, err := fleet.Run(context.Background(), fleet.Options{Binary: binary, Instances: 100, Containers: 8, QueueAPI: config.QueueAPIDataflow, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("statuses %v; last restore accepted after %s (floor %s); %d invocations, %d redelivered; RequestLimitExceeded %d of %d calls; per restore: %s",
		r.Statuses, r.LastAccepted.Round(100e6), r.Floor(), r.Invocations, r.Redelivered, r.TotalThrottled(), r.TotalCalls(), r.PerRestore())
	if r.Double != 0 || r.Lost != 0 || r.RestoredOnce != 100 {
		t.Errorf("restored once %d, double %d, lost %d; want 100, 0, 0", r.RestoredOnce, r.Double, r.Lost)
	}
	if r.Undelivered != 0 {
		t.Errorf("%d TaskIds never reached the queue", r.Undelivered)
	}
	if r.Sent["SendMessage"] < 100 || len(r.Sent) != 1 {
		t.Errorf("the queue's messages by sender: %v, want every one by the data flow's SendMessage", r.Sent)
	}
}
