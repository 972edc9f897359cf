package restore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// admit is the one admission an intent passes before any action that can
// change an instance, whatever led to it: a request (any trigger), a
// hand-off, an approved plan, the sweep continuing a safety-backed intent.
// In order, each refusal saying why:
//
//  1. precheck (Run, before any cloud call): the allow-list, a region the
//     sweep follows, credentials, clone mode enabled, a queue for the
//     outcome; an unusable setting refuses everything;
//  2. the instance (edition.go): its edition restores in place, or clones
//     (not Redis 2.8), and it runs; busy with this event's own restore, a
//     duplicate;
//  3. the guard rails (plan.go, budget.go): an approved plan still holds;
//     the budget, counting restores and clones of every origin; approval
//     by the channel the request came by; a dry run ends in its plan. The
//     sweep's continuation passed them when its safety backup was taken,
//     which its sealed remark proves;
//  4. the backup: "latest" chosen by the rule, a named one listed and
//     restorable before a safety backup is taken for it.
//
// A retry after a lock or an unclear answer does not start over: before
// every new attempt it looks again at what could have changed (this
// event's restore, the budget: restore.go, lifecycle.go). admit fills in
// the backup a "latest" intent restores, and reports whether the intent
// may act.
func (s *Service) admit(ctx context.Context, job *Job, res *intent.Result, dryRun bool, log *slog.Logger) bool {
	req := job.Request
	if !s.checkEdition(ctx, job, res, dryRun, log) {
		return false
	}

	// Budget, approval, dry run: see plan.go.
	// A restore the sweep continues after its safety backup passed them
	// when that backup was taken (lifecycle.go): not held or planned again.
	if job.Undo == nil && s.guardrails(ctx, *job, res, dryRun, log) {
		return false
	}

	if req.BackupID == intent.LatestBackup {
		before := s.latestBound(*job)
		b, err := s.Reader().ChooseBackup(ctx, res.Region, req.InstanceID, before, job.backups)
		if err != nil {
			failed(res, err, log, "no backup to restore")
			return false
		}
		res.BackupID, job.backupStart = b.ID, b.StartTime
		job.Reason = intent.JoinReason(job.Reason, fmt.Sprintf("chose backup %s, started %s, the newest restorable one before %s",
			b.ID, b.StartTime.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339)))
		log.Info("backup.chosen", "detail", "backup chosen", "backupId", b.ID, "backupStart", b.StartTime.UTC().Format(time.RFC3339),
			"before", before.UTC().Format(time.RFC3339))
	} else if !dryRun && job.Undo == nil && s.safetyWanted(*job) {
		// A named backup is checked before the safety backup is taken: the
		// sweep would only find out after an undo point was made for a
		// restore that cannot happen. (Without a safety backup,
		// RestoreInstance itself refuses a backup it does not know.)
		b, err := s.Reader().LookupBackup(ctx, res.Region, req.InstanceID, req.BackupID, time.Time{})
		if err == nil && intent.NotRestorable(b) != "" {
			err = failure.E(failure.Unavailable, failure.Code("ResourceUnavailable.BackupStatusAbnormal"), failure.Field("backupId"),
				fmt.Sprintf("backup %s of %s %s", b.ID, req.InstanceID, intent.NotRestorable(b)))
		}
		if err != nil {
			failed(res, err, log, "no backup to restore")
			return false
		}
	}
	return true
}

// latestBound is the bound of "latest": the newest restorable backup that
// started before the request's before, or else before now; a drill's,
// before the drill began (as the sweep judges it: drill.go).
func (s *Service) latestBound(job Job) time.Time {
	if job.Request.Drill() {
		return s.drillTime(job)
	}
	if job.Request.Switch() && !job.Since.IsZero() && (job.Request.Before == nil || job.Since.Before(*job.Request.Before)) {
		// Every delivery of one event names the same clone.
		return job.Since
	}
	return latestBefore(job.Request.Before, s.Now())
}
