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
	arn, _ := c.p.requiredName("RoleArn"), c.p.requiredName("RoleSessionName")
	secs, ok := c.p.int("DurationSeconds")
	if !ok || secs == 0 {
		secs = defaultRoleDuration
	}
	c.p.check(secs > 0 && secs <= maxRoleDuration, "InvalidParameter.OverTimeError", "the parameter DurationSeconds must be between 1 and %d, got %d", maxRoleDuration, secs)
	c.p.check(e.roles[arn], "ResourceNotFound.RoleNotFound", "the role %s does not exist", arn)
	if c.p.err != nil {
		return nil, c.p.err
	}

	expires := c.now.Add(time.Duration(secs) * time.Second)
	id := "AKID" + randomHex(16)
	key := randomHex(16)
	tb := make([]byte, 96)
	_, _ = rand.Read(tb)
	token := base64.RawURLEncoding.EncodeToString(tb)
	e.creds[id] = credential{key: key, token: token, expires: expires, owner: roleOwner(arn)}
	e.assumed[id] = true

	return map[string]any{
		"Credentials": map[string]string{"Token": token, "TmpSecretId": id, "TmpSecretKey": key},
		"ExpiredTime": expires.Unix(),
		"Expiration":  expires.UTC().Format(time.RFC3339),
	}, nil
}

// getCallerIdentity answers whose credentials signed the request, in the
// example's shape: the emulated account, as a CAM user for a key the
// emulator was given and as a role for one AssumeRole made.
func (e *Emulator) getCallerIdentity(c *call) (any, *apiError) {
	typ, user, arn := "CAMUser", emulatedUIN, "qcs::cam:"+emulatedUIN+":uin/"+emulatedUIN
	if e.assumed[c.secretID] {
		typ, user = "CAMRole", "4611686018427397919:"+c.secretID
		arn = "qcs::sts:" + emulatedUIN + ":assumed-role/4611686018427397919"
	}
	return map[string]any{"Type": typ, "AccountId": emulatedUIN, "UserId": user, "PrincipalId": emulatedUIN, "Arn": arn}, nil
}
