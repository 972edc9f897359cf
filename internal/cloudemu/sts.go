package cloudemu

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"time"
)

const (
	defaultRoleDuration = 7200
	maxRoleDuration     = 43200
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (e *Emulator) assumeRole(c *call) (any, *apiError) {
	arn, aerr := c.requiredName("RoleArn")
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := c.requiredName("RoleSessionName"); aerr != nil {
		return nil, aerr
	}
	secs, ok, aerr := c.p.int("DurationSeconds")
	if aerr != nil {
		return nil, aerr
	}
	if !ok || secs == 0 {
		secs = defaultRoleDuration
	}
	if secs < 0 || secs > maxRoleDuration {
		return nil, errf("InvalidParameter.OverTimeError", "the parameter DurationSeconds must be between 1 and %d, got %d", maxRoleDuration, secs)
	}
	if !e.roles[arn] {
		return nil, errf("ResourceNotFound.RoleNotFound", "the role %s does not exist", arn)
	}

	expires := c.now.Add(time.Duration(secs) * time.Second)
	id := "AKID" + randomHex(16)
	key := randomHex(16)
	tb := make([]byte, 96)
	_, _ = rand.Read(tb)
	token := base64.RawURLEncoding.EncodeToString(tb)
	e.creds[id] = credential{key: key, token: token, expires: expires}

	return map[string]any{
		"Credentials": map[string]string{"Token": token, "TmpSecretId": id, "TmpSecretKey": key},
		"ExpiredTime": expires.Unix(),
		"Expiration":  expires.UTC().Format(time.RFC3339),
	}, nil
}
