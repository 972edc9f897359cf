package handler

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/events"
	"redis-restore/internal/cloud"
	"redis-restore/internal/failure"
	"redis-restore/internal/follow"
	"redis-restore/internal/intent"
	"redis-restore/internal/restore"
	"redis-restore/internal/uuid"
)

// A fleet request, {"fleet": {...}}, restores many instances (issue 20;
// restore/fleet.go admits it as a whole). Here it is read, and its
// members fanned out by the platform: the function's own asynchronous
// invocations, up to maxChunk members each, sealed like a webhook's hand-off,
// then a watch (the same kind of invocation) that reports the fleet's
// progress every RESTORE_SWEEP_EVERY until its end. Nothing loops inside
// one invocation beyond its own time.

// maxChunk is the most members one asynchronous invocation restores: few
// enough to finish well within the function's timeout at a container's
// share of the account's limits (about a restore a second with 16
// containers), many enough that a fleet of 1,000 is about 50 Invoke calls,
// handed out at that container's share of Invoke's 100 a second.
const maxChunk = 20

// chunkSize spreads n members over whole rounds of the containers that
// restore them (RESTORE_CONCURRENCY: the watch first looks once they can
// be done, intent.FleetWatchFirst), so that the last round is as full as
// the first: a last round of two chunks would leave two containers
// restoring while the rest wait.
func chunkSize(n, containers int) int {
	c := max(containers, 1)
	rounds := (n + c*maxChunk - 1) / (c * maxChunk)
	chunks := max(c*rounds, 1)
	return max((n+chunks-1)/chunks, 1)
}

var fleetFields = map[string]string{
	"instances": "instances", "backupid": "backupId", "before": "before", "region": "region",
	"mode": "mode", "safetybackup": "safetyBackup", "dryrun": "dryRun", "force": "force",
}

// parseFleet reads a fleet request strictly: unknown or repeated fields
// are refused by name.
func parseFleet(obj fields) (intent.FleetRequest, error) {
	var f intent.FleetRequest
	raw, _ := lookup(obj, "fleet")
	if len(obj) != 1 {
		return f, invalid("fleet", `a fleet request holds nothing but "fleet"`)
	}
	inner, err := decodeObject(raw)
	if err != nil {
		return f, invalid("fleet", "must be an object such as {\"instances\": \"*\", \"before\": \"2026-12-06T10:00:00+08:00\"}")
	}
	seen := map[string]string{}
	for key, raw := range inner {
		name, ok := fleetFields[strings.ToLower(key)]
		if !ok {
			return f, invalid("fleet."+key, "unknown field (want instances, backupId, before, region, mode, safetyBackup, dryRun, force)")
		}
		if other, dup := seen[name]; dup {
			return f, invalid("fleet."+name, fmt.Sprintf("given twice, as %q and %q", other, key))
		}
		seen[name] = key
		if err := setFleetField(&f, name, raw); err != nil {
			return f, invalid("fleet."+name, err.Error())
		}
	}
	if err := f.Validate(); err != nil {
		e := failure.As(err)
		return f, invalid("fleet."+e.Field, e.Message)
	}
	return f, nil
}

func setFleetField(f *intent.FleetRequest, name string, raw json.RawMessage) error {
	switch name {
	case "instances":
		if json.Unmarshal(raw, &f.Instances) == nil && f.Instances != nil {
			for i, id := range f.Instances {
				f.Instances[i] = strings.TrimSpace(id)
			}
			return nil
		}
		if json.Unmarshal(raw, &f.Pattern) != nil || strings.TrimSpace(f.Pattern) == "" {
			return fmt.Errorf(`must be a list of instance IDs, or a pattern such as "crs-web-*" ("*": every allowed instance)`)
		}
		f.Pattern = strings.TrimSpace(f.Pattern)
		return nil
	case "dryRun", "force", "safetyBackup":
		v, err := decodeBool(raw)
		if err != nil {
			return err
		}
		switch name {
		case "dryRun":
			f.DryRun = v
		case "force":
			f.Force = v
		default:
			f.SafetyBackup = &v
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return fmt.Errorf("must be a string")
	}
	s = strings.TrimSpace(s)
	switch name {
	case "backupId":
		f.BackupID = s
	case "region":
		f.Region = s
	case "mode":
		f.Mode = strings.ToLower(s)
	case "before":
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("must be an RFC 3339 time such as 2026-11-29T03:00:00+08:00")
		}
		f.Before = &t
	}
	return nil
}

// fleetJob reads a fleet request body into its job.
func (inv *invocation) fleetJob(b body, src source) (job, error) {
	f, err := parseFleet(b.obj)
	if err != nil {
		return job{}, err
	}
	if f.Force && !src.mayForce {
		return job{}, invalid("fleet.force", "only an authenticated webhook call may override the restore budget")
	}
	if src.key == "" || strings.HasPrefix(src.key, "sig:") {
		// A fleet without a key of its own (a bare direct invocation, a
		// webhook call without an Idempotency-Key) is named by its body,
		// as a key would name it, and looked for as far back: sent again
		// (a new signature, the platform's retry of a keyless event) it
		// is the same fleet, with the same id, and a member it restored
		// is not restored again.
		sum := sha256.Sum256(b.data)
		src.key = "fleet-body:" + hex.EncodeToString(sum[:16])
		if back := inv.received.Add(-intent.FleetResendWindow); back.Before(src.since) {
			src.since = back
		}
	}
	return job{fleet: &intent.Fleet{Request: f, Trigger: src.trigger, Channel: src.channel, Since: src.since, Key: requestKey(src, 0)}}, nil
}

// runFleet admits a fleet and fans its members out.
func (inv *invocation) runFleet(ctx context.Context, svc *restore.Service, f intent.Fleet) intent.Result {
	if !f.Request.DryRun && !inv.cfg.DryRun && svc.Refuse == nil && svc.Settings.Seal == nil {
		var r intent.Result
		r.Fail(failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("RESTORE_SIGNING_KEY"),
			"a fleet hands its members to the function's own asynchronous invocations, sealed with RESTORE_SIGNING_KEY, which is not set"))
		return r
	}
	// Until the fleet is admitted and handed out none of its members has
	// started: its reads and its Invoke calls take the whole limit, not
	// one container's share (cloud.Alone).
	ctx = cloud.Alone(ctx)
	res := svc.Fleet(ctx, f)
	if res.Status != intent.Accepted && res.Status != intent.Duplicate {
		return res
	}
	var failed []string
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(4)
	jobs := res.Fleet.Jobs
	size := chunkSize(len(jobs), inv.cfg.Concurrency)
	for start := 0; start < len(jobs); start += size {
		chunk := jobs[start:min(start+size, len(jobs))]
		g.Go(func() error {
			if err := inv.handOutMembers(ctx, svc, f, res.FleetID, chunk); err != nil {
				mu.Lock()
				defer mu.Unlock()
				for _, j := range chunk {
					failed = append(failed, j.Request.InstanceID)
				}
				inv.log.Warn("fleet.handOutFailed", "detail", "members could not be handed out", "fleetId", res.FleetID, "error", err.Error())
			}
			return nil
		})
	}
	g.Wait()
	members, backups := make([]string, len(res.Fleet.Members)), make([]string, len(res.Fleet.Members))
	for i, m := range res.Fleet.Members {
		members[i] = m.InstanceID
		if m.TaskID == 0 {
			// Handed out now, to restore this backup. A member this
			// fleet already restored (a delivery again) restored what an
			// earlier delivery chose, which "latest" may not choose now:
			// unknown ("").
			backups[i] = m.BackupID
		}
	}
	watch := events.FleetWatch{ID: res.FleetID, Region: res.Region, Trigger: f.Trigger, Since: f.Since.UTC(), Start: inv.h.Now().UTC(), Members: members, Backups: backups}
	werr := inv.invokeWatch(ctx, svc, watch)
	switch {
	case len(failed) > 0:
		res.Unclear(failure.E(failure.Transient, failure.Code("FleetHandOutFailed"), fmt.Sprintf(
			"fleet %s: %d members could not be handed out (%s): the request fails so that it is sent again; a member already restored is not restored twice",
			res.FleetID, len(failed), strings.Join(failed, ", "))))
	case werr != nil:
		res.Unclear(failure.E(failure.Transient, failure.Code("FleetWatchNotStarted"), fmt.Sprintf(
			"fleet %s: its members were handed out, but its watch could not be started (%v): the request fails so that it is sent again", res.FleetID, werr)))
	}
	return res
}

// handOutMembers hands a chunk of members to one asynchronous invocation.
func (inv *invocation) handOutMembers(ctx context.Context, svc *restore.Service, f intent.Fleet, id string, chunk []intent.Intent) error {
	reqs := make([]intent.Request, len(chunk))
	ids := make([]string, len(chunk))
	for i, j := range chunk {
		reqs[i], ids[i] = j.Request, j.Request.InstanceID
	}
	b, err := json.Marshal(map[string]any{"restores": reqs})
	if err != nil {
		return err
	}
	// The chunk's key names its members in order: a member's key is the
	// chunk's and its place in it (requestKey), so a redelivered fleet's
	// chunk of other members (some restored meanwhile) must not share a
	// key with this one, or a container's memory would answer a member
	// with another's result.
	call := events.HandoffCall{Trigger: f.Trigger, Channel: string(f.Channel), Since: chunk[0].Since.UTC(),
		Key: "fleet:" + id + ":" + uuid.FromName(strings.Join(ids, ",")), Body: string(b), Fleet: id}
	startBy := inv.h.Now().Add(intent.FleetStartWithin).UTC()
	call.StartBy = &startBy
	call.Seal = svc.Settings.Seal.Sum("handoff", handoffParts(&call)...)
	_, err = inv.invokeSelf(ctx, events.HandoffEvent{Handoff: call})
	return err
}

func (inv *invocation) invokeWatch(ctx context.Context, svc *restore.Service, w events.FleetWatch) error {
	w.Seal = svc.Settings.Seal.Sum("fleetwatch", fleetWatchParts(&w)...)
	_, err := inv.invokeSelf(ctx, events.FleetWatchEvent{Watch: w})
	return err
}

// invokeSelf sends an event to the function's own asynchronous invocation
// (a hand-off, a fleet's members, its watch) and returns its request id.
func (inv *invocation) invokeSelf(ctx context.Context, ev any) (string, error) {
	payload, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	if len(payload) > cloud.MaxAsyncEvent {
		return "", fmt.Errorf("the event is %d bytes, more than the %d an asynchronous invocation takes", len(payload), cloud.MaxAsyncEvent)
	}
	cfg := inv.cfg
	return inv.h.Clients.Session(cfg.Credentials, cfg.EndpointURL).InvokeAsync(ctx, cfg.Region, cfg.Namespace, cfg.FunctionName, inv.qualifier, payload)
}

// watchIntent starts the watch of one intent (restore.Service.Watch).
func (inv *invocation) watchIntent(ctx context.Context, fw intent.FleetWatch) error {
	if inv.svc.Settings.Seal == nil {
		return fmt.Errorf("no RESTORE_SIGNING_KEY to seal the watch with")
	}
	return inv.invokeWatch(ctx, inv.svc, events.FleetWatch{Region: fw.Region, Trigger: fw.Trigger, Since: fw.Since.UTC(), Start: inv.h.Now().UTC(),
		Members: fw.Members, SafetyTask: fw.SafetyTask, Restores: fw.Restores, Key: fw.Key})
}

func fleetWatchParts(w *events.FleetWatch) []string {
	parts := []string{w.ID, w.Region, w.Trigger, w.Since.UTC().Format(time.RFC3339Nano), w.Start.UTC().Format(time.RFC3339Nano),
		fmt.Sprint(w.Step), strings.Join(w.Members, ","), fmt.Sprint(w.SafetyTask), w.Restores, w.Key}
	if len(w.Backups) > 0 { // a watch sealed before it had them still verifies
		// Their number too: ["a","b"] and ["a,b"] join alike.
		parts = append(parts, fmt.Sprint(len(w.Backups)), strings.Join(w.Backups, ","))
	}
	return parts
}

// fleetWatch is one step of a fleet's watch: it waits until the step is
// due (a period after the last), looks, reports, and hands on to the next
// step, unless the fleet ended. A step that cannot be due within this
// invocation's time hands on to itself.
func (inv *invocation) fleetWatch(ctx context.Context, ev event) []intent.Result {
	w, err := decodeOwn[events.FleetWatch](ev, events.FleetWatchField)
	if err != nil {
		return inv.requestFailure(err)
	}
	svc := inv.service(ctx)
	if svc.Refuse != nil {
		return inv.requestFailure(svc.Refuse)
	}
	if !svc.Settings.Seal.Verify(w.Seal, "fleetwatch", fleetWatchParts(&w)...) || len(w.Backups) > 0 && len(w.Backups) != len(w.Members) {
		inv.log.Warn("fleet.watchRefused", "detail", "fleet watch refused: not sealed by this function", "fleetId", w.ID)
		return inv.requestFailure(unauthenticated("a fleet's watch must be sealed with the function's own key (RESTORE_SIGNING_KEY): this one is not"))
	}
	every := cmp.Or(svc.Settings.Life.SweepEvery, time.Minute)
	log := inv.log.With("fleetId", w.ID, "step", w.Step)
	due := intent.FleetWatchFirst(len(w.Members)) + time.Duration(w.Step)*every
	if w.ID == "" { // one intent's watch: soon at first (intent.IntentStepDue)
		due = intent.IntentStepDue(w.Step, every)
	}
	if wait := w.Start.Add(due).Sub(inv.h.Now()); wait > 0 {
		room := 50 * time.Second
		if d, ok := ctx.Deadline(); ok {
			// Time kept to look, report and hand on: 10 s, or a quarter
			// of a short timeout.
			left := time.Until(d)
			room = left - min(10*time.Second, left/4)
		}
		if wait > room {
			// Not due within this invocation: wait what it can, then
			// hand the same step on.
			inv.h.Sleep(ctx, max(room, 0))
			return inv.watchHandedOn(ctx, svc, w, log)
		}
		if err := inv.h.Sleep(ctx, wait); err != nil {
			return inv.requestFailure(failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded), "the fleet's watch ran out of time"))
		}
	}
	fw := intent.FleetWatch{ID: w.ID, Region: w.Region, Trigger: w.Trigger, Since: w.Since, Members: w.Members, Backups: w.Backups, Step: w.Step,
		SafetyTask: w.SafetyTask, Restores: w.Restores, Start: w.Start, Key: w.Key}
	counts, done, err := (&follow.Follower{Service: svc}).WatchFleet(ctx, fw)
	if err != nil {
		e := failure.As(err)
		// An intent's message the sweep sends again (its catch-up slots)
		// fails the step into the platform's retries, as it always did.
		resent := w.ID == "" && e.Code == "OutcomeUndelivered"
		if !resent && inv.h.Now().Sub(w.Start) < fw.WatchLife() {
			// The platform retries a failed step twice, then drops it,
			// and nothing else follows a fleet (or an intent's unlisted
			// safety backup): a step that could not look or send hands on
			// the next one, a period later, for as long as the watch
			// lives; its messages keep their ids.
			log.Warn("fleet.watchStepFailed", "detail", "the watch's step failed: the next step looks again", "code", e.Code, "error", e.Message)
			w.Step++
			return inv.watchHandedOn(ctx, svc, w, log)
		}
		return inv.requestFailure(failure.E(failure.Transient, failure.Code(cmp.Or(e.Code, "FleetWatchFailed")), "fleet "+w.ID+": "+e.Message))
	}
	r := intent.Result{FleetID: w.ID, Region: w.Region, Status: intent.Skipped,
		Reason: fmt.Sprintf("fleet %s, step %d: %d members, %d accepted, %d running, %d done, %d failed, %d unproven (a restore after its safety backup, not provably its own)", w.ID, w.Step, counts.Total, counts.Accepted, counts.Running, counts.Done, counts.Failed, counts.Unproven)}
	if w.ID == "" {
		r.Reason = fmt.Sprintf("the watch of the intent on %s (safety backup task %d), step %d", strings.Join(w.Members, ","), w.SafetyTask, w.Step)
	}
	if done {
		r.Reason += ": completed"
		return []intent.Result{r}
	}
	w.Step++
	return inv.watchHandedOn(ctx, svc, w, log)
}

// watchHandedOn invokes the watch's next step; where that fails, this step
// fails so that the platform runs it again (its messages keep their ids).
func (inv *invocation) watchHandedOn(ctx context.Context, svc *restore.Service, w events.FleetWatch, log *slog.Logger) []intent.Result {
	if err := inv.invokeWatch(ctx, svc, w); err != nil {
		return inv.requestFailure(failure.E(failure.Transient, failure.Code("FleetWatchNotHandedOn"),
			fmt.Sprintf("fleet %s: its watch's step %d could not be handed on (%v)", w.ID, w.Step, err)))
	}
	log.Info("fleet.watchHandedOn", "detail", "fleet watch handed on", "nextStep", w.Step)
	return []intent.Result{{FleetID: w.ID, Region: w.Region, Status: intent.Skipped, Reason: fmt.Sprintf("fleet %s: step %d handed on", w.ID, w.Step)}}
}
