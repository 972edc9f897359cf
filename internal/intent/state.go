package intent

import (
	"time"
)

// The cloud's state, in the restore's words. internal/cloud reads
// Tencent's answers into these types (and judges Tencent's task type
// codes there); the restore decides with them and nothing else.

// Backup is one backup of an instance.
type Backup struct {
	ID         string
	StartTime  time.Time
	EndTime    time.Time
	Status     int64 // 2: done, restorable
	Locked     bool
	Type       string
	Remark     string // a manual backup's note: the safety backup's names its restore
	InstanceID string
}

// BackupPage is one page of backups and the total the API counts.
type BackupPage struct {
	Backups []Backup
	Total   int64
}

// TaskKind is what a task does, as far as a restore cares.
type TaskKind int

const (
	OtherTask        TaskKind = iota // automatic backups, flushes, ...
	RestoreTask                      // a restore from a backup
	ManualBackupTask                 // a manual backup: the safety backup is one
	CloneTask                        // a clone from a backup
	SwitchTask                       // SwitchInstanceVip: two instances' addresses swapped
	DestroyTask                      // an instance released (DestroyPostpaidInstance), by anyone
)

// Task is one task of an instance's task list.
type Task struct {
	ID         int64
	Kind       TaskKind
	Type       string // the API's own type code, for the logs
	InstanceID string
	StartTime  time.Time
	EndTime    time.Time // zero while it runs
	Result     int64     // 0 init, 1 running, 2 done, 4 failed
}

// TaskInfo is what one task's own record says of how it went.
type TaskInfo struct {
	ID         int64
	Status     string // preparing, running, succeed, failed, error
	StartTime  time.Time
	Type       string // free text, e.g. "redis缓存清空流程": never compared with codes
	InstanceID string
	Message    string
}

// Ended reports whether the task has ended, and how.
func (t TaskInfo) Ended() bool {
	return t.Status == "succeed" || t.Status == "failed" || t.Status == "error"
}

// Succeeded reports whether the task ended well.
func (t TaskInfo) Succeeded() bool { return t.Status == "succeed" }

// Instance is what a restore needs of an instance: its edition (Type)
// decides whether it can be restored in place, its Status whether it
// serves, the rest is what a clone copies.
type Instance struct {
	ID        string
	Name      string
	Type      int64 // 2 Redis 2.8 standard, 6 Redis 4.0 standard, ...; see EditionOf
	Status    int64 // 0 to be initialised, 1 in a flow, 2 running, -2 isolated, -3 to be deleted
	ZoneID    int64
	VpcID     string
	SubnetID  string
	ProjectID int64
	Port      int64
	NoAuth    bool
	// PayAsYouGo: billed by the hour (BillingMode 0), so that
	// DestroyPostpaidInstance can release it.
	PayAsYouGo bool
	// Addr is where clients reach it ("host:port": its VIP, DescribeInstances'
	// WanIp, and Port), "" where not known.
	Addr    string
	Created time.Time // DescribeInstances' Createtime; zero where not known
	// Tags are the instance's tags (DescribeInstances' InstanceTags):
	// the function's mark among them (provenance.go).
	Tags map[string]string
}

// Running reports whether the instance serves again (Status 2).
func (in Instance) Running() bool { return in.Status == 2 }

// CloneOrder is one new instance ordered from a backup.
type CloneOrder struct {
	InstanceID       string
	BackupID         string
	CloneTime        time.Time // zero: the backup itself
	Name             string
	ZoneID           int64
	VpcID, SubnetID  string
	SecurityGroupIDs []string
	TemplateID       string
	ProjectID        int64
	Password         string // never logged
	NoAuth           bool
}
