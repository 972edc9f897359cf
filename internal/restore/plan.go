package restore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"redis-restore/internal/failure"
	sealpkg "redis-restore/internal/seal"

	"redis-restore/internal/edition"
)

// Planned: the restore waits for a person (RESTORE_APPROVAL); the result's
// plan says what would be done, and its token applies it.
const Planned Status = "planned"

// Codes of refused approvals.
const (
	CodeInvalidApproval = "InvalidApproval" // not a plan this function signed: tampered, truncated, another secret
	CodePlanExpired     = "PlanExpired"
	CodePlanOutdated    = "PlanOutdated" // the backup chosen is no longer the right one
)

// Plan is what a restore would do, worked out without doing it: the dry
// run's answer, and, signed, what a person approves. It is self-contained:
// approving sends it back, and nothing is stored.
type Plan struct {
	ID         string `json:"id,omitempty"`
	InstanceID string `json:"instanceId"`
	Region     string `json:"region"`
	Edition    string `json:"edition"` // as DescribeInstances told it; "unknown" if it was not read
	// InstanceType is DescribeInstances' Type when the plan was made: an
	// approval after the instance changed edition is refused.
	InstanceType int64     `json:"instanceType,omitempty"`
	BackupID     string    `json:"backupId"`
	BackupStart  time.Time `json:"backupStart"`
	Why          string    `json:"why"`       // why this backup
	Requested    string    `json:"requested"` // what was asked for: "latest" or a backup ID
	// Before bounds "latest": the newest restorable backup that started
	// before it. Nil: before the moment of restoring.
	Before       *time.Time `json:"before,omitempty"`
	SafetyBackup string     `json:"safetyBackup,omitempty"`
	// The rest of the intent, applied exactly as shown: the mode, the
	// clone's point in time, whether a safety backup comes first, and the
	// channel the request came by.
	Mode              string       `json:"mode"`
	CloneTime         *time.Time   `json:"cloneTime,omitempty"`
	TakesSafetyBackup bool         `json:"takesSafetyBackup"`
	Channel           Channel      `json:"channel"`
	Trigger           string       `json:"trigger"`
	Alarm             bool         `json:"alarm,omitempty"`
	Reason            string       `json:"reason,omitempty"` // why a restore at all
	Budget            *BudgetState `json:"budget,omitempty"`
	Created           time.Time    `json:"created,omitzero"`
	Expires           time.Time    `json:"expires,omitzero"`
	// Token is the signed plan: {"approve": "<token>"} through the webhook,
	// or ?approve=<token>, applies it.
	Token string `json:"token,omitempty"`
}

// planClaims is what the token signs: everything needed to apply the plan
// and to tell whether it still holds.
type planClaims struct {
	V           int    `json:"v"`
	ID          string `json:"id"`
	Instance    string `json:"i"`
	Region      string `json:"r"`
	Backup      string `json:"b"`
	Type        int64  `json:"it,omitempty"`
	BackupStart int64  `json:"bs"`
	Requested   string `json:"q"`
	Before      int64  `json:"bf,omitempty"`
	Trigger     string `json:"t"`
	Channel     string `json:"ch"`
	Mode        string `json:"m"`
	CloneTime   int64  `json:"ct,omitempty"`
	Safety      bool   `json:"s,omitempty"`
	Alarm       bool   `json:"a,omitempty"`
	Reason      string `json:"why,omitempty"`
	Created     int64  `json:"c"`
	Expires     int64  `json:"e"`
}

// sign fills the plan's ID, creation, expiry and token. The ID comes from
// the event when it has an identity, so that the deliveries of one alarm
// offer one plan (and their messages share an id); else from the plan.
func (p *Plan) sign(seal *Seal, eventKey string, now time.Time, ttl time.Duration) {
	p.Created = now.UTC().Truncate(time.Second)
	p.Expires = p.Created.Add(ttl)
	seed := eventKey + "|" + p.BackupID
	if eventKey == "" {
		seed = fmt.Sprintf("%s|%s|%d", p.InstanceID, p.BackupID, now.UnixNano())
	}
	sum := sha256.Sum256([]byte(seed))
	p.ID = "plan-" + hex.EncodeToString(sum[:8])
	c := planClaims{V: 1, ID: p.ID, Instance: p.InstanceID, Region: p.Region, Backup: p.BackupID, Type: p.InstanceType,
		BackupStart: p.BackupStart.Unix(), Requested: p.Requested, Trigger: p.Trigger, Channel: string(p.Channel),
		Mode: p.Mode, Safety: p.TakesSafetyBackup, Alarm: p.Alarm,
		Reason: p.Reason, Created: p.Created.Unix(), Expires: p.Expires.Unix()}
	if p.Before != nil {
		c.Before = p.Before.Unix()
	}
	if p.CloneTime != nil {
		c.CloneTime = p.CloneTime.Unix()
	}
	p.Token = seal.Token("plan", c)
}

// ParsePlan verifies a plan token against the function's own key and
// returns the plan it signs. A token this function did not sign with this
// key, or that was changed in any byte, is refused as Unauthenticated.
// Expiry is not judged here: applying an expired plan is refused.
func ParsePlan(seal *Seal, token string) (*Plan, error) {
	var c planClaims
	switch err := seal.Open("plan", token, &c); {
	case err == nil && c.V == 1:
	case errors.Is(err, sealpkg.ErrNoKey):
		return nil, refusePlan("approvals need RESTORE_SIGNING_KEY, with which the function signs its plans")
	case errors.Is(err, sealpkg.ErrForged):
		return nil, refusePlan("the plan's signature does not match it: changed since it was made, or not made by this function")
	case errors.Is(err, sealpkg.ErrMalformed):
		return nil, refusePlan("not a plan token (v1.<plan>.<signature>)")
	default:
		return nil, refusePlan("the plan is not readable")
	}
	p := &Plan{ID: c.ID, InstanceID: c.Instance, Region: c.Region, Edition: "unknown", InstanceType: c.Type, BackupID: c.Backup,
		BackupStart: time.Unix(c.BackupStart, 0).UTC(), Requested: c.Requested,
		Trigger: c.Trigger, Channel: Channel(c.Channel), Mode: c.Mode, TakesSafetyBackup: c.Safety, Alarm: c.Alarm, Reason: c.Reason,
		Created: time.Unix(c.Created, 0).UTC(), Expires: time.Unix(c.Expires, 0).UTC(), Token: strings.TrimSpace(token)}
	if c.CloneTime != 0 {
		ct := time.Unix(c.CloneTime, 0).UTC()
		p.CloneTime = &ct
	}
	if c.Type != 0 {
		p.Edition = edition.Of(c.Type).String()
	}
	if c.Before != 0 {
		b := time.Unix(c.Before, 0).UTC()
		p.Before = &b
	}
	// Signed by us, but checked all the same: it becomes a request.
	req := p.request()
	if err := req.Validate(); err != nil {
		return nil, refusePlan("the plan's request is not valid: " + err.Error())
	}
	return p, nil
}

func refusePlan(msg string) error {
	return failure.E(failure.Unauthenticated, failure.Code(CodeInvalidApproval), failure.Field("approve"), msg)
}

// request is the restore a plan applies: exactly its backup, mode, clone
// time and safety backup, whatever the settings say now.
func (p *Plan) request() Request {
	r := Request{InstanceID: p.InstanceID, BackupID: p.BackupID, Region: p.Region}
	r.Mode, r.CloneTime = p.Mode, p.CloneTime
	if !r.Clone() && r.Mode != ModeUnswitch {
		safety := p.TakesSafetyBackup
		r.SafetyBackup = &safety
	}
	return r
}

// ApprovalJob is the job that applies an approved plan: exactly its
// backup, with the plan's creation as the event's time and its ID as the
// event's identity, so that approving twice restores once.
func ApprovalJob(p *Plan, force bool) Job {
	return Job{
		Request:  p.request(),
		Trigger:  p.Trigger,
		Channel:  p.Channel,
		Since:    p.Created,
		Key:      "plan:" + p.ID,
		Reason:   JoinReason(p.Reason, "approved plan "+p.ID),
		JobGuard: JobGuard{Alarm: p.Alarm, Force: force, Approved: p},
	}
}

// guardrails runs the guard rails between the search for an earlier
// delivery's restore and the restore itself: an approved plan must still
// hold, the budget must allow one more restore, and a dry run or a
// restore that waits for approval ends in a plan. It returns true when res
// is decided.
func (s *Service) guardrails(ctx context.Context, job Job, res *Result, dryRun bool, log *slog.Logger) bool {
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
func (s *Service) plan(ctx context.Context, job Job, res *Result, dryRun bool, log *slog.Logger) {
	p, err := s.draft(ctx, job, res.Region)
	if err != nil {
		failed(res, err, log, "no plan")
		return
	}
	res.BackupID = p.BackupID
	s.lifePlan(job, res, p, dryRun) // the safety backup and the steps: lifecycle.go
	if dryRun {
		res.Status = DryRun
		res.Plan = p
		res.Reason = JoinReason("dry run: RestoreInstance not called", JoinReason(job.Reason, p.Why))
		log.Info("plan.dryRun", "detail", "dry run: restore planned", "backupId", p.BackupID)
		return
	}
	if s.Settings.Seal == nil {
		res.Fail(errNoSeal("a plan waiting for approval"))
		return
	}
	p.sign(s.Settings.Seal, job.Key, s.Now(), s.Settings.ApprovalTTL)
	res.Status = Planned
	res.Plan = p
	res.Reason = JoinReason(job.Reason, fmt.Sprintf("%s; RESTORE_APPROVAL holds restores that come by %s for approval: the plan's token is on the queue (its planned message), for an approver to apply before %s",
		p.Why, job.Channel, p.Expires.Format(time.RFC3339)))
	log.Info("plan.awaitingApproval", "detail", "restore planned, waiting for approval", "planId", p.ID, "backupId", p.BackupID, "expires", p.Expires.Format(time.RFC3339))
}

// draft chooses the backup and reads the budget, as a restore would.
func (s *Service) draft(ctx context.Context, job Job, region string) (*Plan, error) {
	req := job.Request
	p := &Plan{InstanceID: req.InstanceID, Region: region, Edition: "unknown", Requested: req.BackupID,
		Mode: cmp.Or(req.Mode, ModeRestore), CloneTime: req.CloneTime, TakesSafetyBackup: s.safetyWanted(job),
		Trigger: job.Trigger, Channel: job.Channel, Alarm: job.Alarm, Reason: job.Reason}
	if in := job.instance; in != nil {
		p.Edition, p.InstanceType = edition.Of(in.Type).String(), in.Type
	}
	if req.Mode == ModeUnswitch {
		p.Why = "switch the addresses of " + req.InstanceID + " and its switched-in clone back: no backup is restored"
	} else if req.BackupID == LatestBackup {
		before := s.latestBound(job)
		if req.Before != nil {
			utc := before.UTC()
			p.Before = &utc
		}
		b, err := s.chooseBackup(ctx, region, req.InstanceID, before, nil)
		if err != nil {
			return nil, err
		}
		p.BackupID, p.BackupStart = b.ID, b.StartTime.UTC()
		p.Why = fmt.Sprintf("chose backup %s, started %s, the newest restorable one before %s",
			b.ID, b.StartTime.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339))
	} else {
		b, err := s.lookupBackup(ctx, region, req.InstanceID, req.BackupID, time.Time{})
		if err != nil {
			return nil, err
		}
		if why := notRestorable(b); why != "" {
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
func (s *Service) refuseStale(ctx context.Context, job Job, res *Result, log *slog.Logger) bool {
	p := job.Approved
	var code, why string
	now := s.Now()
	switch in := job.instance; {
	case now.After(p.Expires):
		code, why = CodePlanExpired, fmt.Sprintf("plan %s expired at %s", p.ID, p.Expires.Format(time.RFC3339))
	case in != nil && p.InstanceType != 0 && in.Type != p.InstanceType:
		// Its state otherwise checkEdition has judged: not running is
		// refused there, plan or not.
		code, why = CodePlanOutdated, fmt.Sprintf("plan %s: %s changed edition from %s to %s", p.ID, p.InstanceID,
			edition.Of(p.InstanceType), edition.Of(in.Type))
	case p.Mode == ModeUnswitch:
		// No backup to check: the switch back finds its clone when applied.
	default:
		b, err := s.lookupBackup(ctx, res.Region, p.InstanceID, p.BackupID, p.BackupStart)
		switch {
		case failure.KindOf(err) == failure.NotFound:
			code, why = CodePlanOutdated, fmt.Sprintf("plan %s: backup %s is no longer listed", p.ID, p.BackupID)
		case err != nil:
			res.Fail(err)
			log.Warn("approval.checkFailed", "detail", "could not check the approved plan's backup; not restoring", "planId", p.ID, "code", res.Error.Code)
			return true
		case notRestorable(b) != "":
			code, why = CodePlanOutdated, fmt.Sprintf("plan %s: backup %s %s", p.ID, p.BackupID, notRestorable(b))
		case p.Requested == LatestBackup:
			nb, err := s.chooseBackup(ctx, res.Region, p.InstanceID, latestBefore(p.Before, now), nil)
			switch {
			case err != nil && failure.KindOf(err) != failure.NotFound:
				res.Fail(err)
				return true
			case err == nil && nb.ID != p.BackupID:
				code, why = CodePlanOutdated, fmt.Sprintf("plan %s: a newer restorable backup %s (started %s) appeared after it chose %s",
					p.ID, nb.ID, nb.StartTime.UTC().Format(time.RFC3339), p.BackupID)
			}
		}
	}
	if code == "" {
		log.Info("approval.planHolds", "detail", "approved plan still holds", "planId", p.ID, "backupId", p.BackupID)
		return false
	}
	if code == CodePlanExpired {
		// An expired plan mints nothing: whoever holds an old link must
		// not get a fresh token by posting it. The request is asked again.
		res.Fail(failure.E(failure.Conflict, failure.Code(code), failure.Field("approve"), why+": not restored; send the request again for a new plan"))
		log.Warn("approval.refused", "detail", "approval refused", "planId", p.ID, "code", code, "reason", why)
		return true
	}
	res.Fail(failure.E(failure.Conflict, failure.Code(code), failure.Field("approve"), why+": not restored; a fresh plan is on the queue for the approvers"))
	// The fresh plan: what was asked for, worked out again, with the rest
	// of the intent as it was.
	req := p.request()
	req.BackupID, req.Before = p.Requested, p.Before
	fresh := Job{
		Request:  req,
		Trigger:  p.Trigger,
		Channel:  p.Channel,
		Reason:   p.Reason,
		JobGuard: JobGuard{Alarm: p.Alarm, instance: job.instance},
	}
	if np, err := s.draft(ctx, fresh, res.Region); err != nil {
		res.Error.Message += fmt.Sprintf("; no fresh plan either: %v", err)
	} else {
		s.lifePlan(fresh, res, np, false)
		np.sign(s.Settings.Seal, "", now, s.Settings.ApprovalTTL)
		res.Plan = np
		res.BackupID = np.BackupID
	}
	log.Warn("approval.refused", "detail", "approval refused", "planId", p.ID, "code", code, "reason", why)
	return true
}
