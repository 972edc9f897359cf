package cloud

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	sts "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sts/v20180813"

	"redis-restore/internal/config"
	"redis-restore/internal/failure"
)

const (
	// RoleSessionName names the function's sessions in the other account's
	// CloudAudit records.
	RoleSessionName = "redis-restore"
	// RoleDuration is how long assumed credentials are asked to live.
	RoleDuration = time.Hour
	// RoleRefreshMargin is how long before their expiry assumed credentials
	// are no longer handed out: a restore started with them must be able to
	// finish its calls.
	RoleRefreshMargin = 5 * time.Minute
)

// assumedRole is one AssumeRole answer, cached in Clients.
type assumedRole struct {
	creds   config.Credentials
	expires time.Time
}

// AssumedSession returns a Session bound to temporary credentials of
// roleARN (a role of another account, say, whose instances are restored),
// obtained with STS AssumeRole signed by the source credentials. The
// credentials are cached container-wide, per source SecretId and role,
// until RoleRefreshMargin before they expire.
func (c *Clients) AssumedSession(ctx context.Context, source config.Credentials, endpoint *url.URL, region, roleARN string) (*Session, error) {
	if roleARN == "" {
		return nil, failure.E(failure.Config, failure.Code(failure.CodeMissingConfig), failure.Field("RESTORE_ROLE_ARN"), "no role to assume")
	}
	if !source.Complete() {
		return nil, failure.E(failure.Config, failure.Code(failure.CodeMissingCredentials), "AssumeRole "+roleARN+": the function has no credentials to assume the role with")
	}
	key := roleCacheKey(source, endpoint, roleARN)
	if creds, ok := c.cachedRole(key); ok {
		return c.Session(creds, endpoint), nil
	}
	// One AssumeRole per key at a time: a batch of restores that starts
	// together asks once.
	ch := c.roleFlight.DoChan(key, func() (any, error) {
		if creds, ok := c.cachedRole(key); ok {
			return creds, nil
		}
		role, err := c.assumeRole(ctx, source, endpoint, region, roleARN)
		if err != nil {
			return nil, err
		}
		c.storeRole(key, role)
		return role.creds, nil
	})
	select {
	case <-ctx.Done():
		return nil, failure.E(failure.Transient, failure.Code(failure.CodeDeadlineExceeded), "AssumeRole "+roleARN+": the invocation's deadline came first", ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return c.Session(r.Val.(config.Credentials), endpoint), nil
	}
}

func roleCacheKey(source config.Credentials, endpoint *url.URL, roleARN string) string {
	ep := ""
	if endpoint != nil {
		ep = endpoint.String()
	}
	return source.SecretID + "\x00" + roleARN + "\x00" + ep
}

func (c *Clients) clock() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

// cachedRole returns the cached credentials of key while they are fresh.
func (c *Clients) cachedRole(key string) (config.Credentials, bool) {
	return c.roles.Get(key, c.clock())
}

// storeRole caches fresh credentials until RoleRefreshMargin before they
// expire (storing drops the stale ones: the source credentials rotate, so
// their keys would pile up).
func (c *Clients) storeRole(key string, r assumedRole) {
	if now, until := c.clock(), r.expires.Add(-RoleRefreshMargin); now.Before(until) {
		c.roles.Put(key, r.creds, now, until)
	}
}

// assumeRole calls STS AssumeRole with the source credentials.
func (c *Clients) assumeRole(ctx context.Context, source config.Credentials, endpoint *url.URL, region, roleARN string) (assumedRole, error) {
	const action = "AssumeRole"
	src := c.Session(source, endpoint)
	client, _ := sts.NewClient(src.cred, region, src.profile())
	src.prepare(&client.Client)
	req := sts.NewAssumeRoleRequest()
	req.RoleArn = common.StringPtr(roleARN)
	req.RoleSessionName = common.StringPtr(RoleSessionName)
	req.DurationSeconds = common.Uint64Ptr(uint64(RoleDuration / time.Second))
	req.SetContext(ctx)
	resp := sts.NewAssumeRoleResponse()
	asked := c.clock()
	if err := src.call(ctx, &client.Client, action, req, resp); err != nil {
		return assumedRole{}, roleError(roleARN, err)
	}
	p := resp.Response
	if p == nil || p.Credentials == nil || deref(p.Credentials.TmpSecretId) == "" || deref(p.Credentials.TmpSecretKey) == "" {
		rid := ""
		if p != nil {
			rid = deref(p.RequestId)
		}
		return assumedRole{}, &failure.Error{Kind: failure.Upstream, Code: "MissingCredentials", Message: action + " " + roleARN + ": the answer holds no credentials", RequestID: rid}
	}
	r := assumedRole{
		creds: config.Credentials{
			SecretID:  *p.Credentials.TmpSecretId,
			SecretKey: *p.Credentials.TmpSecretKey,
			Token:     deref(p.Credentials.Token),
		},
		expires: asked.Add(RoleDuration),
	}
	switch {
	case p.ExpiredTime != nil && *p.ExpiredTime > 0:
		r.expires = time.Unix(*p.ExpiredTime, 0)
	case p.Expiration != nil:
		if t, err := time.Parse(time.RFC3339, *p.Expiration); err == nil {
			r.expires = t
		}
	}
	return r, nil
}

// roleError names the role in a classified AssumeRole error and adjusts
// its kind: the parameters come from the function's configuration, so an
// invalid one is the function's fault, not the caller's; a role that does
// not exist or may not be assumed is a refusal (403), not a missing
// instance or backup (404).
func roleError(roleARN string, err error) error {
	e := failure.As(err)
	out := *e
	out.Message = "AssumeRole " + roleARN + ": " + strings.TrimPrefix(e.Message, "AssumeRole: ")
	switch {
	case e.Code == sts.RESOURCENOTFOUND_ROLENOTFOUND, e.Code == sts.INTERNALERROR_ILLEGALROLE:
		out.Kind = failure.Forbidden
	case e.Code == sts.INVALIDPARAMETER_OVERLIMIT:
		out.Kind = failure.Transient
	case e.Kind == failure.Invalid:
		out.Kind = failure.Config
		out.Field = "RESTORE_ROLE_ARN"
	}
	return &out
}
