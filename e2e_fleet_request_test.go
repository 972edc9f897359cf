package main_test

import (
	"context"
	"os"
	"testing"

	"redis-restore/internal/config"
	"redis-restore/internal/fleet"
)

// A small fleet request end to end under the account's emulated API
// limits: one direct invocation asks for 50 instances by pattern; the
// function hands its members out to its own asynchronous invocations and
// a watch, which the emulator's SCF Invoke delivers to the same 4
// function processes (the alarm fleet beside it runs 100 over 8; make
// bench, 1,000 over 16). Every member is restored exactly once, every
// TaskId reaches the queue, and one completed message ends the fleet with
// every member done.
func TestFleetRequestUnderTheAccountLimits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts 8 function processes")
	}
	r, err := fleet.RunRequest(context.Background(), fleet.RequestOptions{
		Options: fleet.Options{Binary: binary, Instances: 50, Containers: 4, QueueAPI: config.QueueAPIDataflow, Log: t.Logf},
		Message: func(m fleet.FleetMessage) { t.Logf("+%4.1fs %s step %d: %s", m.At.Seconds(), m.Type, m.Step, m.Counts) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fleet %s: members' last results %v; last restore accepted after %s (floor %s); %d hand-offs, %d watch steps, %d redelivered; RequestLimitExceeded %d of %d calls; per restore: %s",
		r.FleetID, r.Statuses, r.LastAccepted.Round(100e6), r.Floor(), r.Handoffs, r.Watches, r.Redelivered, r.TotalThrottled(), r.TotalCalls(), r.PerRestore())
	if r.Members != 50 {
		t.Errorf("the answer lists %d members, want 50", r.Members)
	}
	if r.Double != 0 || r.Lost != 0 || r.RestoredOnce != 50 {
		t.Errorf("restored once %d, double %d, lost %d; want 50, 0, 0", r.RestoredOnce, r.Double, r.Lost)
	}
	if r.FailedOrUnknown != 0 {
		t.Errorf("members whose hand-off did not answer accepted: %d (%v)", r.FailedOrUnknown, r.Statuses)
	}
	if r.Undelivered != 0 {
		t.Errorf("%d TaskIds never reached the queue", r.Undelivered)
	}
	if r.Completed != 1 || r.Final.Done != 50 || r.Final.Failed != 0 || r.Final.Total != 50 {
		t.Errorf("%d completed messages, the last counting %s; want one, done 50 of 50", r.Completed, r.Final)
	}
	if r.Progress == 0 {
		t.Error("no progress message")
	}
}

// A fleet of MaxFleet (1,000) instances over 16 containers, asked for
// once, is handed out by that one request within the function's timeout
// (60 s, serverless.yml). It was not while the function paced its Invoke
// calls at its container's share of 20 a second (about 1.1 a second for
// 16): the request answered FleetHandOutFailed after 60 s with about 680
// members not handed out. At the share of SCF's documented 100 a second
// it answered after 44.7 s on 2026-12-06 (make bench, section 8b), of
// which the admission's paced reads of the region take about 28 s: the
// margin is thin. It takes a minute and more, so it runs only when asked:
// REDIS_RESTORE_FLEET_1000=1 go test -run TestFleetRequestOfAThousandIsHandedOutByOneSend .
func TestFleetRequestOfAThousandIsHandedOutByOneSend(t *testing.T) {
	if os.Getenv("REDIS_RESTORE_FLEET_1000") == "" {
		t.Skip("a minute and more: REDIS_RESTORE_FLEET_1000=1 runs it")
	}
	r, err := fleet.RunRequest(context.Background(), fleet.RequestOptions{
		Options: fleet.Options{Binary: binary, Instances: 1000, Containers: 16, Attempts: 1, QueueAPI: config.QueueAPIDataflow, Log: t.Logf},
	})
	if err != nil || r.Sends != 1 || r.RestoredOnce != 1000 {
		t.Fatalf("one send of a fleet of 1000 over 16 containers: %v; restored once %d, lost %d", err, r.RestoredOnce, r.Lost)
	}
}
