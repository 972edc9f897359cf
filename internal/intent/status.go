package intent

import (
	"time"
)

// State is where a restore stands, read from the cloud: the answer to
// "where is my restore?".
type State struct {
	InstanceID         string     `json:"instanceId"`
	Phase              Phase      `json:"phase"`
	TaskID             int64      `json:"taskId,omitempty"` // the restore's task
	SafetyBackupTaskID int64      `json:"safetyBackupTaskId,omitempty"`
	UndoBackupID       string     `json:"undoBackupId,omitempty"`
	BackupID           string     `json:"backupId,omitempty"` // what is restored, where known
	NewInstanceIDs     []string   `json:"newInstanceIds,omitempty"`
	StartedAt          *time.Time `json:"startedAt,omitempty"`
	EndedAt            *time.Time `json:"endedAt,omitempty"`
	TaskStatus         string     `json:"taskStatus,omitempty"`
	TaskMessage        string     `json:"taskMessage,omitempty"`
	InstanceStatus     int64      `json:"instanceStatus"`
	Undo               string     `json:"undo,omitempty"`
}
