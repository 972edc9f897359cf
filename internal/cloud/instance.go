package cloud

import (
	"context"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/failure"
)

// Instance is what a restore needs to know of an instance before it
// starts: its edition (DescribeInstances' Type) decides whether
// RestoreInstance can restore it in place, its Status whether it can be
// restored now.
type Instance struct {
	ID     string
	Name   string
	Type   int64 // 2 Redis 2.8 standard, 6 Redis 4.0 standard, ...; see restore.EditionOf
	Status int64 // 0 to be initialised, 1 in a flow, 2 running, -2 isolated, -3 to be deleted
}

// DescribeInstance reads one instance with DescribeInstances, filtered by
// its ID. An instance the API does not list is ResourceNotFound.
func (s *Session) DescribeInstance(ctx context.Context, region, instanceID string) (Instance, error) {
	c := s.redis(region)
	req := redis.NewDescribeInstancesRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.Limit = common.Uint64Ptr(1)
	req.SetContext(ctx)
	resp := redis.NewDescribeInstancesResponse()
	if err := s.call(ctx, &c.Client, "DescribeInstances", req, resp); err != nil {
		return Instance{}, err
	}
	if resp.Response != nil {
		// InstanceId is an exact filter, but the list is checked all the
		// same: another instance's edition must never decide this one's.
		for _, in := range resp.Response.InstanceSet {
			if in == nil || in.InstanceId == nil || *in.InstanceId != instanceID {
				continue
			}
			return Instance{ID: instanceID, Name: deref(in.InstanceName), Type: deref(in.Type), Status: deref(in.Status)}, nil
		}
	}
	rid := ""
	if resp.Response != nil {
		rid = deref(resp.Response.RequestId)
	}
	return Instance{}, &failure.Error{Kind: failure.NotFound, Code: "ResourceNotFound.InstanceNotExists",
		Message: fmt.Sprintf("DescribeInstances does not list instance %s in region %s", instanceID, region), RequestID: rid}
}
