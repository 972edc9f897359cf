package cloud

import "strings"

// Task types of the Redis API. DescribeTaskList answers with type codes
// (its example answers "TaskType": "037"), while its TaskTypes filter is
// documented with name/code pairs in one version and names only in
// another. Whether the filter is honoured in either form is not
// documented, so the function never relies on it: every task listed is
// judged by its type here.
const (
	TaskTypeRestore     = "010" // FLOW_RESTOREBACKUP
	TaskTypeRestoreName = "FLOW_RESTOREBACKUP"
	TaskTypeAutoBackup  = "017" // FLOW_AUTOBACKUP: the nightly automatic backup
)

// IsRestoreTask reports whether a task type of DescribeTaskList is a
// restore from backup: the code "010" or the name FLOW_RESTOREBACKUP. Every
// other type (automatic or manual backups, clones, flushes, ...) is not,
// however the list was filtered.
func IsRestoreTask(taskType string) bool {
	t := strings.TrimSpace(taskType)
	return t == TaskTypeRestore || strings.EqualFold(t, TaskTypeRestoreName)
}
