package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"time"

	"redis-restore/internal/config"
	"redis-restore/internal/fleet"
)

// `make run-fleet`: one fleet request (issue 20) on the emulator, under
// the account's API limits, in `make run-life`'s style: the function
// admits the fleet, hands its members out to its own asynchronous
// invocations and starts its watch, all delivered by the emulator's SCF
// Invoke to a few function processes, as SCF would to the function's
// containers; the fleet's progress messages are printed as they reach the
// queue, to its completed summary (internal/fleet.RunRequest).
const (
	fleetContainers = 4
	fleetLog        = "dist/run-fleet.log"
)

// runFleet runs the fleet request of o.fleet instances. It fails when any
// member was not restored exactly once, or the fleet did not complete.
func runFleet(o options, environ []string) error {
	fileEnv, err := readEnvFile(o.envFile)
	if err != nil {
		return err
	}
	keepOwnSettings(environ)
	if err := os.MkdirAll("dist", 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(fleetLog)
	if err != nil {
		return err
	}
	defer logFile.Close()
	fmt.Printf("fleet: %d instances (crs-fleet00001, ...) with a backup each, %d function processes, the account's API limits on; function log: %s\n",
		o.fleet, fleetContainers, fleetLog)
	fmt.Printf("the watch reports every %s (RESTORE_SWEEP_EVERY; production: a minute); restore tasks run 3 s\n", lifeSweepEvery)
	r, err := fleet.RunRequest(context.Background(), fleet.RequestOptions{
		Options: fleet.Options{Binary: o.bin, Instances: o.fleet, Containers: fleetContainers, QueueAPI: config.QueueAPIDataflow, Env: fileEnv,
			Log: func(format string, args ...any) { fmt.Printf("  %s\n", fmt.Sprintf(format, args...)) }},
		SweepEvery:   lifeSweepEvery,
		TaskDuration: cmp.Or(o.fleetTask, 3*time.Second),
		Stderr:       logFile,
		Message: func(m fleet.FleetMessage) {
			line := fmt.Sprintf("  +%5.1fs  %-45s fleet=%s", m.At.Seconds(), "com.tencentcloud.redis.restore."+m.Type, m.FleetID)
			if m.Type == "fleet.progress" {
				line += fmt.Sprintf(" step=%d", m.Step)
			}
			if m.Status != "" {
				line += " status=" + m.Status
			}
			fmt.Printf("%s %s\n", line, m.Counts)
		},
	})
	if r.Sends == 0 {
		return err
	}
	fmt.Printf("\nfleet %s: %d members; restored once %d, twice or more %d, never %d; members' last results %v\n",
		r.FleetID, r.Members, r.RestoredOnce, r.Double, r.Lost, r.Statuses)
	fmt.Printf("%d progress messages, %d completed (%s: %s); last restore accepted after %.1f s, completed after %.1f s; %d hand-offs, %d watch steps; RequestLimitExceeded %d of %d calls\n",
		r.Progress, r.Completed, r.FinalStatus, r.Final, r.LastAccepted.Seconds(), r.LastCompleted.Seconds(), r.Handoffs, r.Watches, r.TotalThrottled(), r.TotalCalls())
	switch {
	case err != nil:
		return err
	case r.RestoredOnce != r.Instances:
		return fmt.Errorf("%d of %d members were not restored exactly once", r.Instances-r.RestoredOnce, r.Instances)
	case r.Completed != 1 || r.Final.Done != r.Instances:
		return fmt.Errorf("the fleet's completed message: %d sent, counting %s; want one, every member done", r.Completed, r.Final)
	}
	return nil
}
