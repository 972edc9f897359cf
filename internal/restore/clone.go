package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/uuid"
)

// Clone mode: for editions that cannot restore in place (Redis 4.0 and
// later), the backup becomes a new instance next to the old one, in the
// same zone, VPC, subnet and security groups, pay-as-you-go, one instance.
// Its name is derived from the request, so that a redelivery finds it in
// the instance list instead of ordering another: ordering is billing.

// cloneMarker joins the source's ID and the clone's identity in a clone's
// name: "<source>-clone-<id><mac>".
const cloneMarker = "-clone-"

// cloneName is the new instance's name: the source, a hash of what was
// asked for (instance, backup, before, clone time: not the event's key, so
// that a replay under another Idempotency-Key finds the clone instead of
// ordering another), and the function's MAC over both, so that only the
// function's own clones are followed by the sweep (provenance.go).
func cloneName(seal *Seal, req Request) string {
	before, cloneTime := "", ""
	if req.Before != nil {
		before = req.Before.UTC().Format(time.RFC3339)
	}
	if req.CloneTime != nil {
		cloneTime = req.CloneTime.UTC().Format(time.RFC3339)
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{req.InstanceID, req.BackupID, before, cloneTime}, "/")))
	id := hex.EncodeToString(sum[:])[:8]
	return req.InstanceID + cloneMarker + id + seal.Hex(8, "clone", req.InstanceID, id)
}

// cloneSource is the instance a clone's (or a drill's, a switch's) name
// says it was cloned from, if the name carries the function's MAC.
func cloneSource(seal *Seal, name string) (string, bool) {
	if src, _, _, ok := drillOf(seal, name); ok {
		return src, true
	}
	if src, _, _, ok := switchOf(seal, name); ok {
		return src, true
	}
	src, rest, ok := strings.Cut(name, cloneMarker)
	if !ok || !strings.HasPrefix(src, "crs-") || len(rest) != 16 || seal == nil {
		return "", false
	}
	return src, seal.VerifyHex(rest[8:], "clone", src, rest[:8])
}

// timedName is a drill's or a switch's clone name,
// "<source>-<kind>-<a><b><mac>": two times, 8 hex digits of Unix seconds
// each, and the function's MAC over the source and both.
func timedName(seal *Seal, kind, instanceID string, a, b time.Time) string {
	ts := fmt.Sprintf("%08x%08x", a.Unix(), b.Unix())
	return instanceID + "-" + kind + "-" + ts + seal.Hex(8, kind, instanceID, ts)
}

// readTimedName reads a name timedName made for kind, if it carries the
// function's MAC.
func readTimedName(seal *Seal, kind, name string) (src string, a, b time.Time, ok bool) {
	src, rest, ok := strings.Cut(name, "-"+kind+"-")
	if !ok || !strings.HasPrefix(src, "crs-") || len(rest) != 24 || !seal.VerifyHex(rest[16:], kind, src, rest[:16]) {
		return "", time.Time{}, time.Time{}, false
	}
	x, err1 := strconv.ParseInt(rest[:8], 16, 64)
	y, err2 := strconv.ParseInt(rest[8:16], 16, 64)
	if err1 != nil || err2 != nil {
		return "", time.Time{}, time.Time{}, false
	}
	return src, time.Unix(x, 0).UTC(), time.Unix(y, 0).UTC(), true
}

// ownCloneTask is the clone task that made c: of its source's clone
// tasks, the one that started closest to c's creation (Createtime); the
// newest where its creation is not known. Another clone or drill of the
// same source has a task of its own.
func ownCloneTask(tasks []Task, c Instance) (Task, bool) {
	var own Task
	found := false
	for _, t := range tasks {
		switch {
		case t.Kind != CloneTask:
		case !found, c.Created.IsZero() && t.StartTime.After(own.StartTime),
			!c.Created.IsZero() && absDur(t.StartTime.Sub(c.Created)) < absDur(own.StartTime.Sub(c.Created)):
			own, found = t, true
		}
	}
	return own, found
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// made is an instance the function made, read from its signed name: its
// kind (clone, drill, switch), its source, and the times a drill's or a
// switch's name records.
type made struct {
	kind   string // ModeClone, ModeDrill or ModeSwitch
	source string
	// A drill: its start (at) and its backup's (backup). A switch: the
	// state it holds (at) and its order (ordered).
	at, backup, ordered time.Time
}

// madeOf reads an instance the function made. A drill's or a switch's
// clone, which the sweep releases or switches to, must also be what its
// name says by facts that cannot be given to another instance afterwards:
// created within minutes of its order, and not its source. A past clone's
// name, given by a rename to an older instance, is then no one's.
func (s *Service) madeOf(c Instance) (made, bool) {
	seal := s.Settings.Seal
	var m made
	var orderedAt time.Time
	var window time.Duration
	if src, at, b, ok := drillOf(seal, c.Name); ok {
		// Ordered at its start, or when its plan was approved.
		m, orderedAt, window = made{kind: ModeDrill, source: src, at: at, backup: b}, at, s.Settings.ApprovalTTL+10*time.Minute
	} else if src, state, ordered, ok := switchOf(seal, c.Name); ok {
		m, orderedAt, window = made{kind: ModeSwitch, source: src, at: state, ordered: ordered}, ordered, 10*time.Minute
	} else if src, ok := cloneSource(seal, c.Name); ok {
		return made{kind: ModeClone, source: src}, true
	} else {
		return made{}, false
	}
	created := c.Created
	ok := c.ID != m.source && !created.IsZero() &&
		!created.Before(orderedAt.Add(-time.Minute)) && created.Before(orderedAt.Add(window))
	return m, ok
}

// cloneNameOf is the name of the instance a job orders: its clone's, its
// drill's or its switch's.
func (s *Service) cloneNameOf(job Job) string {
	if job.Request.Drill() {
		return drillName(s.Settings.Seal, job.Request.InstanceID, s.drillTime(job), job.backupStart)
	}
	if job.Request.Switch() {
		return switchName(s.Settings.Seal, job.Request.InstanceID, job.switchAt, s.Now())
	}
	return cloneName(s.Settings.Seal, job.Request)
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
		ids, err := s.findClone(ctx, s.Redis, region, name)
		return name, ids, err
	}
	list, err := retry(ctx, s, func() ([]Instance, error) { return s.Redis.ListInstances(ctx, region) })
	if err != nil {
		return "", nil, err
	}
	now := s.Now()
	for _, c := range list {
		m, ok := s.madeOf(c)
		switch {
		case !ok || m.source != req.InstanceID || c.Status < 0 || m.kind != req.Mode:
		case req.Drill() && !m.at.Before(now.Add(-s.Settings.Life.DrillMaxLife)):
			return c.Name, []string{c.ID}, nil
		case req.Switch() && m.at.Equal(job.switchAt.Truncate(time.Second)):
			return c.Name, []string{c.ID}, nil
		}
	}
	return s.cloneNameOf(job), nil, nil
}

// cloneFound looks for the clone of this request in the instance list.
func (s *Service) cloneFound(ctx context.Context, job Job, res *Result, log *slog.Logger) bool {
	name, ids, err := s.earlierClone(ctx, job, res.Region)
	if err != nil {
		failed(res, err, log, "could not check for an earlier clone; not cloning")
		return true
	}
	if len(ids) == 0 {
		return false
	}
	res.Status, res.Life = Duplicate, cloneLife(job.Request.InstanceID, name, ids, "")
	res.Reason = fmt.Sprintf("clone %s (%s) of this request exists already: not ordered again", name, strings.Join(ids, ", "))
	log.Info("clone.duplicate", "detail", "clone already ordered", "newInstanceIds", ids)
	return true
}

func cloneLife(instanceID, name string, ids []string, dealID string) *Life {
	typ := "cloned"
	if strings.Contains(name, drillMarker) {
		typ = "drill.started"
	}
	return &Life{Phase: PhaseCloning, NewInstanceIDs: ids, DealID: dealID, eventType: EventTypePrefix + typ,
		eventID: uuid.FromName(fmt.Sprintf("%s/clone/%s/cloned", instanceID, name))}
}

// clone orders the new instance. CloneInstances is never called again
// after an answer that leaves open whether it ordered: the instance list
// is read instead, and if the clone is not there the outcome is unknown.
func (s *Service) clone(ctx context.Context, job Job, res *Result, log *slog.Logger) {
	lr := s.Redis
	req := job.Request
	if n := s.clones.Add(1); int(n) > s.Settings.Life.MaxClones {
		res.Fail(failure.E(failure.Forbidden, failure.Code("CloneLimit"), failure.Field("mode"),
			fmt.Sprintf("this invocation has ordered its %d clone(s), RESTORE_MAX_CLONES: this one was not ordered", s.Settings.Life.MaxClones)))
		return
	}
	srcs, err := retry(ctx, s, func() ([]Instance, error) { return lr.ListInstances(ctx, res.Region, req.InstanceID) })
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
	groups, err := retry(ctx, s, func() ([]string, error) { return lr.SecurityGroups(ctx, res.Region, req.InstanceID) })
	if err != nil {
		res.Fail(err)
		return
	}
	if len(groups) == 0 {
		res.Fail(failure.E(failure.Unavailable, failure.Code("NoSecurityGroup"),
			fmt.Sprintf("%s has no security group to give its clone (CloneInstances needs one)", req.InstanceID)))
		return
	}
	password, err := s.password(ctx, req, res.Region)
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
	cr := CloneOrder{InstanceID: req.InstanceID, BackupID: res.BackupID, Name: name, ZoneID: src.ZoneID,
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
		if ids, ferr := s.findClone(ctx, lr, res.Region, name); ferr == nil && len(ids) > 0 {
			res.Status, res.Life = Accepted, cloneLife(req.InstanceID, name, ids, "")
			res.Reason = JoinReason(job.Reason, fmt.Sprintf("clone %s was ordered despite the unclear answer", name))
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
		ids, ferr := s.findClone(ctx, lr, res.Region, name)
		switch {
		case ferr != nil:
			res.Fail(ferr)
		case len(ids) > 0:
			res.Status, res.Life = Duplicate, cloneLife(req.InstanceID, name, ids, "")
			res.Reason = JoinReason(job.Reason, fmt.Sprintf("clone %s was ordered by another delivery of this request", name))
			log.Info("clone.duplicate", "detail", "clone ordered by another delivery", "newInstanceIds", ids)
		default:
			return false
		}
		return true
	})
	switch {
	case stop == nil:
		res.Status, res.RequestID = Accepted, o.requestID
		res.Life = cloneLife(req.InstanceID, name, o.ids, o.dealID)
		res.Reason = JoinReason(job.Reason, fmt.Sprintf("clone %s ordered from %s: pay-as-you-go until released", name, res.BackupID))
		if req.Drill() {
			res.Reason = JoinReason(job.Reason, fmt.Sprintf("drill: clone %s ordered from %s; the sweep verifies it, reports restore.drill.passed or failed with its RTO and RPO, and releases it (at the latest after RESTORE_DRILL_MAX_LIFE, %s)",
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
		if ids, ferr := s.findClone(ctx, lr, res.Region, name); ferr == nil && len(ids) > 0 {
			res.Status, res.Life = Duplicate, cloneLife(req.InstanceID, name, ids, "")
			return
		}
	}
	res.Fail(stop)
}
