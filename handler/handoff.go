package handler

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"redis-restore/events"
	"redis-restore/internal/config"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// handoffTimeout bounds the Invoke call that hands an HTTP call's restore
// over: Cloud Monitor waits 5 s for its answer, and a hand-off that does
// not go through in this time is done here instead.
const handoffTimeout = time.Second

// WaitParam is the query parameter with which a webhook caller asks to wait
// for the restore's TaskId instead of a hand-off (?wait=1).
const WaitParam = "wait"

// handOff hands the authenticated body of an HTTP call to the function's
// own asynchronous invocation and answers at once with what was decided:
// the refusals and skips as they are, each restore to run as queued. It
// reports false when the call is to be run here: the caller asked to wait,
// hand-off is off, or something would make the asynchronous invocation
// fail anyway (then this one says why, at once and without cloud calls).
//
// The asynchronous invocation gets the call's identity (its event time and
// key), so a Cloud Monitor re-send, a replay or the platform's retry still
// restores once; SCF retries it twice after an error.
func (inv *invocation) handOff(ctx context.Context, b body, src source, jobs []job, wait bool) ([]intent.Result, bool) {
	cfg := inv.cfg
	seal := inv.svc.Settings.Seal
	if wait || !inv.handOffWanted() || inv.cfgErr != nil || !cfg.CanReport() || seal == nil || !inv.mayHandOff(jobs) {
		return nil, false
	}
	call := events.HandoffCall{Trigger: src.trigger, Channel: string(src.channel), Since: src.since.UTC(),
		Key: src.key, Fingerprint: src.fingerprint, Body: string(b.data)}
	call.Seal = seal.Sum("handoff", handoffParts(&call)...)
	callCtx, cancel := context.WithTimeout(ctx, handoffTimeout)
	defer cancel()
	id, err := inv.invokeSelf(callCtx, events.HandoffEvent{Handoff: call})
	if err != nil {
		// Done here instead: a hand-off that may have gone through after
		// all is no danger, the second one finds the first's restore.
		inv.log.Warn("handoff.failed", "detail", "hand-off failed: the restore runs in this invocation", "error", err.Error())
		return nil, false
	}
	inv.log.Info("handoff.sent", "detail", "restore handed off", "asyncRequestId", id)
	results := make([]intent.Result, len(jobs))
	for i, j := range jobs {
		if j.decided != nil {
			results[i] = *j.decided
			continue
		}
		req := j.Request
		results[i] = intent.Result{InstanceID: req.InstanceID, BackupID: req.BackupID, Region: cmp.Or(req.Region, cfg.Region),
			Status: intent.Queued,
			Reason: intent.JoinReason(j.Reason, fmt.Sprintf("handed off to an asynchronous invocation of %s (requestId %s): its outcome goes to the queue; ?%s=1 waits for it instead",
				cfg.FunctionName, id, WaitParam))}
	}
	return results, true
}

// handOffWanted reports whether RESTORE_HANDOFF asks for this call to be
// handed off: by default only Cloud Monitor's callbacks, whose caller
// waits 5 s at most; a webhook restore request keeps the contract's answer
// with its TaskId unless RESTORE_HANDOFF=all.
func (inv *invocation) handOffWanted() bool {
	switch inv.cfg.Handoff {
	case config.HandoffAll:
		return true
	case config.HandoffAlarms:
		return inv.callback != nil
	}
	return false
}

// mayHandOff reports whether every restore of the call can run in the
// asynchronous invocation: none carries a password (the platform keeps
// asynchronous events, a password must not be among them) or is a dry run
// (whose caller wants the plan in the answer), and each passes the checks
// that need no cloud call.
func (inv *invocation) mayHandOff(jobs []job) bool {
	cfg, any := inv.cfg, false
	for _, j := range jobs {
		if j.decided != nil {
			continue
		}
		if j.fleet != nil {
			// A fleet hands out its own members, here (fleet.go).
			return false
		}
		req := j.Request
		// A forced restore (issue 14) stays too: only an authenticated
		// webhook may force, and the asynchronous invocation is not one.
		if req.Password != "" || req.DryRun || req.Force || cfg.DryRun || !cfg.Allowed(req.InstanceID) || cmp.Or(req.Region, cfg.Region) == "" {
			return false
		}
		any = true
	}
	return any
}

// decodeOwn decodes the one field of one of the function's own events (a
// hand-off, a fleet's watch). They are the function's, so
// anything unexpected in them is a mistake: they are decoded strictly.
func decodeOwn[T any](ev event, field string) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(ev.obj[field]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, invalid(field, err.Error())
	}
	return v, nil
}

// handoff runs what an HTTP call handed over, as that call would have.
func (inv *invocation) handoff(ctx context.Context, ev event) []intent.Result {
	h, err := decodeOwn[events.HandoffCall](ev, events.HandoffField)
	if err != nil {
		return inv.requestFailure(err)
	}
	if h.Body == "" || h.Trigger == "" {
		return inv.requestFailure(invalid(events.HandoffField, "trigger and body are required"))
	}
	// Only the function's own hand-off is run as the HTTP call it carries:
	// anyone may invoke the function with this shape, to pass off a
	// request as an authenticated webhook's, or as older than it is.
	if !inv.svc.Settings.Seal.Verify(h.Seal, "handoff", handoffParts(&h)...) {
		inv.log.Warn("handoff.refused", "detail", "hand-off refused: not sealed by this function", "trigger", h.Trigger)
		return inv.requestFailure(unauthenticated("a hand-off must be sealed with the function's own key (RESTORE_SIGNING_KEY): this one is not"))
	}
	switch intent.Channel(h.Channel) {
	case intent.ChannelSigned, intent.ChannelBasic:
	case intent.ChannelInvoke:
		// A fleet's members come by any channel the fleet came by.
		if h.Fleet != "" {
			break
		}
		fallthrough
	default:
		return inv.requestFailure(invalid(events.HandoffField, "channel must be signed or basic"))
	}
	inv.log = inv.log.With("handedOffFrom", h.Trigger)
	jobs := inv.jobs(decodeBody([]byte(h.Body)), inv.handoffSource(&h))
	late := h.StartBy != nil && !inv.h.Now().Before(*h.StartBy)
	for i := range jobs {
		if late && jobs[i].decided == nil && jobs[i].fleet == nil {
			// The fleet's watch has counted it failed ("never started"):
			// started now, the member would contradict the fleet's end.
			var r intent.Result
			r.InstanceID, r.Region = jobs[i].Request.InstanceID, cmp.Or(jobs[i].Request.Region, inv.cfg.Region)
			r.Fail(failure.E(failure.Unavailable, failure.Code("FleetMemberLate"), fmt.Sprintf(
				"fleet %s handed %s out to start by %s, and it reached a container only now: its fleet counts it failed (never started), so it is not restored; send a new request if it is still wanted",
				h.Fleet, r.InstanceID, h.StartBy.UTC().Format(time.RFC3339))))
			inv.log.Warn("fleet.memberLate", "detail", "a fleet member's hand-off came after its start-by time: not restored", "fleetId", h.Fleet, "instanceId", r.InstanceID)
			jobs[i] = job{decided: &r}
		}
		if jobs[i].fleet != nil {
			// A fleet is handed out by its request, never handed on.
			r := inv.requestFailure(invalid(events.HandoffField, "a hand-off holds restores, not a fleet"))[0]
			jobs[i] = job{decided: &r}
		}
		jobs[i].Fleet = h.Fleet
	}
	return inv.run(ctx, jobs)
}

// wantsWait reads ?wait=1 (or true).
func wantsWait(q map[string]events.QueryValue) bool {
	v, ok := q[WaitParam]
	if !ok {
		return false
	}
	s := v.First()
	if s == "" {
		return true // ?wait, or wait=true sent as a flag
	}
	b, err := config.ParseBool(s) // the one yes/no reading: ?wait=yes waits too
	return err == nil && b
}

// handoffParts are what a hand-off's seal covers: every field the
// asynchronous invocation trusts.
func handoffParts(h *events.HandoffCall) []string {
	parts := []string{h.Trigger, h.Channel, h.Since.UTC().Format(time.RFC3339Nano), h.Key, h.Fingerprint, h.Body}
	if h.Fleet != "" {
		parts = append(parts, "fleet", h.Fleet)
	}
	if h.StartBy != nil {
		parts = append(parts, "startBy", h.StartBy.UTC().Format(time.RFC3339Nano))
	}
	return parts
}
