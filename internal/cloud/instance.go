package cloud

import (
	"context"
	"fmt"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	redis "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/redis/v20180412"

	"redis-restore/internal/failure"
	"redis-restore/internal/intent"
)

// DescribeInstance reads one instance with DescribeInstances, filtered by
// its ID. An instance the API does not list is ResourceNotFound.
func (s *Session) DescribeInstance(ctx context.Context, region, instanceID string) (intent.Instance, error) {
	req := redis.NewDescribeInstancesRequest()
	req.InstanceId = common.StringPtr(instanceID)
	req.Limit = common.Uint64Ptr(1)
	req.SetContext(ctx)
	resp := redis.NewDescribeInstancesResponse()
	if err := s.call(ctx, s.redis(region), "DescribeInstances", req, resp); err != nil {
		return intent.Instance{}, err
	}
	rid := ""
	if resp.Response != nil {
		// InstanceId is an exact filter, but the list is checked all the
		// same: another instance's edition must never decide this one's.
		for _, in := range resp.Response.InstanceSet {
			if in != nil && in.InstanceId != nil && *in.InstanceId == instanceID {
				return instanceOf(in), nil
			}
		}
		rid = deref(resp.Response.RequestId)
	}
	return intent.Instance{}, &failure.Error{Kind: failure.NotFound, Code: "ResourceNotFound.InstanceNotExists",
		Message: fmt.Sprintf("DescribeInstances does not list instance %s in region %s", instanceID, region), RequestID: rid}
}
