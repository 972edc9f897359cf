// Package restore runs one restore from request to outcome message: it
// checks what may be checked without the cloud, chooses the backup, makes
// sure the restore was not already started, calls RestoreInstance with
// retries by error kind, and puts the outcome with its TaskId on the queue.
package restore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
	"redis-restore/internal/observe"
)

// Redis is what a restore, through its whole life, needs of the Redis API:
// one interface, so that nothing is found missing at run time.
type Redis interface {
	RestoreInstance(ctx context.Context, region, instanceID, backupID, password string) (taskID int64, requestID string, err error)
	DescribeInstanceBackups(ctx context.Context, region, instanceID string, begin, end time.Time, limit, offset int64) (intent.BackupPage, error)
	DescribeInstance(ctx context.Context, region, instanceID string) (intent.Instance, error)
	// DescribeTasks lists an instance's tasks of every kind (of every
	// instance for "") that started within [begin, end], every page.
	DescribeTasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error)
	ManualBackupInstance(ctx context.Context, region, instanceID, remark string) (taskID int64, requestID string, err error)
	DescribeTaskInfo(ctx context.Context, region string, taskID int64) (intent.TaskInfo, error)
	ListInstances(ctx context.Context, region string, ids ...string) ([]intent.Instance, error)
	SecurityGroups(ctx context.Context, region, instanceID string) ([]string, error)
	CloneInstances(ctx context.Context, region string, r intent.CloneOrder) (dealID string, instanceIDs []string, requestID string, err error)
	// DestroyPostpaidInstance releases a drill's clone (drill.go).
	DestroyPostpaidInstance(ctx context.Context, region, instanceID string) (taskID int64, requestID string, err error)
	// SwitchInstanceVip swaps two instances' addresses (switch.go); its
	// task is src's.
	SwitchInstanceVip(ctx context.Context, region, srcID, dstID string) (taskID int64, requestID string, err error)
	// TagInstance sets one tag on an instance: the function's mark of a
	// restore it started (provenance.go).
	TagInstance(ctx context.Context, region, instanceID, key, value string) error
	// Waits reports whether a call of the action would wait now for this
	// container's share of the account's limit (a read that may be left
	// out, takeSafety).
	Waits(action string) bool
}

// Outbox takes the outcome messages.
type Outbox interface {
	Publish(ctx context.Context, region, body string, tags []string) (msgID string, err error)
}

// Passwords supplies an instance's password when the request has none.
type Passwords interface {
	Password(ctx context.Context, region, instanceID string) (string, error)
	// Forget drops what is cached, after the API said the password is wrong.
	Forget()
}

// Job is one run of an intent: the intent, and what this run has read
// of its instance and derived from it, kept for its later checks.
type Job struct {
	intent.Intent
	// seen is this run's reading of the instance's task list, backups its
	// reading of the instance's backups (observe.go).
	seen    *Sighting
	backups *observe.BackupSighting
	// switchAt is the state a switch restores (switch.go); backupStart,
	// the start of the backup "latest" chose (a drill's name records it).
	switchAt, backupStart time.Time
	// instance is the instance as checkEdition read it, if it did.
	instance *intent.Instance
}

// Service runs restores for one invocation.
type Service struct {
	Settings  Settings
	Redis     Redis
	Outbox    Outbox
	Passwords Passwords // nil: request or RESTORE_PASSWORD only
	Verifier  Verifier  // nil: restored data is not checked
	Memory    *Memory
	Log       *slog.Logger
	Runtime
	Source string // the messages' source: scf/<region>/<namespace>/<function>
	// Refuse, when set, fails every restore with this error before any
	// cloud call (a configuration, credential or role that is wrong), and
	// reports it on the queue like any other failure where the queue can
	// be reached.
	Refuse error

	// Watch hands a watch to the function's own asynchronous invocation:
	// a fleet's, or one intent's whose safety backup the list does not
	// show yet (fleet.go); nil where it cannot.
	Watch func(ctx context.Context, w intent.FleetWatch) error

	// Busy: this invocation is one of a stream in its container (a
	// region-wide incident's alarms), where reads the function can do
	// without are left out when they would wait for the limit.
	Busy bool

	clones atomic.Int32 // clones ordered by this invocation: see clone.go
}

// Runtime is what the restore runs with that a test replaces: the clock,
// the pauses between attempts and their bounds, the source of IDs. The
// handler holds one for every invocation of the container.
type Runtime struct {
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	NewID func() string
	// MinDelay and MaxDelay bound retry backoff; zero: the defaults.
	MinDelay, MaxDelay time.Duration
}

const (
	defaultMinDelay = 200 * time.Millisecond
	defaultMaxDelay = 5 * time.Second
)

// Run carries out one restore. It never panics and always returns a result
// that says what was done.
func (s *Service) Run(ctx context.Context, in intent.Intent) intent.Result {
	return s.runJob(ctx, Job{Intent: in})
}

// runJob is Run, for a job that may bring its step's reading (a
// continuation).
func (s *Service) runJob(ctx context.Context, job Job) (res intent.Result) {
	req := job.Request
	res = intent.Result{InstanceID: req.InstanceID, BackupID: req.BackupID, Region: s.region(req), FleetID: job.Fleet}
	lifeBegin(job, &res) // see lifecycle.go
	log := s.Log.With("instanceId", req.InstanceID)
	defer func() {
		if p := recover(); p != nil {
			log.Error("restore.panic", "detail", "restore panicked", "panic", fmt.Sprint(p))
			res.Fail(failure.E(failure.Internal, failure.Code(failure.CodeInternal), fmt.Sprintf("internal error: %v", p)))
		}
	}()

	if job.seen == nil { // a continuation may bring its step's reading
		job.seen = &Sighting{}
	}
	job.backups = &observe.BackupSighting{}
	prior, ok, reused := s.Memory.Recall(job.Key, job.Fingerprint, s.Now())
	switch {
	case reused:
		res.Fail(failure.E(failure.Conflict, failure.Code(failure.CodeKeyReused), failure.Field("Idempotency-Key"),
			"this key was used with another request body: send a new key for a new request"))
		log.Warn("restore.keyReused", "detail", "idempotency key reused with another body", "key", job.Key)
		return res
	case ok:
		prior.Status = intent.Duplicate
		prior.MessageID = ""
		log.Info("restore.duplicate", "detail", "restore already started by this container", "taskId", prior.TaskID, "key", job.Key)
		return prior
	}

	if err := s.precheck(job, res.Region); err != nil {
		failed(&res, err, log, "restore refused")
		sendCtx, cancelSend := withReserve(ctx, s.Now(), answerReserve)
		defer cancelSend()
		s.emit(sendCtx, job, &res, log)
		return res
	}

	// The cloud calls stop early enough for the message, and the message
	// early enough for the answer: SCF cuts the invocation off at its
	// deadline, and an answer that never comes says nothing.
	workCtx, cancelWork := withReserve(ctx, s.Now(), messageReserve)
	defer cancelWork()
	s.run(workCtx, job, &res, log)
	sendCtx, cancelSend := withReserve(ctx, s.Now(), answerReserve)
	defer cancelSend()
	s.emit(sendCtx, job, &res, log)
	withholdToken(&res)
	// An undelivered TaskId is not remembered: the platform's retry, maybe
	// in this same container, must find the task again and send it.
	if (res.Status == intent.Accepted || res.Status == intent.Duplicate) && !res.Undelivered {
		s.Memory.Remember(job.Key, job.Fingerprint, res, s.Now())
	}
	return res
}

func (s *Service) region(req intent.Request) string { return cmp.Or(req.Region, s.Settings.Region) }

// precheck refuses what can be refused without calling the cloud.
func (s *Service) precheck(job Job, region string) error {
	req := job.Request
	switch {
	case s.Refuse != nil:
		return s.Refuse
	case !s.Settings.AllowedInstance(req.InstanceID):
		return failure.E(failure.Forbidden, failure.Code(failure.CodeInstanceNotAllowed), failure.Field("instanceId"),
			fmt.Sprintf("%s is not in RESTORE_ALLOWED_INSTANCES", req.InstanceID))
	}
	return s.settingsCheck(req, region)
}

// settingsCheck is the precheck's part that does not depend on the
// instance: a fleet passes it before its members are known.
func (s *Service) settingsCheck(req intent.Request, region string) error {
	switch {
	case s.Refuse != nil:
		return s.Refuse
	case region == "":
		return failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("region"),
			"the request names no region and TENCENTCLOUD_REGION is not set")
	case len(s.Settings.Regions) > 0 && !slices.Contains(s.Settings.Regions, region):
		// The sweep follows the restores of these regions only: one
		// elsewhere would be accepted and never followed.
		return failure.E(failure.Forbidden, failure.Code("RegionNotSwept"), failure.Field("region"),
			fmt.Sprintf("%s is not one of the function's regions (%s): add it to RESTORE_REGIONS so that the sweep follows its restores", region, strings.Join(s.Settings.Regions, ", ")))
	case s.Settings.NoCredentials != nil:
		return s.Settings.NoCredentials
	case (req.Switch() || req.Mode == intent.ModeUnswitch) && !s.Settings.Life.CloneSwitch:
		return failure.E(failure.Forbidden, failure.Code("CloneSwitchNotEnabled"), failure.Field("mode"),
			fmt.Sprintf("mode %q switches the instance's address between it and a clone: it needs RESTORE_CLONE_SWITCH=true", req.Mode))
	case req.Clone() && !req.Switch() && !s.Settings.Life.Clone:
		return failure.E(failure.Forbidden, failure.Code("CloneNotEnabled"), failure.Field("mode"),
			fmt.Sprintf("mode %q orders a new, billed instance: it needs RESTORE_CLONE=true", req.Mode))
	}
	return s.Settings.Output
}

// run is one reconcile step for the job's intent: observe and judge what
// an earlier delivery already began (a restore, a safety backup, a clone),
// admit (admit.go), then take one action: the safety backup, the clone or
// the restore.
func (s *Service) run(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) {
	req := job.Request
	dryRun := req.DryRun || s.Settings.DryRun

	// An earlier delivery's restore is looked for first: a redelivered
	// event is answered from the task list whatever else fails now. (A
	// clone, or a drill's, is found by its name instead: lifeFound.)
	if !dryRun && !req.Clone() && req.Mode != intent.ModeUnswitch && s.startedEarlier(ctx, job, res, false, log) {
		return
	}
	if req.Switch() {
		// The switch's clone is named by the state it restores.
		t, err := s.switchPoint(ctx, job, res.Region)
		if err != nil {
			failed(res, err, log, "no backup to restore")
			return
		}
		job.switchAt = t
	}
	lookedAt := s.Now()
	// A safety backup or a clone an earlier delivery began: see lifecycle.go.
	if s.lifeFound(ctx, job, res, log, dryRun) {
		return
	}

	// The one admission (admit.go).
	if !s.admit(ctx, &job, res, dryRun, log) {
		return
	}
	log = log.With("backupId", res.BackupID)

	// The safety backup or the clone instead of RestoreInstance now: see
	// lifecycle.go.
	if s.lifeStart(ctx, job, res, lookedAt, log, dryRun) {
		return
	}
	password, err := s.Password(ctx, req, res.Region)
	if err != nil {
		res.Fail(err)
		return
	}
	s.restore(ctx, job, res, password, lookedAt, log)
}

// latestBefore is the bound of "latest": the newest restorable backup that
// started before the request's before, or else before now.
func latestBefore(before *time.Time, now time.Time) time.Time {
	if before != nil {
		return *before
	}
	return now
}

// startedEarlier looks for this event's restore, started by another
// delivery, and reports whether that settles the job: found (duplicate),
// or the task list cannot be read (failed: restoring on a guess could
// restore twice).
func (s *Service) startedEarlier(ctx context.Context, job Job, res *intent.Result, fresh bool, log *slog.Logger) bool {
	t, ok, err := s.findStarted(ctx, job, res.Region, fresh)
	switch {
	case err != nil:
		failed(res, err, log, "could not check for an earlier restore; not restoring")
		return true
	case !ok:
		return false
	}
	if s.supersededEarlier(ctx, job, res, log) {
		return true
	}
	earlierTask(job, res, t)
	if job.Request.BackupID == intent.LatestBackup {
		res.BackupID = "" // which backup the earlier run chose, the task list does not say
	}
	log.Info("restore.duplicate", "detail", "restore already started", "taskId", t.ID)
	return true
}

// earlierTask settles res as a duplicate of t: a restore task of the
// instance that an earlier delivery of this event started.
// supersededEarlier answers a redelivery whose event took a safety
// backup by what the sweep judges of it (FirstRestore): settled by a
// restore provably not its own, that outcome again, not "duplicate" of
// another's restore with its TaskId; restored, duplicate of the first
// restore since the event, its own, not of the newest.
func (s *Service) supersededEarlier(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) bool {
	if job.Undo != nil || job.Since.IsZero() || !s.safetyWanted(job) {
		return false
	}
	id := job.Request.InstanceID
	if s.Reader().SeeBackups(ctx, job.backups, res.Region, id) != nil {
		return false
	}
	// This event's own safety backup: the remark names its time (an
	// earlier version's remark, or another event's since it, is not).
	safety := s.Reader().SignedOnly(id, job.backups.List)
	var mine []intent.SafetyBackup
	for _, x := range safety {
		if x.OfEvent(job.Since) {
			mine = append(mine, x)
		}
	}
	b, ok := intent.OwnSafety(mine, job.Since, job.Restores())
	if !ok {
		return false
	}
	tasks, err := s.tasksSince(ctx, job, res.Region, job.Since, false)
	if err != nil {
		return false
	}
	in, err := Retry(ctx, s, func() (intent.Instance, error) { return s.Redis.DescribeInstance(ctx, res.Region, id) })
	if err != nil {
		return false
	}
	if b.Gone() && b.EndTime.IsZero() {
		return s.safetyEnded(job, res, b, log) // failed: that outcome again
	}
	t, whose := intent.FirstRestore(s.Settings.Seal, in, tasks, b, safety)
	switch whose {
	case intent.NotRestored:
		return false
	case intent.RestoredOwn:
		// Its end is the first restore since its event (as the sweep
		// judges it), not the newest: a later one is someone's.
		earlierTask(job, res, t)
		res.BackupID = b.Restores
		log.Info("restore.duplicate", "detail", "restore already started", "taskId", t.ID)
		return true
	}
	*res = s.SupersededResult(res.Region, id, b, t)
	res.Life.Quiet = true // the sweep or the watch sent it, with this id
	log.Info("safetyBackup.supersededEarlier", "detail", "the event's safety-backed intent was settled by a restore not its own: its outcome again", "undoBackupId", b.ID, "taskId", t.ID)
	return true
}

func earlierTask(job Job, res *intent.Result, t intent.Task) {
	res.Status, res.TaskID = intent.Duplicate, t.ID
	res.Reason = fmt.Sprintf("restore task %d of %s started at %s, after this event was created", t.ID, job.Request.InstanceID, t.StartTime.UTC().Format(time.RFC3339))
}

func (s *Service) Password(ctx context.Context, req intent.Request, region string) (string, error) {
	if req.Password != "" {
		return req.Password, nil
	}
	if s.Passwords != nil {
		return s.Passwords.Password(ctx, region, req.InstanceID)
	}
	return s.Settings.Password, nil
}

// restore calls RestoreInstance until it is accepted, fails for good, or
// the deadline nears, and never starts a second restore for one event.
//
// Two things send it to the task list before it calls again, and before it
// reports: an attempt whose answer leaves open whether the restore started
// (a lost, late or garbled answer, an answer without a TaskId), and a lock
// (InstanceLockedError: someone is restoring; it may be another container
// with this same event, whose task may even have ended during the pause).
// A task that started since the event was created is this event's restore.
//
// The attempts end verifyReserve before ctx does, so that the last look at
// the task list always has time: a late answer is not reported as a
// failure of a restore that is running.
func (s *Service) restore(ctx context.Context, job Job, res *intent.Result, password string, lookedAt time.Time, log *slog.Logger) {
	req := job.Request
	look := job
	if look.Since.IsZero() {
		look.Since = s.Now().Add(-time.Second)
	}
	attemptCtx, cancel := withReserve(ctx, s.Now(), verifyReserve)
	defer cancel()
	firstTry := s.Now().Add(-time.Second) // no task of ours can have started before
	var unclear *failure.Error            // the last attempt that may have started the restore
	locked := false
	note := func(e *failure.Error) {
		switch {
		case maybeStarted(e):
			unclear = e
		case e.Kind == failure.Locked:
			locked = true
		}
	}
	// A last look right before each call, as it is sent (after the rate
	// limiter's wait), when the last one has grown old: the edition check,
	// the backup choice, the password, a pause between attempts or the
	// wait for the limit took long, and another delivery's restore may
	// have started, and even ended, meanwhile. A shorter gap is covered by
	// the lock a running restore holds, and an extra look each time would
	// halve a batch's throughput (the task list's limit).
	lastLook := func() time.Time {
		if job.seen != nil && job.seen.Read {
			return job.seen.At
		}
		return lookedAt
	}
	if s.Now().Sub(lastLook()) >= lookAgainAfter && s.startedEarlier(attemptCtx, look, res, true, log) {
		return
	}
	// And again as the call is sent, where the client ran its rate
	// limiter's wait after this (internal/cloud runs the check).
	sendCtx := withSendCheck(attemptCtx, func() error {
		if job.Undo != nil && s.pastDeadline(*job.Undo) {
			// A continuation that waited (a lock, the limit) past its
			// deadline is never started late: the sweep reports it
			// expired, its one outcome.
			res.Fail(failure.E(failure.Unavailable, failure.Code("RestoreExpired"), fmt.Sprintf(
				"safety backup %s was done at %s, more than %s ago: the restore is never started late", job.Undo.ID, job.Undo.DoneAt().UTC().Format(time.RFC3339), s.Settings.Life.SafetyDeadline)))
			if res.Life != nil {
				res.Life.Quiet = true
			}
			return errSettled
		}
		if s.Now().Sub(lastLook()) < lookAgainAfter {
			return nil
		}
		if unclear != nil || locked {
			if s.settled(attemptCtx, look, res, unclear, locked, log) {
				return errSettled
			}
			return nil
		}
		if s.startedEarlier(attemptCtx, look, res, true, log) {
			return errSettled
		}
		return nil
	})
	n := 0
	passwordRetried := false
	var passwordErr error // the rotated password could not be read again
	call := func() (accepted, error) {
		for {
			n++
			taskID, requestID, err := s.Redis.RestoreInstance(sendCtx, res.Region, req.InstanceID, res.BackupID, password)
			if err == nil || errors.Is(err, errSettled) {
				return accepted{taskID, requestID}, err
			}
			e := failure.As(err)
			log.Warn("restore.attemptFailed", "detail", "RestoreInstance failed", "attempt", n, "kind", e.Kind.String(), "code", e.Code, "apiRequestId", e.RequestID)
			if passwordRetried || e.Code != "InvalidParameterValue.PasswordError" || s.Passwords == nil || !s.Settings.PasswordRotates || req.Password != "" {
				return accepted{}, err
			}
			// A rotated secret: fetch it again once, and call again at
			// once (the API refused the restore before starting it).
			passwordRetried = true
			s.Passwords.Forget()
			if password, passwordErr = s.Password(ctx, req, res.Region); passwordErr != nil {
				return accepted{}, passwordErr
			}
		}
	}
	a, last, stop := attempts(attemptCtx, s, call, func(last *failure.Error) bool {
		if passwordErr != nil {
			res.Fail(passwordErr)
			return true
		}
		note(last)
		if (unclear != nil || locked) && s.settled(attemptCtx, look, res, unclear, locked, log) {
			return true
		}
		// While this one retried, another event's restore may have used
		// the budget (see budget.go).
		return s.heldOnRetry(attemptCtx, job, res, unclear, firstTry, log)
	})
	switch {
	case stop == nil:
		res.Status, res.TaskID, res.RequestID = intent.Accepted, a.taskID, a.requestID
		res.Reason = job.Reason
		log.Info("restore.accepted", "detail", "restore accepted", "taskId", a.taskID, "apiRequestId", a.requestID, "attempts", n)
		s.mark(ctx, job, res, log)
		return
	case stop == errSettled:
		return
	case passwordErr != nil:
		res.Fail(passwordErr)
		return
	}
	note(last)
	// The last look, on the time kept for it.
	if (unclear != nil || locked) && s.settled(ctx, look, res, unclear, locked, log) {
		return
	}
	if unclear != nil && !absentMeansNotStarted(unclear) {
		res.Unclear(failure.E(unclear.Kind, failure.Code(unclear.Code),
			fmt.Sprintf("%s; the restore may have started, and no task of it was found in the time left, so it was not tried again: a retry of this event looks for it first", unclear.Message)))
		log.Error("restore.unknown", "detail", "restore outcome unknown", "code", unclear.Code, "attempts", n)
		return
	}
	res.Fail(stop)
}

// mark marks a restore that continues a safety-backed intent as the
// function's own on its instance (provenance.go): what lets the sweep
// report its end as the intent's. A mark that cannot be written leaves
// the restore running, reported started; its end is then reported as a
// restore the function cannot prove its own.
func (s *Service) mark(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) {
	if job.Undo == nil || s.Settings.Seal == nil {
		return
	}
	old := ""
	if job.instance != nil {
		old = job.instance.Tags[intent.MarkKey]
	}
	value := intent.WithMark(old, intent.MarkEntry(s.Settings.Seal, job.Request.InstanceID, res.TaskID, res.BackupID, job.Undo.ID))
	_, err := Retry(ctx, s, func() (struct{}, error) {
		return struct{}{}, s.Redis.TagInstance(ctx, res.Region, job.Request.InstanceID, intent.MarkKey, value)
	})
	if err != nil {
		log.Error("restore.unmarked", "detail", "the restore could not be marked the function's own: its end will not be reported as this intent's", "taskId", res.TaskID, "error", err.Error())
	}
}

// accepted is the answer of a call that started work: its task, and the
// API's request ID.
type accepted struct {
	taskID    int64
	requestID string
}

// settled looks for a restore task that started since the event was
// created, and reports whether that settles the restore: found (accepted
// when our own unclear attempt may have started it, else a duplicate of
// another delivery's), or unknowable (the task list cannot be read, so
// calling again could restore twice). It returns false when nothing was
// found and another attempt may go ahead.
func (s *Service) settled(ctx context.Context, job Job, res *intent.Result, unclear *failure.Error, locked bool, log *slog.Logger) bool {
	t, ok, err := s.findStarted(ctx, job, res.Region, true)
	switch {
	case err != nil && unclear != nil:
		res.Unclear(failure.E(unclear.Kind, failure.Code(unclear.Code), fmt.Sprintf("%s; the restore may have started, and the task list could not be read to tell (%v), so it was not tried again", unclear.Message, err)))
		log.Error("restore.unknown", "detail", "restore outcome unknown", "code", unclear.Code, "error", err.Error())
		return true
	case err != nil:
		res.Fail(failure.E(failure.Locked, failure.Code("ResourceUnavailable.InstanceLockedError"),
			fmt.Sprintf("the instance is locked, and the task list could not be read to tell whether by a restore of this event (%v): not restoring on a guess", err)))
		return true
	case !ok:
		return false
	}
	res.TaskID = t.ID
	res.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("restore task %d started at %s, after this event was created", t.ID, t.StartTime.UTC().Format(time.RFC3339)))
	if unclear != nil && !locked {
		res.Status = intent.Accepted
		log.Info("restore.startedDespiteUnclear", "detail", "restore had started despite the unclear answer", "taskId", t.ID)
		// Not marked: the task list names no backup, and a task found
		// after an unclear answer may be someone's that started meanwhile.
		return true
	}
	res.Status = intent.Duplicate
	log.Info("restore.duplicate", "detail", "restore started by another delivery of this event", "taskId", t.ID)
	return true
}

// maybeStarted reports whether a failed RestoreInstance may have started
// the restore all the same: its answer was lost, late or garbled, it said
// something we cannot use (no TaskId, a FailedOperation), or the cloud
// failed inside. Throttling, locks and refusals of the request come before
// any work.
func maybeStarted(e *failure.Error) bool {
	switch e.Kind {
	case failure.Transient:
		return !strings.HasPrefix(e.Code, "RequestLimitExceeded")
	case failure.Upstream, failure.Internal, failure.Other:
		return true
	}
	return false
}

// absentMeansNotStarted reports whether, after an unclear attempt, finding
// no task proves that nothing started: true when the API answered that the
// operation failed, false when the answer was lost, late, garbled or
// claimed success without a TaskId.
func absentMeansNotStarted(e *failure.Error) bool {
	return e.Kind == failure.Upstream && e.Code != failure.CodeMissingTaskID
}

// emit puts the outcome on the queue. An accepted TaskId must reach
// someone: sending is retried until the deadline nears, and if it still
// fails the result says so, so that the invocation fails and is retried.
func (s *Service) emit(ctx context.Context, job Job, res *intent.Result, log *slog.Logger) {
	typ := intent.ResultEventType(res)
	// Without credentials nothing is sent: no request leaves unsigned.
	if typ == "" || s.Outbox == nil || !s.Settings.CanReport {
		if res.Status == intent.Accepted {
			res.Undelivered = true
			log.Error("outcome.noQueue", "detail", "restore accepted but there is no queue for its TaskId", "taskId", res.TaskID)
		}
		return
	}
	ev := intent.NewEvent(s.Source, job.Trigger, s.Now(), res, s.messageID(job, res))
	body, err := json.Marshal(ev)
	if err != nil {
		log.Error("outcome.encodeFailed", "detail", "cannot encode the outcome message", "error", err.Error())
		res.Undelivered = res.Status == intent.Accepted
		return
	}
	tags := []string{string(res.Status), job.Trigger}
	region := cmp.Or(s.Settings.Region, res.Region)
	attempt := 0
	msgID, err := Retry(ctx, s, func() (string, error) {
		attempt++
		id, err := s.Outbox.Publish(ctx, region, string(body), tags)
		if err != nil {
			e := failure.As(err)
			log.Warn("outcome.sendFailed", "detail", "sending the outcome failed", "attempt", attempt, "code", e.Code, "error", e.Message)
		}
		return id, err
	})
	if err == nil {
		res.MessageID = msgID
		log.Info("outcome.sent", "detail", "outcome sent", "status", string(res.Status), "taskId", res.TaskID, "messageId", msgID, "type", typ)
		return
	}
	if res.Status == intent.Accepted || res.Status == intent.Duplicate {
		res.Undelivered = true
		log.Error("outcome.undelivered", "detail", "TaskId NOT delivered to the queue: the invocation fails so that it is retried",
			"taskId", res.TaskID, "instanceId", res.InstanceID, "backupId", res.BackupID, "region", res.Region)
	}
}

// SleepContext sleeps for d or until ctx ends.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failed fills res as failed with err and logs it (restore.failed) with
// what was not done.
func failed(res *intent.Result, err error, log *slog.Logger, msg string) {
	res.Fail(err)
	log.Warn("restore.failed", "detail", msg, "code", res.Error.Code, "error", res.Error.Message)
}

// withholdToken keeps a plan's token out of the answer: it went to the
// queue, where approvers read it. Whoever asked for the restore sees what
// would be done, but cannot approve it alone.
func withholdToken(res *intent.Result) {
	if res.Plan != nil && res.Plan.Token != "" {
		p := *res.Plan
		p.Token = ""
		res.Plan = &p
	}
}
