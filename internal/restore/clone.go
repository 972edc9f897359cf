package restore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Clone mode: for editions that cannot restore in place (Redis 4.0 and
// later), the backup becomes a new instance next to the old one, in the
// same zone, VPC, subnet and security groups, pay-as-you-go, one instance.
// Its name is derived from the request, so that a redelivery finds it in
// the instance list instead of ordering another: ordering is billing.

// MadeOf reads an instance the function made (intent.MadeOf).
func (s *Service) MadeOf(c intent.Instance) (intent.Made, bool) {
	return intent.MadeOf(s.Settings.Seal, s.Settings.ApprovalTTL, c)
}

// cloneNameOf is the name of the instance a job orders: its clone's, its
// drill's or its switch's.
func (s *Service) cloneNameOf(job Job) string {
	if job.Request.Drill() {
		return intent.DrillName(s.Settings.Seal, job.Request.InstanceID, s.drillTime(job), job.backupStart)
	}
	if job.Request.Switch() {
		return intent.SwitchName(s.Settings.Seal, job.Request.InstanceID, job.switchAt, s.Now())
	}
	return intent.CloneName(s.Settings.Seal, job.Request)
}

// earlierClone finds the clone an earlier delivery ordered for the job: a
// clone by its name; a switch's by the state it holds; for a drill, any
// drill of the instance still within its life (one drill of an instance
// at a time, so that an event without a time of its own, whose deliveries
// name it differently, orders one).
func (s *Service) earlierClone(ctx context.Context, job Job, region string) (string, []string, error) {
	req := job.Request
	if !req.Drill() && !req.Switch() {
		name := s.cloneNameOf(job)
		ids, err := s.Reader().FindClone(ctx, s.Redis, region, name)
		return name, ids, err
	}
	list, err := s.Reader().Instances(ctx, region)
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	for _, c := range list {
		m, ok := s.MadeOf(c)
		switch {
		case !ok || m.Source != req.InstanceID || c.Status < 0 || m.Kind != req.Mode:
		case req.Drill() && !m.At.Before(now.Add(-s.Settings.Life.DrillMaxLife)):
			return c.Name, []string{c.ID}, nil
		case req.Switch() && m.At.Equal(job.switchAt.Truncate(time.Second)):
			return c.Name, []string{c.ID}, nil
		}
	}
	return s.cloneNameOf(job), nil, nil
}

// cloneFound looks for the clone of this request in the instance list.
func (s *Service) cloneFound(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) bool {
	name, ids, err := s.earlierClone(ctx, job, res.Region)
	if err != nil {
		failed(res, err, log, "could not check for an earlier clone; not cloning")
		return true
	}
	if len(ids) == 0 {
		return false
	}
	res.Status, res.Life = intent.Duplicate, intent.CloneLife(job.Request.InstanceID, name, ids, "")
	res.Reason = fmt.Sprintf("clone %s (%s) of this request exists already: not ordered again", name, strings.Join(ids, ", "))
	log.Info("clone.duplicate", "detail", "clone already ordered", "newInstanceIds", ids)
	return true
}

// clone orders the new instance. CloneInstances is never called again
// after an answer that leaves open whether it ordered: the instance list
// is read instead, and if the clone is not there the outcome is unknown.
func (s *Service) clone(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) {
	lr := s.Redis
	req := job.Request
	if n := s.clones.Add(1); int(n) > s.Settings.Life.MaxClones {
		res.Fail(failure.E(failure.Forbidden, failure.Code("CloneLimit"), failure.Field("mode"),
			fmt.Sprintf("this invocation has ordered its %d clone(s), RESTORE_MAX_CLONES: this one was not ordered", s.Settings.Life.MaxClones)))
		return
	}
	srcs, err := Retry(ctx, s, func() ([]intent.Instance, error) { return lr.ListInstances(ctx, res.Region, req.InstanceID) })
	if err != nil {
		res.Fail(err)
		return
	}
	if len(srcs) != 1 {
		res.Fail(failure.E(failure.NotFound, failure.Code("ResourceNotFound.InstanceNotExists"), failure.Field("instanceId"),
			fmt.Sprintf("DescribeInstances does not list %s: nothing to clone", req.InstanceID)))
		return
	}
	src := srcs[0]
	groups, err := Retry(ctx, s, func() ([]string, error) { return lr.SecurityGroups(ctx, res.Region, req.InstanceID) })
	if err != nil {
		res.Fail(err)
		return
	}
	if len(groups) == 0 {
		res.Fail(failure.E(failure.Unavailable, failure.Code("NoSecurityGroup"),
			fmt.Sprintf("%s has no security group to give its clone (CloneInstances needs one)", req.InstanceID)))
		return
	}
	password, err := s.Password(ctx, req, res.Region)
	if err != nil {
		res.Fail(err)
		return
	}
	if password == "" && !src.NoAuth {
		// CloneInstances needs the source's password, or NoAuth where it
		// has none: a clone ordered without it could not be verified, nor
		// reached by the source's clients.
		res.Fail(failure.E(failure.Config, failure.Code("PasswordUnknown"), failure.Field("password"), fmt.Sprintf(
			"%s has a password, and none is known (RESTORE_PASSWORD_SECRET, RESTORE_PASSWORD): the clone was not ordered", req.InstanceID)))
		return
	}
	name := s.cloneNameOf(job)
	cr := intent.CloneOrder{InstanceID: req.InstanceID, BackupID: res.BackupID, Name: name, ZoneID: src.ZoneID,
		VpcID: src.VpcID, SubnetID: src.SubnetID, SecurityGroupIDs: groups, ProjectID: src.ProjectID,
		Password: password, NoAuth: password == "" && src.NoAuth}
	if req.CloneTime != nil {
		cr.CloneTime = *req.CloneTime
	}
	n := 0
	type order struct {
		dealID    string
		ids       []string
		requestID string
	}
	call := func() (order, error) {
		n++
		dealID, ids, requestID, err := lr.CloneInstances(ctx, res.Region, cr)
		if err != nil {
			e := failure.As(err)
			log.Warn("clone.attemptFailed", "detail", "CloneInstances failed", "attempt", n, "kind", e.Kind.String(), "code", e.Code, "apiRequestId", e.RequestID)
		}
		return order{dealID, ids, requestID}, err
	}
	// An answer that leaves open whether the clone was ordered: the
	// instance list is read instead of ordering again, and if the clone is
	// not there the outcome is unknown.
	unclear := func(e *failure.Error) {
		if ids, ferr := s.Reader().FindClone(ctx, lr, res.Region, name); ferr == nil && len(ids) > 0 {
			res.Status, res.Life = intent.Accepted, intent.CloneLife(req.InstanceID, name, ids, "")
			res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("clone %s was ordered despite the unclear answer", name))
			return
		}
		res.Unclear(failure.E(e.Kind, failure.Code(e.Code), fmt.Sprintf("%s; the clone may have been ordered and is not listed yet, so it was not ordered again: a retry of this event looks for it by its name %s", e.Message, name)))
	}
	locked := false
	o, last, stop := attempts(ctx, s, call, func(last *failure.Error) bool {
		if maybeStarted(last) {
			unclear(last)
			return true
		}
		// A lock may be another delivery's clone of this same request
		// (a clone is a flow of its source): look for it by name before
		// every new attempt, as a restore looks at the task list.
		locked = locked || last.Kind == failure.Locked
		if !locked {
			return false
		}
		ids, ferr := s.Reader().FindClone(ctx, lr, res.Region, name)
		switch {
		case ferr != nil:
			res.Fail(ferr)
		case len(ids) > 0:
			res.Status, res.Life = intent.Duplicate, intent.CloneLife(req.InstanceID, name, ids, "")
			res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("clone %s was ordered by another delivery of this request", name))
			log.Info("clone.duplicate", "detail", "clone ordered by another delivery", "newInstanceIds", ids)
		default:
			return false
		}
		return true
	})
	switch {
	case stop == nil:
		res.Status, res.RequestID = intent.Accepted, o.requestID
		res.Life = intent.CloneLife(req.InstanceID, name, o.ids, o.dealID)
		res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("clone %s ordered from %s: pay-as-you-go until released", name, res.BackupID))
		if req.Drill() {
			res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("drill: clone %s ordered from %s; the sweep verifies it, reports restore.drill.passed or failed with its RTO and RPO, and releases it (at the latest after RESTORE_DRILL_MAX_LIFE, %s)",
				name, res.BackupID, s.Settings.Life.DrillMaxLife))
		}
		log.Info("clone.ordered", "detail", "clone ordered", "newInstanceIds", o.ids, "dealId", o.dealID)
		return
	case stop == errSettled:
		return
	case maybeStarted(last):
		unclear(last)
		return
	}
	if locked || last.Kind == failure.Locked {
		if ids, ferr := s.Reader().FindClone(ctx, lr, res.Region, name); ferr == nil && len(ids) > 0 {
			res.Status, res.Life = intent.Duplicate, intent.CloneLife(req.InstanceID, name, ids, "")
			return
		}
	}
	res.Fail(stop)
}
