package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"redis-restore/internal/fleet"
)

// Section 8b shows a fleet request's figures and judges them against the
// same targets as the alarms' fleet, and its completed message's counts:
// a fleet that had to be sent again says so, and a member not done fails
// the first target.
func TestFleetRequestSectionShowsItsFiguresAndTargets(t *testing.T) {
	res := fleet.RequestResult{
		Result: fleet.Result{Instances: 1000, Containers: 16, RestoredOnce: 1000, Statuses: map[string]int{"accepted": 1000},
			LastAccepted: 57 * time.Second, Wall: 60 * time.Second,
			Calls: map[string]int{"RestoreInstance": 1000, "DescribeTaskList": 1010, "Invoke": 101}, Throttled: map[string]int{"DescribeTaskList": 10}},
		FleetID: "fleet-2", Answer: "accepted", Members: 1000, Handoffs: 100, Watches: 9, Progress: 9, Completed: 1,
		Final: fleet.Counts{Total: 1000, Done: 1000}, FinalStatus: "completed", LastCompleted: 59 * time.Second, Sends: 2,
		Answers: []fleet.FleetAnswer{
			{FleetID: "fleet-1", Status: "accepted", Result: "unknown", Error: "FleetHandOutFailed", Members: 1000, After: 60 * time.Second, HandOffs: 60},
			{FleetID: "fleet-2", Status: "accepted", Result: "accepted", Members: 1000, After: 90 * time.Second, HandOffs: 40},
		},
	}
	r := &report{fleetReq: &fleetRequestSection{res}}
	md := r.markdown()
	for _, want := range []string{
		"## 8b. A fleet request for the same instances",
		"| Fleet request: 1000 instances over 16 containers, restored once | once 1000, double 0, lost 0, failed or unknown 0; completed: done 1000 | all, 0, 0, 0; done all | **yes** |",
		"| Fleet request: last restore accepted, over the floor (N / 20 s) | 57.0 s / 50.0 s = 1.14 | ≤ 1.15 | **yes** |",
		"| Fleet request: RequestLimitExceeded answers | 10 of 2111 calls (0.47%) | ≤ 1% | **yes** |",
		"1: fleet fleet-1 accepted (result unknown, FleetHandOutFailed), 1000 members, after 60.0 s; 2: fleet fleet-2 accepted (result accepted), 1000 members, after 90.0 s",
		"| progress messages seen (distinct; sent again) | 9 (0) |",
		"| completed messages (1) and their counts (done = all) | 1: completed, total 1000, accepted 0, running 0, done 1000, failed 0 |",
		"the request was sent 2 times (each send",
		"send 1 admitted its fleet and handed out 60 hand-offs in 60.0 s; send 2 admitted its fleet and handed out 40 hand-offs in 30.0 s",
		"One send cannot hand out the whole fleet",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	res.Final.Done, res.Final.Failed, res.Sends, res.Answers = 999, 1, 1, res.Answers[1:]
	r = &report{fleetReq: &fleetRequestSection{res}}
	md = r.markdown()
	if !strings.Contains(md, "completed: done 999 | all, 0, 0, 0; done all | **no** |") || strings.Contains(md, "One send cannot") || !strings.Contains(md, "the request was sent once: send 1 admitted") {
		t.Errorf("a fleet that completed with a member failed, sent once:\n%s", md)
	}
	if md := (&report{}).markdown(); !strings.Contains(md, "## 8b. A fleet request for the same instances\n\nNot measured.") {
		t.Error("an unmeasured fleet request is not said to be")
	}
	if t.Failed() || os.Getenv("BENCH_SHOW") != "" {
		t.Log(md)
	}
}
