package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/cloudemu"
	"redis-restore/internal/fleet"
)

// fleetSection is a region-wide incident: one alarm per instance, delivered
// to many function processes at once under the account's emulated limits
// (internal/fleet).
type fleetSection struct{ fleet.Result }

func runFleet(bin string, instances, containers int, queueAPI string, logf func(string, ...any)) (*fleetSection, error) {
	logf("fleet: %d alarms over %d containers, account limits on, safety backups off, messages through %s", instances, containers, queueAPI)
	r, err := fleet.Run(context.Background(), fleet.Options{Binary: bin, Instances: instances, Containers: containers, QueueAPI: queueAPI, Log: logf})
	if err != nil {
		return nil, err
	}
	logf("fleet: last restore accepted after %.1f s (floor %.1f s, ratio %.2f); once %d, double %d, lost %d, failed or unknown %d; RequestLimitExceeded %d of %d calls",
		r.LastAccepted.Seconds(), r.Floor().Seconds(), r.Ratio(), r.RestoredOnce, r.Double, r.Lost, r.FailedOrUnknown, r.TotalThrottled(), r.TotalCalls())
	if r.Lost > 0 || r.Double > 0 {
		return &fleetSection{r}, fmt.Errorf("%d instances lost, %d restored twice", r.Lost, r.Double)
	}
	return &fleetSection{r}, nil
}

// fleetTable is the section's figures.
func (f *fleetSection) table() *table {
	r := f.Result
	t := newTable("measure", "figure")
	t.row("alarms (instances) / containers at once", fmt.Sprintf("%d / %d", r.Instances, r.Containers))
	t.row("restored once (all)", r.RestoredOnce)
	t.row("restored twice or more (0)", r.Double)
	t.row("lost: never restored (0)", r.Lost)
	t.row("failed or unknown (0)", fmt.Sprintf("%d (last results: %s)", r.FailedOrUnknown, statusText(r.Statuses)))
	t.row("TaskIds not on the queue (0)", r.Undelivered)
	t.row("outcome messages sent by (RESTORE_QUEUE_API)", fmt.Sprintf("%s (%s)", byAction(r.Sent), cmp.Or(r.QueueAPI, "default")))
	t.row("invocations (redelivered)", fmt.Sprintf("%d (%d)", r.Invocations, r.Redelivered))
	t.row("time to the last restore accepted", fmt.Sprintf("%.1f s", r.LastAccepted.Seconds()))
	t.row("floor (N / 20 s)", fmt.Sprintf("%.1f s", r.Floor().Seconds()))
	t.row("ratio (target ≤ 1.15)", fmt.Sprintf("%.2f", r.Ratio()))
	t.row("time to the last answer", fmt.Sprintf("%.1f s", r.Wall.Seconds()))
	t.row("RequestLimitExceeded answers, and the data flow's 4420 (≤ 1% of calls)", fmt.Sprintf("%d of %d calls (%.2f%%)", r.TotalThrottled(), r.TotalCalls(), f.throttledShare()))
	t.row("API calls per restore, by action", r.PerRestore())
	return t
}

func (f *fleetSection) throttledShare() float64 {
	if f.TotalCalls() == 0 {
		return 0
	}
	return 100 * float64(f.TotalThrottled()) / float64(f.TotalCalls())
}

// actionBound is what one action's limit allows the fleet: its calls at
// the role's limit take Least; over the run they came at Achieved a second.
type actionBound struct {
	Action   string
	Calls    int
	Limit    int // a second, for the role (a sub-account where the document says so), or the queue's for the data flow
	Least    time.Duration
	Achieved float64 // calls a second over the run (to the last answer)
}

// bounds is every limited action the fleet called, the one whose calls
// need the most time at its limit first: that action bounds the fleet
// before any share or scheduling is taken off.
func (f *fleetSection) bounds() []actionBound {
	var out []actionBound
	for a, n := range f.Calls {
		l, ok := cloudemu.DocumentedLimits[a]
		if a == "SendMessage" || a == "PublishMessage" {
			// The data flow: the queue's or topic's limit, whoever sends.
			l, ok = cloudemu.RateLimit{PerSecond: cloudemu.DataflowPerSecond}, true
		}
		if !ok || n == 0 {
			continue
		}
		limit := l.PerSecond
		if l.SubAccount > 0 {
			limit = l.SubAccount // the function signs with its role
		}
		b := actionBound{Action: a, Calls: n, Limit: limit, Least: time.Duration(float64(n) / float64(limit) * float64(time.Second))}
		if s := f.Wall.Seconds(); s > 0 {
			b.Achieved = float64(n) / s
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b actionBound) int {
		if c := cmp.Compare(b.Least, a.Least); c != 0 {
			return c
		}
		return strings.Compare(a.Action, b.Action)
	})
	return out
}

// boundsTable shows bounds against the floor.
func (f *fleetSection) boundsTable() *table {
	t := newTable("action", "calls (per restore)", "the limit a second (the role's; the data flow's: the queue's)", "least time at the limit", "over the floor", "rate over the run (to the last answer)", "share of the limit")
	floor := f.Floor().Seconds()
	for _, b := range f.bounds() {
		t.row("`"+b.Action+"`", fmt.Sprintf("%d (%.2f)", b.Calls, float64(b.Calls)/float64(f.Instances)), b.Limit,
			fmt.Sprintf("%.1f s", b.Least.Seconds()), fmt.Sprintf("%.2f", b.Least.Seconds()/floor),
			fmt.Sprintf("%.1f a second", b.Achieved), fmt.Sprintf("%.0f %%", 100*b.Achieved/float64(b.Limit)))
	}
	return t
}

// shareText says what the containers' shares of a Redis action's 20 a
// second allow together, against the floor: the ratio's least.
func (f *fleetSection) shareText() string {
	limit := float64(cloudemu.DocumentedLimits["RestoreInstance"].PerSecond)
	together := cloud.Share(limit, f.Containers) * float64(f.Containers)
	return fmt.Sprintf("%.1f %% of an even split for %d containers: %.1f a second together, %.3f times the floor",
		100*together/limit, f.Containers, together, limit/together)
}

// boundText names the actions that bound the fleet most, for the prose.
func (f *fleetSection) boundText() string {
	bs := f.bounds()
	var parts []string
	for i, b := range bs {
		if i == 2 {
			break
		}
		parts = append(parts, fmt.Sprintf("`%s`'s %d calls (%.2f a restore) at the role's %d a second need %.1f s, %.2f times the floor, and came at %.1f a second (%.0f %% of the limit)",
			b.Action, b.Calls, float64(b.Calls)/float64(f.Instances), b.Limit, b.Least.Seconds(), b.Least.Seconds()/f.Floor().Seconds(), b.Achieved, 100*b.Achieved/float64(b.Limit)))
	}
	return strings.Join(parts, "; next, ")
}
