package cloudemu

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"redis-restore/internal/chinatime"
)

const (
	maxBackupWindow = 30 * 24 * time.Hour
	defaultLimit    = 20
	maxLimit        = 100
)

func formatCST(t time.Time) string {
	if t.IsZero() {
		return "0000-00-00 00:00:00"
	}
	return chinatime.Format(t)
}

// cstParam reads an optional "2006-01-02 15:04:05" (UTC+8) parameter.
func (c *call) cstParam(name string) (time.Time, bool) {
	s, ok := c.p.str(name)
	if !ok || s == "" {
		return time.Time{}, false
	}
	t, err := chinatime.Parse(s)
	c.p.check(err == nil, "InvalidParameterValue", "the parameter %s must look like 2006-01-02 15:04:05, got %q", name, s)
	return t, err == nil
}

// paging reads Limit and Offset within bounds: Limit at most maxLimit
// (default defaultLimit), Offset not negative.
func (c *call) paging(maxLimit int64) (limit, offset int64) {
	limit, _ = c.p.int("Limit")
	offset, _ = c.p.int("Offset")
	c.p.check(limit >= 0 && limit <= maxLimit, "InvalidParameterValue", "the parameter Limit must be between 1 and %d, got %d", maxLimit, limit)
	c.p.check(offset >= 0, "InvalidParameterValue", "the parameter Offset must not be negative, got %d", offset)
	if limit == 0 {
		limit = defaultLimit
	}
	return limit, offset
}

func page[T any](all []T, limit, offset int64) []T {
	if offset >= int64(len(all)) {
		return []T{}
	}
	end := min(offset+limit, int64(len(all)))
	return all[offset:end]
}

// instanceIn finds an instance as the cloud sees it from the call's
// region (an instance elsewhere does not exist), or fails the call.
func (e *Emulator) instanceIn(c *call, id string) *Instance {
	in, ok := e.instances[id]
	ok = ok && in.Region == c.region
	c.p.check(ok, "ResourceNotFound.InstanceNotExists", "the instance %s is not found in region %s", id, c.region)
	if !ok {
		return nil
	}
	return in
}

func (e *Emulator) restoreInstance(c *call) (any, *apiError) {
	instanceID, backupID := c.p.requiredStr("InstanceId"), c.p.requiredStr("BackupId")
	password, _ := c.p.str("Password")
	in := e.instanceIn(c, instanceID)
	if c.p.err != nil {
		return nil, c.p.err
	}
	i := slices.IndexFunc(e.backups[instanceID], func(b Backup) bool { return b.ID == backupID })
	if i < 0 {
		return nil, errf("InvalidParameterValue.BackupNotExists", "the backup %s of instance %s does not exist", backupID, instanceID)
	}
	b := e.backups[instanceID][i]
	switch b.Status {
	case 2, 4:
	default:
		return nil, errf("ResourceUnavailable.BackupStatusAbnormal", "the backup %s has status %d and cannot be restored", backupID, b.Status)
	}
	if b.Locked {
		return nil, errf("ResourceUnavailable.BackupLockedError", "the backup %s is locked by another task", backupID)
	}
	if in.Locked || e.inFlow(instanceID, c.now, true) {
		return nil, errf("ResourceUnavailable.InstanceLockedError", "the instance %s is locked by another process", instanceID)
	}
	if in.Status != 2 {
		return nil, errf("ResourceUnavailable.InstanceStateError", "the instance %s has status %d, not running", instanceID, in.Status)
	}
	if typ := instanceType(in); !inPlaceType(typ) {
		// The API's answer here is not documented; an unsupported
		// operation is the likeliest and, to the caller, opaque.
		return nil, errf("FailedOperation.UnSupportError", "operation not supported for instance type %d", typ)
	}
	if in.Password != "" && password != in.Password {
		return nil, errf("InvalidParameterValue.PasswordError", "the password of instance %s is wrong", instanceID)
	}

	id := e.nextTask
	e.nextTask++
	e.tasks = append(e.tasks, Task{TaskID: id, InstanceID: instanceID, BackupID: backupID, Type: TaskTypeRestore, StartTime: c.now})
	e.markFailure(e.tasks[len(e.tasks)-1])
	e.data.pending[id] = effect{kind: "restore", instance: instanceID, backup: backupID} // the data loads when the task succeeds
	e.restores = append(e.restores, RestoreCall{InstanceID: instanceID, BackupID: backupID, TaskID: id, Time: c.now})

	var taskID any = id
	if e.taskIDAsString {
		taskID = strconv.FormatInt(id, 10)
	}
	return map[string]any{"TaskId": taskID}, nil
}

type backupOut struct {
	StartTime    string
	BackupId     string
	BackupType   string
	Status       int
	Remark       string
	Locked       int
	BackupSize   int64
	FullBackup   int64
	InstanceType int64
	InstanceId   string
	InstanceName string
	Region       string
	EndTime      string
	FileType     string
	ExpireTime   string
	Encrypted    bool
}

func (e *Emulator) describeInstanceBackups(c *call) (any, *apiError) {
	instanceID, _ := c.p.str("InstanceId")
	limit, offset := c.paging(maxLimit)
	begin, hasBegin := c.cstParam("BeginTime")
	end, hasEnd := c.cstParam("EndTime")
	both := hasBegin && hasEnd
	c.p.check(!both || !end.Before(begin), "InvalidParameterValue", "EndTime %s is before BeginTime %s", formatCST(end), formatCST(begin))
	c.p.check(!both || end.Sub(begin) <= maxBackupWindow, "InvalidParameterValue", "the time window from BeginTime to EndTime must not exceed 30 days")
	statuses := c.p.ints("Status")
	if instanceID != "" {
		e.instanceIn(c, instanceID)
	}
	if c.p.err != nil {
		return nil, c.p.err
	}

	var ids []string
	if instanceID != "" {
		ids = []string{instanceID}
	} else {
		for _, id := range slices.Sorted(maps.Keys(e.instances)) {
			if e.instances[id].Region == c.region {
				ids = append(ids, id)
			}
		}
	}

	var all []backupOut
	for _, id := range ids {
		in := e.instances[id]
		for _, b := range e.backups[id] {
			if e.unlisted(b) { // a manual backup not done yet, in one reading: lifecycle.go
				continue
			}
			if hasBegin && b.StartTime.Before(begin) || hasEnd && b.StartTime.After(end) {
				continue
			}
			if len(statuses) > 0 && !slices.Contains(statuses, int64(b.Status)) {
				continue
			}
			all = append(all, toBackupOut(in, b))
		}
	}
	return map[string]any{"TotalCount": len(all), "BackupSet": page(all, limit, offset)}, nil
}

func toBackupOut(in *Instance, b Backup) backupOut {
	typ := b.BackupType
	if typ == "" {
		typ = "1"
	}
	expire := b.ExpireTime
	if expire.IsZero() {
		expire = b.StartTime.Add(7 * 24 * time.Hour)
	}
	locked := 0
	if b.Locked {
		locked = 1
	}
	return backupOut{
		StartTime: formatCST(b.StartTime), BackupId: b.ID, BackupType: typ, Status: b.Status,
		Remark: b.Remark, Locked: locked, BackupSize: b.Size, FullBackup: b.Size, InstanceType: int64(instanceType(in)),
		InstanceId: in.ID, InstanceName: instanceName(in), Region: in.Region,
		EndTime: formatCST(b.EndTime), FileType: fileType(in), ExpireTime: formatCST(expire),
	}
}

func instanceName(in *Instance) string {
	if in.Name != "" {
		return in.Name
	}
	return in.ID
}

func (e *Emulator) findTask(id int64) (Task, bool) {
	for _, t := range e.tasks {
		if t.TaskID == id {
			return t, true
		}
	}
	return Task{}, false
}

func (e *Emulator) describeTaskInfo(c *call) (any, *apiError) {
	id, ok := c.p.int("TaskId")
	c.p.missing(ok, "TaskId")
	if c.p.err != nil {
		return nil, c.p.err
	}
	t, ok := e.findTask(id)
	// Tasks of another region are as invisible as instances there.
	if ok {
		if in, found := e.instances[t.InstanceID]; found && in.Region != c.region {
			ok = false
		}
	}
	if !ok {
		return nil, errf("InvalidParameter.InvalidParameter", "the task %d is not found", id)
	}
	return map[string]any{
		"Status": e.phase(t, c.now), "StartTime": formatCST(t.StartTime), "TaskType": taskTypeText(t.Type),
		"InstanceId": t.InstanceID, "TaskMessage": e.taskMessage(t, c.now),
	}, nil
}

// taskTypeText is DescribeTaskInfo's TaskType: free Chinese text, not the
// code DescribeTaskList answers. The API's example answers
// "redis缓存清空流程" (a flush); the other texts follow its pattern and are
// ours, so that nothing can match them against codes.
func taskTypeText(code string) string {
	switch code {
	case TaskTypeRestore:
		return "redis回档流程"
	case TaskTypeAutoBackup:
		return "redis自动备份流程"
	case TaskTypeBackup:
		return "redis手动备份流程"
	case TaskTypeClone:
		return "redis克隆流程"
	case TaskTypeSwitchVIP:
		return "redis实例VIP切换流程"
	case TaskTypeDestroy:
		return "redis实例销毁流程"
	case "037":
		return "redis缓存清空流程"
	}
	return "redis流程"
}

type taskOut struct {
	TaskId       int64
	StartTime    string
	TaskType     string
	InstanceName string
	InstanceId   string
	ProjectId    int64
	Progress     float64
	EndTime      string
	Result       int64
}

func (e *Emulator) describeTaskList(c *call) (any, *apiError) {
	instanceID, _ := c.p.str("InstanceId")
	instanceNameFilter, _ := c.p.str("InstanceName")
	limit, offset := c.paging(maxLimit)
	// TaskTypes is read (a malformed one is refused) but not honoured:
	// whether the API honours it, with names or codes, is not documented,
	// so the emulator lists every type and the function must judge each
	// task by its TaskType.
	c.p.strs("TaskTypes")
	results := c.p.ints("Result")
	c.p.ints("TaskStatus")
	begin, hasBegin := c.cstParam("BeginTime")
	end, hasEnd := c.cstParam("EndTime")
	if c.p.err != nil {
		return nil, c.p.err
	}

	var all []taskOut
	// Newest first, as the console lists tasks.
	for i := len(e.tasks) - 1; i >= 0; i-- {
		t := e.tasks[i]
		in, ok := e.instances[t.InstanceID]
		if !ok || in.Region != c.region {
			continue
		}
		if instanceID != "" && t.InstanceID != instanceID {
			continue
		}
		if instanceNameFilter != "" && instanceName(in) != instanceNameFilter {
			continue
		}
		if hasBegin && t.StartTime.Before(begin) || hasEnd && t.StartTime.After(end) {
			continue
		}
		out := taskOut{TaskId: t.TaskID, StartTime: formatCST(t.StartTime), TaskType: t.Type,
			InstanceName: instanceName(in), InstanceId: t.InstanceID, EndTime: formatCST(time.Time{}), Result: 1}
		e.fillTaskOut(&out, t, c.now) // Result, Progress (a fraction), EndTime: see lifecycle.go
		if len(results) > 0 && !slices.Contains(results, out.Result) {
			continue
		}
		all = append(all, out)
	}
	return map[string]any{"TotalCount": len(all), "Tasks": page(all, limit, offset)}, nil
}
