package handler

import (
	"context"
	"encoding/json"

	"redis-restore/events"
	"redis-restore/internal/restore"
)

// The sweep timer: its argument is {"sweep": true}. Every minute it
// reports the end of each restore of the allowed instances and continues
// those whose safety backup is done (see internal/restore/sweep.go). It
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
func (inv *invocation) sweep(ctx context.Context, ev events.TimerEvent) []restore.Result {
	at := ev.Time
	if at.IsZero() || at.After(inv.received) {
		at = inv.received // a Time in the future would move the window past what has happened
	}
	return inv.service(ctx).Sweep(ctx, at)
}
