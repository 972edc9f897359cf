package cloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"

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
	c := s.ssm(region)
	req := tchttp.NewCommonRequest(ssmService, ssmVersion, action)
	if err := req.SetActionParameters(map[string]any{
		"SecretName": name,
		"VersionId":  version,
	}); err != nil {
		return "", failure.E(failure.Internal, failure.Code(failure.CodeInternal), action+": cannot build the request", err)
	}
	req.SetContext(ctx)
	resp := tchttp.NewCommonResponse()
	if err := s.call(ctx, c, action, req, resp); err != nil {
		return "", scrubSecretError(err)
	}
	answer, err := decodeSecretAnswer(resp.GetBody())
	if err != nil {
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

// decodeSecretAnswer reads the CommonResponse's body: the API's
// {"Response": {...}}, or the inner object alone (as some SDK builds hand
// it back).
func decodeSecretAnswer(body []byte) (secretAnswer, error) {
	var outer struct {
		Response *secretAnswer `json:"Response"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		return secretAnswer{}, errors.New("not JSON")
	}
	if outer.Response != nil {
		return *outer.Response, nil
	}
	var inner secretAnswer
	if err := json.Unmarshal(body, &inner); err != nil {
		return secretAnswer{}, errors.New("not JSON")
	}
	return inner, nil
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
