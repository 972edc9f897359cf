package cloudemu

import (
	"fmt"
	"slices"
	"time"

	"redis-restore/internal/chinatime"
)

// The whole life of a restore, as the cloud plays it: tasks that prepare,
// run and end (succeed, or fail when a test says so), manual backups that
// take time (ManualBackupInstance), clones that become new instances
// (CloneInstances) and the security groups a clone copies
// (DescribeInstanceSecurityGroup). An instance is "in a flow" (Status 1 in
// DescribeInstances) and locked while a restore or a manual backup of it
// runs, and a while after a restore (Lifecycle.Settle).

// Lifecycle sets how long each kind of flow takes, in emulator time. Zero
// fields keep their defaults.
type Lifecycle struct {
	// Prepare is how long every task answers "preparing" (Result 0)
	// before "running"; at most half the task. Default 0: none.
	Prepare time.Duration
	// Backup is how long ManualBackupInstance's task runs. Default 3 s.
	Backup time.Duration
	// Clone is how long CloneInstances takes until the new instance runs
	// (Status 2). Default 4 s.
	Clone time.Duration
	// Settle is how long an instance stays in a flow (Status 1, locked)
	// after a restore task ended. Default 0.
	Settle time.Duration
	// Switch is how long SwitchInstanceVip's task runs until the
	// addresses are swapped; Destroy how long DestroyPostpaidInstance's
	// runs until the instance is isolated. Default 1 s each.
	Switch, Destroy time.Duration
	// BackupsListedWhenDone plays the other reading of the API: a manual
	// backup appears in DescribeInstanceBackups only once it is done (a
	// failed one never), instead of at once with Status 1 (running), as
	// the documented statuses and the demo data have it.
	BackupsListedWhenDone bool
}

const (
	defaultBackupDuration  = 3 * time.Second
	defaultCloneDuration   = 4 * time.Second
	defaultSwitchDuration  = time.Second
	defaultDestroyDuration = time.Second
)

// ManualBackupCall records a ManualBackupInstance that started a backup.
type ManualBackupCall struct {
	InstanceID string
	Remark     string
	TaskID     int64
	BackupID   string
	Time       time.Time
}

// CloneCall records a CloneInstances that ordered new instances: what it
// asked for (never the password) and what it got.
type CloneCall struct {
	InstanceID          string
	BackupID            string
	CloneTime           string
	InstanceName        string
	GoodsNum            int64
	ZoneID              int64
	BillingMode         int64
	Period              int64
	VpcID, SubnetID     string
	SecurityGroupIDList []string
	TemplateID          string
	NoAuth              bool
	HasPassword         bool
	DealID              string
	InstanceIDs         []string
	TaskID              int64
	Time                time.Time
}

// lifeState is the emulator's part for the life cycle, made by New.
type lifeState struct {
	timing   Lifecycle
	failNext map[string][]string // kind → messages of the next tasks of that kind to fail
	failed   map[int64]string    // task → why it fails
	backupOf map[int64]string    // manual backup task → backup ID
	clonesOf map[int64][]string  // clone task → new instance IDs
	flows    map[int64]bool      // switch and destroy tasks: flows of their instance
	inFlow   map[string]bool     // instances whose Status 1 the life cycle set
	groups   map[string][]string // instance → security group IDs
	backups  []ManualBackupCall
	clones   []CloneCall
	seq      int64
}

func newLifeState() lifeState {
	return lifeState{failNext: map[string][]string{}, failed: map[int64]string{},
		backupOf: map[int64]string{}, clonesOf: map[int64][]string{}, flows: map[int64]bool{}, inFlow: map[string]bool{}, groups: map[string][]string{}}
}

// SetLifecycle sets the flows' durations.
func (e *Emulator) SetLifecycle(l Lifecycle) {
	defer e.lock()()
	e.life.timing = l
}

// FailNextTask makes the next task of a kind ("restore", "backup" for
// ManualBackupInstance, "clone", "switch" for SwitchInstanceVip, "destroy"
// for DestroyPostpaidInstance) fail at its end with this TaskMessage.
// Calls queue up: two calls fail the next two.
func (e *Emulator) FailNextTask(kind, message string) {
	defer e.lock()()
	e.life.failNext[kind] = append(e.life.failNext[kind], message)
}

// SetSecurityGroups sets the security groups DescribeInstanceSecurityGroup
// answers for an instance (default: one, the example's sg-gl1egaj1).
func (e *Emulator) SetSecurityGroups(instanceID string, ids ...string) {
	defer e.lock()()
	e.life.groups[instanceID] = append([]string(nil), ids...)
}

// ManualBackups returns every ManualBackupInstance that started a backup.
func (e *Emulator) ManualBackups() []ManualBackupCall {
	defer e.lock()()
	return append([]ManualBackupCall(nil), e.life.backups...)
}

// Clones returns every CloneInstances that ordered instances.
func (e *Emulator) Clones() []CloneCall {
	defer e.lock()()
	out := make([]CloneCall, len(e.life.clones))
	for i, c := range e.life.clones {
		c.InstanceIDs = append([]string(nil), c.InstanceIDs...)
		c.SecurityGroupIDList = append([]string(nil), c.SecurityGroupIDList...)
		out[i] = c
	}
	return out
}

// InstanceStatus is an instance's Status as DescribeInstances answers it
// now; false if there is no such instance.
func (e *Emulator) InstanceStatus(id string) (int, bool) {
	defer e.lock()()
	e.advance(e.now())
	in, ok := e.instances[id]
	if !ok {
		return 0, false
	}
	return in.Status, true
}

// taskKind names a task type for FailNextTask.
func taskKind(typ string) string {
	switch typ {
	case TaskTypeBackup:
		return "backup"
	case TaskTypeClone:
		return "clone"
	case TaskTypeSwitchVIP:
		return "switch"
	case TaskTypeDestroy:
		return "destroy"
	}
	return "restore"
}

// startTask numbers and records a task that runs for d, and decides now
// whether it will fail. Caller holds e.mu.
func (e *Emulator) startTask(t Task, d time.Duration) Task {
	t.TaskID, t.Duration = e.nextTask, d
	e.nextTask++
	e.tasks = append(e.tasks, t)
	e.markFailure(t)
	return t
}

// markFailure takes the next queued failure of the task's kind, if any.
func (e *Emulator) markFailure(t Task) {
	k := taskKind(t.Type)
	if q := e.life.failNext[k]; len(q) > 0 {
		e.life.failed[t.TaskID] = q[0]
		e.life.failNext[k] = q[1:]
	}
}

// phase is a task's DescribeTaskInfo Status: preparing, running, then
// succeed or failed.
func (e *Emulator) phase(t Task, now time.Time) string {
	d := e.duration(t)
	elapsed := now.Sub(t.StartTime)
	switch {
	case elapsed < min(e.life.timing.Prepare, d/2):
		return "preparing"
	case elapsed < d:
		return "running"
	}
	if _, ok := e.life.failed[t.TaskID]; ok {
		return "failed"
	}
	return "succeed"
}

func ended(status string) bool { return status == "succeed" || status == "failed" || status == "error" }

// taskMessage is DescribeTaskInfo's TaskMessage: the error of a failed
// task, empty otherwise.
func (e *Emulator) taskMessage(t Task, now time.Time) string {
	if e.phase(t, now) == "failed" {
		return e.life.failed[t.TaskID]
	}
	return ""
}

// fillTaskOut sets DescribeTaskList's Result (0 preparing, 1 running,
// 2 done, 4 failed), Progress (a fraction: the example's finished tasks
// answer 1) and EndTime of a task.
func (e *Emulator) fillTaskOut(out *taskOut, t Task, now time.Time) {
	d := e.duration(t)
	switch e.phase(t, now) {
	case "preparing":
		out.Result = 0
	case "running":
		out.Result = 1
		if d > 0 {
			out.Progress = max(0, float64(now.Sub(t.StartTime))/float64(d))
		}
	case "failed":
		out.Result, out.EndTime = 4, formatCST(t.StartTime.Add(d))
	default:
		out.Result, out.Progress, out.EndTime = 2, 1, formatCST(t.StartTime.Add(d))
	}
}

// inFlow reports whether a restore, a manual backup or, with clones, a
// clone of the instance is under way (or a restore ended less than Settle
// ago). With clones it is whether the instance is locked: a clone is a
// flow of its source (FLOW_CLONEBACKUP in the source's task list). Without,
// it is whether the instance shows Status 1 (in a flow): a clone reads a
// backup, and its source keeps serving (Status 2).
func (e *Emulator) inFlow(instanceID string, now time.Time, clones bool) bool {
	for _, t := range e.tasks {
		if t.InstanceID != instanceID || !clones && t.Type == TaskTypeClone {
			continue
		}
		_, backup := e.life.backupOf[t.TaskID]
		if _, clone := e.life.clonesOf[t.TaskID]; !backup && !clone && !e.life.flows[t.TaskID] && !isRestoreType(t.Type) {
			continue // a flow a test put there is not modelled as a lock
		}
		end := t.StartTime.Add(e.duration(t))
		if isRestoreType(t.Type) {
			end = end.Add(e.life.timing.Settle)
		}
		if !now.Before(t.StartTime) && now.Before(end) {
			return true
		}
	}
	return false
}

// isRestoreType reports whether a task type is the emulator's restore.
func isRestoreType(typ string) bool { return typ == TaskTypeRestore || typ == "FLOW_RESTOREBACKUP" }

// advance brings the state the flows change up to now: instance status
// while a flow runs, manual backups that finished, clones that came up.
// Caller holds e.mu; every request calls it first.
func (e *Emulator) advance(now time.Time) {
	e.applyEffects(now) // restores' data, switches, releases: data.go
	e.tickMonitor(now)  // Cloud Monitor's key counts: monitor.go
	for _, t := range e.tasks {
		switch t.Type {
		case TaskTypeBackup:
			id, ok := e.life.backupOf[t.TaskID]
			if !ok {
				continue
			}
			st := e.phase(t, now)
			if !ended(st) {
				continue
			}
			list := e.backups[t.InstanceID]
			for i := range list {
				if list[i].ID != id || list[i].Status != 1 {
					continue
				}
				if st == "failed" {
					list[i].Status = -2 // the failed backup's files are gone
				} else {
					list[i].Status, list[i].EndTime, list[i].Size = 2, t.StartTime.Add(e.duration(t)), 537
				}
			}
		case TaskTypeClone:
			ids, ok := e.life.clonesOf[t.TaskID]
			if !ok {
				continue
			}
			st := e.phase(t, now)
			for _, id := range ids {
				in := e.instances[id]
				if in == nil || in.Status != 0 {
					continue
				}
				switch st {
				case "succeed":
					in.Status = 2
					// The clone's data: the backup of its source (data.go).
					if err := e.loadBackup(id, t.InstanceID, t.BackupID); err != nil {
						in.Status, e.life.failed[t.TaskID] = -2, err.Error()
					}
				case "failed":
					in.Status = -2 // isolated: the purchase failed
				}
			}
		}
	}
	for id, in := range e.instances {
		busy := e.inFlow(id, now, false)
		switch {
		case busy && in.Status == 2:
			in.Status, e.life.inFlow[id] = 1, true
		case !busy && e.life.inFlow[id]:
			if in.Status == 1 {
				in.Status = 2
			}
			delete(e.life.inFlow, id)
		}
	}
}

// unlisted reports whether DescribeInstanceBackups leaves a backup out:
// with BackupsListedWhenDone, a manual backup of the life cycle that is
// not done.
func (e *Emulator) unlisted(b Backup) bool {
	if !e.life.timing.BackupsListedWhenDone || (b.Status != 1 && b.Status != -2) {
		return false
	}
	for _, id := range e.life.backupOf {
		if id == b.ID {
			return true
		}
	}
	return false
}

func (e *Emulator) manualBackupInstance(c *call) (any, *apiError) {
	instanceID := c.p.requiredStr("InstanceId")
	remark, _ := c.p.str("Remark")
	days, _ := c.p.int("StorageDays")
	c.p.check(days >= 0 && days <= 3650, "InvalidParameterValue", "the parameter StorageDays must be between 0 and 3650, got %d", days)
	in := e.instanceIn(c, instanceID)
	if c.p.err != nil {
		return nil, c.p.err
	}
	if in.Locked || e.inFlow(instanceID, c.now, true) {
		return nil, errf("ResourceUnavailable.InstanceLockedError", "the instance %s is locked by another process", instanceID)
	}
	if in.Status != 2 {
		return nil, errf("ResourceUnavailable.InstanceStateError", "the instance %s has status %d, not running", instanceID, in.Status)
	}
	d := e.life.timing.Backup
	if d <= 0 {
		d = defaultBackupDuration
	}
	e.life.seq++
	// Shaped like the API's backup IDs: "165706342-5832225-1641692389".
	backupID := fmt.Sprintf("%d-%d-%d", 165706342+e.life.seq, 5832225, c.now.Unix())
	// The backup holds the data as of the call (data.go).
	if err := e.saveSnapshot(instanceID, backupID); err != nil {
		return nil, errf("InternalError", "the backup of instance %s failed: %v", instanceID, err)
	}
	t := e.startTask(Task{InstanceID: instanceID, Type: TaskTypeBackup, StartTime: c.now}, d)
	if days == 0 {
		days = 7
	}
	e.backups[instanceID] = append(e.backups[instanceID], Backup{
		ID: backupID, StartTime: c.now, Status: 1, BackupType: "0", Remark: remark,
		ExpireTime: c.now.Add(time.Duration(days) * 24 * time.Hour),
	})
	e.life.backupOf[t.TaskID] = backupID
	e.life.backups = append(e.life.backups, ManualBackupCall{InstanceID: instanceID, Remark: remark, TaskID: t.TaskID, BackupID: backupID, Time: c.now})
	e.advance(c.now)
	return map[string]any{"TaskId": t.TaskID}, nil
}

func (e *Emulator) cloneInstances(c *call) (any, *apiError) {
	p := c.p
	req := CloneCall{InstanceID: p.requiredStr("InstanceId"), BackupID: p.requiredStr("BackupId")}
	for _, f := range []struct {
		name string
		v    *int64
	}{{"GoodsNum", &req.GoodsNum}, {"ZoneId", &req.ZoneID}, {"BillingMode", &req.BillingMode}, {"Period", &req.Period}} {
		n, ok := p.int(f.name)
		p.missing(ok, f.name)
		*f.v = n
	}
	req.SecurityGroupIDList = p.strs("SecurityGroupIdList")
	p.missing(p.has("SecurityGroupIdList"), "SecurityGroupIdList")
	for _, f := range []struct {
		name string
		v    *string
	}{{"VpcId", &req.VpcID}, {"SubnetId", &req.SubnetID}, {"InstanceName", &req.InstanceName}, {"TemplateId", &req.TemplateID}, {"CloneTime", &req.CloneTime}} {
		*f.v, _ = p.str(f.name)
	}
	password, _ := p.str("Password")
	req.HasPassword = password != ""
	if v, ok := p.m["NoAuth"]; ok && v != nil {
		b, isBool := v.(bool)
		p.check(isBool, "InvalidParameter", "the parameter NoAuth must be a boolean")
		req.NoAuth = b
	}
	p.check(req.GoodsNum >= 1 && req.GoodsNum <= 100, "InvalidParameterValue", "the parameter GoodsNum must be between 1 and 100, got %d", req.GoodsNum)
	p.check(req.BillingMode == 0 || req.BillingMode == 1, "InvalidParameterValue", "the parameter BillingMode must be 0 (pay as you go) or 1 (monthly), got %d", req.BillingMode)
	p.check(req.Period >= 1 && req.Period <= 36, "InvalidParameterValue", "the parameter Period must be between 1 and 36 months, got %d", req.Period)
	p.check(len(req.SecurityGroupIDList) > 0, "InvalidParameterValue", "the parameter SecurityGroupIdList must name at least one security group")
	src := e.instanceIn(c, req.InstanceID)
	if p.err != nil {
		return nil, p.err
	}
	if src.Locked || e.inFlow(req.InstanceID, c.now, true) {
		return nil, errf("ResourceUnavailable.InstanceLockedError", "the instance %s is locked by another process", req.InstanceID)
	}
	i := slices.IndexFunc(e.backups[req.InstanceID], func(b Backup) bool { return b.ID == req.BackupID })
	if i < 0 {
		return nil, errf("InvalidParameterValue.BackupNotExists", "the backup %s of instance %s does not exist", req.BackupID, req.InstanceID)
	}
	if b := e.backups[req.InstanceID][i]; b.Status != 2 && b.Status != 4 {
		return nil, errf("ResourceUnavailable.BackupStatusAbnormal", "the backup %s has status %d and cannot be cloned", req.BackupID, b.Status)
	}
	if req.CloneTime != "" {
		if _, err := chinatime.Parse(req.CloneTime); err != nil {
			return nil, errf("InvalidParameterValue", "the parameter CloneTime must look like 2006-01-02 15:04:05, got %q", req.CloneTime)
		}
	}

	d := e.life.timing.Clone
	if d <= 0 {
		d = defaultCloneDuration
	}
	name := req.InstanceName
	if name == "" {
		name = instanceName(src) + "-clone"
	}
	t := Task{Type: TaskTypeClone, BackupID: req.BackupID, StartTime: c.now}
	for n := int64(0); n < req.GoodsNum; n++ {
		e.life.seq++
		id := fmt.Sprintf("crs-%08x", uint32(0x6c7a0000+e.life.seq*7919))[:12]
		e.instances[id] = &Instance{ID: id, Name: name, Region: src.Region, Password: password, Status: 0, Type: src.Type, Created: c.now}
		e.life.groups[id] = append([]string(nil), req.SecurityGroupIDList...)
		req.InstanceIDs = append(req.InstanceIDs, id)
	}
	// The task is the source's: FLOW_CLONEBACKUP in its task list.
	t.InstanceID = req.InstanceID
	t = e.startTask(t, d)
	e.life.clonesOf[t.TaskID] = req.InstanceIDs
	req.TaskID, req.Time = t.TaskID, c.now
	req.DealID = fmt.Sprintf("%d%07d", c.now.Unix(), e.life.seq)
	e.life.clones = append(e.life.clones, req)
	return map[string]any{"DealId": req.DealID, "DealName": req.DealID, "InstanceIds": req.InstanceIDs}, nil
}

type ruleOut struct {
	Action string
	Ip     string
	Port   string
	Proto  string
}

type securityGroupOut struct {
	CreateTime          string
	InboundRule         []ruleOut
	OutboundRule        []ruleOut
	ProjectId           int64
	SecurityGroupId     string
	SecurityGroupName   string
	SecurityGroupRemark string
}

type instanceGroupsOut struct {
	InstanceId           string
	SecurityGroupDetails []securityGroupOut
}

func (e *Emulator) describeInstanceSecurityGroup(c *call) (any, *apiError) {
	ids := c.p.strs("InstanceIds")
	c.p.missing(len(ids) > 0, "InstanceIds")
	for _, id := range ids {
		e.instanceIn(c, id)
	}
	if c.p.err != nil {
		return nil, c.p.err
	}
	out := []instanceGroupsOut{}
	for _, id := range ids {
		groups, ok := e.life.groups[id]
		if !ok {
			groups = []string{"sg-gl1egaj1"}
		}
		g := instanceGroupsOut{InstanceId: id, SecurityGroupDetails: []securityGroupOut{}}
		for _, sg := range groups {
			all := ruleOut{Action: "ACCEPT", Ip: "0.0.0.0/0", Port: "ALL", Proto: "ALL"}
			g.SecurityGroupDetails = append(g.SecurityGroupDetails, securityGroupOut{
				CreateTime: "2018-01-30 15:58:00", InboundRule: []ruleOut{all}, OutboundRule: []ruleOut{all},
				SecurityGroupId: sg, SecurityGroupName: sg,
			})
		}
		out = append(out, g)
	}
	return map[string]any{"InstanceSecurityGroupsDetail": out}, nil
}
