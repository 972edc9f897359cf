package main

import (
	"context"
	_ "embed"

	"fmt"
	"time"

	"redis-restore/internal/cloud"
	"redis-restore/internal/fleet"
)

// fleetSafetySection is the fleet's alarms with safety backups on (the
// alarms' default): each alarm takes a safety backup, and the sweep timer,
// firing every RESTORE_SWEEP_EVERY into the same pool of processes, starts
// each restore once its backup is done (internal/fleet, Options.Safety).
type fleetSafetySection struct{ fleet.Result }

// The section's emulated backup time and sweep period.
const (
	safetyBackupTime = 2 * time.Second
	safetySweepEvery = time.Second
)

func runFleetSafety(bin string, instances, containers int, queueAPI string, logf func(string, ...any)) (*fleetSafetySection, error) {
	logf("fleet, safety backups on: %d alarms over %d containers, backups of %s, the sweep every %s, messages through %s", instances, containers, safetyBackupTime, safetySweepEvery, queueAPI)
	r, err := fleet.Run(context.Background(), fleet.Options{Binary: bin, Instances: instances, Containers: containers, QueueAPI: queueAPI, Log: logf,
		Safety: &fleet.Safety{Backup: safetyBackupTime, SweepEvery: safetySweepEvery}})
	if err != nil {
		return nil, err
	}
	f := &fleetSafetySection{r}
	logf("fleet, safety backups on: last restore started after %.1f s (floor %.1f s, target %.1f s); once %d, double %d, lost %d, failed or unknown %d; sweeps %d (%d failed); RequestLimitExceeded %d of %d calls",
		r.LastAccepted.Seconds(), r.Floor().Seconds(), r.SafetyTarget().Seconds(), r.RestoredOnce, r.Double, r.Lost, r.FailedOrUnknown, r.Safety.Sweeps, r.Safety.SweepsFailed, r.TotalThrottled(), r.TotalCalls())
	if r.Lost > 0 || r.Double > 0 {
		return f, fmt.Errorf("%d instances lost, %d restored twice", r.Lost, r.Double)
	}
	return f, nil
}

func (f *fleetSafetySection) table() *table {
	r, s := f.Result, f.Safety
	t := newTable("measure", "figure")
	t.row("alarms (instances) / containers at once", fmt.Sprintf("%d / %d", r.Instances, r.Containers))
	t.row("safety backups started (one an instance)", s.ManualBackups)
	t.row("restored once (all)", r.RestoredOnce)
	t.row("restored twice or more (0)", r.Double)
	t.row("lost: never restored (0)", r.Lost)
	t.row("alarms failed or unknown (0)", fmt.Sprintf("%d (last results: %s)", r.FailedOrUnknown, statusText(r.Statuses)))
	t.row("TaskIds not on the queue (0)", r.Undelivered)
	t.row("alarm invocations (redelivered)", fmt.Sprintf("%d (%d)", r.Invocations, r.Redelivered))
	t.row("time to the last alarm answered", fmt.Sprintf("%.1f s", s.Alarms.Seconds()))
	t.row("sweep timer events fired / answered (failed)", fmt.Sprintf("%d / %d (%d)", s.SweepsFired, s.Sweeps, s.SweepsFailed))
	t.row("the function's own asynchronous invocations run (failed): the intents' watches", fmt.Sprintf("%d (%d)", s.HandOffs, s.HandOffsFailed))
	t.row("the longest a timer event waited for a free process", fmt.Sprintf("%.1f s", s.SweepQueued.Seconds()))
	t.row("time to the first restore started (RestoreInstance accepted)", fmt.Sprintf("%.1f s", s.FirstStarted.Seconds()))
	t.row("restores started a second, from the first to the last", fmt.Sprintf("%.2f", r.StartedPerSecond()))
	t.row("time to the last restore started (RestoreInstance accepted)", fmt.Sprintf("%.1f s", r.LastAccepted.Seconds()))
	t.row("floor (N / 20 s)", fmt.Sprintf("%.1f s", r.Floor().Seconds()))
	t.row(fmt.Sprintf("target: 1.15 × floor + the backup (%s) + one sweep period (%s)", s.Backup, s.SweepEvery), fmt.Sprintf("%.1f s", r.SafetyTarget().Seconds()))
	t.row("over the target", fmt.Sprintf("%.2f", r.LastAccepted.Seconds()/r.SafetyTarget().Seconds()))
	t.row("time to the last answer (the sweeps under way when they stopped included)", fmt.Sprintf("%.1f s", r.Wall.Seconds()))
	t.row("RequestLimitExceeded answers, and the data flow's 4420 (≤ 1% of calls)", fmt.Sprintf("%d of %d calls (%.2f%%)", r.TotalThrottled(), r.TotalCalls(), (&fleetSection{r}).throttledShare()))
	t.row("API calls per restore, by action", r.PerRestore())
	return t
}

// targets are the section's lines of the summary.
func (f *fleetSafetySection) targets() []target {
	r := f.Result
	return []target{
		{fmt.Sprintf("Fleet, safety backups on: %d alarms over %d containers, restored once", r.Instances, r.Containers),
			fmt.Sprintf("once %d, double %d, lost %d", r.RestoredOnce, r.Double, r.Lost), "all, 0, 0",
			r.RestoredOnce == r.Instances && r.Double == 0 && r.Lost == 0},
		{"Fleet, safety backups on: last restore started", fmt.Sprintf("%.1f s", r.LastAccepted.Seconds()),
			fmt.Sprintf("≤ %.1f s (1.15 × %.1f s + %s + %s)", r.SafetyTarget().Seconds(), r.Floor().Seconds(), r.Safety.Backup, r.Safety.SweepEvery), r.Lost == 0 && r.LastAccepted <= r.SafetyTarget()},
	}
}

//go:embed fleetsafety.md.tmpl
var fleetSafetyTemplate string

// fleetSafetyData adds the section's tables to the template's data.
func (r *report) fleetSafetyData(d map[string]any) {
	if f := r.fleetSafety; f != nil {
		fs := &fleetSection{f.Result}
		d["FleetSafety"], d["FleetSafetyBounds"], d["FleetSafetyBound"] = f.table(), fs.boundsTable(), fs.boundText()
		d["FleetSafetyShare"] = fmt.Sprintf("%.2f", cloud.Share(cloud.RequestsPerSecond, f.Containers))
		d["FleetSafetyRate"] = fmt.Sprintf("%.2f", f.StartedPerSecond())
		d["FleetSafetyC"] = f.Containers
		d["FleetSafetyWait"] = fmt.Sprintf("%.1f", f.Safety.SweepQueued.Seconds())
		d["FleetSafetyFirst"] = fmt.Sprintf("%.1f", f.Safety.FirstStarted.Seconds())
		d["FleetSafetyAlarms"] = fmt.Sprintf("%.1f", f.Safety.Alarms.Seconds())
		d["FleetSafetyLeast"] = fmt.Sprintf("%.1f", float64(f.Instances)/cloud.Share(cloud.RequestsPerSecond, f.Containers))
	}
}
