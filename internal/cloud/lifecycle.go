package cloud

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// The calls that follow a restore through its life: the task's end
// (DescribeTaskInfo, DescribeTaskList), the instance's state
// (DescribeInstances), the safety backup (ManualBackupInstance) and clones
// (DescribeInstanceSecurityGroup, CloneInstances).

// DescribeTaskInfo reads one task.
func (s *Session) DescribeTaskInfo(ctx context.Context, region string, taskID int64) (intent.TaskInfo, error) {
	req := redis.NewDescribeTaskInfoRequest()
	req.TaskId = common.Uint64Ptr(uint64(taskID))
	req.SetContext(ctx)
	resp := redis.NewDescribeTaskInfoResponse()
	if err := s.call(ctx, s.redis(region), "DescribeTaskInfo", req, resp); err != nil {
		return intent.TaskInfo{}, err
	}
	if resp.Response == nil || resp.Response.Status == nil {
		return intent.TaskInfo{}, failure.E(failure.Upstream, failure.Code("BadTaskInfo"), fmt.Sprintf("DescribeTaskInfo of task %d answered without a Status", taskID))
	}
	r := resp.Response
	t := intent.TaskInfo{ID: taskID, Status: *r.Status, Type: deref(r.TaskType), InstanceID: deref(r.InstanceId), Message: deref(r.TaskMessage)}
	t.StartTime, _ = parseCloudTime(r.StartTime)
	return t, nil
}

// DescribeTasks lists every task of an instance (or, for "", of every
// instance in the region) that started within
// [begin, end], every page, whatever its type: the caller judges each by
// its type, since the TaskTypes filter is not to be relied on.
func (s *Session) DescribeTasks(ctx context.Context, region, instanceID string, begin, end time.Time) ([]intent.Task, error) {
	return s.describeTaskList(ctx, region, instanceID, nil, begin, end)
}

// describeTaskList reads every page of DescribeTaskList. types is sent as
// the TaskTypes filter, which the API may or may not honour: callers judge
// each task by its own type.
func (s *Session) describeTaskList(ctx context.Context, region, instanceID string, types []string, begin, end time.Time) ([]intent.Task, error) {
	const limit = 100
	var out []intent.Task
	for offset := int64(0); ; offset += limit {
		req := redis.NewDescribeTaskListRequest()
		if instanceID != "" { // "": every instance's in the region, for the sweep
			req.InstanceId = common.StringPtr(instanceID)
		}
		if len(types) > 0 {
			req.TaskTypes = common.StringPtrs(types)
		}
		req.BeginTime = cloudTimePtr(begin)
		req.EndTime = cloudTimePtr(end)
		req.Limit = common.Int64Ptr(limit)
		req.Offset = common.Int64Ptr(offset)
		req.SetContext(ctx)
		resp := redis.NewDescribeTaskListResponse()
		if err := s.call(ctx, s.redis(region), "DescribeTaskList", req, resp); err != nil {
			return nil, err
		}
		if resp.Response == nil {
			return out, nil
		}
		for _, t := range resp.Response.Tasks {
			if t == nil || t.TaskId == nil {
				continue
			}
			d := intent.Task{ID: *t.TaskId, Kind: taskKind(deref(t.TaskType)), Type: deref(t.TaskType),
				InstanceID: cmp.Or(deref(t.InstanceId), instanceID), Result: deref(t.Result)}
			d.StartTime, _ = parseCloudTime(t.StartTime)
			d.EndTime, _ = parseCloudTime(t.EndTime) // "0000-00-00 00:00:00" while it runs: zero
			out = append(out, d)
		}
		total := deref(resp.Response.TotalCount)
		if len(resp.Response.Tasks) < limit || offset+limit >= total {
			return out, nil
		}
	}
}

// ListInstances lists the instances of a region, every page, or only those
// with the given IDs (at most 100 at a time are asked for).
func (s *Session) ListInstances(ctx context.Context, region string, ids ...string) ([]intent.Instance, error) {
	const limit = 100
	var out []intent.Instance
	for offset := uint64(0); ; offset += limit {
		req := redis.NewDescribeInstancesRequest()
		req.Limit = common.Uint64Ptr(limit)
		req.Offset = common.Uint64Ptr(offset)
		if len(ids) > 0 {
			req.InstanceIds = common.StringPtrs(ids)
		}
		req.SetContext(ctx)
		resp := redis.NewDescribeInstancesResponse()
		if err := s.call(ctx, s.redis(region), "DescribeInstances", req, resp); err != nil {
			return nil, err
		}
		if resp.Response == nil {
			return out, nil
		}
		for _, in := range resp.Response.InstanceSet {
			if in == nil || in.InstanceId == nil {
				continue
			}
			if len(ids) > 0 && !slices.Contains(ids, *in.InstanceId) {
				continue // an ignored filter must not bring in others
			}
			out = append(out, instanceOf(in))
		}
		total := deref(resp.Response.TotalCount)
		if len(resp.Response.InstanceSet) < limit || int64(offset+limit) >= total {
			return out, nil
		}
	}
}

// ManualBackupInstance starts a manual backup with a remark and returns
// its TaskId.
func (s *Session) ManualBackupInstance(ctx context.Context, region, instanceID, remark string) (int64, string, error) {
	req := redis.NewManualBackupInstanceRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.Remark = common.StringPtr(remark)
	req.SetContext(ctx)
	resp := &restoreResponse{BaseResponse: &tchttp.BaseResponse{}} // TaskId as a number or a string, as RestoreInstance's
	if err := s.call(ctx, s.redis(region), "ManualBackupInstance", req, resp); err != nil {
		return 0, "", err
	}
	return resp.task("ManualBackupInstance")
}

// DestroyPostpaidInstance releases a pay-as-you-go instance (a drill's
// clone: see internal/restore/drill.go).
func (s *Session) DestroyPostpaidInstance(ctx context.Context, region, instanceID string) (int64, string, error) {
	req := redis.NewDestroyPostpaidInstanceRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.SetContext(ctx)
	resp := &restoreResponse{BaseResponse: &tchttp.BaseResponse{}} // TaskId as a number or a string
	if err := s.call(ctx, s.redis(region), "DestroyPostpaidInstance", req, resp); err != nil {
		return 0, "", err
	}
	return resp.task("DestroyPostpaidInstance")
}

// SwitchInstanceVip swaps the addresses of two instances (clone and
// switch: internal/restore/switch.go). The API is made for DTS disaster
// recovery, where DTS keeps the destination in sync with the source. A
// clone is not DTS-synced with anything: ForceSwitch 1 ("switch although
// DTS is disconnected") is what lets it switch at all, and SwitchTime
// "now", because "syncComplete" would wait for a sync that never comes.
// The clone was verified before the switch is asked for.
func (s *Session) SwitchInstanceVip(ctx context.Context, region, srcID, dstID string) (int64, string, error) {
	req := redis.NewSwitchInstanceVipRequest()
	req.SrcInstanceId = common.StringPtr(srcID)
	req.DstInstanceId = common.StringPtr(dstID)
	req.ForceSwitch = common.Int64Ptr(1)
	req.SwitchTime = common.StringPtr("now")
	req.SetContext(ctx)
	resp := &restoreResponse{BaseResponse: &tchttp.BaseResponse{}} // TaskId as a number or a string
	if err := s.call(ctx, s.redis(region), "SwitchInstanceVip", req, resp); err != nil {
		return 0, "", err
	}
	return resp.task("SwitchInstanceVip")
}

// SecurityGroups lists the IDs of an instance's security groups.
func (s *Session) SecurityGroups(ctx context.Context, region, instanceID string) ([]string, error) {
	req := redis.NewDescribeInstanceSecurityGroupRequest()
	req.InstanceIds = common.StringPtrs([]string{instanceID})
	req.SetContext(ctx)
	resp := redis.NewDescribeInstanceSecurityGroupResponse()
	if err := s.call(ctx, s.redis(region), "DescribeInstanceSecurityGroup", req, resp); err != nil {
		return nil, err
	}
	var out []string
	if resp.Response != nil {
		for _, d := range resp.Response.InstanceSecurityGroupsDetail {
			if d == nil || deref(d.InstanceId) != instanceID {
				continue
			}
			for _, g := range d.SecurityGroupDetails {
				if g != nil && g.SecurityGroupId != nil {
					out = append(out, *g.SecurityGroupId)
				}
			}
		}
	}
	return out, nil
}

// CloneInstances orders one pay-as-you-go instance (BillingMode 0, Period
// 1, GoodsNum 1) from a backup, and returns the deal and the new IDs.
func (s *Session) CloneInstances(ctx context.Context, region string, r intent.CloneOrder) (dealID string, instanceIDs []string, requestID string, err error) {
	req := redis.NewCloneInstancesRequest()
	req.InstanceId = common.StringPtr(r.InstanceID)
	req.BackupId = common.StringPtr(r.BackupID)
	req.GoodsNum = common.Uint64Ptr(1)
	req.ZoneId = common.Uint64Ptr(uint64(r.ZoneID))
	req.BillingMode = common.Int64Ptr(0)
	req.Period = common.Uint64Ptr(1)
	req.SecurityGroupIdList = common.StringPtrs(r.SecurityGroupIDs)
	req.InstanceName = common.StringPtr(r.Name)
	req.ProjectId = common.Int64Ptr(r.ProjectID)
	if r.VpcID != "" {
		req.VpcId = common.StringPtr(r.VpcID)
		req.SubnetId = common.StringPtr(r.SubnetID)
	}
	if r.TemplateID != "" {
		req.TemplateId = common.StringPtr(r.TemplateID)
	}
	if !r.CloneTime.IsZero() {
		req.CloneTime = cloudTimePtr(r.CloneTime)
	}
	if r.Password != "" {
		req.Password = common.StringPtr(r.Password)
	} else if r.NoAuth {
		req.NoAuth = common.BoolPtr(true)
	}
	req.SetContext(ctx)
	resp := &cloneResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := s.call(ctx, s.redis(region), "CloneInstances", req, resp); err != nil {
		return "", nil, "", err
	}
	if resp.Response == nil || len(resp.Response.InstanceIDs) == 0 {
		return "", nil, "", failure.E(failure.Upstream, failure.Code("MissingInstanceIds"), "CloneInstances answered without InstanceIds")
	}
	return cmp.Or(resp.Response.DealID, resp.Response.DealName), resp.Response.InstanceIDs, resp.Response.RequestID, nil
}

// cloneResponse reads CloneInstances' answer as its example has it: the
// SDK marks DealId deprecated, but the API still answers it, next to
// DealName.
type cloneResponse struct {
	*tchttp.BaseResponse
	Response *struct {
		DealID      string   `json:"DealId"`
		DealName    string   `json:"DealName"`
		InstanceIDs []string `json:"InstanceIds"`
		RequestID   string   `json:"RequestId"`
	} `json:"Response"`
}
