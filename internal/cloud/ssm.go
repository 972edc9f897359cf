package cloud

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"redis-restore/internal/failure"
)

// SSM has no product module on this machine's module proxy: GetSecretValue
// goes through the common module's CommonClient.
const (
	ssmService = "ssm"
	ssmVersion = "2019-09-23"
)

// secretAnswer is the part of GetSecretValue's answer that we read.
type secretAnswer struct {
	SecretName   string `json:"SecretName"`
	VersionID    string `json:"VersionId"`
	SecretString string `json:"SecretString"`
	SecretBinary string `json:"SecretBinary"` // base64, for binary secrets
	RequestID    string `json:"RequestId"`
}

// GetSecretValue reads one version of an SSM secret: its SecretString, or
// its SecretBinary decoded. The API requires a VersionId, and a
// user-defined secret's versions are named by their owner: there is no
// alias for the newest (see ListSecretVersionIds). No error it returns
// contains the value, nor anything of the answer that carries it.
func (s *Session) GetSecretValue(ctx context.Context, region, name, version string) (string, error) {
	const action = "GetSecretValue"
	body, err := s.common(ctx, ssmService, ssmVersion, region, action, map[string]any{"SecretName": name, "VersionId": version})
	if err != nil {
		return "", scrubSecretError(err)
	}
	var answer secretAnswer
	if err := decodeResponse(body, &answer); err != nil {
		return "", failure.E(failure.Upstream, failure.Code("BadSecretAnswer"), action+": unreadable answer for secret "+name)
	}
	switch {
	case answer.SecretString != "":
		return answer.SecretString, nil
	case answer.SecretBinary != "":
		b, err := base64.StdEncoding.DecodeString(answer.SecretBinary)
		if err != nil {
			return "", &failure.Error{Kind: failure.Upstream, Code: "BadSecretAnswer", Message: action + ": the SecretBinary of secret " + name + " is not base64", RequestID: answer.RequestID}
		}
		return string(b), nil
	}
	return "", nil
}

// scrubSecretError drops from a classified error the SDK's own error where
// that one may quote the answer's body (a garbled answer, an HTTP error
// page): for GetSecretValue the body may hold the secret.
func scrubSecretError(err error) error {
	var e *failure.Error
	if !errors.As(err, &e) {
		return err
	}
	if strings.HasPrefix(e.Code, "ClientError.ParseJsonError") || e.Code == "ClientError.HttpStatusCodeError" {
		scrubbed := *e
		scrubbed.Err = nil
		return &scrubbed
	}
	return err
}
