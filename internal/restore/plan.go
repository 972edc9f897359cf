package restore

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/edition"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// guardrails runs the guard rails between the search for an earlier
// delivery's restore and the restore itself: an approved plan must still
// hold, the budget must allow one more restore, and a dry run or a
// restore that waits for approval ends in a plan. It returns true when res
// is decided.
func (s *Service) guardrails(ctx context.Context, job Job, res *intent.Result, dryRun bool, log *slog.Logger) bool {
	if job.Approved != nil && s.refuseStale(ctx, job, res, log) {
		return true
	}
	if !dryRun && s.overBudget(ctx, job, res, false, log) {
		return true
	}
	// A fleet's member was approved with its fleet (fleet.go).
	if dryRun || (job.Approved == nil && job.Fleet == "" && s.Settings.Approval[job.Channel]) {
		s.plan(ctx, job, res, dryRun, log)
		return true
	}
	return false
}

// plan works out what the restore would do: the dry run's answer, or a
// signed plan waiting for approval. One code path for both.
func (s *Service) plan(ctx context.Context, job Job, res *intent.Result, dryRun bool, log *slog.Logger) {
	p, err := s.draft(ctx, job, res.Region)
	if err != nil {
		failed(res, err, log, "no plan")
		return
	}
	res.BackupID = p.BackupID
	s.lifePlan(job, res, p, dryRun) // the safety backup and the steps: lifecycle.go
	if dryRun {
		res.Status = intent.DryRun
		res.Plan = p
		res.Reason = intent.JoinReason("dry run: RestoreInstance not called", intent.JoinReason(job.Reason, p.Why))
		log.Info("plan.dryRun", "detail", "dry run: restore planned", "backupId", p.BackupID)
		return
	}
	if s.Settings.Seal == nil {
		res.Fail(intent.ErrNoSeal("a plan waiting for approval"))
		return
	}
	p.Sign(s.Settings.Seal, job.Key, s.Now(), s.Settings.ApprovalTTL)
	res.Status = intent.Planned
	res.Plan = p
	res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("%s; RESTORE_APPROVAL holds restores that come by %s for approval: the plan's token is on the queue (its planned message), for an approver to apply before %s",
		p.Why, job.Channel, p.Expires.Format(time.RFC3339)))
	log.Info("plan.awaitingApproval", "detail", "restore planned, waiting for approval", "planId", p.ID, "backupId", p.BackupID, "expires", p.Expires.Format(time.RFC3339))
}

// draft chooses the backup and reads the budget, as a restore would.
func (s *Service) draft(ctx context.Context, job Job, region string) (*intent.Plan, error) {
	req := job.Request
	p := &intent.Plan{InstanceID: req.InstanceID, Region: region, Edition: "unknown", Requested: req.BackupID,
		Mode: cmp.Or(req.Mode, intent.ModeRestore), CloneTime: req.CloneTime, TakesSafetyBackup: s.safetyWanted(job),
		Trigger: job.Trigger, Channel: job.Channel, Alarm: job.Alarm, Reason: job.Reason}
	if in := job.instance; in != nil {
		p.Edition, p.InstanceType = edition.Of(in.Type).String(), in.Type
	}
	if req.Mode == intent.ModeUnswitch {
		p.Why = "switch the addresses of " + req.InstanceID + " and its switched-in clone back: no backup is restored"
	} else if req.BackupID == intent.LatestBackup {
		before := s.latestBound(job)
		if req.Before != nil {
			utc := before.UTC()
			p.Before = &utc
		}
		b, err := s.Reader().ChooseBackup(ctx, region, req.InstanceID, before, nil)
		if err != nil {
			return nil, err
		}
		p.BackupID, p.BackupStart = b.ID, b.StartTime.UTC()
		p.Why = fmt.Sprintf("chose backup %s, started %s, the newest restorable one before %s",
			b.ID, b.StartTime.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339))
	} else {
		b, err := s.Reader().LookupBackup(ctx, region, req.InstanceID, req.BackupID, time.Time{})
		if err != nil {
			return nil, err
		}
		if why := intent.NotRestorable(b); why != "" {
			return nil, failure.E(failure.Unavailable, failure.Code("ResourceUnavailable.BackupStatusAbnormal"), failure.Field("backupId"),
				fmt.Sprintf("backup %s of %s %s", b.ID, req.InstanceID, why))
		}
		p.BackupID, p.BackupStart = b.ID, b.StartTime.UTC()
		p.Why = fmt.Sprintf("backup %s, started %s, as asked", b.ID, b.StartTime.UTC().Format(time.RFC3339))
	}
	st, _, err := s.readBudget(ctx, job, region, false)
	if err != nil {
		return nil, err
	}
	p.Budget = st
	return p, nil
}

// refuseStale refuses an approval whose plan no longer holds, with the
// reason and a fresh plan: it expired, its backup is gone, expired or
// locked, or a newer restorable backup now fits what was asked.
func (s *Service) refuseStale(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) bool {
	p := job.Approved
	var code, why string
	now := s.Now()
	switch in := job.instance; {
	case now.After(p.Expires):
		code, why = intent.CodePlanExpired, fmt.Sprintf("plan %s expired at %s", p.ID, p.Expires.Format(time.RFC3339))
	case in != nil && p.InstanceType != 0 && in.Type != p.InstanceType:
		// Its state otherwise checkEdition has judged: not running is
		// refused there, plan or not.
		code, why = intent.CodePlanOutdated, fmt.Sprintf("plan %s: %s changed edition from %s to %s", p.ID, p.InstanceID,
			edition.Of(p.InstanceType), edition.Of(in.Type))
	case p.Mode == intent.ModeUnswitch:
		// No backup to check: the switch back finds its clone when applied.
	default:
		b, err := s.Reader().LookupBackup(ctx, res.Region, p.InstanceID, p.BackupID, p.BackupStart)
		switch {
		case failure.KindOf(err) == failure.NotFound:
			code, why = intent.CodePlanOutdated, fmt.Sprintf("plan %s: backup %s is no longer listed", p.ID, p.BackupID)
		case err != nil:
			res.Fail(err)
			log.Warn("approval.checkFailed", "detail", "could not check the approved plan's backup; not restoring", "planId", p.ID, "code", res.Error.Code)
			return true
		case intent.NotRestorable(b) != "":
			code, why = intent.CodePlanOutdated, fmt.Sprintf("plan %s: backup %s %s", p.ID, p.BackupID, intent.NotRestorable(b))
		case p.Requested == intent.LatestBackup:
			nb, err := s.Reader().ChooseBackup(ctx, res.Region, p.InstanceID, latestBefore(p.Before, now), nil)
			switch {
			case err != nil && failure.KindOf(err) != failure.NotFound:
				res.Fail(err)
				return true
			case err == nil && nb.ID != p.BackupID:
				code, why = intent.CodePlanOutdated, fmt.Sprintf("plan %s: a newer restorable backup %s (started %s) appeared after it chose %s",
					p.ID, nb.ID, nb.StartTime.UTC().Format(time.RFC3339), p.BackupID)
			}
		}
	}
	if code == "" {
		log.Info("approval.planHolds", "detail", "approved plan still holds", "planId", p.ID, "backupId", p.BackupID)
		return false
	}
	if code == intent.CodePlanExpired {
		// An expired plan mints nothing: whoever holds an old link must
		// not get a fresh token by posting it. The request is asked again.
		res.Fail(failure.E(failure.Conflict, failure.Code(code), failure.Field("approve"), why+": not restored; send the request again for a new plan"))
		log.Warn("approval.refused", "detail", "approval refused", "planId", p.ID, "code", code, "reason", why)
		return true
	}
	res.Fail(failure.E(failure.Conflict, failure.Code(code), failure.Field("approve"), why+": not restored; a fresh plan is on the queue for the approvers"))
	// The fresh plan: what was asked for, worked out again, with the rest
	// of the intent as it was.
	req := p.Request()
	req.BackupID, req.Before = p.Requested, p.Before
	fresh := Job{Intent: intent.Intent{
		Request:  req,
		Trigger:  p.Trigger,
		Channel:  p.Channel,
		Reason:   p.Reason,
		JobGuard: intent.JobGuard{Alarm: p.Alarm},
	}, instance: job.instance}
	if np, err := s.draft(ctx, fresh, res.Region); err != nil {
		res.Error.Message += fmt.Sprintf("; no fresh plan either: %v", err)
	} else {
		s.lifePlan(fresh, res, np, false)
		np.Sign(s.Settings.Seal, "", now, s.Settings.ApprovalTTL)
		res.Plan = np
		res.BackupID = np.BackupID
	}
	log.Warn("approval.refused", "detail", "approval refused", "planId", p.ID, "code", code, "reason", why)
	return true
}
