package main

import (
	"context"
	"fmt"

	"redis-restore/internal/fleet"
)

// fleetSection is a region-wide incident: one alarm per instance, delivered
// to many function processes at once under the account's emulated limits
// (internal/fleet).
type fleetSection struct{ fleet.Result }

func runFleet(bin string, instances, containers int, logf func(string, ...any)) (*fleetSection, error) {
	logf("fleet: %d alarms over %d containers, account limits on, safety backups off", instances, containers)
	r, err := fleet.Run(context.Background(), fleet.Options{Binary: bin, Instances: instances, Containers: containers, Log: logf})
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
	t.row("invocations (redelivered)", fmt.Sprintf("%d (%d)", r.Invocations, r.Redelivered))
	t.row("time to the last restore accepted", fmt.Sprintf("%.1f s", r.LastAccepted.Seconds()))
	t.row("floor (N / 20 s)", fmt.Sprintf("%.1f s", r.Floor().Seconds()))
	t.row("ratio (target ≤ 1.15)", fmt.Sprintf("%.2f", r.Ratio()))
	t.row("time to the last answer", fmt.Sprintf("%.1f s", r.Wall.Seconds()))
	t.row("RequestLimitExceeded answers (≤ 1% of calls)", fmt.Sprintf("%d of %d calls (%.2f%%)", r.TotalThrottled(), r.TotalCalls(), f.throttledShare()))
	t.row("API calls per restore, by action", r.PerRestore())
	return t
}

func (f *fleetSection) throttledShare() float64 {
	if f.TotalCalls() == 0 {
		return 0
	}
	return 100 * float64(f.TotalThrottled()) / float64(f.TotalCalls())
}
