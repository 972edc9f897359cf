package restore

import (
	"context"
	"fmt"
	"log/slog"

	"redis-restore/internal/failure"
)

// Edition is a Redis instance's product edition, DescribeInstances' Type.
type Edition struct {
	Type int64
	Name string
	// InPlace: RestoreInstance restores it in place. Only Redis 2.8 Memory
	// Edition and CKV can be; Redis 4.0 and later (and Valkey) restore by
	// cloning the backup into a new instance (Tencent Cloud's "Restoring
	// Data" guide, platform-2026.md §5).
	InPlace bool
	// Known: the documents say which way it restores. For an unknown type
	// (5, Redis 2.8 standalone, is undocumented; a new edition) the API
	// decides.
	Known bool
}

// editions are the Types of the Redis SDK's InstanceSet documentation
// (v1.3.79) and Valkey's 19 to 22 (platform-2026.md §5).
var editions = map[int64]Edition{
	2:   {Name: "Redis 2.8 Memory Edition, Standard Architecture", InPlace: true, Known: true},
	3:   {Name: "CKV 3.2 Memory Edition, Standard Architecture", InPlace: true, Known: true},
	4:   {Name: "CKV 3.2 Memory Edition, Cluster Architecture", InPlace: true, Known: true},
	5:   {Name: "Redis 2.8 Memory Edition, Standalone"},
	6:   {Name: "Redis 4.0 Memory Edition, Standard Architecture", Known: true},
	7:   {Name: "Redis 4.0 Memory Edition, Cluster Architecture", Known: true},
	8:   {Name: "Redis 5.0 Memory Edition, Standard Architecture", Known: true},
	9:   {Name: "Redis 5.0 Memory Edition, Cluster Architecture", Known: true},
	15:  {Name: "Redis 6.2 Memory Edition, Standard Architecture", Known: true},
	16:  {Name: "Redis 6.2 Memory Edition, Cluster Architecture", Known: true},
	17:  {Name: "Redis 7.0 Memory Edition, Standard Architecture", Known: true},
	18:  {Name: "Redis 7.0 Memory Edition, Cluster Architecture", Known: true},
	19:  {Name: "Valkey Memory Edition", Known: true},
	20:  {Name: "Valkey Memory Edition", Known: true},
	21:  {Name: "Valkey Memory Edition", Known: true},
	22:  {Name: "Valkey Memory Edition", Known: true},
	200: {Name: "Memcached 1.6 Memory Edition, Cluster Architecture"},
}

// EditionOf names an instance Type.
func EditionOf(typ int64) Edition {
	e, ok := editions[typ]
	if !ok {
		e = Edition{Name: "an edition this function does not know"}
	}
	e.Type = typ
	return e
}

func (e Edition) String() string { return fmt.Sprintf("%s (Type %d)", e.Name, e.Type) }

// instanceStates names DescribeInstances' Status values.
var instanceStates = map[int64]string{
	0: "to be initialised", 1: "busy with a flow", 2: "running", -2: "isolated", -3: "to be deleted",
}

func stateName(status int64) string {
	if s, ok := instanceStates[status]; ok {
		return fmt.Sprintf("%s (Status %d)", s, status)
	}
	return fmt.Sprintf("in state %d", status)
}

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
func (s *Service) checkEdition(ctx context.Context, job *Job, res *Result, dryRun bool, log *slog.Logger) bool {
	id := job.Request.InstanceID
	in, err := retry(ctx, s, func() (Instance, error) { return s.Redis.DescribeInstance(ctx, res.Region, id) })
	if err != nil {
		failed(res, err, log, "cannot read the instance's edition; not restoring")
		return false
	}
	if job.Request.Clone() {
		// A clone reads a backup, in any state of the instance (clone.go);
		// Tencent's cloning guide leaves Redis 2.8 out, which restores in
		// place instead.
		if ed := EditionOf(in.Type); in.Type == 2 || in.Type == 5 {
			failed(res, failure.E(failure.Unavailable, failure.Code(CodeUnsupportedEdition), failure.Field("mode"), fmt.Sprintf(
				"%s is %s, which cannot be cloned from a backup: restore it in place instead (no \"mode\", or \"mode\": \"restore\")", id, ed)), log, "clone refused")
			return false
		}
		job.instance = &in
		return true
	}
	ed := EditionOf(in.Type)
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
			"%s is %s, not running: it cannot be restored now", id, stateName(in.Status)))
	}
	var note string
	switch {
	case refusal != nil:
		note = "in-place restore not possible: " + failure.As(refusal).Message
	case ed.Known:
		note = fmt.Sprintf("%s is %s, %s: restores in place", id, ed, stateName(in.Status))
	default:
		note = fmt.Sprintf("%s is %s: whether it restores in place is not documented, RestoreInstance decides", id, ed)
	}
	if dryRun {
		job.Reason = JoinReason(job.Reason, note)
		return true
	}
	if refusal != nil {
		failed(res, refusal, log, "restore refused")
		return false
	}
	job.Reason = JoinReason(job.Reason, note)
	log.Info("instance.checked", "detail", "instance checked", "note", note)
	return true
}
