package restore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"redis-restore/internal/edition"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// A fleet is one request that restores many instances of a region (issue
// 20): every allowed instance, a list, or a pattern, each to its own
// newest restorable backup before a bound. It is admitted as a whole here
// (its members, their budgets and backups read from one observation of
// the region, its approval and dry run one plan), and then each member is
// its own intent: the handler fans the members out to the function's own
// asynchronous invocations, sealed, and each goes through Run and its one
// admission like any restore. A watch (WatchFleet), also the function's
// own asynchronous invocation, judges the members in the region's world
// and reports the fleet's progress and its one end.

// Fleet admits a fleet request as a whole, and returns its outcome as the
// result of the request (its Fleet) with the members' jobs to fan out when
// it is accepted. In order: the settings; the members (each allowed); one
// observation of the region (their tasks since the budget's window); a
// member this fleet already restored (a redelivery) is a duplicate, not
// restored again nor counted; each member's budget (held as a whole
// unless forced); each member's backup (the fleet is refused as a whole
// where one has none); an approved plan still holds; then the dry run, or
// a plan for approval, or the members.
func (s *Service) Fleet(ctx context.Context, f intent.Fleet) (res intent.Result) {
	req := f.Request
	region := cmp.Or(req.Region, s.Settings.Region)
	id := intent.FleetID(f.Key)
	if f.Approved != nil {
		id = f.Approved.ID
	}
	out := &intent.FleetOutcome{ID: id, Region: region}
	res = intent.Result{Region: region, FleetID: id, Fleet: out}
	log := s.Log.With("fleetId", id)
	defer func() {
		if p := recover(); p != nil {
			log.Error("fleet.panic", "detail", "fleet panicked", "panic", fmt.Sprint(p))
			res.Fail(failure.E(failure.Internal, failure.Code(failure.CodeInternal), fmt.Sprintf("internal error: %v", p)))
		}
		out.Status = res.Status
		if res.Status != intent.Accepted && res.Status != intent.Planned && res.Status != intent.DryRun && res.Status != intent.Duplicate {
			s.fleetEnded(ctx, f, &res, log)
		}
	}()
	if err := s.settingsCheck(intent.Request{Region: req.Region}, region); err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	if err := s.listedAllowed(req); err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	now := s.Now()
	budget, setting := s.budgetOf(Job{Intent: intent.Intent{Channel: f.Channel}})
	from := f.Since
	if !budget.Off() && (from.IsZero() || now.Add(-budget.Window).Before(from)) {
		from = now.Add(-budget.Window)
	}
	bound := latestBefore(req.Before, now)
	if f.Approved != nil {
		bound = latestBefore(f.Approved.Before, f.Approved.Created)
	}
	// The region's world and its recent backups are read at once: each
	// list has its own limit, and a fleet's admission is one container's.
	var w intent.World
	var recent map[string]intent.Backup
	var g errgroup.Group
	g.Go(func() (err error) {
		w, err = s.Reader().Observe(ctx, region, "", cmp.Or(from, now).Truncate(time.Second), now.Add(time.Minute), log)
		return err
	})
	g.Go(func() (err error) {
		recent, err = s.Reader().RecentBackups(ctx, region, bound, func(id string) bool { return req.Names(id) && s.Settings.AllowedInstance(id) })
		return err
	})
	if err := g.Wait(); err != nil {
		failed(&res, err, log, "fleet refused: the region could not be read")
		return res
	}
	ids, err := s.Reader().FleetMembers(w, region, req)
	if err != nil {
		failed(&res, err, log, "fleet refused")
		return res
	}
	backups, err := s.Reader().NewestBackups(ctx, region, ids, bound, recent)
	if err != nil {
		failed(&res, err, log, "fleet refused: no backups")
		return res
	}
	var held, started, missing, unfit []string
	for _, id := range ids {
		m := intent.FleetMember{InstanceID: id}
		in, ed := w.Instance(id), edition.Of(w.Instance(id).Type)
		if t, ok := intent.NewestTask(intent.StartedSince(w.Tasks[id], f.Since.Truncate(time.Second)), intent.RestoreTask); ok && !f.Since.IsZero() {
			m.TaskID = t.ID
			started = append(started, id)
		} else if in.ID == "" {
			unfit = append(unfit, id+" (not in the region's instance list)")
		} else if ed.Known && !ed.InPlace {
			unfit = append(unfit, fmt.Sprintf("%s (%s, which cannot restore in place: restore it alone with \"mode\": \"switch\")", id, ed))
		} else if st := s.budgetFrom(w, id, budget, setting, now); st != nil && st.FreesAt != nil {
			m.Budget = st
			held = append(held, fmt.Sprintf("%s (until %s)", id, st.FreesAt.Format(time.RFC3339)))
		}
		if b, ok := backups[id]; ok {
			start := b.StartTime.UTC()
			m.BackupID, m.BackupStart = b.ID, &start
		} else if m.TaskID == 0 {
			missing = append(missing, id)
		}
		out.Members = append(out.Members, m)
	}
	switch {
	case len(started) == len(ids):
		res.Status = intent.Duplicate
		res.Reason = fmt.Sprintf("fleet %s: every member's restore started already (a redelivery)", id)
		return res
	case len(unfit) > 0:
		failed(&res, failure.E(failure.Unavailable, failure.Code(CodeUnsupportedEdition), failure.Field("instances"),
			"the fleet restores none: "+strings.Join(unfit, ", ")), log, "fleet refused")
		return res
	case len(missing) > 0:
		failed(&res, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound), failure.Field("instances"),
			fmt.Sprintf("no restorable backup before %s of %s: the fleet restores none (narrow it, or restore these alone)",
				bound.UTC().Format(time.RFC3339), strings.Join(missing, ", "))), log, "fleet refused")
		return res
	case len(held) > 0 && !req.Force && !req.DryRun:
		res.Status, res.Held = intent.Skipped, true
		res.Error = &intent.ErrorBody{Code: intent.CodeBudgetExceeded, Message: fmt.Sprintf(
			"%s allows %d restore(s) per instance per %s, spent for %s: the fleet restores none (an authenticated webhook may override with \"force\": true)",
			setting, budget.Limit, budget.WindowString(), strings.Join(held, ", "))}
		log.Warn("fleet.held", "detail", "fleet held back by its members' budgets", "held", len(held))
		return res
	}
	plan := &intent.FleetPlan{ID: id, Region: region, Instances: req.Instances, Pattern: req.Pattern, Before: req.Before,
		TakesSafetyBackup: s.safetyWanted(Job{Intent: intent.Intent{Request: req.Member("", ""), Trigger: f.Trigger}}), Trigger: f.Trigger, Channel: f.Channel,
		Members: out.Members, Digest: intent.FleetDigest(out.Members)}
	if p := f.Approved; p != nil {
		switch {
		case now.After(p.Expires):
			failed(&res, failure.E(failure.Conflict, failure.Code(intent.CodePlanExpired), failure.Field("approve"),
				fmt.Sprintf("fleet plan %s expired at %s: not restored; send the request again for a new plan", p.ID, p.Expires.Format(time.RFC3339))), log, "approval refused")
			return res
		case p.Digest != plan.Digest:
			failed(&res, failure.E(failure.Conflict, failure.Code(intent.CodePlanOutdated), failure.Field("approve"),
				fmt.Sprintf("fleet plan %s: its members or their backups changed since it was made: not restored; send the request again for a new plan", p.ID)), log, "approval refused")
			out.Plan = plan
			return res
		}
		plan = p
		log.Info("approval.planHolds", "detail", "approved fleet plan still holds", "planId", p.ID, "members", len(p.Members))
	}
	switch {
	case req.DryRun || s.Settings.DryRun:
		res.Status, out.Plan = intent.DryRun, plan
		res.Reason = fmt.Sprintf("dry run: fleet %s would restore %d instances; nothing was restored", id, len(ids))
		return res
	case f.Approved == nil && s.Settings.Approval[f.Channel]:
		if s.Settings.Seal == nil {
			failed(&res, intent.ErrNoSeal("a fleet plan waiting for approval"), log, "fleet refused")
			return res
		}
		plan.Sign(s.Settings.Seal, now, s.Settings.ApprovalTTL)
		res.Status, out.Plan = intent.Planned, plan
		res.Reason = fmt.Sprintf("RESTORE_APPROVAL holds restores that come by %s for approval: fleet plan %s (%d instances) is on the queue (its planned message), for an approver to apply before %s",
			f.Channel, id, len(ids), plan.Expires.Format(time.RFC3339))
		s.FleetMessage(ctx, "fleet.planned", uuid.FromName("fleet/"+id+"/planned"), f.Trigger, region, map[string]any{"fleetId": id, "plan": plan}, log)
		out.Plan = plan.WithoutToken()
		return res
	}
	// An approved fleet's event is its plan: its Since is the plan's
	// creation (ParseFleetPlan).
	key := "fleet:" + id
	for _, m := range out.Members {
		if m.TaskID != 0 {
			continue
		}
		r := req.Member(m.InstanceID, m.BackupID)
		r.Region = region
		out.Jobs = append(out.Jobs, intent.Intent{Request: r, Trigger: f.Trigger, Channel: f.Channel, Since: f.Since, Key: key + ":" + m.InstanceID,
			Fleet: id, JobGuard: intent.JobGuard{Force: req.Force}})
	}
	res.Status = intent.Accepted
	res.Reason = fmt.Sprintf("fleet %s: %d instances to restore, %d already restored by it", id, len(out.Jobs), len(started))
	log.Info("fleet.accepted", "detail", "fleet admitted", "members", len(ids), "toStart", len(out.Jobs))
	return res
}

// fleetEnded reports a fleet that ended at its request (refused, held,
// failed): its completed message. Not a failure the platform retries
// (transient, or unknown): the retry may yet run the fleet, whose watch
// sends its end. And under an id of the refusal's own: a held fleet may
// be applied again with force (an approval's token), and the watch's
// end then has the fleet's id to itself.
func (s *Service) fleetEnded(ctx context.Context, f intent.Fleet, res *intent.Result, log *slog.Logger) {
	if res.Status == intent.Unknown || res.Status == intent.Failed && res.Kind.Retry() == failure.Backoff {
		log.Info("fleet.notEnded", "detail", "the fleet failed at its request, and the platform retries it: no end is reported yet", "code", res.Error.Code)
		return
	}
	code := "refused"
	if res.Error != nil {
		code = res.Error.Code
	}
	data := map[string]any{"fleetId": res.FleetID, "status": res.Status, "total": len(res.Fleet.Members), "error": res.Error,
		"reason": res.Reason}
	s.FleetMessage(ctx, "fleet.completed", uuid.FromName("fleet/"+res.FleetID+"/refused/"+code), f.Trigger, res.Region, data, log)
}

// FleetMessage puts one of a fleet's own messages on the queue, retried
// as an outcome is; a message that cannot be sent is logged, and its
// sender's invocation fails where that makes the platform send it again.
func (s *Service) FleetMessage(ctx context.Context, kind, id, trigger, region string, data any, log *slog.Logger) error {
	if s.Outbox == nil || !s.Settings.CanReport {
		return failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), "no queue for the fleet's messages")
	}
	body, err := json.Marshal(intent.Envelope[any]{SpecVersion: "1.0", ID: id, Source: s.Source, Type: intent.EventTypePrefix + kind, Time: s.Now().UTC(),
		DataContentType: "application/json", Data: data})
	if err != nil {
		return err
	}
	_, err = Retry(ctx, s, func() (string, error) {
		return s.Outbox.Publish(ctx, cmp.Or(s.Settings.Region, region), string(body), []string{kind, trigger})
	})
	if err != nil {
		log.Error("fleet.messageUndelivered", "detail", "a fleet message could not be sent", "type", kind, "error", err.Error())
		return err
	}
	log.Info("fleet.messageSent", "detail", "fleet message sent", "type", kind, "id", id)
	return nil
}
