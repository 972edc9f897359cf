package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"redis-restore/events"
	"redis-restore/internal/follow"
	"redis-restore/internal/intent"
)

// The sweep timer: its argument is {"sweep": true}. Every minute it
// reports the end of each restore of the allowed instances and continues
// those whose safety backup is done (see internal/follow/sweep.go). It
// holds no container while a restore runs: each sweep reads the cloud
// afresh and is over in seconds.

// isSweep reports whether a timer's argument asks for the sweep.
func isSweep(msg fields) bool {
	raw, ok := lookup(msg, "sweep")
	var sweep bool
	return ok && json.Unmarshal(raw, &sweep) == nil && sweep
}

// sweep runs the sweep for the timer's Time: a retry of the same timer
// event (SCF retries a failed one) looks at the same window.
func (inv *invocation) sweep(ctx context.Context, ev events.TimerEvent) []intent.Result {
	at := ev.Time
	if at.IsZero() || at.After(inv.received) {
		at = inv.received // a Time in the future would move the window past what has happened
	}
	svc := inv.service(ctx)
	// A timer event that waited in the platform's queue longer than a
	// sweep's window is answered at once: the sweeps after it look at
	// every end of its window again, and at older ones in their catch-up
	// slots, while reading the whole region again would hold a container
	// that a busy function (a region-wide incident's alarms and intents'
	// watches) needs more. SCF retries a failed sweep within that time.
	if window := intent.SweepWindow(svc.Settings.Life.SweepEvery); inv.received.Sub(at) > window {
		inv.log.Warn("sweep.stale", "detail", "sweep skipped: its timer event waited longer than a sweep's window", "sweepAt", at.UTC().Format(time.RFC3339), "waited", inv.received.Sub(at).String())
		return []intent.Result{{Status: intent.Skipped, Region: svc.Settings.Region, Reason: fmt.Sprintf(
			"the sweep of %s waited %s in the platform's queue, more than a sweep's window (%s): the sweeps after it cover it", at.UTC().Format(time.RFC3339), inv.received.Sub(at).Round(time.Millisecond), window)}}
	}
	return (&follow.Follower{Service: svc}).Sweep(ctx, at)
}
