package cloud

import (
	"net"
	"strconv"
	"strings"

	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/intent"
)

// Task types of the Redis API. DescribeTaskList answers with type codes
// (its example answers "TaskType": "037"), while its TaskTypes filter is
// documented with name/code pairs in one version (tccli's api.json lists
// FLOW_RESTOREBACKUP "010" ... FLOW_MODIFYBACKUPMOD "070") and names only
// in another. Whether the filter is honoured in either form is not
// documented, so the function never relies on it: every task listed is
// judged by its type here.
const (
	TaskTypeRestore      = "010" // FLOW_RESTOREBACKUP
	TaskTypeAutoBackup   = "017" // FLOW_AUTOBACKUP: the nightly automatic backup
	TaskTypeManualBackup = "012" // FLOW_BACKUPINSTANCE
	TaskTypeClone        = "026" // FLOW_CLONEBACKUP
	TaskTypeSwitchVIP    = "036" // FLOW_SWITCHINSTANCEVIP
	// DestroyPostpaidInstance's task: the documents do not say which of
	// these it is. A released instance is isolated (Status -2), as
	// FLOW_CLOSE (关闭实例) closes one; FLOW_DELETE (删除实例) deletes one.
	// Either means the instance is going away: both are judged a release,
	// whoever ordered it.
	TaskTypeClose  = "003" // FLOW_CLOSE
	TaskTypeDelete = "006" // FLOW_DELETE
)

// taskKind judges a DescribeTaskList type, given as a code ("010") or a
// name (FLOW_RESTOREBACKUP); every type not named here (automatic backups,
// flushes, ...) is OtherTask, however the list was filtered.
func taskKind(taskType string) intent.TaskKind {
	t := strings.TrimSpace(taskType)
	switch {
	case t == TaskTypeRestore || strings.EqualFold(t, "FLOW_RESTOREBACKUP"):
		return intent.RestoreTask
	case t == TaskTypeManualBackup || strings.EqualFold(t, "FLOW_BACKUPINSTANCE"):
		return intent.ManualBackupTask
	case t == TaskTypeClone || strings.EqualFold(t, "FLOW_CLONEBACKUP"):
		return intent.CloneTask
	case t == TaskTypeSwitchVIP || strings.EqualFold(t, "FLOW_SWITCHINSTANCEVIP"):
		return intent.SwitchTask
	case t == TaskTypeClose || strings.EqualFold(t, "FLOW_CLOSE") || t == TaskTypeDelete || strings.EqualFold(t, "FLOW_DELETE"):
		return intent.DestroyTask
	}
	return intent.OtherTask
}

// instanceOf reads one entry of DescribeInstances.
func instanceOf(in *redis.InstanceSet) intent.Instance {
	out := intent.Instance{
		ID: deref(in.InstanceId), Name: deref(in.InstanceName), Type: deref(in.Type), Status: deref(in.Status),
		ZoneID: deref(in.ZoneId), VpcID: deref(in.UniqVpcId), SubnetID: deref(in.UniqSubnetId),
		ProjectID: deref(in.ProjectId), Port: deref(in.Port), NoAuth: deref(in.NoAuth),
	}
	out.PayAsYouGo = in.BillingMode != nil && *in.BillingMode == 0
	for _, t := range in.InstanceTags {
		if t != nil && t.TagKey != nil {
			if out.Tags == nil {
				out.Tags = map[string]string{}
			}
			out.Tags[*t.TagKey] = deref(t.TagValue)
		}
	}
	out.Created, _ = parseCloudTime(in.Createtime) // absent or "0000-00-00 00:00:00": zero
	if ip := deref(in.WanIp); ip != "" && out.Port > 0 {
		out.Addr = net.JoinHostPort(ip, strconv.FormatInt(out.Port, 10))
	}
	return out
}
