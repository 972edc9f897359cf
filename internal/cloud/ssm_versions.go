package cloud

import (
	"context"
	"encoding/json"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"

	"redis-restore/internal/failure"
)

func (s *Session) ssm(region string) *common.Client {
	return s.cached("ssm", region, func() *common.Client {
		c := common.NewCommonClient(s.cred, region, s.profile())
		s.prepare(c)
		return c
	})
}

// SecretVersion is one version of an SSM secret: its name and when it was
// created (unix seconds).
type SecretVersion struct {
	ID         string `json:"VersionId"`
	CreateTime int64  `json:"CreateTime"`
}

// versionsAnswer is ListSecretVersionIds' answer.
type versionsAnswer struct {
	Response *struct {
		SecretName string          `json:"SecretName"`
		Versions   []SecretVersion `json:"Versions"`
		RequestID  string          `json:"RequestId"`
	} `json:"Response"`
}

// ListSecretVersionIds lists a secret's versions, in the API's order
// (which its example shows is not by time).
func (s *Session) ListSecretVersionIds(ctx context.Context, region, name string) ([]SecretVersion, error) {
	const action = "ListSecretVersionIds"
	req := tchttp.NewCommonRequest(ssmService, ssmVersion, action)
	if err := req.SetActionParameters(map[string]any{"SecretName": name}); err != nil {
		return nil, failure.E(failure.Internal, failure.Code(failure.CodeInternal), action+": cannot build the request", err)
	}
	req.SetContext(ctx)
	resp := tchttp.NewCommonResponse()
	if err := s.call(ctx, s.ssm(region), action, req, resp); err != nil {
		return nil, err
	}
	var answer versionsAnswer
	if err := json.Unmarshal(resp.GetBody(), &answer); err != nil || answer.Response == nil {
		return nil, failure.E(failure.Upstream, failure.Code("BadSecretAnswer"), action+": unreadable answer for secret "+name)
	}
	return answer.Response.Versions, nil
}

// NewestSecretVersion is the version with the greatest CreateTime; of
// versions created in the same second, the greatest VersionId, so that the
// choice does not depend on the list's order.
func NewestSecretVersion(versions []SecretVersion) (SecretVersion, bool) {
	var newest SecretVersion
	found := false
	for _, v := range versions {
		if v.ID == "" {
			continue
		}
		if !found || v.CreateTime > newest.CreateTime || v.CreateTime == newest.CreateTime && v.ID > newest.ID {
			newest, found = v, true
		}
	}
	return newest, found
}
