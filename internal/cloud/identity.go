package cloud

import (
	"context"

	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"

	"redis-restore/internal/failure"
)

// Identity is who the session's credentials belong to (STS
// GetCallerIdentity): what make deploy shows before it changes anything.
type Identity struct {
	AccountID string // the main account's UIN
	UserID    string
	Type      string // CAMUser, CAMRole, ...
	ARN       string
}

// CallerIdentity asks STS whose credentials these are.
func (s *Session) CallerIdentity(ctx context.Context, region string) (Identity, error) {
	const action = "GetCallerIdentity"
	client, _ := sts.NewClient(s.cred, region, s.profile())
	s.prepare(&client.Client)
	req := sts.NewGetCallerIdentityRequest()
	req.SetContext(ctx)
	resp := sts.NewGetCallerIdentityResponse()
	if err := s.call(ctx, &client.Client, action, req, resp); err != nil {
		return Identity{}, err
	}
	p := resp.Response
	if p == nil || deref(p.AccountId) == "" {
		return Identity{}, failure.E(failure.Upstream, failure.Code("BadAnswer"), action+": the answer names no account")
	}
	return Identity{AccountID: deref(p.AccountId), UserID: deref(p.UserId), Type: deref(p.Type), ARN: deref(p.Arn)}, nil
}
