package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// handOutSweep hands part of a sweep to the function's own asynchronous
// invocation, sealed (restore.Service.HandOutSweep).
func (inv *invocation) handOutSweep(ctx context.Context, region string, at time.Time, ids []string) error {
	seal := inv.svc.Settings.Seal
	if seal == nil {
		return fmt.Errorf("no RESTORE_SIGNING_KEY to seal the part with")
	}
	p := events.SweepPart{Region: region, At: at.UTC(), Instances: ids}
	p.Seal = seal.Sum("sweeppart", sweepPartParts(&p)...)
	return inv.invokeSelf(ctx, events.SweepPartEvent{Part: p})
}

func sweepPartParts(p *events.SweepPart) []string {
	return []string{p.Region, p.At.UTC().Format(time.RFC3339Nano), strings.Join(p.Instances, ",")}
}

// sweepPart sweeps the instances a sweep handed out, in its window. Only
// the function's own part is swept: its time is the window's, which
// nobody else may move.
func (inv *invocation) sweepPart(ctx context.Context, ev event) []restore.Result {
	p, err := decodeOwn[events.SweepPart](ev, events.SweepPartField)
	if err != nil {
		return inv.requestFailure(err)
	}
	svc := inv.service(ctx)
	if svc.Refuse != nil {
		return inv.requestFailure(svc.Refuse)
	}
	if !svc.Settings.Seal.Verify(p.Seal, "sweeppart", sweepPartParts(&p)...) {
		inv.log.Warn("sweep.partRefused", "detail", "part of a sweep refused: not sealed by this function")
		return inv.requestFailure(unauthenticated("part of a sweep must be sealed with the function's own key (RESTORE_SIGNING_KEY): this one is not"))
	}
	return svc.SweepPart(ctx, inv.notAfterArrival(p.At), p.Region, p.Instances)
}
