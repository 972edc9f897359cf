package restore

import (
	"context"
	"fmt"
	"log/slog"

	"redis-restore/internal/edition"
	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// Our code for an instance whose edition cannot be restored in place.
const CodeUnsupportedEdition = failure.CodeUnsupportedEdition

// codeInstanceState is the API's own code for an instance in a state that
// refuses the operation.
const codeInstanceState = "ResourceUnavailable.InstanceStateError"

// checkEdition reads the instance's edition and state before anything is
// chosen or restored, so that a restore RestoreInstance cannot do is
// refused with its reason and way out instead of the API's opaque error.
// A dry run is never refused: its reason says what a restore would meet.
// It reports whether the restore may go on.
func (s *Service) checkEdition(ctx context.Context, job *Job, res *intent.Result, dryRun bool, log *slog.Logger) bool {
	id := job.Request.InstanceID
	var in intent.Instance
	var err error
	if job.Undo != nil && job.instance != nil {
		in = *job.instance // an intent's watch read it a moment ago (ContinueSafety)
	} else {
		in, err = Retry(ctx, s, func() (intent.Instance, error) { return s.Redis.DescribeInstance(ctx, res.Region, id) })
	}
	if err != nil {
		failed(res, err, log, "cannot read the instance's edition; not restoring")
		return false
	}
	if job.Request.Mode == intent.ModeUnswitch {
		// Switching back restores no backup: any edition, running.
		job.instance = &in
		if in.Status != 2 {
			failed(res, failure.E(failure.Unavailable, failure.Code(codeInstanceState), failure.Field("instanceId"), fmt.Sprintf(
				"%s is %s, not running: its address cannot be switched back now", id, edition.State(in.Status))), log, "switch back refused")
			return false
		}
		return true
	}
	if job.Request.Clone() {
		// A clone reads a backup, in any state of the instance (clone.go);
		// Tencent's cloning guide leaves Redis 2.8 out, which restores in
		// place instead.
		if ed := edition.Of(in.Type); in.Type == 2 || in.Type == 5 {
			failed(res, failure.E(failure.Unavailable, failure.Code(CodeUnsupportedEdition), failure.Field("mode"), fmt.Sprintf(
				"%s is %s, which cannot be cloned from a backup: restore it in place instead (no \"mode\", or \"mode\": \"restore\")", id, ed)), log, "clone refused")
			return false
		}
		job.instance = &in
		return true
	}
	ed := edition.Of(in.Type)
	job.instance = &in // for the plan (plan.go)
	log = log.With("edition", ed.String(), "status", in.Status)
	var refusal error
	switch {
	case ed.Known && !ed.InPlace:
		refusal = failure.E(failure.Unavailable, failure.Code(CodeUnsupportedEdition), failure.Field("instanceId"), fmt.Sprintf(
			"%s is %s, which RestoreInstance cannot restore in place (only Redis 2.8 Memory Edition and CKV can be): restore it by cloning the backup into a new instance: \"mode\": \"clone\", with RESTORE_CLONE=true",
			id, ed))
	case in.Status == 1 && !dryRun && (s.ownFlow(ctx, *job, res, log) || s.overBudget(ctx, *job, res, true, log)):
		// The flow is another delivery's restore or safety backup of this
		// same event, started since this one looked (lifecycle.go); or a
		// restore that used up the budget, which holds this one with its
		// own reason (budget.go).
		return false
	case in.Status != 2:
		refusal = failure.E(failure.Unavailable, failure.Code(codeInstanceState), failure.Field("instanceId"), fmt.Sprintf(
			"%s is %s, not running: it cannot be restored now", id, edition.State(in.Status)))
	}
	var note string
	switch {
	case refusal != nil:
		note = "in-place restore not possible: " + failure.As(refusal).Message
	case ed.Known:
		note = fmt.Sprintf("%s is %s, %s: restores in place", id, ed, edition.State(in.Status))
	default:
		note = fmt.Sprintf("%s is %s: whether it restores in place is not documented, RestoreInstance decides", id, ed)
	}
	if dryRun {
		job.Reason = intent.JoinReason(job.Reason, note)
		return true
	}
	if refusal != nil {
		failed(res, refusal, log, "restore refused")
		return false
	}
	job.Reason = intent.JoinReason(job.Reason, note)
	log.Info("instance.checked", "detail", "instance checked", "note", note)
	return true
}
