package follow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"redis-restore/internal/intent"
	"redis-restore/internal/uuid"
)

// A restore task that ended "succeed" says the cloud's flow ended, not
// that the data came back. So when the sweep first sees a restore's end
// (within its window), it connects to the instance (its VIP, from inside
// the function's VPC) and reads what is there: that it answers, its key
// count against what the backup held (Cloud Monitor's count at the
// backup's time, read by the Verifier; unknown, it is said so and judges
// nothing) and, where RESTORE_CANARY_KEY names one, the canary key whose
// value is the time the application wrote it, which dates the data. The
// succeeded message carries what was found; data that does not check out
// adds a restore.suspect message with the numbers. Only the first looks
// (the window) check: later, the application has written since, and a
// check then would judge its writes, not the restore.

// verifyRestored checks a restored instance; nil when verification is
// off. ended is the restore task's end: a canary written after it is the
// application's, and dates nothing of the restore.
func (s *Follower) verifyRestored(ctx context.Context, in intent.Instance, region, backupID string, ended time.Time, log *slog.Logger) *intent.Verification {
	var backupStart *time.Time
	if backupID != "" {
		if b, err := s.Reader().LookupBackup(ctx, region, in.ID, backupID, time.Time{}); err == nil {
			backupStart = &b.StartTime
		}
	}
	return s.verifyData(ctx, in, in.ID, region, backupStart, ended, log)
}

// verifyData checks the data of an instance (a restored one, or a drill's
// clone) against the backup of source (the instance itself, or the
// clone's source) that started at backupStart (nil: not known); nil when
// verification is off. A canary written after ended (when set) is the application's.
func (s *Follower) verifyData(ctx context.Context, in intent.Instance, source, region string, backupStart *time.Time, ended time.Time, log *slog.Logger) *intent.Verification {
	life := s.Settings.Life
	if !life.Verify || s.Verifier == nil {
		return nil
	}
	if in.Addr == "" {
		return &intent.Verification{Keys: -1, Reason: "DescribeInstances gives no address (WanIp, Port) for the instance"}
	}
	// The backup's instance (the source, for a drill's clone): its
	// password, and its key count at the backup's time (Cloud Monitor).
	want := intent.Expectation{InstanceID: source, Region: region, CanaryKey: life.CanaryKey}
	if backupStart != nil {
		want.BackupTime = *backupStart
		if life.CanaryEvery > 0 {
			want.CanaryMaxAge = life.CanaryEvery + time.Minute
		}
	}
	password, err := s.Password(ctx, intent.Request{InstanceID: source}, region)
	if err != nil {
		return &intent.Verification{Keys: -1, Reason: "no password to check with: " + err.Error()}
	}
	v, err := s.Verifier.Verify(ctx, in.Addr, password, want)
	switch {
	case err != nil:
		v.Checked, v.Verified = false, false
	case v.DataAsOf != nil && !ended.IsZero() && v.DataAsOf.After(ended):
		v = intent.Verification{Keys: v.Keys, DataAsOf: v.DataAsOf, ExpectedKeys: v.ExpectedKeys, ExpectedKeysFrom: v.ExpectedKeysFrom,
			Reason: fmt.Sprintf("the canary was written at %s, after the restore ended: it dates the application's writes, not the restore", v.DataAsOf.UTC().Format(time.RFC3339))}
	default:
		v.Checked = true
	}
	log.Info("restore.verified", "detail", "the restored data was checked", "checked", v.Checked, "verified", v.Verified, "keys", v.Keys, "expectedKeysFrom", v.ExpectedKeysFrom, "reason", v.Reason)
	return &v
}

// suspect is the restore.suspect message of a restore whose data does not
// check out: a warning beside its outcome (the task did succeed), under an
// id of its own.
func (s *Follower) suspect(ctx context.Context, r intent.Result, v *intent.Verification, log *slog.Logger) intent.Result {
	out := intent.Result{InstanceID: r.InstanceID, BackupID: r.BackupID, TaskID: r.TaskID, Region: r.Region, Status: intent.Suspect,
		Error: &intent.ErrorBody{Code: "RestoreSuspect", Message: fmt.Sprintf("restore task %d of %s succeeded, but the data does not check out: %s", r.TaskID, r.InstanceID, v.Reason)},
		Life: &intent.Life{Verification: v, UndoBackupID: r.Life.UndoBackupID, Undo: r.Life.Undo, EventType: intent.EventTypePrefix + "suspect",
			EventID: uuid.FromName(fmt.Sprintf("%s/%d/suspect", r.InstanceID, r.TaskID))}}
	log.Warn("restore.suspect", "detail", "the restored data does not check out", "taskId", r.TaskID, "reason", v.Reason)
	s.EmitLife(ctx, &out, log)
	return out
}
