package restore

import (
	"context"
	"fmt"
	"time"

	"redis-restore/internal/failure"
)

// The API lists backups within a window of at most 30 days.
const (
	backupWindow = 30 * 24 * time.Hour
	// maxBackupWindows bounds how far back "latest" looks: a year.
	maxBackupWindows = 12
	backupPageSize   = 100
)

// Backup statuses that can be restored: 2 normal, 4 RDB conversion done.
func restorable(b Backup) bool {
	// A safety backup is an undo point, not a known-good state: "latest"
	// never picks one (see lifecycle.go).
	return (b.Status == 2 || b.Status == 4) && !b.Locked && !IsSafetyRemark(b.Remark)
}

// chooseBackup finds the newest restorable backup of an instance that
// started before the bound. It reads every page of every window it needs,
// newest window first, and sorts nothing on the API's order.
func (s *Service) chooseBackup(ctx context.Context, region, instanceID string, before time.Time) (Backup, error) {
	end := before
	for w := 0; w < maxBackupWindows; w++ {
		begin := end.Add(-backupWindow)
		var best Backup
		found := false
		err := s.eachBackup(ctx, region, instanceID, begin, end, func(b Backup) bool {
			if restorable(b) && b.StartTime.Before(before) &&
				(!found || b.StartTime.After(best.StartTime) || (b.StartTime.Equal(best.StartTime) && b.ID > best.ID)) {
				best, found = b, true
			}
			return true
		})
		if err != nil {
			return Backup{}, err
		}
		if found {
			return best, nil
		}
		end = begin
	}
	return Backup{}, failure.E(failure.NotFound, failure.Code(failure.CodeBackupNotFound),
		fmt.Sprintf("no restorable backup (status normal or RDB done, not locked) of %s started between %s and %s",
			instanceID, end.UTC().Format(time.RFC3339), before.UTC().Format(time.RFC3339)))
}

// eachBackup calls f with every backup of an instance (of every instance
// for "") that started within [begin, end], at most 30 days apart, page
// by page, until f returns false.
func (s *Service) eachBackup(ctx context.Context, region, instanceID string, begin, end time.Time, f func(Backup) bool) error {
	for offset := int64(0); ; offset += backupPageSize {
		page, err := retry(ctx, s, func() (BackupPage, error) {
			return s.Redis.DescribeInstanceBackups(ctx, region, instanceID, begin, end, backupPageSize, offset)
		})
		if err != nil {
			return err
		}
		for _, b := range page.Backups {
			if !f(b) {
				return nil
			}
		}
		if len(page.Backups) < backupPageSize || offset+backupPageSize >= page.Total {
			return nil
		}
	}
}
