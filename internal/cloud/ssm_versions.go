package cloud

import (
	"context"
	"encoding/json"

	"redis-restore/internal/failure"
)

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
	body, err := s.common(ctx, ssmService, ssmVersion, region, action, map[string]any{"SecretName": name})
	if err != nil {
		return nil, err
	}
	var answer versionsAnswer
	if err := json.Unmarshal(body, &answer); err != nil || answer.Response == nil {
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
