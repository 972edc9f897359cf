package cloud

import (
	"context"
	"fmt"
	"strings"
	"time"

	"redis-restore/internal/failure"
)

// The Tag API has no product module this machine's module proxy serves:
// TagResources goes through the common module's CommonClient, as SSM's
// and Cloud Monitor's actions do. Its limit is 20 a second
// (tencentcloud.com/document/api/651/33003), the pacers' default.
const (
	tagService = "tag"
	tagVersion = "2018-08-13"
	// maxAccounts bounds the accounts kept: temporary credentials rotate,
	// each set a new SecretID of the same account.
	maxAccounts = 8
)

// TagInstance sets one tag on a Redis instance: the mark the function
// leaves on an instance it restored (internal/restore's provenance). The
// instance is named as the Tag API names resources,
// qcs::redis:<region>:uin/<uin>:instance/<id>, with the UIN of the
// account the credentials belong to (STS GetCallerIdentity: with
// RESTORE_ROLE_ARN, the role's account, which holds the instance).
func (s *Session) TagInstance(ctx context.Context, region, instanceID, key, value string) error {
	uin, err := s.account(ctx, region)
	if err != nil {
		return err
	}
	resource := fmt.Sprintf("qcs::redis:%s:uin/%s:instance/%s", region, uin, instanceID)
	body, err := s.common(ctx, tagService, tagVersion, "", "TagResources", map[string]any{
		"ResourceList": []string{resource},
		"Tags":         []map[string]string{{"TagKey": key, "TagValue": value}},
	})
	if err != nil {
		return err
	}
	var out struct {
		FailedResources []struct{ Resource, Code, Message string }
	}
	if err := decodeResponse(body, &out); err != nil {
		return failure.E(failure.Upstream, failure.Code("BadAnswer"), "TagResources: unreadable answer: "+err.Error())
	}
	if len(out.FailedResources) > 0 {
		var why []string
		for _, f := range out.FailedResources {
			why = append(why, f.Code+": "+f.Message)
		}
		return failure.E(failure.Upstream, failure.Code("TagFailed"), fmt.Sprintf("TagResources did not tag %s: %s", resource, strings.Join(why, "; ")))
	}
	return nil
}

func (s *Session) account(ctx context.Context, region string) (string, error) {
	now := s.clients.clock()
	if uin, ok := s.clients.accounts.Get(s.creds.SecretID, now); ok {
		return uin, nil
	}
	id, err := s.CallerIdentity(ctx, region)
	if err != nil {
		return "", err
	}
	s.clients.accounts.Put(s.creds.SecretID, id.AccountID, now, now.Add(24*time.Hour))
	return id.AccountID, nil
}
